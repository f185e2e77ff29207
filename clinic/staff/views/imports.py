"""The patient import pages (issue 18, point 2), for registry admins and prescribers: upload a
CSV or XLSX file, see every row checked, confirm, watch it being written.

A batch is its uploader's alone: anyone else's, or a number that is no batch, answers 404.
Nothing is written before the confirmation, and the confirmation writes once (a second POST,
or a batch with errors, changes nothing). The file stays in the database between preview and
confirmation (registry.models.ImportBatch); the browser never sends it again.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clinic.accounts.roles import Role, has_role, role_required
from clinic.staff.forms.imports import ImportUploadForm
from clinic.staff.importing import writing
from clinic.staff.importing.checking import ROW
from clinic.staff.importing.columns import COLUMNS
from clinic.staff.importing.reading import MAX_ROWS, Unreadable
from clinic.staff.tasks import write_import
from registry.models import ImportBatch, ImportedPatient

IMPORTERS = (Role.REGISTRY_ADMIN, Role.PRESCRIBER)
ROWS_PER_PAGE = 100
RECENT = 10

logger = logging.getLogger(__name__)


def _batch_of(request, pk: int) -> ImportBatch:
    return get_object_or_404(ImportBatch.objects.defer("content"), pk=pk, created_by=request.user)


@role_required(*IMPORTERS)
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = writing.preview(upload.read(), upload.name, request.user)
        except Unreadable as refusal:
            form.add_error("file", str(refusal))
        else:
            return redirect("staff:import-detail", pk=batch.pk)
    recent = (
        ImportBatch.objects.filter(created_by=request.user)
        .only("pk", "file_name", "created_at", "row_count", "error_row_count", "status")
        .order_by("-created_at", "-pk")[:RECENT]
    )
    context = {"form": form, "columns": COLUMNS, "recent": recent, "max_rows": MAX_ROWS}
    return render(request, "staff/imports/upload.html", context)


@role_required(*IMPORTERS)
@require_GET
def import_detail(request, pk):
    batch = _batch_of(request, pk)
    if batch.status == ImportBatch.Status.CONFIRMED:
        return render(request, "staff/imports/progress.html", _progress_context(batch))
    if batch.status == ImportBatch.Status.WRITTEN:
        return _written(request, batch)
    return _preview(request, batch)


def _preview(request, batch: ImportBatch):
    only_errors = request.GET.get("only") == "errors"
    rows = batch.rows
    if only_errors:
        rows = [row for row in rows if str(row[0]) in batch.problems]
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    shown = []
    for number, *cells in page.object_list:
        found = batch.problems.get(str(number), {})
        shown.append(
            {
                "number": number,
                "row_problem": found.get(ROW, ""),
                "cells": [
                    (column, value, found.get(column, ""))
                    for column, value in zip(batch.columns, cells, strict=True)
                ],
            }
        )
    context = {
        "batch": batch,
        "page": page,
        "rows": shown,
        "only_errors": only_errors,
        "may_confirm": batch.status == ImportBatch.Status.PREVIEWED and not batch.error_row_count,
        "valid_count": batch.row_count - batch.error_row_count,
    }
    return render(request, "staff/imports/preview.html", context)


def _written(request, batch: ImportBatch):
    imported = ImportedPatient.objects.filter(batch=batch).select_related("patient")
    page = Paginator(imported.order_by("row_number"), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "batch": batch,
        "page": page,
        # Registry admins do not open patient records; the list names the rows written.
        "link_patients": has_role(request.user, Role.PRESCRIBER),
    }
    return render(request, "staff/imports/written.html", context)


@role_required(*IMPORTERS)
@require_POST
def import_confirm(request, pk):
    batch = _batch_of(request, pk)
    if writing.confirm(batch, request.user):
        _queue_write(batch.pk)
    elif batch.error_row_count:
        messages.error(
            request,
            _(
                "Nothing was written: the file has rows with errors. Correct them in the file "
                "and upload it again."
            ),
        )
    return redirect("staff:import-detail", pk=batch.pk)


def _queue_write(batch_pk: int) -> bool:
    """Wake a worker for the write. The confirmed batch is the record of the work (DESIGN.md,
    "Background work"): if the broker is away the page still answers, and the progress poll
    queues the write again (writing.write is idempotent: a second run finds it written)."""
    try:
        write_import.delay(batch_pk)
    except Exception:  # the broker's errors are its own classes (kombu, redis, OSError)
        logger.warning(
            "import %s: the write could not be queued; the progress poll retries", batch_pk
        )
        return False
    return True


def _progress_context(batch: ImportBatch) -> dict:
    done, total = writing.read_progress(batch)
    return {"batch": batch, "done": done, "total": total or batch.row_count}


@role_required(*IMPORTERS)
@require_GET
def import_progress(request, pk):
    """The progress bar, polled by the page while the batch is being written; once it is no
    longer being written, the page is loaded again (it then shows the result)."""
    batch = _batch_of(request, pk)
    if writing.waiting_too_long(batch):
        _queue_write(batch.pk)  # confirmed, and no worker has started it: wake one again
    response = render(request, "staff/imports/_progress.html", _progress_context(batch))
    if batch.status != ImportBatch.Status.CONFIRMED:
        response["HX-Refresh"] = "true"
    return response
