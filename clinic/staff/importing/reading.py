"""Reading an uploaded spreadsheet of patients into rows of text (issue 18, point 2).

What a file is comes from its bytes, never from its name: an XLSX is a ZIP holding
xl/workbook.xml, anything else must be UTF-8 text (a CSV). Refused as a whole, with one
message: a file over MAX_BYTES or MAX_ROWS rows, an empty file, an old binary .xls, an XLSX
with macros (xl/vbaProject.bin, or a macro-enabled workbook type: .xlsm renamed .xlsx), a ZIP
that would unpack to more than MAX_UNPACKED_BYTES (a "zip bomb"), and text that is not UTF-8.

Every cell is read as text. A cell holding a formula is taken as the formula's text
(openpyxl without data_only: the formula is never run, and its cached result is not used),
so "=HYPERLINK(...)" in a name is a name that starts with "="; the exports neutralise it
again on the way out (clinic.staff.exports). A date cell of an XLSX becomes YYYY-MM-DD, a whole
number stays whole ("12", not "12.0").

tablib reads the CSV (its csv format) and holds both kinds as a Dataset; the XLSX's sheet is
walked with openpyxl directly because tablib's xlsx import opens workbooks with data_only,
which would put a formula's cached result in place of its text.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from tablib import Dataset

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc: old Office binaries
MACRO_TYPE = b"macroEnabled"


class Unreadable(ValueError):
    """The file as a whole is refused; the message says why and what to do, in the uploader's
    language (read while the upload is answered)."""


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[list[str]]  # every row as long as the headers; blank rows left out
    numbers: list[int]  # each row's line in the file (the header is line 1)


def read_file(content: bytes) -> Sheet:
    if not content:
        raise Unreadable(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise Unreadable(
            _("The file is larger than %(megabytes)s MB; split it into smaller files.")
            % {"megabytes": MAX_BYTES // (1024 * 1024)}
        )
    if content.startswith(OLE_SIGNATURE):
        raise Unreadable(_("This is an old Excel (.xls) file: save it as .xlsx or .csv."))
    return _sheet(_xlsx(content) if content.startswith(b"PK\x03\x04") else _csv(content))


def _csv(content: bytes) -> Dataset:
    if b"\x00" in content:
        raise Unreadable(_("The file is neither a CSV nor an XLSX file."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(
            _("The CSV is not UTF-8 text: save it again as 'CSV UTF-8' and upload that file.")
        ) from error
    if text.count("\n") > MAX_ROWS + 1:
        raise _too_many_rows()
    try:
        return Dataset().load(text, format="csv", headers=False)
    except Exception as error:  # tablib and the csv module raise several kinds
        raise Unreadable(_("The CSV cannot be read: %(error)s.") % {"error": error}) from error


def _xlsx(content: bytes) -> Dataset:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        unpacked = sum(entry.file_size for entry in archive.infolist())
        types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise Unreadable(_("The file is neither a CSV nor an XLSX file.")) from error
    if "xl/workbook.xml" not in names:
        raise Unreadable(_("The file is neither a CSV nor an XLSX file."))
    if "xl/vbaProject.bin" in names or MACRO_TYPE in types:
        raise Unreadable(
            _("The workbook contains macros; save it as a plain .xlsx workbook (or as CSV).")
        )
    if unpacked > MAX_UNPACKED_BYTES:
        raise Unreadable(_("The workbook is too large once unpacked; split it into smaller files."))
    # openpyxl is imported when an XLSX arrives, not by every process that loads the URLs.
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        sheet = book.worksheets[0]
        dataset = Dataset()
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 1:
                raise _too_many_rows()
            dataset.append([_text(value) for value in row])
        book.close()
    except Unreadable:
        raise
    except Exception as error:  # openpyxl raises many kinds on a damaged workbook
        raise Unreadable(_("The XLSX workbook cannot be read; save it again and retry.")) from error
    return dataset


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float | Decimal):
        return str(value)
    return str(value)


def _too_many_rows() -> Unreadable:
    return Unreadable(
        _("The file has more than %(rows)s rows; split it into smaller files.")
        % {"rows": formats.number_format(MAX_ROWS, force_grouping=True)}
    )


def _sheet(dataset: Dataset) -> Sheet:
    lines = [[(cell or "").strip() for cell in map(_text, row)] for row in dataset]
    # Rows left blank at the end (a spreadsheet's formatting often reaches past the data).
    while lines and not any(lines[-1]):
        lines.pop()
    if not lines:
        raise Unreadable(_("The file is empty."))
    headers = lines[0]
    while headers and not headers[-1]:
        headers.pop()
    width = len(headers)
    if any(any(row[width:]) for row in lines[1:]):
        raise Unreadable(_("Some rows have more cells than the header row has columns."))
    kept = [(number, row) for number, row in enumerate(lines[1:], start=2) if any(row)]
    if len(kept) > MAX_ROWS:
        raise _too_many_rows()
    if not kept:
        raise Unreadable(_("The file has a header row but no patients."))
    return Sheet(
        headers=headers,
        rows=[(row + [""] * width)[:width] for _number, row in kept],
        numbers=[number for number, _row in kept],
    )
