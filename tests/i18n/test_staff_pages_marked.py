"""Every word of the staff pages is marked for translation, and the staff catalogue is Spanish
(issue 19 point 3, "staff pages translatable too").

A prescriber whose language cookie says Spanish opens the staff pages of a patient with a course,
a booked appointment with a request to move it, an open flag, refused forms and a failed
reminder, in the pseudo-language of tests/i18n/pseudo.py: everything that went through gettext
comes back wrapped in ⟦ ⟧, so a word outside the marks (other than the records' own data:
names, registry IDs, email addresses, the pharmacy's name, notes and what was stored in English,
such as a flag's detail or a refusal's reasons) is one no translator could reach, and fails the
test with the page and the words. The forms' own error messages are read the same way.

The staff pages also show other apps' words: the labels of registry's, dosing's, monitoring's
and reminders' models, the monthly steps' names, the change history's actions (registry.audit),
a day's dose summary (dosing.schedule), dosing's refusals and warnings (said through
dosing.wording). Each app marks its own, and they are checked here too: only the units (UNITS)
and the change history's lists of changes (its values as registry.audit writes them) are left
out.
"""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from clinic.monitoring import appointments as book
from clinic.monitoring.models import CourseFlag
from clinic.reminders.models import Reminder
from clinic.staff.importing.columns import COLUMNS
from dosing.models import Dispense, RefusedAction
from registry.models import RecordAccess
from tests.i18n.conftest import book_at_ten
from tests.i18n.pseudo import (
    ALWAYS_AS_IS,
    OPEN,
    assert_all_marked,
    marked_translations,
    visible_text,
)
from tests.i18n.pseudo import _outside as outside_from

LONDON = timezone.get_default_timezone()
DAY = timezone.localdate() + datetime.timedelta(days=5)
FLAG_DETAIL = "PHQ-2 score 4 at the visit"
LAST_ERROR = "SMTP server unreachable"
NOTES = "Prefers mornings"
PRESCRIBING_ERRORS = {"mg_per_dose": "30", "days_supply": "31", "doses_per_day": "2"}


@pytest.fixture
def staff_world(patient, prescriber, nurse, build_course):
    """Alex Rivera with a course (2 prescriptions, 2 visits), an appointment in 5 days that
    they asked to move, an open flag and a failed reminder."""
    for user, first, last in ((prescriber, "Grace", "Okafor"), (nurse, "Nils", "Lind")):
        user.first_name, user.last_name = first, last
        user.save()
    record = patient.patient
    record.notes = NOTES
    record.save()
    course = build_course(record, prescriptions=2, visits=2)
    booked = book_at_ten(record, day=DAY, prescriber=prescriber, nurse=nurse)
    book.request_change(booked, change=booked.Change.MOVE, message="Mornings suit me", by=patient)
    CourseFlag.objects.create(course=course, kind="mood_screen", detail=FLAG_DETAIL)
    Reminder.objects.create(
        kind=Reminder.Kind.choices[0][0],
        patient=record,
        recipient=record.email,
        subject_key="staff-i18n",
        due_at=timezone.now(),
        due_date=timezone.localdate(),
        status=Reminder.Status.FAILED,
        attempts=5,
        last_error=LAST_ERROR,
    )
    return record, course


