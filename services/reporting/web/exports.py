"""Export rows written as files: CSV (UTF-8 with BOM) and XLSX bytes, and their file names. Pure.

A row's cells keep their types to the end: numbers stay numbers in the workbook, floats are
written so they read back exactly, an empty cell stands for `null`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook

from services.reporting.domain.exports import Cell, Row

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(cell: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula is quoted (CSV/formula injection)."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return repr(cell)  # round-trips exactly
    return str(_safe(cell))


def to_csv(rows: Sequence[Row]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese labels correctly; CRLF rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_text(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


_SHEET_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def sheet_title(title: str) -> str:
    """A valid worksheet name: no []:*?/\\, at most 31 characters, not empty."""
    cleaned = title.translate(_SHEET_FORBIDDEN).strip("'")[:31]
    return cleaned or "Sheet"


def period_title(since: date, until: date) -> str:
    """The worksheet's title: the period."""
    return f"{since.isoformat()}~{until.isoformat()}"


def to_xlsx(rows: Sequence[Row], title: str) -> bytes:
    """One worksheet, written in write-only (streaming) mode; numbers stay numbers."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    for row in rows:
        sheet.append([_safe(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_filename(since: date, until: date, extension: str, kind: str = "stations") -> str:
    return f"minyi-{kind}-{since.isoformat()}-{until.isoformat()}.{extension}"
