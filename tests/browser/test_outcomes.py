"""The outcomes report in Chromium (issue 17, point 3): a registry admin signs in through the
real forms, opens Outcomes from the menu, sees the hand-counted fixture's charts drawn from the
figures in the tables, narrows the report to one prescriber, and downloads the CSV."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clinic.monitoring.outcomes import build_outcome_counts
from tests.browser.helpers import sign_in
from tests.monitoring.test_outcomes import clinic, pharmacy  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

BARS = """id => {
  const chart = Chart.getChart(document.getElementById(id));
  return { labels: chart.data.labels, counts: chart.data.datasets[0].data };
}"""


def test_a_registry_admin_reads_the_outcomes_and_downloads_them(
    live_server,
    page: Page,
    console_errors,
    clinic,  # noqa: F811
    registry_admin,
    password,
):
    build_outcome_counts()
    sign_in(page, live_server, registry_admin, password, "staff:registry-admin-home")
    page.get_by_role("link", name="Outcomes").click()
    page.get_by_label("Courses started from").fill("2026-01")
    page.get_by_label("to (month included)").fill("2026-11")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("started")).to_have_text("4")
    page.wait_for_function("() => Chart.getChart(document.getElementById('effects-chart'))")
    effects = page.evaluate(BARS, "effects-chart")
    assert dict(zip(effects["labels"], effects["counts"], strict=True))["Dry lips"] == 2
    statuses = page.evaluate(BARS, "status-chart")
    assert dict(zip(statuses["labels"], statuses["counts"], strict=True)) == {
        "Active": 1,
        "Completed": 0,
        "Stopped early (nodules down 70%)": 1,
        "Stopped at 20 weeks": 1,
        "Discontinued": 1,
    }
    fall = page.evaluate(BARS, "fall-chart")
    assert fall["counts"][4] == 1  # 28 days
    assert fall["counts"][8] == 1  # 56 days
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "outcomes.png"), full_page=True)

    page.get_by_label("Prescriber").select_option(label="Dr B")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("started")).to_have_text("2")
    expect(page.get_by_test_id("range")).to_contain_text("patients of Dr B")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download these figures as CSV").click()
    text = Path(download.value.path()).read_text()
    assert "courses,started,2," in text
    assert "range,prescriber,Dr B," in text
    assert console_errors == []