def in_spanish(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    return client


def data_of(record, *users) -> tuple[str, ...]:
    """The records' own words: never translated, so taken out before the check. A refusal's
    reasons, what was tried and what the access log says was looked at are stored in English
    (they are records)."""
    refused = RefusedAction.objects.all()
    return (
        record.first_name,
        record.last_name,
        record.full_name,
        record.registry_id,
        record.email,
        NOTES,
        "Riverside Pharmacy",
        "Mornings suit me",
        FLAG_DETAIL,
        LAST_ERROR,
        *(name for user in users for name in (user.get_full_name(), user.get_username())),
        *(reason for refusal in refused for reason in refusal.reasons),
        *(str(key).replace("_", " ") for refusal in refused for key in refusal.details),
        *(str(value) for refusal in refused for value in refusal.details.values()),
        *RecordAccess.objects.values_list("what", flat=True).distinct(),
        *Dispense.objects.values_list("authorization_number", flat=True),
    )


# The same in every language. Every other label the staff pages show from other apps (their
# models' field labels and choices, the monthly steps, the change history's actions, the
# outcomes report's reasons and bands, a day's dose summary, dosing's live check) is marked
# by its own app now, so it is checked here like the staff pages' own words.
UNITS = ("mg/dL", "mmol/L", "U/L")


def changes_left_out(html: str) -> str:
    """The page without the change history's lists of changes: each line is registry.audit's
    (a model's label, the values as it writes them, its dates in English)."""
    return re.sub(r'<ul class="small mb-0">\s*<li>.*?</ul>', "", html, flags=re.S)


def unmarked_in_html(html: str, data, others=()) -> list[str]:
    """pseudo.unmarked_in_html, with the records' data, ALWAYS_AS_IS and `others` (the units)
    taken out as whole words only (so "no", an example of the import file, is not taken out of
    "Not known")."""
    removable = sorted({*data, *others, *ALWAYS_AS_IS} - {""}, key=len, reverse=True)
    found, depth = [], 0
    for chunk in visible_text(changes_left_out(html)):
        rest, depth = outside_from(chunk, depth)
        for value in removable:
            if value in rest:
                rest = re.sub(rf"(?<![^\W\d_]){re.escape(value)}(?![^\W\d_])", " ", rest)
        if re.search(r"[^\W\d_]{2,}", rest):
            found.append(" ".join(chunk.split()))
    return found


def staff_pages(record, course) -> dict[str, str]:
    return {
        "worklist": reverse("staff:worklist"),
        "patient list": reverse("staff:patient-list"),
        "patient page": reverse("staff:patient-detail", args=[record.pk]),
        "enrolment form": reverse("staff:patient-enrol"),
        "edit form": reverse("staff:patient-edit", args=[record.pk]),
        "visit form": reverse("staff:visit-new", args=[record.pk]),
        "course page": reverse("staff:course-detail", args=[course.pk]),
        "prescribing page": reverse("staff:course-prescribe", args=[course.pk]),
        "appointments day": reverse("staff:appointments") + f"?day={DAY:%Y-%m-%d}",
        "appointment requests": reverse("staff:appointment-requests"),
        "refusals": reverse("staff:refusals"),
        "outcomes": reverse("staff:outcomes"),
        "import upload": reverse("staff:import-upload"),
        "failed reminders": reverse("staff:reminders-failed"),
        "reminder log": reverse("staff:patient-reminders", args=[record.pk]),
        "flag": reverse(
            "staff:flag-acknowledge", args=[CourseFlag.objects.get(kind="mood_screen").pk]
        ),
    }


def import_file_words() -> tuple[str, ...]:
    """What a file holds, the same in every language: the column names, the examples and the
    values a choice column takes (the upload page lists them)."""
    words = []
    for column in COLUMNS:
        words += [column.name, column.example]
        words += [str(value) for value, _label in column.choices]
    return tuple(words)


def refuse_some_forms(client, record, course):
    """Forms posted with errors: each is a refused action (stored in English) and a page of
    messages; the pages are returned by name."""
    posts = {
        "enrolment errors": (
            reverse("staff:patient-enrol"),
            {"first_name": "Bo", "date_of_birth": "2020-01-01", "email": record.email},
        ),
        "visit errors": (
            reverse("staff:visit-new", args=[record.pk]),
            {"weight_kg": "900", "nodule_count": "-1", "visit_date": "2999-01-01"},
        ),
        "prescribing errors": (
            reverse("staff:course-prescribe", args=[course.pk]),
            PRESCRIBING_ERRORS,
        ),
        "status errors": (
            reverse("staff:patient-status", args=[record.pk]),
            {"status": "withdrawn"},
        ),
        "day errors": (reverse("staff:appointments"), {"day": "2000-01-01"}),
    }
    return {name: client.post(url, body) for name, (url, body) in posts.items()}


def test_every_staff_page_is_marked(client, monkeypatch, staff_world, prescriber, nurse):
    record, course = staff_world
    in_spanish(client, prescriber)
    # Refused first, outside the pseudo-language: the refusals the pages list are stored as
    # any refusal is, in plain English, and are the records' data.
    refuse_some_forms(client, record, course)
    with marked_translations(monkeypatch):
        found = {}
        for name, url in staff_pages(record, course).items():
            response = client.get(url)
            assert response.status_code == 200, (name, response.status_code)
            found[name] = response.content.decode()
        posted = refuse_some_forms(client, record, course)
    data = data_of(record, prescriber, nurse)
    others = UNITS
    found.update({name: response.content.decode() for name, response in posted.items()})
    assert OPEN in found["worklist"]  # the pseudo-language was on
    unmarked = {name: unmarked_in_html(html, data, others) for name, html in found.items()}
    unmarked["import upload"] = unmarked_in_html(
        found["import upload"], data + import_file_words(), others
    )
    assert_all_marked(unmarked)


def test_a_spanish_prescriber_reads_the_worklist_in_spanish(client, staff_world, prescriber):
    html = unescape(in_spanish(client, prescriber).get(reverse("staff:worklist")).content.decode())
    assert '<html lang="es">' in html
    assert '<h1 class="h2 mb-0">Tareas pendientes</h1>' in html
    assert "Alertas abiertas" in html
    assert "Visitas previstas esta semana" in html
    assert "Nada por aquí." in html
    assert re.search(r"<th scope=\"col\">Paciente</th>", html)
    for english in (">Worklist<", "Open flags", "Nothing here.", "Visits planned"):
        assert english not in html


def test_an_english_prescriber_reads_the_worklist_in_english(client, staff_world, prescriber):
    client.force_login(prescriber)
    html = client.get(reverse("staff:worklist")).content.decode()
    assert '<h1 class="h2 mb-0">Worklist</h1>' in html
    assert "Tareas pendientes" not in html.split("</nav>", 1)[1]


def test_exports_and_the_refusal_log_stay_in_english(client, staff_world, prescriber):
    """A file is data that travels and the refusal log is a record: both are written in English
    whatever the page's language (clinic.staff.exports, clinic.staff.refusals)."""
    record, course = staff_world
    in_spanish(client, prescriber)
    refuse_some_forms(client, record, course)
    reasons = [reason for refusal in RefusedAction.objects.all() for reason in refusal.reasons]
    assert "Reason: Give the reason the patient is withdrawn." in reasons
    assert "Visit date: This date is in the future." in reasons

    def files():
        urls = [
            reverse("staff:patient-list") + "?_export=csv",
            reverse("staff:refusals") + "?_export=csv",
            reverse("staff:outcomes") + "?_export=csv",
            reverse("staff:monthly-steps-csv"),
        ]
        return [b"".join(client.get(url).streaming_content).decode() for url in urls]

    spanish = files()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"
    assert files() == spanish
    assert spanish[0].startswith("Registry ID,Name,Born,Status,Risk category,Prescriber,Enrolled")
    assert "Dic" not in spanish[1]
    assert "Motivo" not in spanish[1]
