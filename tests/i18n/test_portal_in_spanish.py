"""The portal in the patient's language (issue 19 point 3): a patient whose record says Spanish
reads the start page, the schedule, the progress page, the appointments and the calendar feed
in Spanish, with Spanish dates ("viernes 11 de diciembre"); an English patient reads the same
pages in English. The three catalogues behind those pages are complete: every entry translated,
none fuzzy (a fuzzy entry is left out of the .mo, so the page would fall back to English).

The Spanish month and day names are written out here, not taken from Django, so a date format
that lost its words or its "de" would show.
"""

from __future__ import annotations

import datetime
import re
from html import unescape

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import Patient
from tests.i18n.conftest import book_at_ten
from tests.portal.builders import TODAY

LONDON = timezone.get_default_timezone()
DAY = TODAY + datetime.timedelta(days=5)
MONTHS = [
    *("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto"),
    *("septiembre", "octubre", "noviembre", "diciembre"),
]
WEEKDAYS = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
NBSP = "\u00a0"


def long_date_es(day: datetime.date, *, weekday=True, year=False) -> str:
    text = f"{day.day} de {MONTHS[day.month - 1]}" + (f" de {day.year}" if year else "")
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    # Spaces, tabs and newlines only: a no-break space (before "%" in Spanish) stays.
    return re.sub(r"[ \t\r\n]+", " ", unescape(response.content.decode()))


@pytest.fixture
def with_course(patient, prescriber, nurse, build_course):
    """The patient with a course (2 prescriptions, 2 visits) and an appointment in 5 days."""

    def make(language: str):
        record = patient.patient
        record.language = language
        record.save()
        course = build_course(record, prescriptions=2, visits=2)
        book_at_ten(record, day=DAY, prescriber=prescriber, nurse=nurse)
        return course

    return make


def signed_in(client, user):
    # force_login sends user_logged_in: the patient's language goes into the session.
    client.force_login(user)
    return client


def feed_events(client) -> tuple[str, list]:
    page = client.post(reverse("portal:calendar"), {"action": "create"})
    link = re.search(r'value="([^"]+)" data-testid="feed-url"', page.content.decode())[1]
    # The feed is fetched by a calendar app: no session, no Accept-Language.
    client.logout()
    response = client.get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    return str(calendar["x-wr-calname"]), list(calendar.walk("VEVENT"))


def test_a_spanish_patient_reads_the_start_page_in_spanish(client, patient, with_course):
    with_course(Patient.Language.SPANISH)
    html = text_of(signed_in(client, patient).get(reverse("portal:home")))
    assert '<html lang="es">' in html
    assert '<h1 class="h2 mb-1">Mi tratamiento</h1>' in html
    assert f"Hoy, {long_date_es(TODAY)}" in html
    assert f"Su próxima cita: {long_date_es(DAY)} a las 10:00" in html
    assert re.search(r"Semana \d+ de 20", html)
    assert "Recogido en <strong>Riverside Pharmacy</strong>." in html
    assert "¿Se le olvidó una dosis? Sáltesela y tome la siguiente como siempre." in html
    assert "Por la mañana" in html
    assert "Por la noche" in html
    assert "Próxima visita" in html
    # The appointment booked for DAY comes before the follow-up planned at the last visit.
    assert "Reservada con la clínica." in html
    for english in ("My course", "Next visit", "Today,", "Collected from", "Forgot a dose"):
        assert english not in html


def test_a_spanish_patient_reads_the_schedule_and_progress_in_spanish(client, patient, with_course):
    course = with_course(Patient.Language.SPANISH)
    signed_in(client, patient)
    schedule = text_of(client.get(reverse("portal:schedule")))
    assert (
        f"Tratamiento {course.number}: desde el "
        f"{long_date_es(course.start_date, weekday=False, year=True)} hasta el "
        f"{long_date_es(course.limit_date, weekday=False, year=True)} como muy tarde."
    ) in schedule
    assert "Semana 1" in schedule
    assert "Semana 20" in schedule
    assert "Visita a la clínica" in schedule  # the schedule entries (dosing)
    assert "Plazo de recogida" in schedule
    assert "Todavía no hay medicamento recetado para esta semana." in schedule
    assert "Week 1" not in schedule
    assert "Clinic visit" not in schedule

    progress = text_of(client.get(reverse("portal:progress")))
    assert re.search(rf"Ha tomado el \d+{NBSP}% de su dosis total prevista\.", progress)
    assert f"Ahora tiene 12 nódulos: un 40{NBSP}% menos que los 20 del principio." in progress
    # The chart's words travel with its data (static/js/portal_charts.js).
    assert '"labels": {"nodules": "Sus n\\u00f3dulos"' in progress
    assert "You have" not in progress
    assert "Your nodules" not in progress


