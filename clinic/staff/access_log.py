"""What the staff pages write to the access log (registry.audit.record_access, HIPAA
164.312(b)): a page that shows one patient's record, and an export of a list.

One row per page shown or file exported, never one per row of a list: an export logs the
filter it was asked with (the list's query string without its page cursors), which says
which rows it held. The list of views that log, and those that do not, is in
docs/SECURITY.md ("What is logged").
"""

from __future__ import annotations

from clinic.staff.paging import CURSOR_PARAMETERS
from registry.audit import record_access
from registry.models import RecordAccess

# Enough to say what was asked; a hostile query string is not copied into the log whole.
MAX_PARAMETERS = 20
MAX_VALUE = 200


def log_page(request, patient, what: str) -> None:
    """A GET of a page that shows `patient`'s record (or part of it). A POST is not logged
    here: it changes the record (history says who) or is refused (a RefusedAction says who),
    and either way the page it leads to logs its own GET."""
    if request.method == "GET":
        record_access(request.user, patient, RecordAccess.Kind.PAGE, what)


def log_export(request, response, what: str) -> None:
    """If `response` is a download (a CSV or XLSX of a list), one row with its filter and no
    patient; a page shown instead (no export asked, or one refused) logs nothing."""
    if not response.get("Content-Disposition", "").startswith("attachment"):
        return
    record_access(request.user, None, RecordAccess.Kind.EXPORT, what, asked_for(request))


def asked_for(request) -> dict:
    """The export's format and filter from the query string, cursors left out."""
    query = {}
    for name, values in request.GET.lists():
        if name in CURSOR_PARAMETERS or name == "_export":
            continue
        if len(query) == MAX_PARAMETERS:
            break
        values = [value[:MAX_VALUE] for value in values[:MAX_PARAMETERS]]
        query[name[:MAX_VALUE]] = values[0] if len(values) == 1 else values
    return {"format": request.GET.get("_export", "")[:MAX_VALUE], "filter": query}
