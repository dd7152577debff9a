"""The `seen` tokens of a station's day, on the real store: a busy day keeps only the tokens
of events whose cases are not yet saved, and nothing is counted twice for it — a redelivery
after the cases were saved, after a crash between the buckets and the cases, or a meeting
published again."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime

import httpx
import pytest

from services.reporting.adapters import station_days
from services.reporting.adapters.read_models import ReadModels, StoredCase, token
from services.reporting.domain.case_state import CaseState
from services.reporting.handlers.projections import apply_case_events, apply_meetings
from shared.dispatch import Event
from shared.events.activity_events import MeetingRecorded
from shared.events.case_events import CaseAccepted, CaseAssigned
from shared.events.envelope import Envelope, EventData
from shared.mongo import Document

DAY = date(2025, 6, 3)
AT = datetime(2025, 6, 3, 9, 30, tzinfo=UTC)


def day_of_cases(first: int, count: int) -> list[Event[EventData]]:
    """Cases of xijie assigned and accepted on DAY."""
    made: list[Event[EventData]] = []
    for i in range(first, first + count):
        case = f"seen-{i}"
        steps: list[EventData] = [
            CaseAssigned(
                case_id=case,
                category="parking",
                station_id="xijie",
                station_name="西街",
                representative_code="0412",
                reason="qr",
                assigned_at=AT,
            ),
            CaseAccepted(
                case_id=case,
                station_id="xijie",
                at=AT,
                actor_role="representative",
                representative_code="0412",
            ),
        ]
        made += [
            Event.of(Envelope.wrap(e, source="test", subject=case, correlation_id="c"), e)
            for e in steps
        ]
    return made


def meeting() -> Event[MeetingRecorded]:
    recorded = MeetingRecorded(
        meeting_id="m-seen-1",
        kind="deliberation_meeting",
        station_id="xijie",
        held_on=DAY,
        topic="停车",
        attendance=12,
        outcome="记录在案",
        recorded_by="xijie-staff",
        recorded_at=AT,
    )
    envelope = Envelope.wrap(recorded, source="test", subject="m-seen-1", correlation_id="c")
    return Event.of(envelope, recorded)


async def bucket(read_models: ReadModels, dimension: str, station: str, key: str) -> Document:
    """The bucket's counts, and the tokens of its station's day (where `seen` is kept)."""
    day = await read_models._db[station_days.COLLECTION].find_one(
        {"_id": station_days.day_id(station, DAY)}
    )
    assert day is not None
    (found,) = station_days.buckets_of(day, dimension, {key})  # type: ignore[arg-type]
    return {**found, "seen": day["seen"]}


async def test_a_busy_days_buckets_keep_only_unsaved_tokens_and_count_each_event_once(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    _, read_models = reporting
    await apply_meetings([meeting()], read_models=read_models)
    batches = [day_of_cases(i * 20, 20) for i in range(4)]
    for batch in batches:
        await apply_case_events(batch, read_models=read_models)

    city = await bucket(read_models, "city", "", "city")
    station = await bucket(read_models, "station", "xijie", "xijie")
    assert city["counts"]["assigned"] == 80
    assert city["counts"]["accepted"] == 80
    # The last batch's 40 events are still there (their settling waits for the next write);
    # the first three batches' 120 are gone. The meeting is counted in the buckets only: its
    # token stays.
    last = {token("e", e.id) for e in batches[-1]}
    assert set(city["seen"]) == last | {"mmseen1"}
    assert "mmseen1" in station["seen"]
    assert station["counts"]["deliberation_meetings"] == 1

    # Everything delivered again (a rebalance, a relay publishing twice): the cases' `applied`
    # drops it before the buckets, and the meeting's token drops the meeting.
    for batch in batches:
        await apply_case_events(batch, read_models=read_models)
    await apply_meetings([meeting()], read_models=read_models)
    city = await bucket(read_models, "city", "", "city")
    station = await bucket(read_models, "station", "xijie", "xijie")
    assert city["counts"]["assigned"] == 80
    assert city["counts"]["accepted"] == 80
    assert station["counts"]["deliberation_meetings"] == 1


class DiesBeforeTheCases(ReadModels):
    async def save_cases(self, saves: Sequence[tuple[StoredCase, CaseState, list[str]]]) -> None:
        raise RuntimeError("killed")


async def test_a_crash_between_the_buckets_and_the_cases_counts_the_batch_once(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    _, read_models = reporting
    await apply_case_events(day_of_cases(100, 10), read_models=read_models)
    batch = day_of_cases(110, 10)
    # The buckets of the batch written, then the process dies before the cases.
    with pytest.raises(RuntimeError):
        await apply_case_events(
            batch, read_models=DiesBeforeTheCases(read_models._db, zone=read_models.zone)
        )

    # The process that takes over (its own memory) and the first one both see it again.
    await apply_case_events(batch, read_models=ReadModels(read_models._db, zone=read_models.zone))
    await apply_case_events(batch, read_models=read_models)
    await apply_case_events(day_of_cases(120, 5), read_models=read_models)
    city = await bucket(read_models, "city", "", "city")
    assert city["counts"]["assigned"] == 25
    assert city["counts"]["accepted"] == 25


async def test_two_replicas_counting_into_the_same_buckets_at_once_lose_nothing(
    reporting: tuple[httpx.AsyncClient, ReadModels],
) -> None:
    _, read_models = reporting
    replicas = [
        ReadModels(read_models._db, zone=read_models.zone),
        ReadModels(read_models._db, zone=read_models.zone),
    ]
    runs = [[day_of_cases(200 + r * 100 + i * 10, 10) for i in range(6)] for r in range(2)]

    async def fold(replica: ReadModels, batches: list[list[Event[EventData]]]) -> None:
        for batch in batches:
            await apply_case_events(batch, read_models=replica)

    await asyncio.gather(*(fold(replica, run) for replica, run in zip(replicas, runs, strict=True)))
    city = await bucket(read_models, "city", "", "city")
    station = await bucket(read_models, "station", "xijie", "xijie")
    assert city["counts"]["assigned"] == 120
    assert city["counts"]["accepted"] == 120
    assert station["counts"]["received"] == 120
    assert len(station["durations"]["accept"]) == 120
