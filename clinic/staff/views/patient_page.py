"""The patient page: registry record, courses, visits and flags together (DESIGN.md: pages that
bring several apps' records together are clinic views)."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.accounts.roles import STAFF_ROLES, Role, has_role, role_required
from clinic.monitoring.appointments import upcoming_for
from clinic.monitoring.models import CourseFlag
from clinic.reminders.recipients import guardian_for, who_receives
from clinic.staff.access import get_patient_for
from clinic.staff.access_log import log_page
from clinic.staff.forms.patients import StatusForm
from clinic.staff.tables.refusals import reasons_of, tried
from clinic.staff.views.refusals import REFUSAL_READERS
from dosing.models import RefusedAction
from dosing.monthly_steps import Month, course_steps
from registry.audit import history_entries
from registry.models import Guardian, Patient, PriorTreatment, RecordAccess
from registry.models.guardians import is_minor_on

# The latest refusals on the page; the refusals page, filtered to the patient, has the rest.
PATIENT_REFUSALS = 20
# "Who looked at this record": the latest accesses; the audit page has the rest.
PATIENT_ACCESSES = 10
# The latest reminder consents (each channel and number); older ones are in the history.
CONSENTS_SHOWN = 10


@role_required(*STAFF_ROLES)
def patient_detail(request, pk):
    patient = get_patient_for(request.user, pk)
    log_page(request, patient, "Patient page")
    prior = list(patient.prior_treatments.all())
    history = history_entries(
        Patient.history.filter(id=patient.pk), Patient, lambda row: _("Patient record")
    ) + history_entries(
        PriorTreatment.history.filter(patient_id=patient.pk),
        PriorTreatment,
        lambda row: _("Prior treatment: %(kind)s") % {"kind": PriorTreatment.Kind(row.kind).label},
    )
    # The guardian (issue 17 point 5): one query for the row, one for its history.
    guardian = guardian_for(patient)
    history += history_entries(
        Guardian.history.filter(patient_id=patient.pk), Guardian, lambda row: _("Guardian")
    )
    history.sort(key=lambda entry: entry.when, reverse=True)
    invitation = patient.invitations.first()
    # Which number or address each reminder consent was for, when and how given and withdrawn
    # (docs/SMS.md): one query, the newest first, a bounded number.
    consents = list(patient.channel_consents.order_by("-given_at", "-pk")[:CONSENTS_SHOWN])
    courses = list(patient.courses.order_by("-number"))
    visits = list(patient.visits.select_related("course").order_by("-visit_date", "-pk")[:12])
    open_flags = list(
        CourseFlag.objects.filter(course__patient=patient, acknowledged_at=None).select_related(
            "course"
        )
    )
    pregnancy_tests = list(patient.pregnancy_tests.all()[:6]) if patient.can_get_pregnant else []
    refusals = list(
        RefusedAction.objects.filter(patient=patient)
        .select_related("user", "course", "pharmacy")
        .order_by("-at", "-pk")[:PATIENT_REFUSALS]
    )
    # One query, served by the (patient, at) index; this visit is the first row.
    accesses = list(
        RecordAccess.objects.filter(patient=patient)
        .select_related("user")
        .order_by("-at", "-pk")[:PATIENT_ACCESSES]
    )
    # "This month" (iPLEDGE's monthly steps) for the course in treatment: one query.
    active = next((c for c in courses if c.is_active), None)
    month = Month.current()
    this_month = active and {"course": active, "month": month, "steps": course_steps(active, month)}
    return render(
        request,
        "staff/patient_detail.html",
        {
            "patient": patient,
            "age": patient.age_on(timezone.localdate()),
            "prior_treatments": prior,
            "guardian": guardian,
            "minor": is_minor_on(patient.date_of_birth, timezone.localdate()),
            "reminders_go_to": who_receives(patient, guardian, to_patient=False),
            "history": history[:50],
            "invitation": invitation,
            "channel_consents": consents,
            "courses": courses,
            "visits": visits,
            "open_flags": open_flags,
            "pregnancy_tests": pregnancy_tests,
            "refusals": [(r, tried(r), reasons_of(r)) for r in refusals],
            "can_read_refusals": has_role(request.user, *REFUSAL_READERS),
            "accesses": accesses,
            "can_read_audit": has_role(request.user, Role.REGISTRY_ADMIN),
            "can_start_course": has_role(request.user, Role.PRESCRIBER)
            and not any(c.status in ("active", "planned") for c in courses),
            "status_form": StatusForm(initial={"status": patient.status}),
            "this_month": this_month,
            "is_prescriber": has_role(request.user, Role.PRESCRIBER),
            # The appointment book (docs/APPOINTMENTS.md): one query.
            "appointments": list(upcoming_for(patient)),
            "now": timezone.now(),
        },
    )
