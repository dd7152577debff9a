"""Typed event dispatch: each envelope's payload is decoded once, here, and every handler gets
the events of its types as pydantic models, in partition order.

A consumer's `EventRoutes` say which handler takes which event types. A polled batch is cut into
runs of events that go to the same handler, and each run is handed over whole, so a handler can
still read and write in bulk (one `insert_many` for a run of new cases) while each subject's
events keep their order across handlers (the subject is the Kafka key, the only order Kafka
gives). Types no handler takes are skipped; a payload that
does not fit its model is the consumer's to dead-letter, alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import structlog

from shared.events.envelope import Envelope, EventData

T = TypeVar("T", bound=EventData)
T_co = TypeVar("T_co", bound=EventData, covariant=True)


@dataclass(frozen=True)
class Event(Generic[T_co]):
    """One consumed event: its typed payload and the envelope's attributes handlers use."""

    data: T_co
    id: str
    subject: str
    source: str
    time: datetime
    correlation_id: str

    @property
    def type(self) -> str:
        return self.data.TYPE

    @classmethod
    def of(cls, envelope: Envelope, data: T) -> Event[T]:
        return Event(
            data=data,
            id=envelope.id,
            subject=envelope.subject,
            source=envelope.source,
            time=envelope.time,
            correlation_id=envelope.correlationid,
        )

    def log_context(self) -> AbstractContextManager[Any]:
        """Binds the event's correlation id and id to every log line inside."""
        return structlog.contextvars.bound_contextvars(
            correlation_id=self.correlation_id, event_id=self.id
        )


Handler = Callable[[Sequence[Event[Any]]], Awaitable[None]]


class EventRoutes:
    """Which handler takes which event types, for one consumer group."""

    def __init__(self) -> None:
        self._models: dict[str, type[EventData]] = {}
        self._handlers: dict[str, Handler] = {}

    def on(self, model: type[T], handler: Callable[[Sequence[Event[T]]], Awaitable[None]]) -> None:
        """`handler` takes runs of `model` events."""
        self._add(model, handler)

    def on_each_of(
        self,
        models: Sequence[type[EventData]],
        handler: Callable[[Sequence[Event[EventData]]], Awaitable[None]],
    ) -> None:
        """`handler` takes runs mixing these types, in order (e.g. one case's timeline)."""
        for model in models:
            self._add(model, handler)

    def _add(self, model: type[EventData], handler: Handler) -> None:
        if model.TYPE in self._models:
            raise ValueError(f"{model.TYPE} already has a handler")
        self._models[model.TYPE] = model
        self._handlers[model.TYPE] = handler

    @property
    def types(self) -> frozenset[str]:
        return frozenset(self._models)

    def decode(self, envelope: Envelope) -> Event[EventData] | None:
        """The typed event, or None when no handler takes its type.

        Raises EventDecodeError when the payload does not fit its model."""
        model = self._models.get(envelope.type)
        if model is None:
            return None
        return Event.of(envelope, envelope.payload(model))

    async def dispatch(self, events: Sequence[Event[EventData]]) -> None:
        for handler, run in self._runs(events):
            await handler(run)

    def _runs(
        self, events: Sequence[Event[EventData]]
    ) -> Iterator[tuple[Handler, list[Event[EventData]]]]:
        """The handler of the first waiting event takes, in order, every waiting event of its
        types whose subject has no earlier event still waiting for another handler; then again.
        Kafka orders events by key (the subject) only, so each subject's events keep their
        order while different subjects' may be handed over in any. A batch of imported
        histories (`submitted, rated, submitted, rated, …`) is then two runs, not one per event.
        """
        waiting = list(events)
        while waiting:
            handler = self._handlers[waiting[0].type]
            run: list[Event[EventData]] = []
            rest: list[Event[EventData]] = []
            blocked: set[str] = set()
            for event in waiting:
                if event.subject not in blocked and self._handlers[event.type] is handler:
                    run.append(event)
                else:
                    blocked.add(event.subject)
                    rest.append(event)
            yield handler, run
            waiting = rest
