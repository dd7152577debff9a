"""Reporting exports: rows and header, CSV and XLSX bytes read back, public transparency."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from services.reporting.domain.exports import (
    COLUMNS,
    PERIOD_COLUMNS,
    Row,
    header,
    station_rows,
)
from services.reporting.domain.summaries import (
    StationSummary,
    summarize_city,
    summarize_stations,
)
from services.reporting.domain.transparency import transparency
from services.reporting.web.exports import export_filename
from shared.exports import sheet_title, to_csv, to_xlsx

SINCE, UNTIL = date(2025, 5, 1), date(2025, 5, 31)
BUCKETS: list[dict[str, Any]] = [
    {
        "station_id": "xijie",
        "labels": {"station_name": "西街联络站"},
        "counts": {
            "received": 10,
            "to_representative": 7,
            "to_station_queue": 3,
            "reassigned": 1,
            "accepted": 9,
            "closed": 7,
            "escalated": 2,
            "rated": 6,
            "ratings": {"satisfied": 3, "basically_satisfied": 2, "dissatisfied": 1},
        },
    },
    {
        "station_id": "xijie",
        "counts": {"accepted": 1, "closed": 1, "rated": 1, "ratings": {"satisfied": 1}},
    },
    # A station with nothing accepted or rated: rates are null, cells are empty.
    {"station_id": "dongcun", "labels": {"station_name": "=东村站"}, "counts": {"received": 2}},
]


def stations() -> list[StationSummary]:
    return summarize_stations(BUCKETS)


def by_label(rows: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def label(en: str) -> str:
    return next(h for h in header() if h.endswith(f"({en})"))


def test_the_header_has_chinese_and_english_labels_for_every_column() -> None:
    labels = header()

    assert len(labels) == len(COLUMNS) + len(PERIOD_COLUMNS)
    assert labels[:4] == [
        "起始日 (since)",
        "截止日 (until)",
        "站点编号 (station id)",
        "站点名称 (station name)",
    ]
    assert "办结率 (completion rate)" in labels
    assert "满意度样本 (satisfaction sample)" in labels
    assert len(set(labels)) == len(labels)


def test_rows_carry_the_numbers_of_the_summaries() -> None:
    rows = station_rows(stations(), since=SINCE, until=UNTIL)

    assert rows[0] == header()
    found = by_label(rows)
    assert [r[label("station id")] for r in found] == ["dongcun", "xijie"]
    xijie = found[1]
    assert xijie[label("since")] == "2025-05-01"
    assert xijie[label("until")] == "2025-05-31"
    assert xijie[label("station name")] == "西街联络站"
    assert (
        xijie[label("assigned")],
        xijie[label("to representative")],
        xijie[label("to station queue")],
        xijie[label("reassigned")],
        xijie[label("accepted")],
        xijie[label("closed")],
        xijie[label("escalated")],
        xijie[label("rated")],
        xijie[label("satisfied")],
        xijie[label("basically satisfied")],
        xijie[label("dissatisfied")],
    ) == (10, 7, 3, 1, 10, 8, 2, 7, 4, 2, 1)
    summary = stations()[1]
    assert xijie[label("completion rate")] == summary.completion_rate.rate == 0.8
    assert xijie[label("completion low (95% Wilson)")] == summary.completion_rate.low
    assert xijie[label("completion high (95% Wilson)")] == summary.completion_rate.high
    assert xijie[label("completion sample")] == 10
    assert xijie[label("satisfaction rate")] == pytest.approx(6 / 7)
    assert xijie[label("satisfaction low (95% Wilson)")] == summary.satisfaction_rate.low
    assert xijie[label("satisfaction sample")] == 7
    dongcun = found[0]
    assert dongcun[label("completion rate")] is None
    assert dongcun[label("completion low (95% Wilson)")] is None
    assert dongcun[label("completion sample")] == 0


def test_csv_is_utf8_with_a_bom_and_parses_back_to_the_same_numbers() -> None:
    rows = station_rows(stations(), since=SINCE, until=UNTIL)

    data = to_csv(rows)

    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0] == header()
    assert len(parsed) == len(rows)
    for written, read in zip(rows[1:], parsed[1:], strict=True):
        for cell, text in zip(written, read, strict=True):
            if cell is None:
                assert text == ""
            elif isinstance(cell, float):
                assert float(text) == cell
            elif isinstance(cell, int):
                assert int(text) == cell
    # A name a spreadsheet would run as a formula is quoted.
    assert by_label(parsed)[0][label("station name")] == "'=东村站"
    assert by_label(parsed)[1][label("station name")] == "西街联络站"


def test_xlsx_reads_back_with_the_same_numbers() -> None:
    rows = station_rows(stations(), since=SINCE, until=UNTIL)

    data = to_xlsx(rows, "2025-05-01~2025-05-31")

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    assert workbook.sheetnames == ["2025-05-01~2025-05-31"]
    read: list[Row] = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    workbook.close()
    assert read[0] == header()
    assert len(read) == len(rows)
    for written, back in zip(rows[1:], read[1:], strict=True):
        for cell, value in zip(written, back, strict=True):
            if isinstance(cell, int | float):
                # openpyxl writes 16 significant digits; Excel itself keeps 15.
                assert value == pytest.approx(cell, rel=1e-15, abs=0)
                assert isinstance(value, int | float)
            elif cell is None:
                assert value is None
    assert read[1][header().index(label("station name"))] == "'=东村站"


def test_sheet_titles_and_filenames_are_valid() -> None:
    assert sheet_title("a/b:c*d?e[f]g\\h") == "a_b_c_d_e_f_g_h"
    assert len(sheet_title("x" * 40)) == 31
    assert sheet_title("") == "Sheet"
    assert export_filename(SINCE, UNTIL, "csv") == "minyi-stations-2025-05-01-2025-05-31.csv"


def test_an_empty_period_exports_only_the_header() -> None:
    rows = station_rows([], since=SINCE, until=UNTIL)

    assert rows == [header()]
    assert list(csv.reader(io.StringIO(to_csv(rows).decode("utf-8-sig")))) == [header()]
    workbook = load_workbook(io.BytesIO(to_xlsx(rows, "empty")), read_only=True)
    assert [list(r) for r in workbook.active.iter_rows(values_only=True)] == [header()]
    workbook.close()


def test_transparency_has_the_same_numbers_and_no_people() -> None:
    city_buckets = [{"counts": {"received": 15, "accepted": 10, "closed": 8, "rated": 7}}]
    summaries = stations()

    public = transparency(summarize_city(city_buckets), summaries, since=SINCE, until=UNTIL)

    assert (public.city.received, public.city.accepted, public.city.closed) == (15, 10, 8)
    assert public.city.completion_rate.rate == 0.8
    assert public.city.completion_rate.sample == 10
    xijie = public.stations[1]
    assert (xijie.station_id, xijie.received, xijie.accepted, xijie.closed) == (
        "xijie",
        10,
        10,
        8,
    )
    assert xijie.completion_rate == summaries[1].completion_rate
    assert xijie.satisfaction_rate == summaries[1].satisfaction_rate
    keys = set(public.model_dump()) | set(public.stations[0].model_dump())
    assert not keys & {"text", "name", "contact", "phone", "representative_code", "by_category"}
