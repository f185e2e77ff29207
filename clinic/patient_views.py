"""The patient page: registry record, courses, visits and flags together. (Being built.)"""

from django.shortcuts import render

from registry.roles import STAFF_ROLES, role_required


@role_required(*STAFF_ROLES)
def patient_detail(request, pk):
    return render(request, "placeholder.html", {"title": "Patient", "lead": "", "coming": []})
