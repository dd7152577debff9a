"""Tracing (shared.tracing): one trace from a resident's submission to reporting's update.

intake, routing and reporting run in-process on the real broker and store, recording into the
OpenTelemetry SDK's in-memory exporter; the trace context crosses Kafka inside the events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.reporting.app import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from services.routing.adapters.directory_repository import DEMO_DIRECTORY
from services.routing.app import create_app as routing_app
from services.routing.entrypoints.cli import seed
from services.routing.settings import RoutingSettings
from shared import tracing
from shared.tracing_store import store_listeners
from tests.conftest import PlumbingSettings
from tests.integration.in_process import serving


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    try:
        yield exporter
    finally:
        tracing.use_provider(None)


def common(settings: PlumbingSettings) -> dict[str, Any]:
    return {
        "kafka_bootstrap": settings.kafka_bootstrap,
        "mongo_url": settings.mongo_url,
        "namespace": settings.namespace,
        "outbox_poll_seconds": 0.1,
    }


def of_trace(exporter: InMemorySpanExporter, trace_id: int) -> list[ReadableSpan]:
    return [
        s for s in exporter.get_finished_spans() if s.context and s.context.trace_id == trace_id
    ]


def consumed_by(
    found: list[ReadableSpan], group_suffix: str, event_type: str
) -> ReadableSpan | None:
    for span in found:
        attributes = span.attributes or {}
        group = str(attributes.get("messaging.consumer.group.name", ""))
        if (
            span.kind == SpanKind.CONSUMER
            and group.endswith(group_suffix)
            and attributes.get("cloudevents.event_type") == event_type
        ):
            return span
    return None


async def test_one_trace_runs_from_a_submission_through_routing_to_reportings_update(
    settings: PlumbingSettings, spans: InMemorySpanExporter
) -> None:
    routing_settings = RoutingSettings(**common(settings))
    await seed(DEMO_DIRECTORY, routing_settings)
    async with (
        serving(routing_app(routing_settings), "routing"),
        serving(reporting_app(ReportingSettings(**common(settings))), "reporting"),
        serving(
            intake_app(IntakeSettings(**common(settings), rate_limit_burst=1000)), "intake"
        ) as intake,
    ):
        for _ in range(100):  # intake's copy of the directory arrives through Kafka
            submitted = await intake.post(
                "/v1/cases",
                json={
                    "category": "parking",
                    "liaison_point_id": "baiyun",
                    "text": "小区门口停车难，晚上没有车位",
                },
            )
            if submitted.status_code == 202:
                break
            await asyncio.sleep(0.1)
        assert submitted.status_code == 202, submitted.text
        request = next(
            s
            for s in spans.get_finished_spans()
            if s.kind == SpanKind.SERVER and s.name == "POST /v1/cases"
        )
        assert request.context is not None
        trace_id = request.context.trace_id

        updated: ReadableSpan | None = None
        for _ in range(200):
            found = of_trace(spans, trace_id)
            updated = consumed_by(found, "reporting.cases", "case.assigned")
            if updated is not None:
                break
            await asyncio.sleep(0.1)
        assert updated is not None, sorted({s.name for s in of_trace(spans, trace_id)})

    found = of_trace(spans, trace_id)
    by_id = {s.context.span_id: s for s in found if s.context}
    names = {s.name for s in found}
    # The request wrote the case (with its outbox) in intake's store ...
    assert any(
        s.name.startswith("mongo insert")
        and str((s.attributes or {}).get("db.name", "")).endswith("minyi_intake")
        for s in found
    ), names
    # ... the relay published case.submitted, routing handled it and published case.assigned ...
    assert "publish case.submitted" in names and "publish case.assigned" in names, names
    assert consumed_by(found, "routing.cases", "case.submitted") is not None, names
    # ... and reporting's handling of case.assigned wrote to reporting's store, in this trace.
    assert any(
        s.kind == SpanKind.CLIENT
        and str((s.attributes or {}).get("db.name", "")).endswith("minyi_reporting")
        and s.parent is not None
        and s.parent.span_id == updated.context.span_id
        for s in found
    ), names
    # Every span but the request's has its parent in the same trace: one tree, no orphans.
    roots = [s for s in found if s.parent is None or s.parent.span_id not in by_id]
    assert [s.name for s in roots] == ["POST /v1/cases"]


def test_nothing_is_recorded_and_no_trace_context_travels_when_tracing_is_off() -> None:
    assert not tracing.recording()
    with tracing.span("ignored"):
        assert tracing.current_traceparent() is None
    assert store_listeners() == []
