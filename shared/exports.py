"""Rows written as export files: CSV (UTF-8 with BOM) and XLSX bytes. Pure.

A row's cells keep their types to the end: numbers stay numbers in the workbook, floats are
written so they read back exactly, an empty cell stands for `null`. Text cells that a
spreadsheet would run as a formula are quoted (CSV/formula injection): export cells hold free
text people typed (a suggestion's title, a department's answer, a station's name).
Used by reporting's figures and duty records and by routing's suggestion export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | None
Row = Sequence[Cell]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def safe_cell(cell: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula, quoted."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return repr(cell)  # round-trips exactly
    return str(safe_cell(cell))


def to_csv(rows: Sequence[Row]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Chinese text correctly; CRLF rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_text(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def sheet_title(title: str) -> str:
    """A valid worksheet name: no []:*?/\\, at most 31 characters, not empty."""
    cleaned = title.translate(_SHEET_FORBIDDEN).strip("'")[:31]
    return cleaned or "Sheet"


def to_xlsx(rows: Sequence[Row], title: str) -> bytes:
    """One worksheet, written in write-only (streaming) mode; numbers stay numbers."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
