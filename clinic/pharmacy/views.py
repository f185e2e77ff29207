"""Dispensing pages: the pharmacist's start page (their pharmacy's standing, look up a
prescription, authorize, reverse) and staff dispensing on a pharmacy's behalf (R17)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_POST

from clinic.accounts.roles import STAFF_ROLES, Role, role_required
from clinic.pharmacy.forms import (
    DispenseLookupForm,
    OnBehalfLookupForm,
    PharmacyChoiceForm,
    ReverseForm,
)
from dosing import dispensing, services
from dosing import snapshot as dosing_snapshot
from dosing.models import Dispense, Prescription
from dosing.wording import say, say_all
from registry.audit import record_access
from registry.models import Pharmacist, Pharmacy, RecordAccess
from registry.registry_id import format_id, is_valid, normalize
from registry.standing import certification_standing

RECENT_DISPENSES = 20

# registry.standing writes a pharmacy's standing in English; the start page says its fixed words
# in the reader's language by their English text (a problem with a date in it stays as written).
STANDING_WORDS = frozenset(
    {
        gettext_noop("No certification"),
        gettext_noop("Pending"),
        gettext_noop("Certified"),
        gettext_noop("Suspended"),
        gettext_noop("Revoked"),
        gettext_noop("Expired"),
        gettext_noop("Not yet valid"),
        gettext_noop("it has no certification on record."),
        gettext_noop("its certification is still pending."),
        gettext_noop("its certification is suspended."),
        gettext_noop("its certification has been revoked."),
        gettext_noop("its certification has no valid dates."),
    }
)


def _standing_words(standing) -> dict[str, str]:
    def said(text):
        return _(text) if text in STANDING_WORDS else text

    return {
        "status": said(standing.status_label),
        "problem": said(standing.problem),
        "date_note": said(standing.date_note),
    }


def _pharmacy_of(user) -> Pharmacy | None:
    link = Pharmacist.objects.select_related("pharmacy__certification").filter(user=user).first()
    return link.pharmacy if link else None


def _lookup(form, *, by, pharmacy, what):
    """The looked-up prescription with its dispenses, or None (errors go on the form).

    A found prescription shows its patient (name, dose, tests on file): logged as a look-up
    (HIPAA 164.312(b)), `what` naming the page, with the pharmacy it was looked up for. A
    refused look-up shows nobody and is recorded as a RefusedAction instead."""
    if not form.is_valid():
        return None
    try:
        _patient, prescription = dispensing.find_prescription(
            form.cleaned_data["registry_id"],
            form.cleaned_data.get("prescription"),
            by=by,
            pharmacy=pharmacy,
        )
    except services.Refused as refusal:
        form.add_error("registry_id", say(refusal.reasons[0]))
        return None
    record_access(
        by,
        prescription.course.patient_id,
        RecordAccess.Kind.LOOKUP,
        what,
        {"pharmacy": pharmacy.pk, "prescription": prescription.pk},
    )
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
    prescription = None
    if pharmacy and form.is_bound:
        if standing.may_dispense:
            prescription = _lookup(
                form, by=request.user, pharmacy=pharmacy, what="Pharmacy look-up"
            )
        else:
            # A pharmacy that may not dispense today learns nothing about any patient (R17).
            form.is_valid()
            form.add_error(
                "registry_id",
                _(
                    "Your pharmacy's certification is not active today, so it may not look up "
                    "or dispense prescriptions (R17)."
                ),
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
        "pharmacy/pharmacy_home.html",
        {
            "title": _("Dispensing"),
            "standing": standing,
            "standing_words": _standing_words(standing) if standing else {},
            "form": form,
            "prescription": prescription,
            **_card_state(prescription, pharmacy, today, audience=pharmacy),
            "authorize_url": (
                reverse("pharmacy:dispense", args=[prescription.pk]) if prescription else ""
            ),
            "recent": recent,
            "reverse_form": ReverseForm(),
        },
    )


@role_required(Role.PHARMACIST)
@require_POST
def pharmacy_dispense(request, prescription_pk):
    """A pharmacist reaches a prescription only with the patient's registry ID (check
    character verified) and the prescription's number together: anything else is 404 and
    reveals nothing (no name, no ID, no other pharmacy)."""
    pharmacy = _pharmacy_of(request.user)
    if pharmacy is None:
        raise Http404("Your account is not linked to a pharmacy.")
    prescription = _prescription_by_registry_id(
        request.POST.get("registry_id", ""), prescription_pk
    )
    return _authorize(
        request, prescription, pharmacy, back=reverse("pharmacy:home"), audience=pharmacy
    )


def _prescription_by_registry_id(registry_id_text: str, prescription_pk: int) -> Prescription:
    if not is_valid(registry_id_text[:20]):
        raise Http404("No such prescription.")
    return get_object_or_404(
        Prescription.objects.select_related("course__patient"),
        pk=prescription_pk,
        course__patient__registry_id=format_id(normalize(registry_id_text)),
    )


def _card_state(prescription, pharmacy, day, *, audience=None) -> dict:
    """What the prescription card shows: the one decision's reasons and warnings, the live
    authorization, reversed ones. `audience`, a pharmacist's own pharmacy, sees only its own
    authorizations: another pharmacy's name and numbers are not its business."""
    if prescription is None:
        return {"blockers": [], "warnings": [], "dispensed": None, "reversed_dispenses": []}
    dispenses = list(prescription.dispenses.all())
    if audience is not None:
        dispenses = [d for d in dispenses if d.pharmacy_id == audience.pk]
    live = next((d for d in dispenses if d.reversed_at is None), None)
    reversed_ = [d for d in dispenses if d.reversed_at is not None]
    if live is not None:
        return {"blockers": [], "warnings": [], "dispensed": live, "reversed_dispenses": reversed_}
    decision = dosing_snapshot.dispense_decision(prescription, on=day, pharmacy=pharmacy)
    return {
        "blockers": say_all(decision.refusals),
        "warnings": say_all(decision.warnings),
        "dispensed": None,
        "reversed_dispenses": reversed_,
    }


