"""The appointment book for staff: a day's clinic sessions with their slots (all prescribers',
or one's), booking a patient into a free slot from the patient page, cancel / did not come /
attended, and the patients' requests to cancel or move, which staff approve or decline.

Every change goes through clinic.monitoring.appointments (typed values, the session locked while
a slot's places are counted); a refusal comes back as a message next to the field or at the top.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from clinic.accounts.redirects import safe_next
from clinic.accounts.roles import STAFF_ROLES, Role, role_required
from clinic.monitoring import appointments as book
from clinic.monitoring.models import Appointment, ClinicSession
from clinic.staff.access import get_appointment_for, get_patient_for
from clinic.staff.access_log import log_page
from registry.audit import record_access
from registry.models import RecordAccess

BOOKING_DAYS = 28  # the booking form offers the free slots of the next four weeks
# The requests page shows this many at once, the soonest appointments first.
REQUESTS_SHOWN = 30


class SessionForm(forms.ModelForm):
    class Meta:
        model = ClinicSession
        fields = ["prescriber", "day", "starts", "ends", "slot_minutes", "capacity"]
        widgets = {
            "day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prescribers = get_user_model().objects.filter(
            is_active=True, groups__name=Role.PRESCRIBER.value
        )
        self.fields["prescriber"].queryset = prescribers.order_by("last_name", "username")
        self.fields["prescriber"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day < timezone.localdate():
            raise forms.ValidationError(
                gettext_lazy("A clinic session cannot be added to a past day.")
            )
        return day

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", gettext_lazy("The session must end after it starts."))
        minutes = data.get("slot_minutes")
        if starts and ends and minutes and not self.errors:
            length = (
                datetime.datetime.combine(datetime.date.min, ends)
                - datetime.datetime.combine(datetime.date.min, starts)
            ).total_seconds() / 60
            if minutes > length:
                self.add_error(
                    "slot_minutes", gettext_lazy("A slot cannot be longer than the session.")
                )
        return data


class DayForm(forms.Form):
    day = forms.DateField(
        widget=forms.DateInput(
            attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"
        ),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        # Its own ids: the session form on the same page has a "day" field too.
        super().__init__(*args, auto_id="pick_%s", **kwargs)


class SlotForm(forms.Form):
    """A slot, named "<session pk>@<ISO start>". The menu offers the free ones, but the value is
    not held to the menu: a slot filled since the page was drawn is refused by the service with
    its own message ("This slot is full"), not a generic "not one of the choices"."""

    slot = forms.CharField(label=gettext_lazy("Free slot"), widget=forms.Select)

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].widget.choices = [("", gettext_lazy("Choose a time"))] + [
            (slot.key, slot_label(slot)) for slot in slots
        ]

    def clean_slot(self):
        parsed = book.parse_slot_key(self.cleaned_data["slot"])
        session = parsed and ClinicSession.objects.filter(pk=parsed[0]).first()
        if session is None:
            raise forms.ValidationError(
                gettext_lazy("That slot does not exist; choose one from the list.")
            )
        return session, parsed[1]


def slot_label(slot: book.Slot) -> str:
    local = timezone.localtime(slot.starts_at)
    who = slot.session.prescriber.get_full_name() or slot.session.prescriber.username
    return ngettext(
        "%(when)s with %(who)s (%(free)s place free)",
        "%(when)s with %(who)s (%(free)s places free)",
        slot.free,
    ) % {"when": dateformat.format(local, "D d M Y, H:i"), "who": who, "free": slot.free}


def _prescribers(day):
    """Whom the day view can be narrowed to: the active prescribers, and whoever holds a
    session that day (a prescriber since made inactive)."""
    users = get_user_model().objects.filter(
        Q(is_active=True, groups__name=Role.PRESCRIBER.value) | Q(clinic_sessions__day=day)
    )
    return list(users.distinct().order_by("last_name", "first_name", "username"))


def _chosen_prescriber(request, prescribers):
    """The one prescriber ?prescriber= names among `prescribers`, else None (everyone): a value
    that is not one of them (garbage, another user, two values) is not an error, only no
    filter. Compared as text, so no number is ever parsed or sent to the database."""
    values = request.GET.getlist("prescriber")
    if len(values) != 1:
        return None
    return next((user for user in prescribers if str(user.pk) == values[0]), None)


def _neighbour(day, days):
    """The day before or after, or None at the ends of the calendar (year 1, year 9999)."""
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        return None


def _slot_rows(sessions, now):
    shown = [Appointment.Status.BOOKED, Appointment.Status.NO_SHOW, Appointment.Status.ATTENDED]
    listed = {}
    for appointment in Appointment.objects.filter(
        session__in=sessions, status__in=shown
    ).select_related("patient"):
        listed.setdefault((appointment.session_id, appointment.starts_at), []).append(appointment)
    return [
        {
            "session": session,
            "slots": [
                {
                    "starts_at": start,
                    "appointments": listed.get((session.pk, start), []),
                    "free": max(
                        session.capacity
                        - sum(a.takes_a_place for a in listed.get((session.pk, start), [])),
                        0,
                    ),
                    "begun": start <= now,
                }
                for start in session.slot_starts()
            ],
        }
        for session in sessions
    ]


@role_required(*STAFF_ROLES)
def appointment_day(request):
    """A day's sessions, slot by slot: who is booked and the free places; and a new session.
    ?prescriber= narrows the day to one prescriber's sessions."""
    today = timezone.localdate()
    day_form = DayForm(request.GET or None)
    day = today
    if day_form.is_bound and day_form.is_valid():
        day = day_form.cleaned_data["day"] or today
    elif day_form.is_bound:
        messages.error(request, _("That is not a date; showing today instead."))
    prescribers = _prescribers(day)
    prescriber = _chosen_prescriber(request, prescribers)
    session_form = SessionForm(
        request.POST or None,
        initial={"day": day, "prescriber": prescriber.pk if prescriber else None},
    )
    if request.method == "POST" and session_form.is_valid():
        session = book.create_session(by=request.user, **session_form.cleaned_data)
        messages.success(request, _("Added the session: %(session)s.") % {"session": session})
        return redirect(f"{reverse('staff:appointments')}?day={session.day.isoformat()}")
    sessions = ClinicSession.objects.filter(day=day).select_related("prescriber")
    if prescriber is not None:
        sessions = sessions.filter(prescriber=prescriber)
    now = timezone.now()
    if request.method == "GET":
        record_access(request.user, None, RecordAccess.Kind.PAGE, "Appointment book")
    return render(
        request,
        "staff/appointments/day.html",
        {
            "day": day,
            "previous_day": _neighbour(day, -1),
            "next_day": _neighbour(day, 1),
            "day_form": DayForm(initial={"day": day}),
            "prescribers": prescribers,
            "prescriber": prescriber,
            "sessions": _slot_rows(list(sessions), now),
            "session_form": session_form,
            "pending": book.pending_requests().count(),
            "now": now,
        },
        status=400 if session_form.is_bound else 200,
    )


