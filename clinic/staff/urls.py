"""Every staff page (prescriber, clinical staff, registry admin), under "staff:"."""

from django.urls import path

from clinic.staff.views import (
    appointments,
    audit,
    courses,
    fhir,
    flags,
    imports,
    invitations,
    monthly_steps,
    outcomes,
    patient_page,
    patients,
    pharmacies,
    pregnancy_tests,
    prescribing,
    printouts,
    refusals,
    registry_admin,
    reminders,
    visits,
    worklist,
)

app_name = "staff"

urlpatterns = [
    path("staff/", worklist.staff_worklist, name="worklist"),
    path("staff/worklist/<slug:key>/", worklist.worklist_section, name="worklist-section"),
    path("patients/", patients.patient_list, name="patient-list"),
    path("patients/new/", patients.patient_enrol, name="patient-enrol"),
    path("patients/<int:pk>/", patient_page.patient_detail, name="patient-detail"),
    path("patients/<int:pk>/edit/", patients.patient_edit, name="patient-edit"),
    path("patients/<int:pk>/status/", patients.patient_status, name="patient-status"),
    path("patients/<int:pk>/invite/", invitations.send_invitation, name="patient-invite"),
    path("patients/<int:patient_pk>/courses/new/", courses.course_start, name="course-start"),
    path(
        "patients/<int:patient_pk>/pregnancy-tests/new/",
        pregnancy_tests.record_pregnancy_test,
        name="pregnancy-test-new",
    ),
    path("patients/<int:patient_pk>/visits/new/", visits.visit_new, name="visit-new"),
    path(
        "patients/<int:patient_pk>/visits/new/slots/",
        visits.follow_up_slots,
        name="visit-follow-up-slots",
    ),
    path(
        "patients/<int:patient_pk>/counselling/",
        monthly_steps.confirm_counselling,
        name="counselling-confirm",
    ),
    path("staff/monthly-steps.csv", monthly_steps.monthly_steps_csv, name="monthly-steps-csv"),
    path("patients/<int:pk>/reminders/", reminders.patient_reminders, name="patient-reminders"),
    path("flags/<int:pk>/acknowledge/", flags.acknowledge, name="flag-acknowledge"),
    path("courses/<int:pk>/", courses.course_detail, name="course-detail"),
    path("courses/<int:pk>/prescribe/", prescribing.prescribe, name="course-prescribe"),
    path(
        "courses/<int:pk>/prescribe/check/",
        prescribing.prescribe_check,
        name="course-prescribe-check",
    ),
    path("courses/<int:pk>/end/", courses.course_end, name="course-end"),
    # The printouts as PDF (clinic/staff/printouts/).
    path("prescriptions/<int:pk>/print.pdf", printouts.prescription_pdf, name="prescription-pdf"),
    path("visits/<int:pk>/summary.pdf", printouts.visit_summary_pdf, name="visit-summary-pdf"),
    path("patients/<int:pk>/referral.pdf", printouts.referral_pdf, name="referral-pdf"),
    # FHIR R4 (clinic/staff/fhir/, docs/INTEROP.md): one patient's record as a Bundle.
    path(
        "fhir/Patient/<int:pk>/$everything",
        fhir.patient_everything,
        name="fhir-patient-everything",
    ),
    # The appointment book (clinic/monitoring/appointments.py, docs/APPOINTMENTS.md).
    path("appointments/", appointments.appointment_day, name="appointments"),
    path("appointments/requests/", appointments.appointment_requests, name="appointment-requests"),
    path(
        "patients/<int:patient_pk>/appointments/new/",
        appointments.appointment_book,
        name="appointment-book",
    ),
    path(
        "appointments/<int:pk>/cancel/", appointments.appointment_cancel, name="appointment-cancel"
    ),
    path(
        "appointments/<int:pk>/no-show/",
        appointments.appointment_no_show,
        name="appointment-no-show",
    ),
    path(
        "appointments/<int:pk>/attended/",
        appointments.appointment_attended,
        name="appointment-attended",
    ),
    path(
        "appointments/<int:pk>/approve/",
        appointments.appointment_approve,
        name="appointment-approve",
    ),
    path(
        "appointments/<int:pk>/decline/",
        appointments.appointment_decline,
        name="appointment-decline",
    ),
    path("refusals/", refusals.refusals, name="refusals"),
    path("outcomes/", outcomes.outcomes, name="outcomes"),
    path("reminders/failed/", reminders.failed_reminders, name="reminders-failed"),
    path("reminders/<int:pk>/retry/", reminders.retry_reminder, name="reminder-retry"),
    path("pharmacies/", pharmacies.pharmacy_list, name="pharmacy-list"),
    path("registry-admin/", registry_admin.registry_admin_home, name="registry-admin-home"),
    path("registry-admin/audit/", audit.audit, name="audit"),
    # The spreadsheet import of patients (clinic/staff/importing/).
    path("imports/new/", imports.import_upload, name="import-upload"),
    path("imports/<int:pk>/", imports.import_detail, name="import-detail"),
    path("imports/<int:pk>/confirm/", imports.import_confirm, name="import-confirm"),
    path("imports/<int:pk>/progress/", imports.import_progress, name="import-progress"),
]
