"""routing's use cases for dilapidated-house repair cases: change the stage, count per stage."""

from __future__ import annotations

from datetime import UTC, datetime

from services.routing.adapters.case_repository import (
    RoutedCaseRepository,
    VersionConflict,
    audit_entry,
)
from services.routing.domain.house_repair import (
    CATEGORY,
    STAGED_STATUSES,
    Stage,
    count_stages,
    decide_stage,
)
from services.routing.domain.workflow import Actor, OutOfScope, can_see
from services.routing.handlers import SOURCE, case_state
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document
from shared.optimistic import on_current_state

log = get_logger(__name__)


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

    async def attempt() -> Document:
        return await _change_stage_once(
            case_id=case_id,
            stage=stage,
            note=note,
            actor=actor,
            cases=cases,
            correlation_id=correlation_id,
            expected_version=expected_version,
        )

    if expected_version is not None:
        return await attempt()
    return await on_current_state(attempt, lost_race=VersionConflict)


async def _change_stage_once(
    *,
    case_id: str,
    stage: Stage,
    note: str | None,
    actor: Actor,
    cases: RoutedCaseRepository,
    correlation_id: str,
    expected_version: int | None,
) -> Document:
    document = await cases.get(case_id)
    if document is None:
        raise OutOfScope(case_id)
    state = case_state(document)
    if not can_see(state, actor):
        raise OutOfScope(case_id)  # before the version check: 404 must not reveal a 409
    if expected_version is not None and expected_version != state.version:
        raise VersionConflict(case_id)
    now = datetime.now(UTC)
    decision = decide_stage(
        state,
        category=document["category"],
        stored=(document.get("house_repair") or {}).get("stage"),
        target=stage,
        note=note,
        actor=actor,
        now=now,
    )
    envelope = Envelope.wrap(
        decision.event, source=SOURCE, subject=case_id, correlation_id=correlation_id, time=now
    )
    stage_note = f"stage {decision.source} → {decision.target}" + (f": {note}" if note else "")
    await cases.apply(
        case_id=case_id,
        version=state.version,
        changes={"house_repair.stage": decision.target},
        audit=[
            audit_entry(
                at=now,
                actor_role=actor.role,
                actor_id=actor.username,
                action="change_stage",
                source=state.status,
                target=state.status,
                note=stage_note,
            )
        ],
        events=[envelope],
        push={
            "house_repair.history": {
                "at": now,
                "actor_id": actor.username,
                "from": decision.source,
                "to": decision.target,
                "note": note,
            }
        },
        at=now,
    )
    log.info(
        "case.stage_changed",
        case_id=case_id,
        source=decision.source,
        target=decision.target,
        actor=actor.username,
    )
    updated = await cases.get(case_id)
    assert updated is not None
    return updated


async def house_stage_counts(
    *, cases: RoutedCaseRepository, station_id: str | None
) -> dict[Stage, int]:
    """House_repair cases per stage, for one station or (None) the whole city.

    A find with a projection, counted here: a few thousand small documents at most."""
    query: Document = {"category": CATEGORY, "status": {"$in": sorted(STAGED_STATUSES)}}
    if station_id is not None:
        query["station_id"] = station_id
    rows = await cases.collection.find(
        query, {"_id": 0, "category": 1, "status": 1, "house_repair.stage": 1}
    ).to_list()
    return count_stages(
        (row["category"], row["status"], (row.get("house_repair") or {}).get("stage"))
        for row in rows
    )
