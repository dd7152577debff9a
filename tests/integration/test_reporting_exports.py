"""Reporting exports on the real store: CSV and XLSX downloaded through the in-process app give
the numbers of `/v1/reports/stations`; the public transparency answer too, without people."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from services.reporting.adapters.read_models import ReadModels
from services.reporting.handlers.projections import apply_case_events
from shared.dispatch import Event
from shared.events.case_events import (
    CaseAccepted,
    CaseAssigned,
    CaseClosed,
    CaseMerged,
    CaseRated,
    CaseSubmitted,
    CaseSupported,
    Rating,
)
from shared.events.envelope import Envelope, EventData

DAY = datetime(2025, 5, 6, 10, 0, tzinfo=UTC)
SINCE, UNTIL = "2025-05-01", "2025-05-31"
PERIOD = {"since": SINCE, "until": UNTIL}
# station → (assigned and accepted, closed, ratings)
PLAN: dict[str, tuple[int, int, list[Rating]]] = {
    "beimen": (6, 4, ["satisfied", "satisfied", "dissatisfied"]),
    "nanhu": (3, 3, ["basically_satisfied"]),
    "xishan": (2, 0, []),
}
# station → (its last accepted case merged into its first, residents who said "me too" on it)
DUPLICATES: dict[str, tuple[bool, int]] = {"beimen": (True, 3), "nanhu": (False, 1)}
# JSON field → CSV/XLSX column label (English part).
NUMBERS: dict[str, str] = {
    "assigned": "assigned",
    "to_representative": "to representative",
    "to_station_queue": "to station queue",
    "reassigned": "reassigned",
    "accepted": "accepted",
    "declined": "declined",
    "rejected": "rejected",
    "merged": "merged",
    "merged_accepted": "merged after accepted",
    "supporters": "supporters",
    "responded": "responded",
    "closed": "closed",
    "reopened": "reopened",
    "escalated": "escalated",
    "rated": "rated",
    "ratings.satisfied": "satisfied",
    "ratings.basically_satisfied": "basically satisfied",
    "ratings.dissatisfied": "dissatisfied",
    "completion_rate.rate": "completion rate",
    "completion_rate.low": "completion low (95% Wilson)",
    "completion_rate.high": "completion high (95% Wilson)",
    "completion_rate.sample": "completion sample",
    "satisfaction_rate.rate": "satisfaction rate",
    "satisfaction_rate.low": "satisfaction low (95% Wilson)",
    "satisfaction_rate.high": "satisfaction high (95% Wilson)",
    "satisfaction_rate.sample": "satisfaction sample",
}
PERSONAL = {"text", "name", "contact", "phone", "email", "representative_code", "resident"}


def events() -> list[EventData]:
    made: list[EventData] = []
    for station, (accepted, closed, ratings) in PLAN.items():
        for i in range(accepted):
            case = f"{station}-{i}"
            at = DAY + timedelta(days=i % 2)
            common = {"case_id": case, "station_id": station, "at": at}
            made.append(
                CaseSubmitted(
                    case_id=case,
                    channel="web",
                    category="parking",
                    text="门口乱停车，联系电话13800000000",
                    submitted_at=at,
                )
            )
            made.append(
                CaseAssigned(
                    case_id=case,
                    category="parking",
                    station_id=station,
                    station_name=f"{station} 联络站",
                    representative_code="0412",
                    reason="qr",
                    assigned_at=at,
                )
            )
            made.append(
                CaseAccepted(**common, actor_role="representative", representative_code="0412")
            )
            if i < closed:
                made.append(CaseClosed(**common, actor_role="staff"))
            if i < len(ratings):
                made.append(CaseRated(**common, actor_role="resident", rating=ratings[i]))
        merge, supporters = DUPLICATES.get(station, (False, 0))
        for n in range(supporters):
            made.append(
                CaseSupported(
                    case_id=f"{station}-0",
                    supporter_id=f"s{station}{n}",
                    supporters=n + 1,
                    has_contact=False,
                    supported_at=DAY,
                )
            )
        if merge:
            # Still open (not closed), so it counts as merged after it was accepted.
            made.append(
                CaseMerged(
                    case_id=f"{station}-{accepted - 1}",
                    station_id=station,
                    at=DAY + timedelta(days=1),
                    actor_role="staff",
                    into_case_id=f"{station}-0",
                )
            )
    return made


def envelopes() -> list[Event[EventData]]:
    return [
        Event.of(Envelope.wrap(e, source="test", subject="c", correlation_id=uuid.uuid4().hex), e)
        for e in events()
    ]


def field(station: dict[str, Any], dotted: str) -> Any:
    value: Any = station
    for part in dotted.split("."):
        value = value[part]
    return value


def column(headers: list[Any], en: str) -> int:
    return next(i for i, h in enumerate(headers) if str(h).endswith(f"({en})"))


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


async def test_csv_and_xlsx_give_the_numbers_of_the_json_report(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    client, read_models = reporting
    assert await apply_case_events(envelopes(), read_models=read_models) > 0
    stations = (await client.get("/v1/reports/stations", params=PERIOD)).json()["stations"]
    assert [s["station_id"] for s in stations] == ["beimen", "nanhu", "xishan"]

    as_csv = await client.get("/v1/reports/stations.csv", params=PERIOD)
    as_xlsx = await client.get("/v1/reports/stations.xlsx", params=PERIOD)

    assert as_csv.status_code == as_xlsx.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"] == (
        f'attachment; filename="minyi-stations-{SINCE}-{UNTIL}.csv"'
    )
    assert as_xlsx.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert as_xlsx.headers["content-disposition"] == (
        f'attachment; filename="minyi-stations-{SINCE}-{UNTIL}.xlsx"'
    )
    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    csv_rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    workbook = load_workbook(io.BytesIO(as_xlsx.content), read_only=True)
    xlsx_rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    workbook.close()
    assert csv_rows[0] == xlsx_rows[0]
    headers = csv_rows[0]
    assert len(csv_rows) == len(xlsx_rows) == len(stations) + 1

    for station, from_csv, from_xlsx in zip(stations, csv_rows[1:], xlsx_rows[1:], strict=True):
        for en, want in (
            ("station id", station["station_id"]),
            ("station name", station["station_name"]),
            ("since", SINCE),
            ("until", UNTIL),
        ):
            assert from_csv[column(headers, en)] == from_xlsx[column(headers, en)] == want
        for dotted, en in NUMBERS.items():
            want = field(station, dotted)
            text, cell = from_csv[column(headers, en)], from_xlsx[column(headers, en)]
            if want is None:
                assert text == "" and cell is None, dotted
            elif isinstance(want, int):
                assert int(text) == cell == want, dotted
            else:
                assert float(text) == want, dotted
                assert cell == pytest.approx(want, rel=1e-15, abs=0), dotted
    beimen = dict(zip(headers, csv_rows[1], strict=True))
    assert beimen["办结 (closed)"] == "4"
    # One of its six accepted cases was merged into another: five matters, four completed.
    assert beimen["办结率 (completion rate)"] == repr(4 / 5)
    assert beimen["受理后合并 (merged after accepted)"] == "1"
    assert beimen["附议 (supporters)"] == "3"
    assert [s["supporters"] for s in stations] == [3, 1, 0]
    assert [s["merged_accepted"] for s in stations] == [1, 0, 0]


async def test_transparency_is_public_has_the_same_numbers_and_no_people(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    client, read_models = reporting
    await apply_case_events(envelopes(), read_models=read_models)
    stations = (await client.get("/v1/reports/stations", params=PERIOD)).json()["stations"]
    city = (await client.get("/v1/reports/city", params=PERIOD)).json()["city"]

    response = await client.get("/v1/public/transparency", params=PERIOD)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    body = response.json()
    assert (body["since"], body["until"]) == (SINCE, UNTIL)
    assert body["city"]["received"] == city["received"] == sum(p[0] for p in PLAN.values())
    for name in ("accepted", "closed", "rated", "completion_rate", "satisfaction_rate"):
        assert body["city"][name] == city[name], name
    assert [s["station_id"] for s in body["stations"]] == [s["station_id"] for s in stations]
    for public, station in zip(body["stations"], stations, strict=True):
        assert public["received"] == station["assigned"]
        for name in ("accepted", "closed", "rated", "completion_rate", "satisfaction_rate"):
            assert public[name] == station[name], name
    assert not keys(body) & PERSONAL
    assert "13800000000" not in response.text
    assert "乱停车" not in response.text
    assert "0412" not in response.text


async def test_exports_refuse_a_backwards_period(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    client, _ = reporting
    backwards = {"since": UNTIL, "until": SINCE}

    for path in (
        "/v1/reports/stations.csv",
        "/v1/reports/stations.xlsx",
        "/v1/public/transparency",
    ):
        assert (await client.get(path, params=backwards)).status_code == 422, path
