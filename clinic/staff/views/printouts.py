"""The printouts as PDF (clinic/staff/printouts/): the prescription, the visit summary and the
referral letter after a positive pregnancy test (R18).

Each is a read of the patient's record, logged like the pages that show it; GET only (a
POST answers 405 before anything is looked up). Who may print:
- the prescription and the visit summary: prescribers and clinical staff, who see both on the
  course page and hand them to the patient or the pharmacy;
- the referral letter: prescribers only. It is a letter from the doctor who stops treatment
  and refers (R18), signed by them; acknowledging the positive-test flag is a prescriber's
  act too (ACKNOWLEDGING_ROLES). Clinical staff get 404 like any page not theirs.
"""

from django.http import Http404
from django.views.decorators.http import require_GET

from clinic.accounts.roles import ACKNOWLEDGING_ROLES, STAFF_ROLES, role_required
from clinic.staff.access import get_patient_for, get_prescription_for, get_visit_for
from clinic.staff.access_log import log_page
from clinic.staff.printouts import documents
from clinic.staff.printouts.rendering import pdf_response, render_pdf

# The prescribers: those who act on the positive-test flag (base.html's can_acknowledge).
REFERRAL_ROLES = ACKNOWLEDGING_ROLES


@role_required(*STAFF_ROLES)
@require_GET
def prescription_pdf(request, pk):
    rx = get_prescription_for(request.user, pk)
    log_page(request, rx.course.patient, "Prescription printout (PDF)")
    context, filename = documents.prescription_document(rx)
    return pdf_response(render_pdf("staff/printouts/prescription.html", context), filename)


@role_required(*STAFF_ROLES)
@require_GET
def visit_summary_pdf(request, pk):
    visit = get_visit_for(request.user, pk)
    log_page(request, visit.patient, "Visit summary (PDF)")
    context, filename = documents.visit_summary_document(visit)
    return pdf_response(render_pdf("staff/printouts/visit_summary.html", context), filename)


@role_required(*REFERRAL_ROLES)
@require_GET
def referral_pdf(request, pk):
    patient = get_patient_for(request.user, pk)
    test = documents.latest_positive_test(patient)
    if test is None:
        raise Http404("No positive pregnancy test: there is nothing to refer.")
    log_page(request, patient, "Referral letter (PDF)")
    context, filename = documents.referral_document(patient, test, by=request.user)
    return pdf_response(render_pdf("staff/printouts/referral.html", context), filename)
