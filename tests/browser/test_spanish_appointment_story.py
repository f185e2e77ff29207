"""Issue 19, "done when", as one story in Chromium: a nurse books a slot for a Spanish-speaking
patient from the patient page; the patient, on a phone in Spanish, sees the appointment and asks
to move it; a prescriber approves the move to a slot on another day; then the clock runs to each
reminder's time and the sender texts the fake provider on loopback. The provider must receive
exactly the new appointment's two texts (two days before, and the morning of) in Spanish, to the
patient's number, in order, once each, and nothing for the appointment that was moved.

Nothing Spanish is written here by hand: the expected page text and texts are computed from the
code under translation.override("es") and must differ from the English ones, so the test fails
while the portal or the texts are not translated (another helper's work may still be landing).
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, expect

from clinic.accounts.roles import Role
from clinic.monitoring import appointments as book
from clinic.monitoring.models import Appointment
from clinic.reminders.models import Reminder
from clinic.reminders.schedule import send_time
from clinic.reminders.sending import send_due_reminders
from clinic.reminders.sms.texts import LIMIT, text_for
from registry.consents import How, record_consent
from registry.models import Patient
from tests.browser.helpers import sign_in
from tests.factories import PatientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = settings.VAR_DIR / "screenshots"
MOBILE = "+34612345678"  # a Spanish mobile, as the record keeps it (E.164)
MINUTE = datetime.timedelta(minutes=1)
# A phone in Spanish: what a patient's own phone sends and shows.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "es-ES",
    "extra_http_headers": {"Accept-Language": "es-ES,es;q=0.9"},
}
# The English msgids of the portal strings the story checks (clinic/portal/).
HEADING = "Your appointments"
SENT = "Sent to the clinic. Your appointment stands until they answer."
PENDING_MOVE = (
    "You asked to move to another time. The clinic will answer soon; until then the "
    "appointment stands."
)


@pytest.fixture
def lucia(db, prescriber, nurse):
    """A patient who reads Spanish and wants her reminders by text, consent recorded as the
    staff form records it."""
    user = UserFactory(username="lucia.patient", roles=[Role.PATIENT])
    patient = PatientFactory(
        user=user,
        prescriber=prescriber,
        first_name="Lucía",
        last_name="Fernández",
        language="es",
        phone=MOBILE,
        reminder_consent=True,
        reminder_channel=Patient.ReminderChannel.SMS,
        reminder_consent_on=timezone.localdate(),
    )
    # As the staff form does, in a transaction (it locks the consent rows; PostgreSQL refuses
    # a lock outside one).
    with transaction.atomic():
        record_consent(patient, how=How.STAFF_FORM, by=nurse)
    return user


def translated(spanish: str, english: str) -> None:
    """The Spanish must not be the English: an untranslated string fails the story."""
    assert spanish != english, f"no Spanish translation yet for {english!r}"


def in_spanish(message: str) -> str:
    """`message` as the Spanish catalogue has it."""
    with translation.override("es"):
        spanish = gettext(message)
    translated(spanish, message)
    return spanish


def spanish_name(day: datetime.date, fmt: str) -> str:
    """A weekday ("l") or month ("F") name as Django writes it in Spanish."""
    with translation.override("es"):
        return formats.date_format(day, fmt)


def appointment_text(*, due_on: datetime.date, day: datetime.date, at: str, language: str) -> str:
    """The text the sender must send for an appointment reminder due at 08:00 on `due_on`,
    made by the texts module itself, for a patient who reads `language`."""
    reminder = Reminder(
        kind=Reminder.Kind.APPOINTMENT,
        patient=Patient(language=language, phone=MOBILE),  # unsaved: only read
        due_at=send_time(due_on),
        due_date=due_on,
        context={"appointment_on": day.isoformat(), "at": at},
    )
    with translation.override(language):
        return text_for(reminder)


def sign_in_on_phone(phone: Page, base_url: str, user, password) -> None:
    """The login form by its fields, not its (translated) words; a patient has no code step."""
    phone.goto(base_url + reverse("login"))
    expect(phone.locator("html")).to_have_attribute("lang", "es")  # Accept-Language, pre sign-in
    phone.locator("input[name=username]").fill(user.username)
    phone.locator("input[name=password]").fill(password)
    phone.locator(f"form[action='{reverse('login')}'] [type=submit]").tap()
    expect(phone).to_have_url(base_url + reverse("portal:home"))


def test_a_spanish_patient_on_a_phone_moves_a_booked_appointment_and_gets_two_texts(
    live_server,
    browser: Browser,
    page: Page,
    console_errors,
    nurse,
    prescriber,
    lucia,
    password,
    provider,
):
    today = timezone.localdate()
    first_day = today + datetime.timedelta(days=3)
    new_day = today + datetime.timedelta(days=6)
    patient = lucia.patient
    prescriber.first_name, prescriber.last_name = "Ada", "Okafor"
    prescriber.save()
    # The clinic sessions exist already (adding one on the day view is tested elsewhere).
    for day, starts in ((first_day, datetime.time(9)), (new_day, datetime.time(10))):
        book.create_session(
            prescriber=prescriber,
            day=day,
            starts=starts,
            ends=starts.replace(hour=starts.hour + 1),
            slot_minutes=20,
            capacity=2,
            by=nurse,
        )

    # 1. A nurse books 09:20 on the first day from the patient page (desktop, English).
    sign_in(page, live_server, nurse, password)
    page.goto(live_server.url + reverse("staff:patient-detail", args=[patient.pk]))
    page.get_by_test_id("patient-appointments").get_by_role(
        "link", name="Book an appointment"
    ).click()
    page.get_by_label("Free slot").select_option(
        label=f"{first_day:%a %d %b %Y}, 09:20 with Ada Okafor (2 places free)"
    )
    page.get_by_role("button", name="Book", exact=True).click()
    expect(
        page.get_by_text(f"Booked Lucía Fernández on {first_day:%A %d %B %Y} at 09:20.")
    ).to_be_visible()
    expect(page.get_by_test_id("patient-appointments")).to_contain_text("09:20 with Ada Okafor")
    booked = Appointment.objects.get(patient=patient)
    assert Reminder.objects.filter(subject_key=f"appointment:{booked.pk}").count() == 2

    # 2. The patient, on her phone, sees it in Spanish and asks to move it.
    heading, sent, pending = in_spanish(HEADING), in_spanish(SENT), in_spanish(PENDING_MOVE)
    context = browser.new_context(**PHONE)
    phone_errors: list[str] = []
    try:
        phone = context.new_page()
        phone.set_default_timeout(10000)
        phone.on("console", lambda m: phone_errors.append(m.text) if m.type == "error" else None)
        phone.on("pageerror", lambda exc: phone_errors.append(str(exc)))
        sign_in_on_phone(phone, live_server.url, lucia, password)
        expect(phone.locator("html")).to_have_attribute("lang", "es")  # her record's language
        phone.locator(f"#main a[href='{reverse('portal:appointments')}']").first.tap()
        expect(phone).to_have_url(live_server.url + reverse("portal:appointments"))
        expect(phone.locator("html")).to_have_attribute("lang", "es")
        expect(phone.get_by_role("heading", level=1)).to_have_text(heading)
        card = phone.get_by_test_id("portal-appointment")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("09:20")
        for name in (spanish_name(first_day, "l"), spanish_name(first_day, "F")):
            expect(card).to_contain_text(re.compile(re.escape(name), re.IGNORECASE))
        card.locator("summary").tap()
        card.locator("input[name=change][value=move]").check()
        card.locator("textarea[name=message]").fill("Esa semana trabajo; mejor otro día, ¿sí?")
        card.locator("button[type=submit]").tap()
        expect(phone.locator(".messages")).to_contain_text(sent)
        expect(phone.get_by_test_id("request-pending")).to_have_text(pending)
        expect(phone.get_by_role("heading", level=1)).to_have_text(heading)
        SHOTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=SHOTS / "story-phone.png", full_page=True)
        booked.refresh_from_db()
        assert booked.requested_change == Appointment.Change.MOVE
        assert booked.status == Appointment.Status.BOOKED  # it stands until the clinic answers

        # 3. A prescriber approves the move to 10:40 on another day.
        sign_in(page, live_server, prescriber, password)
        page.goto(live_server.url + reverse("staff:appointment-requests"))
        expect(page.get_by_text("Esa semana trabajo; mejor otro día, ¿sí?")).to_be_visible()
        page.locator(f"#slot-{booked.pk}").select_option(
            label=f"{new_day:%a %d %b %Y}, 10:40 with Ada Okafor (2 places free)"
        )
        page.get_by_role("button", name="Approve the move").click()
        expect(page.get_by_text("Approved for Lucía Fernández.")).to_be_visible()
        booked.refresh_from_db()
        moved = booked.moved_to
        assert booked.status == Appointment.Status.CANCELLED
        assert moved.is_booked
        assert timezone.localtime(moved.starts_at).replace(tzinfo=None) == datetime.datetime(
            new_day.year, new_day.month, new_day.day, 10, 40
        )

        # ... and her phone shows the new time, still in Spanish.
        phone.reload()
        expect(phone.locator("html")).to_have_attribute("lang", "es")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("10:40")
        expect(card).to_contain_text(
            re.compile(re.escape(spanish_name(new_day, "l")), re.IGNORECASE)
        )
        expect(phone.get_by_test_id("request-pending")).to_have_count(0)
        assert phone_errors == []
    finally:
        context.close()
    assert console_errors == []

    # 4. The clock runs from today to the new day; at each 08:00 the sender runs (twice: a
    # second run must send nothing again). Only the new appointment's texts go out.
    due = {
        new_day - datetime.timedelta(days=2): appointment_text(
            due_on=new_day - datetime.timedelta(days=2), day=new_day, at="10:40", language="es"
        ),
        new_day: appointment_text(due_on=new_day, day=new_day, at="10:40", language="es"),
    }
    for on, spanish in due.items():
        english = appointment_text(due_on=on, day=new_day, at="10:40", language="en-gb")
        translated(spanish, english)
        assert len(spanish) <= LIMIT
    expected: list[tuple[str, str]] = []
    day = today
    while day <= new_day:
        with time_machine.travel(send_time(day) - MINUTE, tick=False):
            send_due_reminders()
        assert provider.texts() == expected, f"a text before 08:00 on {day}"
        with time_machine.travel(send_time(day) + MINUTE, tick=False):
            send_due_reminders()
            send_due_reminders()
        if day in due:
            expected.append((MOBILE, due[day]))
        assert provider.texts() == expected, f"the texts at 08:00 on {day}"
        day += datetime.timedelta(days=1)

    assert len(provider.texts()) == 2
    rows = Reminder.objects.filter(kind=Reminder.Kind.APPOINTMENT).order_by("due_at", "pk")
    assert {(r.subject_key, r.due_date, r.status) for r in rows} == {
        (f"appointment:{booked.pk}", first_day - datetime.timedelta(days=2), "cancelled"),
        (f"appointment:{booked.pk}", first_day, "cancelled"),
        (f"appointment:{moved.pk}", new_day - datetime.timedelta(days=2), "sent"),
        (f"appointment:{moved.pk}", new_day, "sent"),
    }
    assert all(r.context.get("sms_to") == MOBILE for r in rows if r.status == "sent")
