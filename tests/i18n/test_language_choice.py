"""Which language a page is written in (issue 19 point 3; clinic/portal/language.py): the
browser's before sign-in, the patient's own record after, the footer's switch for anyone (a
patient's choice saved on their record, nobody else's record touched). The switch takes only
the clinic's languages and goes back only to a path of this site."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from registry.models import Patient
from tests.security.test_safe_redirects import ELSEWHERE

SWITCH = reverse("set-language")


def page_language(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def test_before_sign_in_the_browser_chooses(client, db):
    assert page_language(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es")) == "es"
    assert page_language(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")) == "en-gb"
    # A language the clinic does not offer: the clinic's own.
    assert page_language(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")) == "en-gb"


def test_the_switch_sets_the_browsers_language_before_sign_in(client, db):
    response = client.post(SWITCH, {"language": "es", "next": reverse("login")})
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME]["httponly"]
    assert page_language(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")) == "es"


def test_a_signed_in_patient_reads_their_own_language_whatever_the_browser_says(client, patient):
    record = patient.patient
    record.language = Patient.Language.SPANISH
    record.save()
    client.force_login(patient)
    assert page_language(client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en")) == "es"


def test_a_patient_s_choice_is_saved_on_their_record_only(client, patient, other_patient):
    client.force_login(patient)
    response = client.post(SWITCH, {"language": "es", "next": reverse("portal:home")})
    assert response.url == reverse("portal:home")
    record = Patient.objects.get(pk=patient.patient.pk)
    assert record.language == "es"
    assert record.history.first().language == "es"
    assert Patient.objects.get(pk=other_patient.patient.pk).language == "en-gb"
    # The next sign-in (another browser, no cookie) opens in Spanish too.
    client.logout()
    client.cookies.clear()
    client.force_login(patient)
    assert page_language(client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="en")) == "es"


def test_staff_choice_touches_no_patient_record(client, nurse, patient):
    client.force_login(nurse)
    client.post(SWITCH, {"language": "es", "next": reverse("staff:worklist")})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert not Patient.objects.filter(language="es").exists()
    assert page_language(client.get(reverse("staff:worklist"))) == "es"


@pytest.mark.parametrize("language", ["fr", "", "es-MX'><script>", "x" * 300])
def test_a_language_not_offered_changes_nothing(client, patient, language):
    client.force_login(patient)
    response = client.post(SWITCH, {"language": language, "next": reverse("portal:home")})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert Patient.objects.get(pk=patient.patient.pk).language == "en-gb"


@pytest.mark.parametrize("elsewhere", ELSEWHERE)
def test_the_switch_goes_back_only_to_this_site(client, db, elsewhere):
    response = client.post(SWITCH, {"language": "es", "next": elsewhere})
    assert response.url == "/"


def test_the_switch_answers_only_post(client, db):
    assert client.get(SWITCH + "?language=es").status_code == 405
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies


def test_the_switch_needs_the_csrf_token(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(SWITCH, {"language": "es"}).status_code == 403


def test_not_found_is_written_in_the_readers_language(
    client, patient, monkeypatch
):
    from tests.i18n.pseudo import assert_all_marked, marked_translations, unmarked_in_html

    record = patient.patient
    record.language = Patient.Language.SPANISH
    record.save()
    client.force_login(patient)
    response = client.get(reverse("portal:course-schedule", args=[999999]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "Página no encontrada" in html
    with marked_translations(monkeypatch):
        marked = client.get("/no-such-page/")
    data = (record.first_name, record.last_name, patient.get_username(), patient.get_full_name())
    assert_all_marked({"404": unmarked_in_html(marked.content.decode(), data)})


@pytest.mark.parametrize(("language", "subject"), [("es", "es"), ("en-gb", "en-gb")])
def test_the_password_reset_email_is_in_the_patients_language_whatever_the_browser(
    client, patient, language, subject
):
    from django.core import mail
    from django.utils import translation
    from django.utils.translation import gettext

    record = patient.patient
    record.language = language
    record.save()
    patient.email = "alex.rivera@example.org"
    patient.save()
    browser = "en" if language == "es" else "es"
    client.post(
        reverse("password_reset"), {"email": patient.email}, HTTP_ACCEPT_LANGUAGE=browser
    )
    [message] = mail.outbox
    with translation.override(subject):
        expected = gettext("Reset your IsoCourse password")
    assert message.subject == expected
    with translation.override("es"):
        spanish = gettext("Reset your IsoCourse password")
    assert spanish != "Reset your IsoCourse password"


def test_a_staff_members_reset_email_follows_the_page(client, nurse):
    from django.core import mail

    client.post(reverse("password_reset"), {"email": nurse.email}, HTTP_ACCEPT_LANGUAGE="es")
    assert mail.outbox[0].subject != "Reset your IsoCourse password"
