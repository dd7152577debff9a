"""Follow-up calls (回访): station staff record a resident's rating given by phone or in
person (docs/lifecycle.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.routing.adapters.case_documents import audit_entry
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.domain.follow_up import (
    FollowUp,
    decide_follow_up,
    latest_response_at,
    may_follow_up,
    since,
)
from services.routing.domain.workflow import Actor, CaseState, OutOfScope, can_see
from services.routing.handlers.command import Applied, run_command
from services.routing.handlers.common import SOURCE, case_state
from shared.events.envelope import Envelope
from shared.mongo import Document


def _since_response(document: Document) -> tuple[bool, bool]:
    """(rated by the resident, followed up) since the latest response."""
    audit = document.get("audit") or []
    responded = latest_response_at(audit)
    return since(audit, "rate", responded), since(audit, "follow_up", responded)


def can_follow_up(document: Document, actor: Actor) -> bool:
    """Whether the case page offers this actor the follow-up form."""
    rated, followed = _since_response(document)
    return may_follow_up(
        case_state(document),
        actor=actor,
        rated_since_response=rated,
        followed_up_since_response=followed,
    )


async def record_follow_up(
    *,
    case_id: str,
    command: FollowUp,
    actor: Actor,
    cases: RoutedCaseRepository,
    correlation_id: str,
    expected_version: int | None = None,
) -> Document:
    """One write guarded by the version read: the follow-up record, an audit entry and
    `case.followed_up`. The status and the resident's `rating` stay as they are."""

    def admit(state: CaseState) -> None:
        if not can_see(state, actor):
            raise OutOfScope(case_id)

    async def decide(document: Document, state: CaseState) -> Applied:
        now = datetime.now(UTC)
        rated, followed = _since_response(document)
        event = decide_follow_up(
            state,
            command,
            actor=actor,
            rated_since_response=rated,
            followed_up_since_response=followed,
            now=now,
        )
        return Applied(
            changes={},
            audit=[
                audit_entry(
                    at=now,
                    actor_role=actor.role,
                    actor_id=actor.username,
                    action="follow_up",
                    source=state.status,
                    target=state.status,
                    note=event.comment or None,
                    detail={"rating": command.rating, "channel": command.channel},
                )
            ],
            events=[
                Envelope.wrap(
                    event, source=SOURCE, subject=case_id, correlation_id=correlation_id, time=now
                )
            ],
            push={
                "follow_ups": {
                    "at": now,
                    "by": actor.username,
                    "rating": command.rating,
                    "comment": event.comment,
                    "channel": command.channel,
                }
            },
            at=now,
            log_event="case.followed_up",
            log_fields={"actor": actor.username, "channel": command.channel},
        )

    return await run_command(
        case_id, cases=cases, admit=admit, decide=decide, expected_version=expected_version
    )