def test_a_spanish_patient_reads_the_appointments_in_spanish(client, patient, with_course):
    with_course(Patient.Language.SPANISH)
    html = text_of(signed_in(client, patient).get(reverse("portal:appointments")))
    assert "Sus citas" in html
    heading = long_date_es(DAY, year=True)
    assert f"{heading[0].upper()}{heading[1:]} a las 10:00" in html
    assert "¿Qué desea?" in html
    assert "Cambiar a otra hora" in html  # the model's choice label (clinic.monitoring)
    assert "Si quiere cambiarla, indique qué días u horas le vendrían bien." in html
    assert "Ask to cancel or move" not in html


def test_a_spanish_patients_form_errors_and_messages_are_spanish(client, patient, with_course):
    with_course(Patient.Language.SPANISH)
    signed_in(client, patient)
    response = client.post(reverse("portal:reminders"), {"consent": "no"}, follow=True)
    html = text_of(response)
    assert "Guardado. No recibirá recordatorios." in html
    response = client.post(reverse("portal:appointments"), {"appointment": "x"})
    assert response.status_code == 404
    assert "Cita no encontrada" in response.content.decode()


def test_a_spanish_patients_calendar_feed_is_spanish(client, patient, with_course):
    with_course(Patient.Language.SPANISH)
    name, events = feed_events(signed_in(client, patient))
    assert name == "Citas de la clínica"
    titles = {str(event["summary"]) for event in events}
    assert {"Visita a la clínica", "Medicamento de la mañana", "Medicamento de la noche"} <= titles
    assert all(
        "Encontrará los detalles en el portal del paciente." in str(e["description"])
        for e in events
    )
    # The lock-screen rule holds in Spanish too: no medicine, dose, test or pregnancy named.
    for title in titles:
        assert not re.search(r"isotretino|dosis|cápsula|prueba|embaraz|\bmg\b", title.lower())


def test_the_signed_in_download_is_in_the_patients_language(client, patient, with_course):
    with_course(Patient.Language.SPANISH)
    response = signed_in(client, patient).get(reverse("portal:calendar-download"))
    calendar = icalendar.Calendar.from_ical(response.content)
    assert "Primer día del tratamiento" in {str(e["summary"]) for e in calendar.walk("VEVENT")}


def test_an_english_patient_reads_the_same_pages_in_english(client, patient, with_course):
    course = with_course(Patient.Language.ENGLISH)
    signed_in(client, patient)
    home = text_of(client.get(reverse("portal:home")))
    assert '<html lang="en-gb">' in home
    assert f"Today, {TODAY:%A} {TODAY.day} {TODAY:%B}" in home
    assert f"Your next appointment: {DAY:%A} {DAY.day} {DAY:%B} at 10:00" in home
    assert "Collected from <strong>Riverside Pharmacy</strong>." in home
    assert "Mi tratamiento" not in home
    schedule = text_of(client.get(reverse("portal:schedule")))
    limit = course.limit_date
    assert f"until {limit.day} {limit:%B %Y} at the latest." in schedule
    assert "Clinic visit" in schedule
    progress = text_of(client.get(reverse("portal:progress")))
    assert "You have 12 nodules now: 40% fewer than the 20 at the start." in progress
    assert '"labels": {"nodules": "Your nodules"' in progress
    appointments = text_of(client.get(reverse("portal:appointments")))
    assert f"{DAY:%A} {DAY.day} {DAY:%B %Y} at 10:00" in appointments
    assert "Move to another time" in appointments
    name, events = feed_events(client)
    assert name == "Clinic appointments"
    assert "Clinic visit" in {str(event["summary"]) for event in events}

