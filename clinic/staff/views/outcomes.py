"""The outcomes report for prescribers and registry admins (issue 17, point 3): how the
clinic's courses turned out, by start month and prescriber, with charts and a CSV.

The figures are counts of courses, never a patient's record: the report reads the counts the
nightly run made (clinic.monitoring.outcomes), one grouped query whatever the registry's size.
"""

from __future__ import annotations

import csv

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clinic.accounts.roles import Role, role_required
from clinic.monitoring.outcomes_report import OutcomesReport, outcomes_report
from clinic.staff.access_log import log_export
from clinic.staff.exports import Echo, in_export_language, neutralise
from clinic.staff.forms.outcomes import OutcomesFilter

OUTCOME_READERS = (Role.PRESCRIBER, Role.REGISTRY_ADMIN)


def _percent(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f}"


def csv_rows(report: OutcomesReport, prescriber_name: str):
    """Section, figure, value, share of courses (%): the report's figures, one per line."""
    yield ["section", "figure", "value", "share (%)"]
    yield ["range", "courses started from", f"{report.first_month:%Y-%m}", ""]
    yield ["range", "to (month included)", f"{report.last_month:%Y-%m}", ""]
    yield ["range", "prescriber", prescriber_name, ""]
    yield ["courses", "started", report.started, ""]
    for bar in report.status_bars():
        yield ["courses", bar.label, bar.count, _percent(bar.share)]
    for bar in report.why_bars():
        yield ["discontinued because", bar.label, bar.count, _percent(bar.share)]
    yield ["nodules", "more than 70% fewer", report.fell_70, _percent(report.fell_70_share)]
    yield ["nodules", "median weeks to more than 70% fewer", report.median_weeks_to_fall, ""]
    for bar in report.weeks_to_fall_bars():
        yield ["weeks to more than 70% fewer", bar.label, bar.count, _percent(bar.share)]
    yield ["cumulative dose", "median mg/kg at the end", report.median_mg_per_kg_end, ""]
    for bar in report.dose_bars():
        yield ["cumulative mg/kg at the end", bar.label, bar.count, _percent(bar.share)]
    for bar in report.side_effect_bars():
        yield ["side effects (courses)", bar.label, bar.count, _percent(bar.share)]
    for wait in report.flag_waits():
        yield ["flags acknowledged", wait.label, wait.acknowledged, ""]
        yield ["flags still open", wait.label, wait.still_open, ""]
        yield ["hours to acknowledge (median)", wait.label, wait.median_hours, ""]
        yield ["hours to acknowledge (90th percentile)", wait.label, wait.p90_hours, ""]


def chart_data(report: OutcomesReport) -> dict:
    def bars(rows):
        return {"labels": [bar.label for bar in rows], "counts": [bar.count for bar in rows]}

    return {
        "statuses": bars(report.status_bars()[1:]),  # a started course is never "planned"
        "weeks_to_fall": bars(report.weeks_to_fall_bars()),
        "doses": bars(report.dose_bars()),
        "side_effects": bars(report.side_effect_bars()),
    }


@role_required(*OUTCOME_READERS)
@require_GET
def outcomes(request):
    form = OutcomesFilter(request.GET or None)
    first, last, prescriber = form.chosen()
    report = outcomes_report(first, last, prescriber_id=prescriber.pk if prescriber else None)
    who = (prescriber.get_full_name() or prescriber.get_username()) if prescriber else "every"
    if request.GET.get("_export") == "csv" and (not form.is_bound or form.is_valid()):
        writer = csv.writer(Echo())
        lines = (
            writer.writerow([neutralise(str(v) if v is not None else "") for v in row])
            for row in csv_rows(report, who)
        )
        response = StreamingHttpResponse(
            in_export_language(lines), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="outcomes-{first:%Y-%m}-to-{last:%Y-%m}.csv"'
        )
        log_export(request, response, "Outcomes report export")
        return response
    return render(
        request,
        "staff/outcomes.html",
        {
            "form": form,
            "report": report,
            "prescriber": prescriber,
            "chart_data": chart_data(report),
            "query_string": request.GET.copy().urlencode() if form.is_valid() else "",
            "title": _("Outcomes"),
        },
    )
