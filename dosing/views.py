"""Dosing pages. The pharmacist's start page for now; prescribing arrives with its issue."""

from django.shortcuts import render

from registry.roles import Role, role_required


@role_required(Role.PHARMACIST)
def pharmacy_home(request):
    return render(
        request,
        "placeholder.html",
        {
            "title": "Dispensing",
            "lead": "Check and record dispenses for your certified pharmacy.",
            "coming": [
                "Look up a prescription by registry ID and see whether it may be dispensed today",
                "The pick-up window and your pharmacy's certification status",
                "Record a dispense, or reverse one that was not picked up",
            ],
        },
    )
