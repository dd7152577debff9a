"""Typed dispatch: payloads decoded once, runs per handler, partition order kept."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from shared.dispatch import Event, EventRoutes
from shared.events.case_events import CaseRated, CaseReopened, CaseSubmitted
from shared.events.envelope import Envelope, EventData, EventDecodeError

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def submitted(case_id: str) -> Envelope:
    data = CaseSubmitted(
        case_id=case_id, category="parking", text="停车难", channel="web", submitted_at=AT
    )
    return Envelope.wrap(data, source="test", subject=case_id, correlation_id=f"c-{case_id}")


def rated(case_id: str) -> Envelope:
    data = CaseRated(
        case_id=case_id,
        station_id="xijie",
        actor_role="resident",
        actor_id=None,
        at=AT,
        rating="satisfied",
    )
    return Envelope.wrap(data, source="test", subject=case_id, correlation_id=f"c-{case_id}")


def routes_recording(calls: list[tuple[str, list[str]]]) -> EventRoutes:
    routes = EventRoutes()

    async def new_cases(run: Sequence[Event[CaseSubmitted]]) -> None:
        calls.append(("new", [e.data.case_id for e in run]))

    async def ratings(run: Sequence[Event[CaseRated]]) -> None:
        calls.append(("rated", [e.data.rating + ":" + e.subject for e in run]))

    routes.on(CaseSubmitted, new_cases)
    routes.on(CaseRated, ratings)
    return routes


def test_decoding_gives_the_typed_payload_and_the_envelope_attributes() -> None:
    envelope = submitted("a")
    event = routes_recording([]).decode(envelope)
    assert event is not None
    assert isinstance(event.data, CaseSubmitted) and event.data.case_id == "a"
    assert (event.id, event.subject, event.correlation_id, event.type) == (
        envelope.id,
        "a",
        "c-a",
        "case.submitted",
    )


def test_types_no_handler_takes_are_skipped() -> None:
    reopened = Envelope.wrap(
        CaseReopened(
            case_id="a", station_id="x", actor_role="resident", actor_id=None, at=AT, reason="r"
        ),
        source="test",
        subject="a",
        correlation_id="c",
    )
    routes = routes_recording([])
    assert routes.decode(reopened) is None
    assert routes.types == {"case.submitted", "case.rated"}


def test_a_payload_that_does_not_fit_its_model_is_a_decode_error() -> None:
    broken = submitted("a").model_copy(update={"data": {"case_id": "a"}})
    with pytest.raises(EventDecodeError, match=r"invalid case\.submitted data"):
        routes_recording([]).decode(broken)


def test_a_batch_goes_out_in_one_run_per_handler_when_each_case_keeps_its_order() -> None:
    calls: list[tuple[str, list[str]]] = []
    routes = routes_recording(calls)
    # Imported histories interleave types case by case; handing them over as they come would
    # be one run (and one store write) per event.
    batch = [submitted("a"), rated("a"), submitted("b"), rated("b"), submitted("c"), rated("c")]
    events = [routes.decode(e) for e in batch]
    asyncio.run(routes.dispatch([e for e in events if e is not None]))
    assert calls == [
        ("new", ["a", "b", "c"]),
        ("rated", ["satisfied:a", "satisfied:b", "satisfied:c"]),
    ]


def test_a_case_s_later_event_waits_for_its_earlier_one_in_another_handler() -> None:
    calls: list[tuple[str, list[str]]] = []
    routes = routes_recording(calls)
    batch = [rated("a"), submitted("b"), rated("b"), submitted("c"), rated("a")]
    events = [routes.decode(e) for e in batch]
    asyncio.run(routes.dispatch([e for e in events if e is not None]))
    assert calls == [
        ("rated", ["satisfied:a", "satisfied:a"]),
        ("new", ["b", "c"]),
        ("rated", ["satisfied:b"]),
    ]


def test_one_handler_may_take_several_types_in_one_run() -> None:
    seen: list[list[str]] = []
    routes = EventRoutes()

    async def timeline(run: Sequence[Event[EventData]]) -> None:
        seen.append([e.type for e in run])

    routes.on_each_of([CaseSubmitted, CaseRated], timeline)
    events = [routes.decode(e) for e in (submitted("a"), rated("a"), submitted("b"))]
    asyncio.run(routes.dispatch([e for e in events if e is not None]))
    assert seen == [["case.submitted", "case.rated", "case.submitted"]]


def test_a_type_has_one_handler() -> None:
    routes = routes_recording([])

    async def again(run: Sequence[Event[CaseSubmitted]]) -> None:
        return None

    with pytest.raises(ValueError, match="already has a handler"):
        routes.on(CaseSubmitted, again)
