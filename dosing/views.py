"""Dosing pages. The pharmacist's start page for now; prescribing arrives with its issue."""

from django.shortcuts import render
from django.utils import timezone

from registry.models import Pharmacist
from registry.roles import Role, role_required
from registry.views.pharmacies import certification_standing


@role_required(Role.PHARMACIST)
def pharmacy_home(request):
    """The pharmacist's pharmacy and whether it may dispense today (R17)."""
    pharmacist = (
        Pharmacist.objects.select_related("pharmacy__certification")
        .filter(user=request.user)
        .first()
    )
    standing = (
        certification_standing(pharmacist.pharmacy, timezone.localdate()) if pharmacist else None
    )
    return render(
        request,
        "dosing/pharmacy_home.html",
        {"title": "Dispensing", "standing": standing},
    )
