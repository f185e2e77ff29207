"""Text-message reminders in Chromium (issue 19; docs/SMS.md): a nurse enrols a patient who
wants texts, is stopped by a number that is not valid with the message next to the field, fixes
it; the text reminder goes to the fake provider on loopback and the patient's send log shows
the number and the provider's id. axe-core checks the form and the log."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic.reminders.models import Reminder
from clinic.reminders.sending import send_due_reminders
from registry.models import ChannelConsent, Patient
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import blocking_violations

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = timezone.localdate()
SHOTS = settings.VAR_DIR / "screenshots"


def test_a_nurse_enrols_a_patient_who_wants_texts_and_sees_the_text_in_the_log(
    live_server, page: Page, console_errors, nurse, prescriber, password, provider
):
    axe = Axe()
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server, nurse, password)
    page.get_by_role("link", name="Enrol a patient").first.click()
    page.get_by_label("First name").fill("Noor")
    page.get_by_label("Last name").fill("Haddad")
    page.get_by_label("Date of birth").fill("1999-05-17")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Phone", exact=True).fill("07700 90012")
    page.get_by_label("Prescriber").select_option(str(prescriber.pk))
    page.get_by_label("Cannot get pregnant", exact=True).check()
    page.get_by_label("Consent to treatment and registry signed on").fill(str(TODAY))
    page.get_by_label("Consents to reminder messages").check()
    page.get_by_label("Reminder channel").select_option("sms")
    page.get_by_role("button", name="Enrol patient").click()

    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    expect(page.locator("#error_1_id_phone")).to_contain_text("Enter a valid phone number")
    expect(page.locator("#error_2_id_phone")).to_have_count(0)  # one message, not two
    expect(page.get_by_label("Phone", exact=True)).to_have_value("07700 90012")  # as typed
    assert not Patient.objects.exists()
    page.locator("#id_phone").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "sms-phone-refused.png", full_page=True)
    assert blocking_violations(axe, page) == []

    page.get_by_label("Phone", exact=True).fill("07911 123456")
    page.get_by_role("button", name="Enrol patient").click()
    expect(page.get_by_role("heading", name="Noor Haddad")).to_be_visible()
    patient = Patient.objects.get()
    assert patient.phone.as_e164 == "+447911123456"
    assert ChannelConsent.objects.get().address == "+447911123456"

    now = timezone.now()
    Reminder.objects.create(
        kind=Reminder.Kind.FOLLOW_UP_VISIT,
        patient=patient,
        recipient=patient.email,
        subject_key="visit:1",
        due_at=now - datetime.timedelta(minutes=1),
        due_date=timezone.localdate(now),
        context={"visit_on": (TODAY + datetime.timedelta(days=2)).isoformat()},
    )
    assert send_due_reminders().sent == 1
    [(to, body)] = provider.texts()
    assert to == "+447911123456"
    assert body.startswith("Reminder: you have a visit at the clinic on ")

    page.goto(live_server.url + reverse("staff:patient-reminders", args=[patient.pk]))
    log = page.get_by_test_id("reminder-log")
    expect(log).to_contain_text("Text to +447911123456 (provider id SM")
    expect(log).to_contain_text("Sent")
    page.screenshot(path=SHOTS / "sms-send-log.png", full_page=True)
    assert blocking_violations(axe, page) == []
    assert console_errors == []
