"""The visit form: one page, in the order of an appointment. Its last part books the next
follow-up: the free slots of the follow-up day (clinic/monitoring/appointments.py), booked with
the visit in one transaction (clinic/staff/views/visits.py)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic.monitoring import appointments as book
from clinic.monitoring.models import ClinicSession, Visit
from clinic.monitoring.models.visits import (
    NODULE_COUNT_MAX,
    NODULE_COUNT_MAX_MESSAGE,
    Contraception,
    SideEffect,
    lipid_bound_errors,
    liver_enzyme_validators,
)
from clinic.monitoring.services import VISIT_FINDINGS, PregnancyTestEntry
from registry.models import PregnancyTest

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PHQ_CHOICES = [
    (0, _("Not at all")),
    (1, _("Several days")),
    (2, _("More than half the days")),
    (3, _("Nearly every day")),
]
WEIGHT_CHANGE_CONFIRM = Decimal("0.10")
FOLLOW_UP_SLOT = "follow_up_slot"
NO_SUCH_SLOT = _("That slot does not exist; choose one from the list.")
NOT_THAT_DAY = _("That slot is not on the next follow-up day; choose one from the list.")
# The largest primary key the database holds (BigAutoField): a bigger number names no slot.
PK_MAX = 2**63 - 1


def follow_up_slot_label(slot: book.Slot) -> str:
    """A slot of the follow-up day, whose date the form already shows."""
    who = slot.session.prescriber.get_full_name() or slot.session.prescriber.username
    return ngettext(
        "%(when)s with %(who)s (%(free)s place free)",
        "%(when)s with %(who)s (%(free)s places free)",
        slot.free,
    ) % {
        "when": dateformat.format(timezone.localtime(slot.starts_at), "H:i"),
        "who": who,
        "free": slot.free,
    }


class VisitForm(forms.ModelForm):
    side_effects = forms.MultipleChoiceField(
        choices=SideEffect.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Side effects"),
    )
    contraception = forms.MultipleChoiceField(
        label=_("Contraception methods confirmed"),
        choices=Contraception.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Two forms, from one month before to one month after treatment (R16)."),
    )
    phq2_interest = forms.TypedChoiceField(
        coerce=int,
        choices=PHQ_CHOICES,
        widget=forms.RadioSelect,
        label=_("Over the last 2 weeks, how often: little interest or pleasure in doing things?"),
    )
    phq2_mood = forms.TypedChoiceField(
        coerce=int,
        choices=PHQ_CHOICES,
        widget=forms.RadioSelect,
        label=_("Over the last 2 weeks, how often: feeling down, depressed or hopeless?"),
    )
    test_specimen_date = forms.DateField(
        label=_("Pregnancy test: specimen date"), required=False, widget=DATE_INPUT
    )
    test_result = forms.ChoiceField(
        label=_("Result"),
        required=False,
        widget=forms.RadioSelect,
        choices=PregnancyTest.Result.choices,
    )
    test_setting = forms.ChoiceField(
        label=_("Where"),
        required=False,
        widget=forms.RadioSelect,
        choices=PregnancyTest.Setting.choices,
        initial=PregnancyTest.Setting.MEDICAL,
    )
    confirm_weight_change = forms.BooleanField(
        required=False, label=_("Yes, the weight has changed by more than 10%")
    )
    # A slot key ("<session pk>@<ISO start>"). The menu offers the day's free slots, but the
    # value is not held to the menu: a slot filled since the page was drawn is refused by the
    # book with its own message ("This slot is full"), not "not one of the choices".
    follow_up_slot = forms.CharField(
        label=_("Book an appointment on that day"),
        required=False,
        widget=forms.Select,
        help_text=_("Optional. Booked with the visit; the patient is reminded of it."),
    )

    class Meta:
        model = Visit
        fields = list(VISIT_FINDINGS)  # what monitoring.services.record_visit takes
        widgets = {
            "visit_date": DATE_INPUT,
            "next_follow_up": DATE_INPUT,
            "weight_kg": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
            "nodule_count": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"weight_kg": _("Weight (kg)"), "side_effects_other": _("Other side effect")}

    def __init__(self, *args, patient, previous_weight: Decimal | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.previous_weight = previous_weight
        self.fields["visit_date"].initial = timezone.localdate()
        self.fields["next_follow_up"].initial = timezone.localdate() + datetime.timedelta(28)
        self.fields["weight_kg"].error_messages.update(
            {
                "min_value": _(
                    "%(limit_value)s kg is the lowest weight accepted; check the scale."
                ),
                "max_value": _(
                    "%(limit_value)s kg is the highest weight accepted; check the scale."
                ),
            }
        )
        self.fields["nodule_count"].error_messages["min_value"] = _("A count cannot be negative.")
        # The model's plausible bounds (clinic/models/visits.py), checked by the form fields
        # themselves so the message naming the bound sits next to the field.
        self.fields["nodule_count"].validators.append(
            MaxValueValidator(NODULE_COUNT_MAX, NODULE_COUNT_MAX_MESSAGE)
        )
        for name in ("alt", "ast"):  # a minimum of 1 replaces the field's 0: one message for -1
            field = self.fields[name]
            field.validators = [v for v in field.validators if not isinstance(v, MinValueValidator)]
            field.validators += liver_enzyme_validators(name.upper())
        self.asks_weight_confirmation = False
        self._offer_follow_up_slots()
        if not patient.can_get_pregnant:
            for name in ("test_specimen_date", "test_result", "test_setting", "contraception"):
                del self.fields[name]

    def _offer_follow_up_slots(self):
        """The follow-up day's free slots as the menu: the patient's prescriber's first. The
        day is the one posted (a form shown again) or the one the form suggests; as it is
        typed, an htmx fragment (views/visits.follow_up_slots) draws the menu again."""
        date = self.fields["next_follow_up"]
        date.widget.attrs.update(
            {
                "data-hx-get": reverse("staff:visit-follow-up-slots", args=[self.patient.pk]),
                "data-hx-trigger": "change",
                "data-hx-target": "#follow-up-slots",
                "data-hx-swap": "outerHTML",
            }
        )
        if self.is_bound:
            try:
                day = date.clean(self.data.get(self.add_prefix("next_follow_up")))
            except forms.ValidationError:
                day = None
        else:
            day = self.get_initial_for_field(date, "next_follow_up")
        self.follow_up_day = day if isinstance(day, datetime.date) else None
        self.follow_up_refusal = ""
        own, others = [], []
        if self.patient.status == self.patient.Status.WITHDRAWN:
            self.follow_up_refusal = book.WITHDRAWN
        elif self.follow_up_day is not None:
            own, others = book.follow_up_slots(self.patient, self.follow_up_day)
        choices = [("", _("No appointment"))]
        if own:
            prescriber = self.patient.prescriber
            who = prescriber.get_full_name() or prescriber.username
            choices.append(
                (
                    _("With %(who)s, the patient's prescriber") % {"who": who},
                    [(slot.key, follow_up_slot_label(slot)) for slot in own],
                )
            )
        if others:
            choices.append(
                (
                    _("Other prescribers"),
                    [(slot.key, follow_up_slot_label(slot)) for slot in others],
                )
            )
        self.fields[FOLLOW_UP_SLOT].widget.choices = choices
        self.has_follow_up_slots = bool(own or others)

    def _clean_follow_up_slot(self, data):
        """The slot as (session, start), or None for no booking. A value that names no slot of
        the follow-up day is refused here; full, begun or twice is the book's own answer when
        the visit is saved (under the session's lock)."""
        value = data.get(FOLLOW_UP_SLOT)
        data[FOLLOW_UP_SLOT] = None
        if not value:
            return
        parsed = book.parse_slot_key(value)
        session = None
        if parsed is not None and 0 < parsed[0] <= PK_MAX:
            session = ClinicSession.objects.filter(pk=parsed[0]).first()
        if session is None:
            self.add_error(FOLLOW_UP_SLOT, NO_SUCH_SLOT)
            return
        follow_up = data.get("next_follow_up")
        if follow_up is None:  # no day, or a refused one: the date's own message says so
            return
        if session.day != follow_up:
            self.add_error(FOLLOW_UP_SLOT, NOT_THAT_DAY)
        elif parsed[1] not in session.slot_starts():
            self.add_error(FOLLOW_UP_SLOT, str(book.OUTSIDE))
        else:
            data[FOLLOW_UP_SLOT] = (session, parsed[1])

    def follow_up_booking(self):
        """(session, start) of the slot to book with the visit, or None."""
        return self.cleaned_data.get(FOLLOW_UP_SLOT)

    def _not_future(self, name):
        day = self.cleaned_data.get(name)
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("This date is in the future."))
        return day

    def clean_visit_date(self):
        return self._not_future("visit_date")

    def clean_test_specimen_date(self):
        return self._not_future("test_specimen_date")

    def clean(self):
        data = super().clean()
        visit_day, follow_up = data.get("visit_date"), data.get("next_follow_up")
        if visit_day and follow_up and follow_up <= visit_day:
            self.add_error("next_follow_up", _("The next follow-up must be after this visit."))
        self._clean_follow_up_slot(data)
        # Lipid bounds depend on the unit chosen, another field: checked here, shown on the value.
        for name, message in lipid_bound_errors(data).items():
            self.add_error(name, message)
        if "other" in (data.get("side_effects") or []) and not data.get("side_effects_other"):
            self.add_error("side_effects_other", _("Describe the other side effect."))
        weight = data.get("weight_kg")
        if weight and self.previous_weight:
            change = abs(weight - self.previous_weight) / self.previous_weight
            if change > WEIGHT_CHANGE_CONFIRM and not data.get("confirm_weight_change"):
                self.asks_weight_confirmation = True
                self.add_error(
                    "confirm_weight_change",
                    forms.ValidationError(
                        _(
                            "%(weight)s kg is %(change)s away from the last recorded "
                            "%(previous)s kg. Check the scale, or tick to confirm."
                        ),
                        params={
                            "weight": weight,
                            "change": f"{change:.0%}",
                            "previous": self.previous_weight,
                        },
                    ),
                )
        if "test_result" in self.fields:
            given = [data.get("test_specimen_date"), data.get("test_result")]
            if any(given) and not all(given):
                self.add_error(
                    "test_result" if given[0] else "test_specimen_date",
                    _("Give both the specimen date and the result."),
                )
        return data

    def findings(self) -> dict:
        """The measured values, by name, for clinic.monitoring.services.record_visit."""
        return {
            name: self.cleaned_data[name]
            for name in VISIT_FINDINGS
            if name in self.cleaned_data and name != "visit_date"
        }

    def pregnancy_test(self) -> PregnancyTestEntry | None:
        data = self.cleaned_data
        if data.get("test_specimen_date") and data.get("test_result"):
            return PregnancyTestEntry(
                specimen_date=data["test_specimen_date"],
                result=data["test_result"],
                setting=data.get("test_setting") or PregnancyTest.Setting.MEDICAL,
            )
        return None
