"""Portal invitations: staff send a one-time link (the patient accepts it in clinic/portal)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinic.accounts.roles import STAFF_ROLES, role_required
from clinic.staff.access import get_patient_for
from registry import services


@role_required(*STAFF_ROLES)
@require_POST
def send_invitation(request, pk):
    patient = get_patient_for(request.user, pk)
    try:
        invitation = services.send_portal_invitation(
            patient, by=request.user, build_url=request.build_absolute_uri
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _(
                "An invitation was emailed to %(address)s. The link works once, for 72 hours; "
                "any earlier link no longer works."
            )
            % {"address": invitation.sent_to},
        )
    return redirect(patient)
