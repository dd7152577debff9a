"""routing's use cases for formal suggestions (代表建议): submit, answer, evaluate."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol, TypeVar

from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.suggestion_repository import SuggestionRepository
from services.routing.domain.suggestions import (
    AnswerSuggestion,
    EvaluateSuggestion,
    SubmitSuggestion,
    Suggestion,
    SuggestionOutOfScope,
    answer_deadline,
    answer_suggestion,
    answered_events,
    can_see,
    evaluate_suggestion,
    evaluated_events,
    linked_events,
    submit_suggestion,
    suggestion_number,
    unique,
)
from services.routing.domain.workflow import Actor, NotPermitted
from services.routing.handlers.common import SOURCE
from services.routing.handlers.directory import DirectoryNotLoaded
from shared.events.case_events import CaseAction
from shared.events.envelope import Envelope
from shared.logging import get_logger

log = get_logger(__name__)


def _millis(now: datetime) -> datetime:
    # The store keeps milliseconds: answer with what a later read returns.
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _envelopes(events: Sequence[CaseAction], *, correlation_id: str) -> list[Envelope]:
    return [
        Envelope.wrap(event, source=SOURCE, subject=event.case_id, correlation_id=correlation_id)
        for event in events
    ]


async def submit(
    *,
    command: SubmitSuggestion,
    actor: Actor,
    suggestions: SuggestionRepository,
    directory: DirectoryRepository,
    answer_days: int,
    correlation_id: str,
    today: date,
    now: datetime,
) -> Suggestion:
    """Store the suggestion with a `case.suggestion_linked` event per linked case."""
    now = _millis(now)
    if actor.role != "representative":
        raise NotPermitted("only representatives submit formal suggestions")
    snapshot = await directory.load()
    if snapshot is None:
        raise DirectoryNotLoaded
    cases = await suggestions.linked_cases(unique(command.case_ids))
    due = answer_deadline(submitted_on=today, days=answer_days, explicit=command.answer_due)

    def build(number: str) -> Suggestion:
        return submit_suggestion(
            command,
            suggestion_id=str(uuid.uuid4()),
            actor=actor,
            directory=snapshot,
            cases=cases,
            number=number,
            year=today.year,
            answer_due=due,
            now=now,
        )

    # Checked before a number is taken, so that a refused suggestion leaves no gap.
    build(suggestion_number(year=today.year, sequence=0))
    sequence = await suggestions.next_number(today.year)
    suggestion = build(suggestion_number(year=today.year, sequence=sequence))
    stations = {c: cases[c].station_id for c in suggestion.case_ids}
    events = linked_events(suggestion, stations=stations, actor=actor)
    await suggestions.add(suggestion, events=_envelopes(events, correlation_id=correlation_id))
    log.info(
        "suggestion.submitted",
        suggestion_id=suggestion.suggestion_id,
        number=suggestion.number,
        representative=suggestion.lead_representative,
        department=suggestion.department_id,
        cases=len(suggestion.case_ids),
    )
    return suggestion


async def _visible(
    suggestions: SuggestionRepository, suggestion_id: str, actor: Actor
) -> Suggestion:
    found = await suggestions.get(suggestion_id)
    if found is None or not can_see(found, actor):
        raise SuggestionOutOfScope(suggestion_id)
    return found


async def _stations(suggestions: SuggestionRepository, suggestion: Suggestion) -> dict[str, str]:
    # A case erased from routing's store keeps the suggestion's station: the key still orders.
    cases = await suggestions.linked_cases(suggestion.case_ids)
    return {
        c: cases[c].station_id if c in cases else suggestion.station_id for c in suggestion.case_ids
    }


C_contra = TypeVar("C_contra", contravariant=True)


class SuggestionStep(Protocol[C_contra]):
    """A step on a stored suggestion (`answer`, `evaluate`), as the entry points call it."""

    def __call__(
        self,
        *,
        suggestion_id: str,
        command: C_contra,
        actor: Actor,
        suggestions: SuggestionRepository,
        correlation_id: str,
        now: datetime,
    ) -> Awaitable[Suggestion]: ...


class _EventsOf(Protocol):
    def __call__(
        self, suggestion: Suggestion, *, stations: Mapping[str, str], actor: Actor
    ) -> Sequence[CaseAction]: ...


async def _replace(
    *,
    suggestion_id: str,
    actor: Actor,
    suggestions: SuggestionRepository,
    correlation_id: str,
    step: Callable[[Suggestion], Suggestion],
    events_of: _EventsOf,
) -> Suggestion:
    """The suggestion the actor sees, taken one `step` on and stored with its events (one per
    linked case); the store refuses it if another step came first."""
    current = await _visible(suggestions, suggestion_id, actor)
    changed = step(current)
    events = events_of(changed, stations=await _stations(suggestions, changed), actor=actor)
    await suggestions.replace(
        changed, was=current.status, events=_envelopes(events, correlation_id=correlation_id)
    )
    return changed


async def answer(
    *,
    suggestion_id: str,
    command: AnswerSuggestion,
    actor: Actor,
    suggestions: SuggestionRepository,
    correlation_id: str,
    now: datetime,
) -> Suggestion:
    """The department's answer, with a `case.suggestion_answered` event per linked case."""
    answered = await _replace(
        suggestion_id=suggestion_id,
        actor=actor,
        suggestions=suggestions,
        correlation_id=correlation_id,
        step=lambda current: answer_suggestion(current, command, actor=actor, now=_millis(now)),
        events_of=answered_events,
    )
    log.info(
        "suggestion.answered",
        suggestion_id=suggestion_id,
        department=answered.department_id,
        by=actor.username,
        round=len(answered.answers),
    )
    return answered


async def evaluate(
    *,
    suggestion_id: str,
    command: EvaluateSuggestion,
    actor: Actor,
    suggestions: SuggestionRepository,
    correlation_id: str,
    now: datetime,
) -> Suggestion:
    """The lead representative's evaluation, with a `case.suggestion_evaluated` per case."""
    evaluated = await _replace(
        suggestion_id=suggestion_id,
        actor=actor,
        suggestions=suggestions,
        correlation_id=correlation_id,
        step=lambda current: evaluate_suggestion(current, command, actor=actor, now=_millis(now)),
        events_of=evaluated_events,
    )
    log.info(
        "suggestion.evaluated",
        suggestion_id=suggestion_id,
        rating=command.rating,
        status=evaluated.status,
    )
    return evaluated
