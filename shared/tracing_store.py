"""A span per store command while tracing records (shared.tracing), kept apart from it so
that the event models, which carry the trace context, do not import the store's driver."""

from __future__ import annotations

from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from pymongo import monitoring

from shared.tracing import recording, start_span


class StoreCommandSpans(monitoring.CommandListener):
    """One client span per store command, a child of whatever span is current when the driver
    sends it (the request, the relay pass or the consumer batch)."""

    def __init__(self) -> None:
        self._open: dict[tuple[int, object], Span] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        collection = event.command.get(event.command_name)
        name = f"mongo {event.command_name}"
        if isinstance(collection, str):
            name += f" {collection}"
        opened = start_span(
            name,
            kind=SpanKind.CLIENT,
            parent=None,
            attributes={
                "db.system": "mongodb",
                "db.name": event.database_name,
                "db.operation": event.command_name,
            },
        )
        self._open[(event.request_id, event.connection_id)] = opened

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        opened = self._open.pop((event.request_id, event.connection_id), None)
        if opened is not None:
            opened.end()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        opened = self._open.pop((event.request_id, event.connection_id), None)
        if opened is not None:
            opened.set_status(Status(StatusCode.ERROR, str(event.failure.get("errmsg", ""))))
            opened.end()


def store_listeners() -> list[monitoring.CommandListener]:
    """The store client's listeners: none unless tracing records spans."""
    return [StoreCommandSpans()] if recording() else []
