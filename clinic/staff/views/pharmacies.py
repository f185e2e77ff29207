"""Read-only pharmacy pages for clinical staff (certification is changed in the admin); the
words come from registry.standing, as on the pharmacist's start page."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.accounts.roles import STAFF_ROLES, role_required
from clinic.staff.paging import page_of
from registry.models import Pharmacy
from registry.standing import certification_standing

PAGE_SIZE = 50


@role_required(*STAFF_ROLES)
def pharmacy_list(request):
    """Every pharmacy by name, PAGE_SIZE at a time (a national registry lists thousands)."""
    today = timezone.localdate()
    pharmacies = Pharmacy.objects.select_related("certification")
    links = page_of(request, pharmacies, ("name", "pk"), PAGE_SIZE)
    standings = [certification_standing(pharmacy, today) for pharmacy in links.page.rows]
    context = {
        "title": _("Pharmacies"),
        "standings": standings,
        "today": today,
        "links": links,
        "page_size": PAGE_SIZE,
    }
    return render(request, "staff/pharmacy_list.html", context)
