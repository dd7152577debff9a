"""OpenTelemetry tracing: off unless configured, one trace from a request to every consumer.

The trace context travels with each event as the CloudEvents distributed-tracing extension
(`traceparent` on the envelope, which the outbox stores with the entity, and the same W3C header
on the Kafka record). Spans: the HTTP request, the outbox relay's publish of each event, each
consumer's handling, and every store command.

Tracing is on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
set; the exporter then reads the standard `OTEL_*` variables. Without it the API's no-op tracer
costs next to nothing and no store listener is installed. A test records into an in-memory
exporter by installing its own provider (`use_provider`) before the services start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from shared.events.envelope import Envelope

Headers = list[tuple[str, bytes]]

TRACEPARENT = "traceparent"

_propagator = TraceContextTextMapPropagator()


class _Tracing:
    """The provider this process records with, if any. Kept here rather than only as
    OpenTelemetry's global provider, which can be set once per process: a test installs an
    in-memory one for its services and removes it afterwards."""

    provider: TracerProvider | None = None
    tracer: trace.Tracer = trace.NoOpTracer()


def use_provider(provider: TracerProvider | None) -> None:
    _Tracing.provider = provider
    _Tracing.tracer = provider.get_tracer("minyi") if provider else trace.NoOpTracer()


def exporter_configured(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def configure_tracing(service_name: str, version: str) -> bool:
    """Installs the OTLP exporter when configured; True when spans are recorded."""
    if _Tracing.provider is not None:
        return True
    if not exporter_configured():
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": f"minyi-{service_name}", "service.version": version}
        )
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)  # for libraries that trace through the global API
    use_provider(provider)
    return True


def recording() -> bool:
    return _Tracing.provider is not None


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, None when nothing is being traced."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT)


def context_of(traceparent: str | None) -> Context | None:
    if not traceparent:
        return None
    return _propagator.extract({TRACEPARENT: traceparent})


def context_from_headers(headers: Mapping[str, str]) -> Context:
    return _propagator.extract(headers)


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: Context | None = None,
    links: list[Link] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Span]:
    """A span made current for the block; an exception marks it as an error."""
    with _Tracing.tracer.start_as_current_span(
        name, context=parent, kind=kind, links=links, attributes=dict(attributes or {})
    ) as current:
        yield current


def link_to(traceparent: str | None) -> Link | None:
    found = context_of(traceparent)
    if found is None:
        return None
    span_context = trace.get_current_span(found).get_span_context()
    return Link(span_context) if span_context.is_valid else None


def start_span(
    name: str,
    *,
    kind: SpanKind,
    parent: Context | None,
    attributes: Mapping[str, Any] | None = None,
) -> Span:
    """A span the caller ends; a child of `parent`, else of the current span."""
    return _Tracing.tracer.start_span(
        name, context=parent, kind=kind, attributes=dict(attributes or {})
    )


def attach(span_: Span) -> object:
    return otel_context.attach(trace.set_span_in_context(span_))


def detach(token: object) -> None:
    otel_context.detach(token)  # type: ignore[arg-type]


def inject_headers(carrier: MutableMapping[str, str]) -> None:
    _propagator.inject(carrier)


def _parent_of(envelope_traceparent: str | None, headers: Headers) -> Context | None:
    # The record's header names the producer's span; the envelope, the span that made the event
    # (a consumer reading an event republished without headers still joins its trace).
    for name, value in headers:
        if name == TRACEPARENT:
            return context_of(value.decode("latin-1"))
    return context_of(envelope_traceparent)


@contextmanager
def consumer_spans(group: str, events: Sequence[tuple[Envelope, Headers]]) -> Iterator[None]:
    """One consumer span per event of a batch, each in its own trace (the request that made the
    event); the handlers run as the first one's child, since a batch's store writes are shared."""
    if not recording() or not events:
        yield
        return
    opened = [
        _Tracing.tracer.start_span(
            f"process {envelope.type}",
            context=_parent_of(envelope.traceparent, headers),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.consumer.group.name": group,
                "messaging.batch.message_count": len(events),
                "cloudevents.event_id": envelope.id,
                "cloudevents.event_type": envelope.type,
            },
        )
        for envelope, headers in events
    ]
    token = attach(opened[0])
    try:
        yield
    except BaseException as exc:
        for span_ in opened:
            span_.record_exception(exc)
            span_.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        detach(token)
        for span_ in opened:
            span_.end()


def producer_spans(topics_and_envelopes: Sequence[tuple[str, Envelope]]) -> list[Span | None]:
    """A producer span per event, a child of the span that made it; the caller sends each
    record with its span's `traceparent` header and ends it once the broker acknowledges."""
    if not recording():
        return [None] * len(topics_and_envelopes)
    return [
        _Tracing.tracer.start_span(
            f"publish {envelope.type}",
            context=context_of(envelope.traceparent),
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": topic,
                "cloudevents.event_id": envelope.id,
                "cloudevents.event_type": envelope.type,
            },
        )
        for topic, envelope in topics_and_envelopes
    ]


def traceparent_header(span_: Span | None, envelope: Envelope) -> list[tuple[str, bytes]]:
    """The record's W3C header: the producer span's context, else the envelope's own."""
    carrier: dict[str, str] = {}
    if span_ is not None:
        _propagator.inject(carrier, context=trace.set_span_in_context(span_))
    value = carrier.get(TRACEPARENT) or envelope.traceparent
    return [(TRACEPARENT, value.encode("latin-1"))] if value else []
