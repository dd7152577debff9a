"""Dilapidated-house repair: houses (register, consent, stage, linked cases) and the stage of a
case not linked to a house yet; the counts per stage are houses'."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from services.routing.adapters.case_documents import audit_entry
from services.routing.adapters.case_repository import RoutedCaseRepository, VersionConflict
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.house_repository import HouseChanged, HouseRepository
from services.routing.domain.house_repair import (
    Stage,
    decide_stage,
    follow_house,
    next_stages,
    stage_of,
)
from services.routing.domain.houses import (
    House,
    RegisterHouse,
    can_see_house,
    link_case,
    move_house,
    record_consent,
    register_house,
)
from services.routing.domain.workflow import Actor, CaseState, OutOfScope, can_see
from services.routing.handlers.command import Applied, run_command
from services.routing.handlers.common import SOURCE, case_state
from services.routing.handlers.directory import DirectoryNotLoaded
from shared.events.case_events import CaseStageChanged
from shared.events.envelope import Envelope
from shared.events.house_events import Consent, HouseEvent
from shared.logging import get_logger
from shared.mongo import Document
from shared.optimistic import on_current_state

log = get_logger(__name__)


def current_stage(document: Document) -> tuple[Stage | None, list[Stage]]:
    """The case's stage now (None: it has none) and where it may move next."""
    stage = stage_of(
        category=document["category"],
        status=document["status"],
        stored=(document.get("house_repair") or {}).get("stage"),
    )
    return stage, next_stages(stage) if stage else []


class StageChanged(VersionConflict):
    """The case changed since the version given, or under every attempt (409 with its stage
    now and where it may move)."""

    def __init__(self, case_id: str, current: Document | None) -> None:
        super().__init__(case_id)
        self.stage, self.allowed = current_stage(current) if current else (None, [])


async def change_house_stage(
    *,
    case_id: str,
    stage: Stage,
    note: str | None,
    actor: Actor,
    cases: RoutedCaseRepository,
    correlation_id: str,
    expected_version: int | None = None,
) -> Document:
    """Move a house_repair case to another stage; returns the updated case.

    One write guarded by the version read: the stage, its history entry, an audit entry and
    the `case.stage_changed` event (outbox). Without `expected_version` a change meanwhile
    makes it decide again on the case as it is now."""

    def admit(state: CaseState) -> None:
        if not can_see(state, actor):
            raise OutOfScope(case_id)

    async def decide(document: Document, state: CaseState) -> Applied:
        now = datetime.now(UTC)
        decision = decide_stage(
            state,
            category=document["category"],
            stored=(document.get("house_repair") or {}).get("stage"),
            target=stage,
            note=note,
            actor=actor,
            now=now,
            house_id=document.get("house_id"),
        )
        return _stage_step(
            decision.event, state=state, actor=actor, correlation_id=correlation_id, now=now
        )

    return await run_command(
        case_id,
        cases=cases,
        admit=admit,
        decide=decide,
        expected_version=expected_version,
        stale=lambda current: StageChanged(case_id, current),
    )


def _stage_step(
    event: CaseStageChanged,
    *,
    state: CaseState,
    actor: Actor,
    correlation_id: str,
    now: datetime,
) -> Applied:
    """A case's stage step as one write: the stage, its history, an audit entry, the event."""
    envelope = Envelope.wrap(
        event, source=SOURCE, subject=state.case_id, correlation_id=correlation_id, time=now
    )
    return Applied(
        changes={"house_repair.stage": event.to_stage},
        audit=[
            audit_entry(
                at=now,
                actor_role=actor.role,
                actor_id=actor.username,
                action="change_stage",
                source=state.status,
                target=state.status,
                note=event.note,
                detail={
                    "to_stage": event.to_stage,
                    **({"from_stage": event.from_stage} if event.from_stage else {}),
                },
            )
        ],
        events=[envelope],
        push={
            "house_repair.history": {
                "at": now,
                "actor_id": actor.username,
                "from": event.from_stage,
                "to": event.to_stage,
                "note": event.note,
            }
        },
        at=now,
        log_event="case.stage_changed",
        log_fields={"source": event.from_stage, "target": event.to_stage, "actor": actor.username},
    )


async def house_stage_counts(
    *, houses: HouseRepository, station_id: str | None
) -> dict[Stage, int]:
    """Houses per stage, for one station or (None) the whole city: a house counts once however
    many cases it has, and a case not linked to a house is not a house."""
    return await houses.stage_counts(station_id=station_id)


# --- houses ------------------------------------------------------------------------------


class NoSuchHouse(Exception):
    """No such house in the caller's scope (404)."""

    def __init__(self, house_id: str) -> None:
        super().__init__(f"no such house: {house_id}")
        self.house_id = house_id


def _now() -> datetime:
    # The store keeps milliseconds: answer with what a later read returns.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _wrap(event: HouseEvent, *, correlation_id: str) -> Envelope:
    return Envelope.wrap(
        event, source=SOURCE, subject=event.house_id, correlation_id=correlation_id, time=event.at
    )


async def visible_house(*, house_id: str, actor: Actor, houses: HouseRepository) -> House:
    house = await houses.get(house_id)
    if house is None or not can_see_house(house, actor):
        raise NoSuchHouse(house_id)
    return house


Change = Callable[[House, datetime], tuple[House, HouseEvent | None]]


