"""The patient portal: the patient's own course, schedule, progress, calendar, reminder
preferences, monthly confirmation (R16) and plain-language information.

Every page is for the Patient role and works only on request.user.patient: no URL carries
another patient's id, and a course id in a URL must be one of the patient's own (else 404).
The calendar feed (calendar_feed) and the invitation (accept_invitation) are the pages without a
login: a private token opens that feed, or sets that patient's password, and nothing else.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from clinic.accounts.roles import Role, role_required
from clinic.monitoring.appointments import upcoming_for
from clinic.monitoring.course_charts import nodule_chart_data, nodule_progress
from clinic.monitoring.models import Visit
from clinic.monitoring.models.visits import Contraception
from clinic.portal import calendar_feed as portal_calendar
from clinic.portal import services as portal_services
from clinic.portal.content import QUESTIONS, QUESTIONS_BY_KEY, reminder_effect, wrong_answers
from clinic.portal.course import (
    booked_visit,
    courses_of,
    current_course,
    figures_for,
    own_course,
    portal_patient,
    start_page,
    week_view,
)
from clinic.portal.forms import MonthlyConfirmationForm, ReminderPreferencesForm
from clinic.portal.models import CalendarFeed
from clinic.reminders.recipients import guardian_for, who_receives
from dosing.services import check_monthly_confirmation
from registry import services as registry_services

ICS_TYPE = "text/calendar; charset=utf-8"


def _current(patient):
    courses = courses_of(patient)
    return current_course(courses), courses


@role_required(Role.PATIENT)
def portal_home(request):
    """'My course': today's doses, the next visit and test, the pick-up window, week N of 20."""
    patient = portal_patient(request.user)
    today = timezone.localdate()
    course, _courses = _current(patient)
    page = start_page(course, today) if course is not None else None
    confirmation_due = bool(
        patient.can_get_pregnant
        and course is not None
        and course.status in ("active", "planned")
        and check_monthly_confirmation(patient, today)
    )
    next_appointment = upcoming_for(patient).first()
    return render(
        request,
        "portal/home.html",
        {
            "patient": patient,
            "course": course,
            "page": page,
            "today": today,
            "confirmation_due": confirmation_due,
            "clinic_phone": settings.CLINIC_PHONE,
            # The next booked appointment (docs/APPOINTMENTS.md), linking to all of them.
            "next_appointment": next_appointment,
            "visit_appointment": _booked_before_planned(next_appointment, page),
        },
    )


def _booked_before_planned(appointment, page):
    """The booked appointment, when it is the patient's next visit: no visit planned sooner.
    The "Next visit" card then shows it, and does not ask the patient to call for a date."""
    if appointment is None:
        return None
    planned = page.next_visit if page is not None else None
    if planned is None or timezone.localdate(appointment.starts_at) <= planned.date:
        return appointment
    return None


def _schedule(request, course, courses):
    figures = figures_for(course)
    running = course.status in ("active", "planned")
    return render(
        request,
        "portal/schedule.html",
        {
            "course": course,
            "courses": courses,
            "figures": figures,
            "view": week_view(course, figures),
            "today": figures.today,
            "booked_visit": booked_visit(course.patient, figures.today) if running else None,
        },
    )


@role_required(Role.PATIENT)
def schedule(request):
    patient = portal_patient(request.user)
    course, courses = _current(patient)
    if course is None:
        return render(request, "portal/no_course.html", {"title": _("My schedule")})
    return _schedule(request, course, courses)


@role_required(Role.PATIENT)
def course_schedule(request, pk):
    patient = portal_patient(request.user)
    course = own_course(patient, pk)
    return _schedule(request, course, courses_of(patient))


def _chart_labels() -> dict[str, str]:
    """The nodule chart's words (static/js/portal_charts.js draws it), in the page's language."""
    return {
        "nodules": _("Your nodules"),
        "baseline": _("At the start"),
        # xgettext:no-python-format
        "line70": _("70% fewer"),
    }


def _progress(request, course, courses):
    figures = figures_for(course)
    visits = list(Visit.objects.filter(course=course).order_by("visit_date", "pk"))
    return render(
        request,
        "portal/progress.html",
        {
            "course": course,
            "courses": courses,
            "figures": figures,
            "visits": visits,
            "progress": nodule_progress(course, visits),
            "chart_data": {**nodule_chart_data(course, visits), "labels": _chart_labels()},
        },
    )


@role_required(Role.PATIENT)
def progress(request):
    patient = portal_patient(request.user)
    course, courses = _current(patient)
    if course is None:
        return render(request, "portal/no_course.html", {"title": _("My progress")})
    return _progress(request, course, courses)


@role_required(Role.PATIENT)
def course_progress(request, pk):
    patient = portal_patient(request.user)
    return _progress(request, own_course(patient, pk), courses_of(patient))


# Calendar --------------------------------------------------------------------------------------


def _calendar_bytes(patient) -> bytes:
    """The patient's calendar in the patient's own language: the feed is fetched by a calendar
    app, with no session and no browser language to go by."""
    with translation.override(patient.language or settings.LANGUAGE_CODE):
        return _calendar_in_active_language(patient)


def _calendar_in_active_language(patient) -> bytes:
    course, _courses = _current(patient)
    if course is None:
        return portal_calendar.empty_calendar()
    figures = figures_for(course)
    running = course.status in ("active", "planned")
    booked = booked_visit(patient, figures.today) if running else None
    return portal_calendar.to_ical(portal_calendar.calendar_events(figures, booked_visit=booked))


def _feed_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("portal:calendar-feed", args=[token]))


