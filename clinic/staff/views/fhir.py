"""The FHIR export of one patient's record (issue 18, point 1; docs/INTEROP.md).

`GET /fhir/Patient/<id>/$everything`: the staff who may open the patient page download the
record as a FHIR R4 searchset Bundle. A read of the whole record, logged like the patient page
(one RecordAccess, "FHIR export"); another or unknown id is 404 (access.get_patient_for). Never
cached: it is the whole record, and a proxy or the browser keeping a copy would outlive the
session.
"""

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clinic.accounts.roles import STAFF_ROLES, role_required
from clinic.staff.access import get_patient_for
from clinic.staff.access_log import log_page
from clinic.staff.fhir.everything import everything_bundle

FHIR_JSON = "application/fhir+json"
# Every FHIR URL of ours sits under this path (clinic/staff/urls.py): the base of fullUrl.
FHIR_BASE_PATH = "/fhir/"


@role_required(*STAFF_ROLES)
@require_GET
@never_cache
def patient_everything(request, pk):
    patient = get_patient_for(request.user, pk)
    log_page(request, patient, "FHIR export")
    bundle = everything_bundle(
        patient,
        base_url=request.build_absolute_uri(FHIR_BASE_PATH),
        self_url=request.build_absolute_uri(),
    )
    response = HttpResponse(bundle.model_dump_json(), content_type=f"{FHIR_JSON}; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{patient.registry_id}-everything.fhir.json"'
    )
    return response
