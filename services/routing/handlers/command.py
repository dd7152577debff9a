"""One sequence for every command a person gives on a case: load it, check the caller's scope,
check the version they saw (If-Match), decide, write once guarded by the version read, reload.

Without a version the command applies to the case as it is now: a write landing between the
read and the guarded write (a resident's answer, a rating) makes it read and decide again, up
to `shared.optimistic.ATTEMPTS` times. Each use case supplies only its checks and its decision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.routing.adapters.case_repository import (
    UNCHANGED,
    RoutedCaseRepository,
    Unchanged,
    VersionConflict,
)
from services.routing.domain.workflow import CaseState, OutOfScope
from services.routing.handlers.common import case_state
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document
from shared.optimistic import on_current_state

log = get_logger(__name__)


@dataclass(frozen=True)
class Applied:
    """What a command does to the case: one write, and what to log once it is done."""

    changes: Document
    audit: list[Document]
    events: list[Envelope]
    at: datetime
    push: Document | None = None
    watch: datetime | Unchanged | None = UNCHANGED
    loads: Mapping[str, int] = field(default_factory=dict)  # open-load counters to move
    log_event: str | None = None
    log_fields: Mapping[str, Any] = field(default_factory=dict)


Admit = Callable[[CaseState], None]
Decide = Callable[[Document, CaseState], Awaitable[Applied]]
Stale = Callable[[Document | None], VersionConflict]


async def run_command(
    case_id: str,
    *,
    cases: RoutedCaseRepository,
    admit: Admit,
    decide: Decide,
    expected_version: int | None = None,
    stale: Stale | None = None,
) -> Document:
    """Run one command on a case; returns the case as updated.

    `admit` raises OutOfScope (404) or NotPermitted (403) before the version is compared, so a
    404 never reveals a 409. A version conflict that stands is raised as `stale` makes it from
    the case as it is now (with what the caller may do instead), or as VersionConflict.
    """

    async def attempt() -> None:
        document = await cases.get(case_id)
        if document is None:
            raise OutOfScope(case_id)
        state = case_state(document)
        admit(state)
        if expected_version is not None and expected_version != state.version:
            raise VersionConflict(case_id)
        applied = await decide(document, state)
        await cases.apply(
            case_id=case_id,
            version=state.version,
            changes=applied.changes,
            audit=applied.audit,
            events=applied.events,
            push=applied.push,
            at=applied.at,
            watch=applied.watch,
        )
        await cases.loads.shift(applied.loads)
        if applied.log_event is not None:
            log.info(applied.log_event, case_id=case_id, **applied.log_fields)

    try:
        if expected_version is not None:
            await attempt()
        else:
            await on_current_state(attempt, lost_race=VersionConflict)
    except VersionConflict as exc:
        raised = exc if stale is None else stale(await cases.get(case_id))
        # The caller named the version it saw: a change is its precondition failing (412).
        raised.precondition_failed = expected_version is not None
        if raised is exc:
            raise
        raise raised from exc
    updated = await cases.get(case_id)
    assert updated is not None
    return updated
