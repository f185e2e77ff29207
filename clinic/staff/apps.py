from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Every page of the clinic's staff: worklist, patients, courses, visits, prescribing, flags,
    refusals, reminders, pharmacies; fetches go through clinic/staff/access.py."""

    name = "clinic.staff"
    label = "staff"
    verbose_name = "Staff pages"
