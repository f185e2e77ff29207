"""Registry pages: the patient list (staff) and the registry administration start page."""

from django.shortcuts import render

from registry.roles import STAFF_ROLES, Role, role_required


@role_required(*STAFF_ROLES)
def patient_list(request):
    return render(
        request,
        "placeholder.html",
        {
            "title": "Patients",
            "lead": "The clinic's isotretinoin registry.",
            "coming": [
                "Enrol a patient: consent, risk category, prior acne treatments",
                "Find a patient by name or registry ID (a partial ID works)",
                "Filter by status, prescriber and risk category; export the list as CSV",
            ],
        },
    )


@role_required(Role.REGISTRY_ADMIN)
def registry_admin_home(request):
    return render(request, "registry/registry_admin_home.html")