async def _change_house(
    *,
    house_id: str,
    actor: Actor,
    houses: HouseRepository,
    change: Change,
    correlation_id: str,
    expected_version: int | None,
) -> House:
    """Load in scope, compare the version given, decide, write guarded by the version read;
    without a version, a write meanwhile makes it decide again on the house as it is now."""

    async def attempt() -> House:
        before = await visible_house(house_id=house_id, actor=actor, houses=houses)
        if expected_version is not None and expected_version != before.version:
            raise HouseChanged(house_id, before)
        after, event = change(before, _now())
        if event is None:
            return before
        await houses.save(before, after, event=_wrap(event, correlation_id=correlation_id))
        log.info(event.TYPE, house_id=house_id, station=after.station_id, actor=actor.username)
        return after

    try:
        if expected_version is not None:
            return await attempt()
        return await on_current_state(attempt, lost_race=HouseChanged)
    except HouseChanged as exc:
        raised = HouseChanged(house_id, await houses.get(house_id))
        raised.precondition_failed = expected_version is not None
        raise raised from exc


async def register_station_house(
    *,
    command: RegisterHouse,
    actor: Actor,
    houses: HouseRepository,
    directory: DirectoryRepository,
    correlation_id: str,
) -> House:
    """Take a building into the programme, at `under_governance`, with its event."""
    snapshot = await directory.load()
    if snapshot is None:
        raise DirectoryNotLoaded
    house, event = register_house(
        command, house_id=str(uuid.uuid4()), actor=actor, directory=snapshot, now=_now()
    )
    await houses.add(house, event=_wrap(event, correlation_id=correlation_id))
    log.info("house.registered", house_id=house.house_id, station=house.station_id)
    return house


async def record_household_consent(
    *,
    house_id: str,
    label: str,
    consent: Consent,
    actor: Actor,
    houses: HouseRepository,
    correlation_id: str,
    expected_version: int | None = None,
) -> House:
    return await _change_house(
        house_id=house_id,
        actor=actor,
        houses=houses,
        change=lambda house, now: record_consent(
            house, label=label, consent=consent, actor=actor, now=now
        ),
        correlation_id=correlation_id,
        expected_version=expected_version,
    )


async def move_house_stage(
    *,
    house_id: str,
    stage: Stage,
    note: str | None,
    actor: Actor,
    houses: HouseRepository,
    cases: RoutedCaseRepository,
    correlation_id: str,
    expected_version: int | None = None,
) -> House:
    """Move the house one step, then each linked case follows (its timeline shows the step).

    The house is the record of the stage: a case that cannot follow right now (closed, or
    changing under every attempt) keeps its own last stage and is logged, never undoes it."""
    house = await _change_house(
        house_id=house_id,
        actor=actor,
        houses=houses,
        change=lambda house, now: move_house(house, target=stage, note=note, actor=actor, now=now),
        correlation_id=correlation_id,
        expected_version=expected_version,
    )
    for case_id in house.case_ids:
        await follow(
            case_id=case_id,
            house=house,
            note=note,
            actor=actor,
            cases=cases,
            correlation_id=correlation_id,
        )
    return house


async def link_house_case(
    *,
    house_id: str,
    case_id: str,
    actor: Actor,
    houses: HouseRepository,
    cases: RoutedCaseRepository,
    correlation_id: str,
    expected_version: int | None = None,
) -> House:
    """Link a house_repair case of the station to the house; the case takes the house's stage.

    The case names its house first (refused if it names another), then the house lists it:
    after a crash in between, linking again completes it."""
    document = await cases.get(case_id)
    if document is None or not can_see(case_state(document), actor):
        raise OutOfScope(case_id)
    state = case_state(document)
    category = document["category"]
    linked_to = document.get("house_id")
    # Every check of the domain before the case names the house.
    before = await visible_house(house_id=house_id, actor=actor, houses=houses)
    link_case(before, case=state, category=category, linked_to=linked_to, actor=actor, now=_now())
    if linked_to is None and not await houses.link_case(case_id=case_id, house_id=house_id):
        again = await cases.get(case_id)
        linked_to = again.get("house_id") if again else None
    house = await _change_house(
        house_id=house_id,
        actor=actor,
        houses=houses,
        change=lambda house, now: link_case(
            house, case=state, category=category, linked_to=linked_to, actor=actor, now=now
        ),
        correlation_id=correlation_id,
        expected_version=expected_version,
    )
    await follow(
        case_id=case_id,
        house=house,
        note=None,
        actor=actor,
        cases=cases,
        correlation_id=correlation_id,
    )
    return house


class _NothingToFollow(Exception):
    pass


async def follow(
    *,
    case_id: str,
    house: House,
    note: str | None,
    actor: Actor,
    cases: RoutedCaseRepository,
    correlation_id: str,
) -> bool:
    """The case takes the house's stage (one `case.stage_changed`), if it is being handled and
    not there yet; True when it moved."""

    def admit(state: CaseState) -> None:
        return None

    async def decide(document: Document, state: CaseState) -> Applied:
        now = _now()
        event = follow_house(
            state,
            category=document["category"],
            stored=(document.get("house_repair") or {}).get("stage"),
            target=house.stage,
            note=note,
            actor=actor,
            now=now,
        )
        if event is None:
            raise _NothingToFollow
        return _stage_step(event, state=state, actor=actor, correlation_id=correlation_id, now=now)

    try:
        await run_command(case_id, cases=cases, admit=admit, decide=decide)
    except (_NothingToFollow, OutOfScope):
        return False
    except VersionConflict:
        log.warning("house.case_not_followed", house_id=house.house_id, case_id=case_id)
        return False
    return True
