"""Dispensing pages: the pharmacist's start page (their pharmacy's standing, look up a
prescription, authorize, reverse) and staff dispensing on a pharmacy's behalf (R17)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dosing import services
from dosing.forms import DispenseLookupForm, OnBehalfLookupForm, PharmacyChoiceForm, ReverseForm
from dosing.models import Dispense, Prescription
from registry.models import Pharmacist, Pharmacy
from registry.roles import STAFF_ROLES, Role, role_required
from registry.views.pharmacies import certification_standing

RECENT_DISPENSES = 20


def _pharmacy_of(user) -> Pharmacy | None:
    link = Pharmacist.objects.select_related("pharmacy__certification").filter(user=user).first()
    return link.pharmacy if link else None


def _lookup(form, *, by, pharmacy):
    """The looked-up prescription with its dispenses, or None (errors go on the form)."""
    if not form.is_valid():
        return None
    try:
        _patient, prescription = services.find_prescription(
            form.cleaned_data["registry_id"],
            form.cleaned_data.get("prescription"),
            by=by,
            pharmacy=pharmacy,
        )
    except services.Refused as refusal:
        form.add_error("registry_id", refusal.reasons[0])
        return None
    return (
        Prescription.objects.select_related("course__patient")
        .prefetch_related(
            Prefetch("dispenses", queryset=Dispense.objects.select_related("pharmacy"))
        )
        .get(pk=prescription.pk)
    )


@role_required(Role.PHARMACIST)
def pharmacy_home(request):
    """The pharmacist's pharmacy, whether it may dispense today, and the lookup."""
    pharmacy = _pharmacy_of(request.user)
    today = timezone.localdate()
    standing = certification_standing(pharmacy, today) if pharmacy else None
    form = DispenseLookupForm(request.GET if "registry_id" in request.GET else None)
    prescription = (
        _lookup(form, by=request.user, pharmacy=pharmacy) if pharmacy and form.is_bound else None
    )
    recent = (
        Dispense.objects.filter(pharmacy=pharmacy)
        .select_related("prescription__course__patient")
        .order_by("-authorized_at")[:RECENT_DISPENSES]
        if pharmacy
        else []
    )
    return render(
        request,
        "dosing/pharmacy_home.html",
        {
            "title": "Dispensing",
            "standing": standing,
            "form": form,
            "prescription": prescription,
            **_card_state(prescription, pharmacy, today),
            "authorize_url": (
                reverse("pharmacy-dispense", args=[prescription.pk]) if prescription else ""
            ),
            "recent": recent,
            "reverse_form": ReverseForm(),
        },
    )


@role_required(Role.PHARMACIST)
@require_POST
def pharmacy_dispense(request, prescription_pk):
    pharmacy = _pharmacy_of(request.user)
    if pharmacy is None:
        raise Http404("Your account is not linked to a pharmacy.")
    prescription = get_object_or_404(
        Prescription.objects.select_related("course__patient"), pk=prescription_pk
    )
    return _authorize(request, prescription, pharmacy, back=reverse("pharmacy-home"))


def _card_state(prescription, pharmacy, day) -> dict:
    """A dispensed prescription shows its authorization, not a red "cannot be dispensed"."""
    if prescription is None:
        return {"blockers": [], "dispensed": None}
    live = next((d for d in prescription.dispenses.all() if d.reversed_at is None), None)
    if live is not None:
        return {"blockers": [], "dispensed": live}
    return {"blockers": services.dispense_blockers(prescription, pharmacy, day), "dispensed": None}


def _authorize(request, prescription, pharmacy, *, back):
    patient = prescription.course.patient
    try:
        dispense = services.authorize_dispense(prescription, pharmacy=pharmacy, by=request.user)
    except services.Refused as refusal:
        messages.error(request, "Not authorized: " + " ".join(refusal.reasons))
    else:
        messages.success(
            request,
            f"Authorization number {dispense.authorization_number}: dispense {dispense.quantity} "
            f"capsules ({prescription.capsules} per dose) for {dispense.days_supply} days to "
            f"{patient.full_name}.",
        )
    return redirect(f"{back}?registry_id={patient.registry_id}&prescription={prescription.pk}")


@role_required(Role.PHARMACIST)
@require_POST
def pharmacy_reverse(request, pk):
    pharmacy = _pharmacy_of(request.user)
    # Another pharmacy's authorization does not exist for this pharmacist.
    dispense = get_object_or_404(
        Dispense.objects.select_related("prescription"), pk=pk, pharmacy=pharmacy
    )
    form = ReverseForm(request.POST)
    reason = form.data.get("reason", "") if not form.is_valid() else form.cleaned_data["reason"]
    try:
        services.reverse_dispense(dispense, by=request.user, pharmacy=pharmacy, reason=reason)
    except services.Refused as refusal:
        messages.error(request, "Not reversed: " + " ".join(refusal.reasons))
    else:
        messages.success(request, f"Authorization {dispense.authorization_number} is reversed.")
    return redirect("pharmacy-home")


@role_required(*STAFF_ROLES)
def staff_dispense(request):
    """Clinic staff authorize a dispense on a certified pharmacy's behalf (by phone)."""
    form = OnBehalfLookupForm(request.GET if "registry_id" in request.GET else None)
    prescription, pharmacy = None, None
    if form.is_bound and form.is_valid():
        pharmacy = form.cleaned_data["pharmacy"]
        prescription = _lookup(form, by=request.user, pharmacy=pharmacy)
    today = timezone.localdate()
    return render(
        request,
        "dosing/staff_dispense.html",
        {
            "form": form,
            "pharmacy": pharmacy,
            "prescription": prescription,
            **_card_state(prescription, pharmacy, today),
        },
    )


@role_required(*STAFF_ROLES)
@require_POST
def staff_dispense_authorize(request, prescription_pk):
    prescription = get_object_or_404(
        Prescription.objects.select_related("course__patient"), pk=prescription_pk
    )
    # The pharmacy comes from a menu; anything else (not a number, no such pharmacy) is 404.
    choice = PharmacyChoiceForm(request.POST)
    if not choice.is_valid():
        raise Http404("No such pharmacy.")
    pharmacy = choice.cleaned_data["pharmacy"]
    back = reverse("staff-dispense")
    response = _authorize(request, prescription, pharmacy, back=back)
    response["Location"] += f"&pharmacy={pharmacy.pk}"
    return response
