"""Staff pages for the registry: enrol, list, edit, change status. (Being built.)"""

from django.shortcuts import render

from registry.roles import STAFF_ROLES, role_required


@role_required(*STAFF_ROLES)
def patient_list(request):
    return render(request, "placeholder.html", {"title": "Patients", "lead": "", "coming": []})


@role_required(*STAFF_ROLES)
def patient_enrol(request):
    return render(request, "placeholder.html", {"title": "Enrol", "lead": "", "coming": []})


@role_required(*STAFF_ROLES)
def patient_edit(request, pk):
    return render(request, "placeholder.html", {"title": "Edit", "lead": "", "coming": []})


@role_required(*STAFF_ROLES)
def patient_status(request, pk):
    return render(request, "placeholder.html", {"title": "Status", "lead": "", "coming": []})