@role_required(Role.PATIENT)
def calendar(request):
    """Create, renew or stop the private calendar link. The link is shown once, right after it
    is made: only its hash is kept, so it cannot be shown again (renewing makes a new one)."""
    patient = portal_patient(request.user)
    new_url = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("create", "renew"):
            token = portal_calendar.issue_feed(patient)
            new_url = _feed_url(request, token)
        elif action == "revoke":
            if portal_calendar.revoke_feeds(patient):
                messages.success(request, _("Your calendar link is stopped. It no longer works."))
            return redirect("portal:calendar")
        else:
            return HttpResponse(_("Unknown action."), status=400)
    feed = portal_calendar.active_feed(patient)
    webcal_url = "webcal://" + new_url.split("://", 1)[1] if new_url else None
    return render(
        request,
        "portal/calendar.html",
        {"feed": feed, "new_url": new_url, "webcal_url": webcal_url},
    )


@role_required(Role.PATIENT)
@require_GET
def calendar_download(request):
    """A one-off .ics file of the current course for the signed-in patient."""
    patient = portal_patient(request.user)
    response = HttpResponse(_calendar_bytes(patient), content_type=ICS_TYPE)
    response["Content-Disposition"] = 'attachment; filename="clinic-calendar.ics"'
    return response


@require_GET
def calendar_feed(request, token):
    """The private subscription link: no login; the token (looked up by its hash) opens this
    feed and nothing else. Unknown or stopped: 404."""
    feed = portal_calendar.feed_for_token(token)
    if feed is None:
        raise Http404("No such calendar.")
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=timezone.now())
    response = HttpResponse(_calendar_bytes(feed.patient), content_type=ICS_TYPE)
    response["Content-Disposition"] = 'inline; filename="clinic-calendar.ics"'
    return response


# Reminder preferences --------------------------------------------------------------------------


@role_required(Role.PATIENT)
def reminders(request):
    patient = portal_patient(request.user)
    form = ReminderPreferencesForm.for_patient(patient, request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = portal_services.save_reminder_preferences(
            patient,
            by=request.user,
            consent=form.cleaned_data["consent"],
            channel=form.cleaned_data["channel"],
        )
        sends, sentences = reminder_effect(patient)
        messages.success(request, _("Saved. %(effect)s") % {"effect": sentences[0]})
        return redirect("portal:reminders")
    sends, sentences = reminder_effect(patient)
    # Who receives them, the guardian too (issue 17 point 5), in one sentence.
    go_to = who_receives(patient, guardian_for(patient), to_patient=True)
    return render(
        request,
        "portal/reminders.html",
        {
            "form": form,
            "patient": patient,
            "sends": sends,
            "effect": sentences,
            "reminders_go_to": go_to,
        },
    )


# Monthly confirmation (R16) --------------------------------------------------------------------


def _methods_labels(codes) -> list[str]:
    labels = dict(Contraception.choices)
    return [str(labels.get(code, code)) for code in codes]


def _methods_text(codes) -> str:
    """'Implant, Hormonal pill and Male condom', in the active language."""
    # Translators: the word before the last item of a list, as in "Implant, Pill and Condom".
    return get_text_list(_methods_labels(codes), pgettext("list", "and"))


@role_required(Role.PATIENT)
def confirmation(request):
    patient = portal_patient(request.user)
    today = timezone.localdate()
    if not patient.can_get_pregnant:
        return render(request, "portal/confirmation.html", {"not_needed": True})
    todays = portal_services.todays_confirmation(patient, today)
    if request.method == "POST" and not (todays and todays.passed):
        form = MonthlyConfirmationForm(request.POST)
        if form.is_valid():
            record = portal_services.record_confirmation(
                patient,
                by=request.user,
                methods=form.cleaned_data["methods"],
                answers=form.answers,
                today=today,
            )
            if record.passed:
                messages.success(request, _("Thank you: this month's confirmation is done."))
            return redirect("portal:confirmation")
    elif todays is not None and not todays.passed:
        # After a try with wrong answers: keep the methods and the right answers; the wrong
        # ones are empty, to be answered again, each with its explanation.
        initial = {"methods": todays.contraception_methods}
        initial.update(
            {k: v for k, v in todays.answers.items() if k in QUESTIONS_BY_KEY}
            | {q.key: None for q in wrong_answers(todays.answers)}
        )
        form = MonthlyConfirmationForm(initial=initial)
    else:
        form = MonthlyConfirmationForm()
    wrong = (
        {q.key for q in wrong_answers(todays.answers)}
        if todays is not None and not todays.passed
        else set()
    )
    passed = portal_services.last_passed(patient)
    return render(
        request,
        "portal/confirmation.html",
        {
            "form": form,
            "questions": [
                (question, form[question.key], question.key in wrong) for question in QUESTIONS
            ],
            "todays": todays,
            "wrong_count": len(wrong),
            "done_today": bool(todays and todays.passed),
            "last_passed": passed,
            "last_passed_methods": _methods_labels(passed.contraception_methods) if passed else [],
            "last_passed_methods_text": _methods_text(passed.contraception_methods)
            if passed
            else "",
            "valid_until": portal_services.valid_until(passed) if passed else None,
            "today": today,
        },
    )


@role_required(Role.PATIENT)
def about(request):
    patient = portal_patient(request.user)
    return render(request, "portal/about.html", {"patient": patient})


def accept_invitation(request, token):
    invitation = registry_services.find_usable_invitation(token)
    if invitation is None:
        return render(request, "portal/invitation_invalid.html", status=404)
    user = invitation.patient.user
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = registry_services.accept_portal_invitation(
                token, form.cleaned_data["new_password1"]
            )
        except ValidationError:
            return render(request, "portal/invitation_invalid.html", status=404)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your password is set. Welcome."))
        return redirect("accounts:home")
    return render(
        request,
        "portal/invitation_accept.html",
        {"form": form, "username": user.get_username()},
    )
