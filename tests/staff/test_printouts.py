"""The printouts as PDF (issue 17 point 6): the prescription, the referral letter after a
positive pregnancy test (R18) and the visit summary.

Each PDF is read back with a PDF text extractor (pypdf) and its facts checked; page 1 is drawn
to a PNG (pypdfium2) and must look like a page of print, not a blank or a black one. Copies of
the PNGs go to PRINTOUT_SHOTS (default VAR_DIR/screenshots) to look at. weasyprint may read
only our static files: a URL of another host in the content is never fetched.
"""

from __future__ import annotations

import datetime
import io
import os
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import time_machine
import weasyprint
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from clinic.monitoring.models import Visit
from clinic.monitoring.services import record_pregnancy_test
from clinic.staff.printouts.rendering import BASE_URL, html_to_pdf, static_path_for
from dosing import services
from dosing.models import TreatmentCourse
from registry.models import RecordAccess
from tests.course_fixtures import TODAY, confirm_month, days_ago, draw_baseline_labs

SHOTS = Path(os.environ.get("PRINTOUT_SHOTS", settings.VAR_DIR / "screenshots"))
A4_POINTS = (595, 842)  # 210 x 297 mm at 72 points an inch, rounded


def text_of(pdf: bytes) -> str:
    """Every page's text, its whitespace made single spaces (lines break anywhere)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def first_page_png(pdf: bytes, name: str):
    """Page 1 drawn at 100 dpi, in grey levels (a PIL image); a copy in colour is saved as
    SHOTS/printout-<name>.png."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=100 / 72).to_pil()
    finally:
        document.close()
    SHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SHOTS / f"printout-{name}.png")
    return image.convert("L")


def dark_share(image) -> float:
    histogram = image.histogram()
    return sum(histogram[:128]) / sum(histogram)


def page_sizes(pdf: bytes) -> list[tuple[int, int]]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages]


