"""The conversation with the resident: the station asks, the resident answers from the tracking
page (intake publishes the answer as `case.message_sent` towards the station)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from services.routing.adapters.case_documents import audit_entry
from services.routing.adapters.case_repository import ExternalChange, RoutedCaseRepository
from services.routing.domain.workflow import Actor, CaseState, NotPermitted, OutOfScope, can_see
from services.routing.handlers.command import Applied, run_command
from services.routing.handlers.common import SOURCE, InvalidCommand
from shared.dispatch import Event
from shared.events.case_events import CLOSED_STATUSES, CaseMessageSent
from shared.events.envelope import Envelope
from shared.mongo import Document


async def send_message(
    *,
    case_id: str,
    text: str,
    actor: Actor,
    cases: RoutedCaseRepository,
    correlation_id: str,
) -> Document:
    """The station (or the holding representative) asks the resident something."""

    def admit(state: CaseState) -> None:
        if not can_see(state, actor):
            raise OutOfScope(case_id)
        if actor.role not in ("staff", "station_head", "representative"):
            raise NotPermitted(f"a {actor.role} may not write to the resident")

    async def decide(document: Document, state: CaseState) -> Applied:
        if state.status in CLOSED_STATUSES:
            raise InvalidCommand(f"the case is {state.status}; the conversation is over")
        now = datetime.now(UTC)
        message_id = "m" + uuid.uuid4().hex
        event = Envelope.wrap(
            CaseMessageSent(
                case_id=case_id,
                station_id=state.station_id,
                actor_role="representative" if actor.role == "representative" else "staff",
                actor_id=actor.username,
                at=now,
                message_id=message_id,
                direction="to_resident",
                text=text,
            ),
            source=SOURCE,
            subject=case_id,
            correlation_id=correlation_id,
        )
        return Applied(
            changes={
                f"messages.{message_id}": {
                    "from": "station",
                    "by": actor.username,
                    "text": text,
                    "at": now,
                }
            },
            audit=[
                audit_entry(
                    at=now,
                    actor_role=actor.role,
                    actor_id=actor.username,
                    action="ask_resident",
                    source=state.status,
                    target=state.status,
                    note=text,
                )
            ],
            events=[event],
            at=now,
        )

    return await run_command(case_id, cases=cases, admit=admit, decide=decide)


async def on_resident_messages(
    events: Sequence[Event[CaseMessageSent]], *, cases: RoutedCaseRepository
) -> None:
    """The resident's answers, each applied once by event id: one write for the batch.
    routing's own questions come back too; they were stored when they were asked."""
    await cases.apply_external_many(
        [_answer(event.id, event.data) for event in events if event.data.direction == "to_station"]
    )


def _answer(event_id: str, message: CaseMessageSent) -> ExternalChange:
    return ExternalChange(
        case_id=message.case_id,
        event_id=event_id,
        changes={
            f"messages.{message.message_id}": {
                "from": "resident",
                "by": None,
                "text": message.text,
                "at": message.at,
            }
        },
        audit=audit_entry(
            at=message.at,
            actor_role="resident",
            actor_id=None,
            action="answer",
            source=None,
            target="answered",
            note=message.text,
        ),
    )
