"""The language a page is written in: the patient's own, once signed in; the browser's before.

Before sign-in Django's LocaleMiddleware reads the language cookie, then Accept-Language. A
patient's record holds their language (Patient.language), which their reminders and texts use
too; at sign-in it is copied into the session, so no page pays a query to learn it, and
PatientLanguageMiddleware turns it on for every request of that session. The switch in the
page footer (choose_language) saves a patient's choice on their record; anyone else's goes in
the cookie, as Django's set_language does.
"""

from __future__ import annotations

from contextlib import nullcontext

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import PasswordResetView
from django.dispatch import receiver
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils import translation
from django.views.decorators.csrf import csrf_protect

from clinic.accounts.redirects import safe_next
from registry.models import Patient

SESSION_KEY = "clinic_patient_language"
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


class PatientLanguageMiddleware:
    """After AuthenticationMiddleware: a signed-in patient's pages in the patient's language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.session.get(SESSION_KEY)
        if language in LANGUAGE_CODES:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def patients_language(user) -> str | None:
    """The language on the record of the patient whose account `user` is; None for an account
    that is no patient's (staff), or one whose record names no language the clinic offers."""
    if user is None or user.pk is None:
        return None
    language = Patient.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    return language if language in LANGUAGE_CODES else None


@receiver(user_logged_in, dispatch_uid="clinic_patient_language")
def remember_patient_language(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    language = patients_language(user)
    if language:
        request.session[SESSION_KEY] = language


@csrf_protect
def choose_language(request):
    """POST language=<code>: this browser's language, and a signed-in patient's saved one."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    language = request.POST.get("language", "")
    response = redirect(safe_next(request, "/"))
    if language not in LANGUAGE_CODES:
        return response
    if request.user.is_authenticated:
        patient = Patient.objects.filter(user_id=request.user.pk).first()
        if patient is not None and patient.language != language:
            patient.language = language
            patient.save(update_fields=["language"])
        if patient is not None:
            request.session[SESSION_KEY] = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


class PatientLanguagePasswordResetForm(PasswordResetForm):
    """The password-reset email in the account's patient's language, not the language of the
    browser that asked for it (which may be a relative's, or a library's computer); staff
    accounts keep the page's language."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        language = patients_language(context.get("user"))
        with translation.override(language) if language else nullcontext():
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


password_reset = PasswordResetView.as_view(form_class=PatientLanguagePasswordResetForm)
