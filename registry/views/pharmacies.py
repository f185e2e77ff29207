"""Read-only pharmacy pages for clinical staff (certification is changed in the admin)."""

from django.shortcuts import render

from registry.roles import STAFF_ROLES, role_required


@role_required(*STAFF_ROLES)
def pharmacy_list(request):
    return render(request, "placeholder.html", {"title": "Pharmacies", "lead": "", "coming": []})
