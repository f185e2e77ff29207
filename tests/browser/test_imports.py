"""The patient import in Chromium (issue 18, point 2): a registry admin signs in through the
real forms, opens "Import patients" from the menu, uploads a file with an error, sees the
message next to its cell in the preview, uploads the corrected file, confirms, watches the
progress bar (htmx polling its fragment) until the write finishes, and sees the patients
written. axe-core checks the preview with its errors.

The write task is queued on the test settings' in-memory broker, where no worker takes it; the
test runs it itself while the page polls, so the bar is seen before the end.
"""

import csv
import io
import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from clinic.staff.tasks import write_import
from registry.models import ImportBatch, Patient
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import blocking_violations
from tests.staff.test_imports import row

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(
    os.environ.get("SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "var" / "screenshots")
)


def csv_path(tmp_path: Path, name: str, rows: list[dict]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue())
    return path


def test_a_registry_admin_imports_a_corrected_file_and_sees_it_written(
    live_server, page: Page, console_errors, registry_admin, prescriber, password, tmp_path
):
    rows = [row(1, reminder_consent="no"), row(2, reminder_consent="no"), row(3)]
    rows[1]["date_of_birth"] = "17/05/2007"
    sign_in(page, live_server, registry_admin, password, "staff:registry-admin-home")
    page.get_by_role("link", name="Import patients").click()
    page.get_by_label("CSV or XLSX file").set_input_files(csv_path(tmp_path, "clinic-b.csv", rows))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="Preview of clinic-b.csv")).to_be_visible()
    expect(page.get_by_text("1 with errors")).to_be_visible()
    bad = page.locator('tr[data-row="3"] td[data-column="date_of_birth"]')
    expect(bad).to_contain_text("17/05/2007")
    expect(bad).to_contain_text("Write the date as YYYY-MM-DD")
    expect(bad).not_to_contain_text("required")  # the form is not sent what it cannot read
    expect(page.get_by_role("button", name="Write 3 patients")).to_have_count(0)
    assert blocking_violations(Axe(), page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "import-preview-errors.png"), full_page=True)
    assert not Patient.objects.filter(last_name="Lopez").exists()

    rows[1]["date_of_birth"] = "2001-05-17"
    page.get_by_role("link", name="upload the file again").click()
    page.get_by_label("CSV or XLSX file").set_input_files(csv_path(tmp_path, "clinic-b.csv", rows))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("Every row is valid.")).to_be_visible()
    page.get_by_role("button", name="Write 3 patients").click()

    expect(page.get_by_role("heading", name="Writing clinic-b.csv")).to_be_visible()
    expect(page.get_by_text("0 of 3 rows written")).to_be_visible()
    page.screenshot(path=str(SHOTS / "import-progress.png"), full_page=True)
    write_import(ImportBatch.objects.get(status=ImportBatch.Status.CONFIRMED).pk)

    expect(page.get_by_role("heading", name="clinic-b.csv is imported")).to_be_visible()
    for patient in Patient.objects.filter(last_name="Lopez"):
        expect(page.get_by_role("cell", name=patient.registry_id)).to_be_visible()
    expect(page.get_by_role("cell", name="Maria2 Lopez")).to_be_visible()
    assert Patient.objects.filter(last_name="Lopez").count() == 3
    page.screenshot(path=str(SHOTS / "import-written.png"), full_page=True)
    assert console_errors == []