@role_required(*STAFF_ROLES)
def appointment_book(request, patient_pk):
    """Book the patient into a free slot of the next four weeks."""
    patient = get_patient_for(request.user, patient_pk)
    log_page(request, patient, "Book an appointment")
    slots = book.free_slots(first_day=timezone.localdate(), days=BOOKING_DAYS)
    form = SlotForm(request.POST or None, slots=slots)
    if request.method == "POST" and form.is_valid():
        session, starts_at = form.cleaned_data["slot"]
        try:
            appointment = book.book(patient, session, starts_at, by=request.user)
        except book.AppointmentRefused as refusal:
            form.add_error("slot", str(refusal))
        else:
            local = timezone.localtime(appointment.starts_at)
            messages.success(
                request,
                _("Booked %(name)s on %(day)s at %(time)s.")
                % {
                    "name": patient.full_name,
                    "day": dateformat.format(local, "l d F Y"),
                    "time": dateformat.format(local, "H:i"),
                },
            )
            return redirect(patient)
    upcoming = list(book.upcoming_for(patient))
    return render(
        request,
        "staff/appointments/book.html",
        {"patient": patient, "form": form, "upcoming": upcoming, "has_slots": bool(slots)},
        status=400 if form.is_bound else 200,
    )


def _back(request, appointment):
    """To the page the button was on: the patient page or the day (a URL of this site only,
    accounts.redirects.safe_next; "/\\evil.example" is another site to a browser)."""
    return redirect(safe_next(request, fallback=appointment.patient.get_absolute_url()))


def _act(request, pk, action, done: str):
    appointment = get_appointment_for(request.user, pk)
    try:
        action(appointment, by=request.user)
    except book.AppointmentRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, done)
    return _back(request, appointment)


@role_required(*STAFF_ROLES)
@require_POST
def appointment_cancel(request, pk):
    return _act(request, pk, book.cancel, _("The appointment is cancelled; its reminders too."))


@role_required(*STAFF_ROLES)
@require_POST
def appointment_no_show(request, pk):
    return _act(request, pk, book.mark_no_show, _("Marked as did not come."))


@role_required(*STAFF_ROLES)
@require_POST
def appointment_attended(request, pk):
    return _act(request, pk, book.mark_attended, _("Marked as attended."))


@role_required(*STAFF_ROLES)
@require_POST
def appointment_decline(request, pk):
    return _act(request, pk, book.decline, _("The request is declined; the appointment stands."))


@role_required(*STAFF_ROLES)
def appointment_requests(request):
    """The patients' requests waiting for the clinic, with approve and decline: the soonest
    appointments first, at most REQUESTS_SHOWN (answering them brings the next)."""
    waiting = book.pending_requests()
    pending = list(waiting[:REQUESTS_SHOWN])
    total = waiting.count()
    slots = book.free_slots(first_day=timezone.localdate(), days=BOOKING_DAYS)
    # Every move offers the same free slots: their <option>s are written once, not per request
    # (a month of sessions is thousands of options; per row they made the page slow to draw).
    choices = SlotForm(slots=slots).fields["slot"].widget.choices
    slot_options = format_html_join("", '<option value="{}">{}</option>', choices)
    record_access(request.user, None, RecordAccess.Kind.PAGE, "Appointment requests")
    return render(
        request,
        "staff/appointments/requests.html",
        {"pending": pending, "total": total, "slot_options": slot_options},
    )


@role_required(*STAFF_ROLES)
@require_POST
def appointment_approve(request, pk):
    """Approve a request: a cancel cancels; a move needs the new slot chosen on the form."""
    appointment = get_appointment_for(request.user, pk)
    new_session = new_start = None
    if appointment.requested_change == Appointment.Change.MOVE:
        slots = book.free_slots(first_day=timezone.localdate(), days=BOOKING_DAYS)
        form = SlotForm(request.POST, slots=slots)
        if not form.is_valid():
            messages.error(
                request, _("Choose the new time from the list before approving the move.")
            )
            return redirect("staff:appointment-requests")
        new_session, new_start = form.cleaned_data["slot"]
    try:
        book.approve(appointment, by=request.user, new_session=new_session, new_start=new_start)
    except book.AppointmentRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, _("Approved for %(name)s.") % {"name": appointment.patient.full_name}
        )
    return redirect("staff:appointment-requests")
