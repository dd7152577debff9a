"""Dilapidated-house repair cases: change the stage, count the cases per stage."""

from __future__ import annotations

from datetime import UTC, datetime

from services.routing.adapters.case_documents import audit_entry
from services.routing.adapters.case_repository import RoutedCaseRepository, VersionConflict
from services.routing.domain.house_repair import (
    Stage,
    count_stages,
    decide_stage,
    next_stages,
    stage_of,
)
from services.routing.domain.workflow import Actor, CaseState, OutOfScope, can_see
from services.routing.handlers.command import Applied, run_command
from services.routing.handlers.common import SOURCE
from shared.events.envelope import Envelope
from shared.mongo import Document


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
        )
        envelope = Envelope.wrap(
            decision.event, source=SOURCE, subject=case_id, correlation_id=correlation_id, time=now
        )
        stage_note = f"stage {decision.source} → {decision.target}" + (f": {note}" if note else "")
        return Applied(
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
            log_event="case.stage_changed",
            log_fields={
                "source": decision.source,
                "target": decision.target,
                "actor": actor.username,
            },
        )

    return await run_command(
        case_id,
        cases=cases,
        admit=admit,
        decide=decide,
        expected_version=expected_version,
        stale=lambda current: StageChanged(case_id, current),
    )


async def house_stage_counts(
    *, cases: RoutedCaseRepository, station_id: str | None
) -> dict[Stage, int]:
    """House_repair cases per stage, for one station or (None) the whole city."""
    return count_stages(await cases.house_repair_rows(station_id=station_id))
