from django.apps import AppConfig


class StaffConfig(AppConfig):
    """Every page of the clinic's staff: worklist, patients, courses, visits, prescribing, flags,
    refusals, reminders, pharmacies; fetches go through clinic/staff/access.py."""

    name = "clinic.staff"
    label = "staff"
    verbose_name = "Staff pages"

    def ready(self):
        # django-tables2 inspects a render function's signature for every cell; once is enough.
        from clinic.staff.tables import fast_signatures

        fast_signatures.install()
