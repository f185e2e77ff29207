"""Progress: the nodule count chart with the baseline and the 70% line (R9), the reduction, and
the cumulative dose against the planned total in plain words (R7)."""

import json
import re
from html import unescape

from django.urls import reverse

from clinic.monitoring.weights import latest_weight_kg
from dosing.course_data import course_figures


def progress_html(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("portal:progress"))
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_it_says_the_share_of_the_planned_total_in_plain_words(client, patient, build_course):
    course = build_course(patient.patient, prescriptions=2)
    figures = course_figures(course, weight_kg=latest_weight_kg(course))
    # 20 mg x 2 x 10 days + 30 mg x 2 x 30 days = 2200 mg of 120 mg/kg x 70 kg = 8400 mg.
    assert figures.taken_mg == 2200
    assert figures.percent_of_target == 26
    html = progress_html(client, patient)
    assert "You have taken 26% of your planned total dose." in html
    assert re.search(r'<progress class="cumulative-bar[^>]*value="26"', html)
    assert "2200 mg of 8400 mg" in html


def test_the_nodule_chart_has_the_baseline_and_the_70_percent_line(client, patient, build_course):
    build_course(patient.patient, visits=2, nodules=20)
    html = progress_html(client, patient)
    data = json.loads(
        re.search(
            r'<script id="portal-chart-data" type="application/json">(.*?)</script>', html
        ).group(1)
    )
    assert [point["y"] for point in data["nodules"]] == [20, 16, 12]
    assert len({point["x"] for point in data["nodules"]}) == 3  # each on its own day
    assert "labs" not in data  # the portal draws the nodules only
    assert data["baseline"] == 20
    assert data["line70"] == 6.0
    assert "You have 12 nodules now: 40% fewer than the 20 at the start." in html
    assert "js/portal_charts.js" in html
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_more_than_70_percent_fewer_is_said(client, patient, build_course):
    build_course(patient.patient, visits=3, nodules=14)  # 14 -> 10, 6, 2
    html = progress_html(client, patient)
    assert "86% fewer than the 14 at the start" in html
    assert "more than 70% fewer than at the start" in html


def test_before_the_first_visit_there_is_no_chart(client, patient, build_course):
    build_course(patient.patient, visits=0)
    html = progress_html(client, patient)
    assert "Your chart begins after your first check-up visit." in html
    assert "portal-chart-data" not in html
    assert "chart.umd.min.js" not in html