def _authorize(request, prescription, pharmacy, *, back, audience=None):
    patient = prescription.course.patient
    try:
        dispense = services.authorize_dispense(prescription, pharmacy=pharmacy, by=request.user)
    except services.Refused as refusal:
        messages.error(
            request,
            _("Not authorized: %(reasons)s") % {"reasons": " ".join(say_all(refusal.reasons))},
        )
        if audience is not None and not audience.may_dispense_on(timezone.localdate()):
            return redirect(back)  # nothing about the patient for a pharmacy that may not
    else:
        messages.success(
            request,
            ngettext(
                "Authorization number %(number)s: dispense %(quantity)s capsules (%(capsules)s "
                "per dose) for %(days)s day to %(patient)s.",
                "Authorization number %(number)s: dispense %(quantity)s capsules (%(capsules)s "
                "per dose) for %(days)s days to %(patient)s.",
                dispense.days_supply,
            )
            % {
                "number": dispense.authorization_number,
                "quantity": dispense.quantity,
                "capsules": prescription.capsules,
                "days": dispense.days_supply,
                "patient": patient.full_name,
            },
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
        dispensing.reverse_dispense(dispense, by=request.user, pharmacy=pharmacy, reason=reason)
    except services.Refused as refusal:
        messages.error(
            request,
            _("Not reversed: %(reasons)s") % {"reasons": " ".join(say_all(refusal.reasons))},
        )
    else:
        messages.success(
            request,
            _("Authorization %(number)s is reversed.") % {"number": dispense.authorization_number},
        )
    return redirect("pharmacy:home")


@role_required(*STAFF_ROLES)
def staff_dispense(request):
    """Clinic staff authorize a dispense on a certified pharmacy's behalf (by phone)."""
    form = OnBehalfLookupForm(request.GET if "registry_id" in request.GET else None)
    prescription, pharmacy = None, None
    if form.is_bound and form.is_valid():
        pharmacy = form.cleaned_data["pharmacy"]
        prescription = _lookup(
            form, by=request.user, pharmacy=pharmacy, what="Dispensing on a pharmacy's behalf"
        )
    today = timezone.localdate()
    return render(
        request,
        "pharmacy/staff_dispense.html",
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
    back = reverse("pharmacy:staff-dispense")
    response = _authorize(request, prescription, pharmacy, back=back)
    response["Location"] += f"&pharmacy={pharmacy.pk}"
    return response
