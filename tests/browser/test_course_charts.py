"""The course page's charts in Chromium (issue 17 point 2): a time axis, so visits 10 and 40
days apart sit 10 and 40 days apart; lab charts with their lines; nothing drawn below the data
between two points (straight lines); no console error (CSP, missing files)."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from clinic.monitoring.models import Visit
from tests.browser.helpers import sign_in
from tests.course_fixtures import days_ago, draw_baseline_labs

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# Each chart's points in pixels, by dataset: [[x, y], ...] (Chart.js's own layout).
POINTS = """id => {
  const chart = Chart.getChart(document.getElementById(id));
  return { scale: chart.scales.x.type, tension: chart.data.datasets[0].tension,
    datasets: chart.data.datasets.map((d, i) => chart.getDatasetMeta(i).data.map(
      p => [p.x, p.y])) };
}"""


def add_visits(course, nurse, rows):
    """Visits of the course: (days ago, nodule count, labs)."""
    for days, nodules, labs in rows:
        Visit.objects.create(
            patient=course.patient,
            course=course,
            visit_date=days_ago(days),
            weight_kg=Decimal(70),
            nodule_count=nodules,
            phq2_interest=0,
            phq2_mood=0,
            recorded_by=nurse,
            **labs,
        )


def test_the_course_charts_put_each_visit_on_its_day(
    live_server, page: Page, console_errors, prescriber, nurse, male_patient, start_course, password
):
    draw_baseline_labs(male_patient, by=nurse, on=days_ago(62))
    course = start_course(male_patient, start_date=days_ago(60), nodules=24)
    add_visits(
        course,
        nurse,
        (
            (50, 20, {"triglycerides": Decimal(260), "triglycerides_unit": "mg/dL", "alt": 60}),
            (
                10,
                9,
                {
                    "triglycerides": Decimal("6.1"),
                    "triglycerides_unit": "mmol/L",
                    "alt": 130,
                    "ast": 90,
                    "total_cholesterol": Decimal(240),
                    "cholesterol_unit": "mg/dL",
                },
            ),
        ),
    )
    sign_in(page, live_server, prescriber, password)
    page.goto(live_server.url + reverse("staff:course-detail", args=[course.pk]))
    expect(page.locator("#liver-chart")).to_be_visible()
    page.wait_for_function("() => Chart.getChart(document.getElementById('liver-chart'))")

    nodules = page.evaluate(POINTS, "nodule-chart")
    assert nodules["scale"] == "time"
    assert nodules["tension"] == 0
    (start, first, second) = [x for x, _y in nodules["datasets"][0]]
    # Start, day 10 and day 50 of the course: gaps of 10 and 40 days, in proportion.
    assert (second - first) / (first - start) == pytest.approx(40 / 10, rel=0.02)

    liver = page.evaluate(POINTS, "liver-chart")
    assert liver["scale"] == "time"
    alt_points, _ast, upper_limit, flag_line = liver["datasets"]
    # The baseline ALT (25, before the course), then 60, then 130: 130 sits above the flag
    # line at 120 and 60 below it (y grows downwards); three points, the first the baseline's.
    assert len(alt_points) == 3
    assert alt_points[2][1] < flag_line[0][1] < alt_points[1][1]
    assert flag_line[0][1] < upper_limit[0][1]
    expect(page.locator("#lipid-chart")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "course-charts.png"), full_page=True)
    assert console_errors == []


def test_the_portal_nodule_chart_puts_each_visit_on_its_day(
    live_server, page: Page, console_errors, patient, nurse, start_course, password
):
    record = patient.patient
    record.consent_treatment_on = days_ago(70)
    record.risk_category = record.RiskCategory.CANNOT_GET_PREGNANT
    record.save()
    course = start_course(record, start_date=days_ago(60), nodules=24)
    add_visits(course, nurse, ((50, 20, {}), (10, 9, {})))
    sign_in(page, live_server, patient, password, "portal:home")
    page.goto(live_server.url + reverse("portal:progress"))
    page.wait_for_function("() => Chart.getChart(document.getElementById('portal-nodule-chart'))")
    chart = page.evaluate(POINTS, "portal-nodule-chart")
    assert chart["scale"] == "time"
    (start, first, second) = [x for x, _y in chart["datasets"][0]]
    assert (second - first) / (first - start) == pytest.approx(40 / 10, rel=0.02)
    assert console_errors == []
