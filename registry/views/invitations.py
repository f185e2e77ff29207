"""Portal invitations: staff send a one-time link; the patient sets a password with it."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from registry import services
from registry.roles import STAFF_ROLES, role_required
from registry.views.patients import get_patient_for


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
            f"An invitation was emailed to {invitation.sent_to}. The link works once, for 72 "
            "hours; any earlier link no longer works.",
        )
    return redirect(patient)


def accept_invitation(request, token):
    invitation = services.find_usable_invitation(token)
    if invitation is None:
        return render(request, "registry/invitation_invalid.html", status=404)
    user = invitation.patient.user
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_portal_invitation(token, form.cleaned_data["new_password1"])
        except ValidationError:
            return render(request, "registry/invitation_invalid.html", status=404)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your password is set. Welcome.")
        return redirect("home")
    return render(
        request,
        "registry/invitation_accept.html",
        {"form": form, "username": user.get_username()},
    )
