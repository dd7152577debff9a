"""Roll-ups on the real store: a report over past months, weeks and days reads them, and a late
write into a rolled-up month, week or day (a history import, say) shows in the next report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from services.reporting.adapters.read_models import ReadModels
from services.reporting.handlers.projections import apply_case_events
from shared.dispatch import Event
from shared.events.case_events import CaseAssigned
from shared.events.envelope import Envelope, EventData

MAY = datetime(2025, 5, 3, 9, 0, tzinfo=UTC)
# April 20 and 21 rolled up by day, its weeks from the 22nd by week, then May and June.
SINCE, UNTIL = "2025-04-20", "2025-06-30"


def assigned(count: int, *, at: datetime, station: str) -> list[Event[EventData]]:
    made: list[Event[EventData]] = []
    for i in range(count):
        case = f"{station}-{uuid.uuid4().hex[:8]}"
        event = CaseAssigned(
            case_id=case,
            category="parking",
            station_id=station,
            station_name=f"{station} 站",
            representative_code="0412",
            reason="qr",
            assigned_at=at + timedelta(days=i % 20),
        )
        made.append(
            Event.of(
                Envelope.wrap(event, source="test", subject=case, correlation_id=uuid.uuid4().hex),
                event,
            )
        )
    return made


async def stations(client: httpx.AsyncClient) -> dict[str, int]:
    response = await client.get("/v1/reports/stations", params={"since": SINCE, "until": UNTIL})
    assert response.status_code == 200, response.text
    return {s["station_id"]: s["assigned"] for s in response.json()["stations"]}


async def test_reports_over_past_months_read_roll_ups_that_follow_late_writes(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    client, read_models = reporting
    await apply_case_events(assigned(12, at=MAY, station="xijie"), read_models=read_models)
    await apply_case_events(
        assigned(3, at=MAY - timedelta(days=10), station="dongan"), read_models=read_models
    )
    assert await stations(client) == {"xijie": 12, "dongan": 3}
    # Again, from the period's rows as the first report combined them.
    assert await stations(client) == {"xijie": 12, "dongan": 3}

    # May was read rolled up: one row per station instead of one per day.
    db = read_models._db
    may = await db["monthly"].find({"dimension": "station", "month": "2025-05"}).to_list()
    assert sorted(row["key"] for row in may) == ["xijie"]
    # April 23 onwards, in two of its weeks.
    weeks = (
        await db["monthly"]
        .find({"dimension": "station", "month": {"$in": ["2025-04.4", "2025-04.5"]}})
        .to_list()
    )
    assert {row["key"] for row in weeks} == {"dongan"}

    # A late write into May (an import of past cases): the next report counts it.
    await apply_case_events(assigned(5, at=MAY, station="xijie"), read_models=read_models)
    await apply_case_events(
        assigned(2, at=MAY + timedelta(days=31), station="dongan"), read_models=read_models
    )
    assert await stations(client) == {"xijie": 17, "dongan": 5}
    # And into a rolled-up week.
    await apply_case_events(
        assigned(1, at=MAY - timedelta(days=10), station="dongan"), read_models=read_models
    )
    assert await stations(client) == {"xijie": 17, "dongan": 6}
    # And into a rolled-up day.
    await apply_case_events(
        assigned(1, at=datetime(2025, 4, 21, 8, 0, tzinfo=UTC), station="dongan"),
        read_models=read_models,
    )
    assert await stations(client) == {"xijie": 17, "dongan": 7}
    day = await db["monthly"].find({"dimension": "station", "month": "2025-04-21"}).to_list()
    assert [row["key"] for row in day] == ["dongan"]

    # The same figures as summing the days themselves.
    by_day = await read_models.buckets(
        "station", since=MAY.date().replace(day=1), until=MAY.date().replace(day=31)
    )
    assert sum(b["counts"].get("received", 0) for b in by_day if b["key"] == "xijie") == 17


async def test_rows_kept_from_before_a_rebuild_never_answer_once_its_counts_climb_back(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    client, read_models = reporting
    await apply_case_events(assigned(12, at=MAY, station="xijie"), read_models=read_models)
    assert await stations(client) == {"xijie": 12}  # May's rows, now kept by the app

    # A rebuild drops every collection, the counts too, and counts what it finds again: May's
    # count is back at one batch, as when its rows were kept.
    await read_models.drop()
    await read_models.ensure_indexes()
    await apply_case_events(assigned(2, at=MAY, station="xijie"), read_models=read_models)
    assert await stations(client) == {"xijie": 2}
