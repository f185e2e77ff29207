"""Read-only pharmacy pages for clinical staff (certification is changed in the admin); the
words come from registry.standing, as on the pharmacist's start page."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from clinic.accounts.roles import STAFF_ROLES, role_required
from registry.models import Pharmacy
from registry.standing import certification_standing


@role_required(*STAFF_ROLES)
def pharmacy_list(request):
    today = timezone.localdate()
    pharmacies = Pharmacy.objects.select_related("certification").order_by("name", "pk")
    standings = [certification_standing(pharmacy, today) for pharmacy in pharmacies]
    return render(
        request,
        "staff/pharmacy_list.html",
        {"title": "Pharmacies", "standings": standings, "today": today},
    )