def get_pdf(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    return response


# Records -------------------------------------------------------------------------------------


@pytest.fixture
def written(female_patient, start_course, prescribe, record_test, nurse):
    """A course of a patient who can get pregnant and its prescription, written today on two
    negative tests (R14): window of 7 days from the latest specimen."""
    female_patient.first_name, female_patient.last_name = "Zoë", "Ørsted-Åberg"
    female_patient.save()
    record_test(female_patient, 25)
    record_test(female_patient, 2)
    draw_baseline_labs(female_patient, by=nurse, on=days_ago(3))
    course = start_course(female_patient, weight="62.5", nodules=30)
    return prescribe(course, mg=30, days=30)


@pytest.fixture
def visit(male_patient, start_course, nurse):
    """A visit in week 7 with high triglycerides and ALT past the flag line."""
    course = start_course(male_patient, start_date=days_ago(45), nodules=40)
    return Visit.objects.create(
        patient=male_patient,
        course=course,
        visit_date=days_ago(1),
        weight_kg=Decimal("71.4"),
        nodule_count=14,
        side_effects=["dry_lips", "nosebleeds", "other"],
        side_effects_other="Back pain",
        phq2_interest=2,
        phq2_mood=2,
        triglycerides=Decimal("612.5"),
        triglycerides_unit="mg/dL",
        total_cholesterol=Decimal(180),
        cholesterol_unit="mg/dL",
        alt=130,
        ast=35,
        next_follow_up=TODAY + datetime.timedelta(days=27),
        recorded_by=nurse,
    )


@pytest.fixture
def stopped(female_patient, start_course, prescribe, record_test, make_pharmacy, pharmacist, nurse):
    """A course started 20 days ago on 60 mg a day, its 30-day supply dispensed that day, and
    a positive test today that stopped it (R18): 20 days of supply taken, 1,200 mg."""
    start = timezone.make_aware(datetime.datetime.combine(days_ago(20), datetime.time(10)))
    with time_machine.travel(start, tick=False):
        record_test(female_patient, 45)
        record_test(female_patient, 21)
        confirm_month(female_patient, days_ago(20))
        course = start_course(female_patient, start_date=days_ago(20), weight="60")
        rx = prescribe(course, mg=30, days=30, on=days_ago(20))
        services.authorize_dispense(rx, pharmacy=make_pharmacy(), by=pharmacist)
    with transaction.atomic():
        test, courses = record_pregnancy_test(
            female_patient, by=nurse, specimen_date=TODAY, result="positive", setting="medical"
        )
    assert courses == [course]
    course.refresh_from_db()
    return course, test


# The prescription ---------------------------------------------------------------------------


def test_the_prescription_pdf_says_the_dose_the_window_and_who(client, nurse, written):
    rx, patient = written, written.course.patient
    response = get_pdf(client, nurse, reverse("staff:prescription-pdf", args=[rx.pk]))
    text = text_of(response.content)
    assert "Isotretinoin prescription" in text
    assert "Zoë Ørsted-Åberg" in text
    assert patient.registry_id in text
    assert patient.date_of_birth.strftime("%-d %b %Y") in text
    assert "Conventional capsules" in text
    assert "1 × 30 mg" in text
    assert "30 mg per intake × 2 intakes a day = 60 mg a day" in text
    assert "0.96 mg/kg/day at 62.5 kg" in text  # 60 / 62.5
    assert "30 days (60 capsules)" in text
    opens, closes = rx.window_opens, rx.window_closes
    assert (opens, closes) == (days_ago(2), days_ago(2) + datetime.timedelta(days=6))
    assert f"{opens:%-d %b %Y} to {closes:%-d %b %Y}, inclusive" in text
    assert f"Specimen collected {days_ago(2):%-d %b %Y}" in text
    assert "Prescriber: " + (rx.prescribed_by.get_full_name() or rx.prescribed_by.username) in text
    assert "Signature" in text
    assert "VOID" not in text
    assert page_sizes(response.content) == [A4_POINTS]
    assert 0.005 < dark_share(first_page_png(response.content, "prescription")) < 0.2


def test_the_prescription_pdf_shows_the_warnings_recorded_on_it(client, nurse, written):
    written.warnings = ["Below the usual 0.5 mg/kg/day (R1)."]
    written.save()
    text = text_of(
        get_pdf(client, nurse, reverse("staff:prescription-pdf", args=[written.pk])).content
    )
    assert "Warnings recorded on this prescription" in text
    assert "Below the usual 0.5 mg/kg/day (R1)." in text


def test_a_voided_prescription_prints_as_void(client, prescriber, written, prescribe):
    newer = prescribe(written.course, mg=40)
    written.refresh_from_db()
    assert written.voided_at
    assert newer.pk != written.pk
    text = text_of(
        get_pdf(client, prescriber, reverse("staff:prescription-pdf", args=[written.pk])).content
    )
    assert "VOID: NOT TO BE DISPENSED" in text
    assert "Replaced by the prescription" in text


def test_the_pdf_is_inline_uncached_and_its_file_name_holds_no_name(client, nurse, written):
    response = get_pdf(client, nurse, reverse("staff:prescription-pdf", args=[written.pk]))
    patient = written.course.patient
    disposition = response["Content-Disposition"]
    day = f"{written.prescribed_on:%Y-%m-%d}"
    assert disposition == f'inline; filename="prescription-{patient.registry_id}-{day}.pdf"'
    assert "rsted" not in disposition
    assert "Zo" not in disposition
    assert "no-store" in response["Cache-Control"]


# The visit summary -------------------------------------------------------------------------


def test_the_visit_summary_pdf_holds_the_findings_and_the_lines_crossed(client, prescriber, visit):
    response = get_pdf(client, prescriber, reverse("staff:visit-summary-pdf", args=[visit.pk]))
    text = text_of(response.content)
    assert visit.patient.registry_id in text
    assert f"Visit on {days_ago(1):%-d %B %Y}" in text
    assert "Course 1, week 7" in text
    assert "71.4 kg" in text
    assert "14 (baseline 40: 65.0% fewer)" in text
    assert "Dry lips, Nosebleeds, Back pain" in text
    assert "4 of 6: positive (3 or more)" in text
    assert (
        "Triglycerides (fasting) 612.5 mg/dL 150 Very high; above the 500 mg/dL flag line" in text
    )
    assert "Total cholesterol 180 mg/dL 200 Within the limit" in text
    assert "ALT 130 U/L 40 High; above the 120 U/L flag line (3 × the upper limit)" in text
    assert "AST 35 U/L 40 Within the limit" in text
    assert f"{visit.next_follow_up:%A %-d %B %Y}" in text
    assert "Pregnancy test" not in text  # none at this visit
    assert page_sizes(response.content) == [A4_POINTS]
    assert 0.005 < dark_share(first_page_png(response.content, "visit-summary")) < 0.2


def test_the_visit_summary_names_the_pregnancy_test_of_the_visit(client, nurse, visit, record_test):
    visit.pregnancy_test = record_test(visit.patient, 1)
    visit.save()
    text = text_of(
        get_pdf(client, nurse, reverse("staff:visit-summary-pdf", args=[visit.pk])).content
    )
    assert f"Negative, specimen collected {days_ago(1):%-d %b %Y}" in text


# The referral letter (R18) ------------------------------------------------------------------


def test_the_referral_letter_gives_the_test_the_stop_and_the_doses(client, prescriber, stopped):
    course, test = stopped
    patient = course.patient
    assert course.status == TreatmentCourse.Status.DISCONTINUED
    assert course.end_date == TODAY
    response = get_pdf(client, prescriber, reverse("staff:referral-pdf", args=[patient.pk]))
    text = text_of(response.content)
    assert "Consultant obstetrician experienced in reproductive toxicity" in text
    assert patient.registry_id in text
    assert f"positive pregnancy test on {TODAY:%-d %B %Y}" in text
    assert f"Treatment was stopped at once on {TODAY:%-d %B %Y}" in text
    assert f"Course stopped {TODAY:%-d %b %Y}" in text
    assert f"20 days of doses, {days_ago(20):%-d %b %Y} to {days_ago(1):%-d %b %Y}" in text
    assert "daily dose 60 mg" in text
    assert "1200 mg = 20.0 mg/kg at 60 kg" in text
    assert prescriber.get_full_name() + ", prescribing dermatologist" in text
    assert response["Content-Disposition"] == (
        f'inline; filename="referral-{patient.registry_id}-{TODAY:%Y-%m-%d}.pdf"'
    )
    assert page_sizes(response.content) == [A4_POINTS]
    assert 0.005 < dark_share(first_page_png(response.content, "referral")) < 0.2


def test_no_positive_test_no_referral_letter(client, prescriber, female_patient, record_test):
    url = reverse("staff:referral-pdf", args=[female_patient.pk])
    client.force_login(prescriber)
    assert client.get(url).status_code == 404
    record_test(female_patient, 3)  # negative
    assert client.get(url).status_code == 404
    assert not RecordAccess.objects.filter(patient=female_patient).exists()


def test_the_referral_letter_is_the_prescribers(client, nurse, stopped):
    course, _test = stopped
    client.force_login(nurse)
    assert client.get(reverse("staff:referral-pdf", args=[course.patient_id])).status_code == 404


# Roles, ids and the access log --------------------------------------------------------------


@pytest.mark.parametrize("role", ["registry_admin", "pharmacist", "patient"])
def test_other_roles_get_404_for_every_printout(client, personas, role, written, visit):
    client.force_login(personas[role])
    for url in (
        reverse("staff:prescription-pdf", args=[written.pk]),
        reverse("staff:visit-summary-pdf", args=[visit.pk]),
        reverse("staff:referral-pdf", args=[written.course.patient_id]),
    ):
        assert client.get(url).status_code == 404, url


def test_unknown_ids_are_404_and_log_nothing(client, prescriber, written):
    client.force_login(prescriber)
    for name in ("staff:prescription-pdf", "staff:visit-summary-pdf", "staff:referral-pdf"):
        assert client.get(reverse(name, args=[10**9])).status_code == 404
    assert not RecordAccess.objects.exists()


def test_the_patient_of_a_prescription_cannot_be_swapped_in_the_url(client, nurse, written, visit):
    """The printout of prescription N is N's patient's, whatever else is asked for."""
    client.force_login(nurse)
    url = reverse("staff:prescription-pdf", args=[written.pk])
    text = text_of(client.get(url + f"?patient={visit.patient.pk}").content)
    assert written.course.patient.registry_id in text
    assert visit.patient.registry_id not in text


def test_each_printout_logs_one_access_for_its_patient(client, prescriber, written, visit):
    client.force_login(prescriber)
    client.get(reverse("staff:prescription-pdf", args=[written.pk]))
    client.get(reverse("staff:visit-summary-pdf", args=[visit.pk]))
    rows = list(RecordAccess.objects.order_by("pk").values_list("user", "patient", "kind", "what"))
    assert rows == [
        (prescriber.pk, written.course.patient_id, "page", "Prescription printout (PDF)"),
        (prescriber.pk, visit.patient_id, "page", "Visit summary (PDF)"),
    ]


# weasyprint reads nothing but our static files ----------------------------------------------


class Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        Counter.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """An HTTP server on the loopback that records every request made to it."""
    Counter.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Counter.hits
    server.shutdown()
    server.server_close()


def test_an_external_url_in_the_content_is_not_fetched(client, nurse, written, listener):
    base, hits = listener
    # Through a page: a name holding markup is escaped, so it is text on the page.
    patient = written.course.patient
    patient.last_name = f'<img src="{base}/name.png">'
    patient.save()
    text = text_of(
        get_pdf(client, nurse, reverse("staff:prescription-pdf", args=[written.pk])).content
    )
    assert f'<img src="{base}/name.png">' in text
    # And markup that would reach weasyprint as markup: images, stylesheets, fonts, imports.
    html = f"""<html><head><link rel="stylesheet" href="{base}/sheet.css">
        <style>@import url("{base}/import.css"); @font-face {{ font-family: X;
        src: url("{base}/font.woff2"); }} body {{ background: url("{base}/bg.png"); }}</style>
        </head><body><img src="{base}/img.png"><img src="file:///etc/hostname">
        <p>Printed</p></body></html>"""
    pdf = html_to_pdf(html)
    assert "Printed" in text_of(pdf)
    assert hits == []
    # The same document with weasyprint's own fetcher does reach the server: the check above
    # would have seen a request.
    weasyprint.HTML(string=html).write_pdf()
    assert "/img.png" in hits


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://printout.invalid/static/css/printout.css",  # another scheme
        "https://example.org/static/css/printout.css",  # another host
        "https://printout.invalid/etc/passwd",  # outside STATIC_URL
        "https://printout.invalid/static/../clinic/settings.py",
        "https://printout.invalid/static/%2e%2e/clinic/settings.py",
        "https://printout.invalid/static/css/../../clinic/settings.py",
        "https://printout.invalid/static//etc/hostname",
        "https://printout.invalid/static/css/missing.css",
        "https://printout.invalid/static/js/prescribe.js",  # not a kind a printout uses
    ],
)
def test_the_fetcher_refuses_everything_but_a_static_file(url):
    assert static_path_for(url) is None


def test_the_fetcher_serves_the_print_stylesheet():
    path = static_path_for(BASE_URL + "static/css/printout.css")
    assert path is not None
    assert path.name == "printout.css"
    assert "DejaVu Sans" in path.read_text()
