"""Prometheus metrics of one service instance, in a registry of its own (no global state).

Names follow Prometheus conventions: the unit in the name (`_seconds`, `_records`, `_bytes`),
`_total` on counters, base units only."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector


def minyi_version() -> str:
    """The installed `minyi` distribution's version: what this process is running."""
    try:
        return version("minyi")
    except PackageNotFoundError:
        # Run from a source tree that was never installed: say so rather than guess.
        return "unknown"


class Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        # The default registry's collectors are process-wide singletons; each service's own
        # registry gets its own instances, so /metrics shows CPU, memory, open files and GC.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.http_requests = Counter(
            "minyi_http_requests_total",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        ).labels
        self.http_latency = Histogram(
            "minyi_http_request_duration_seconds",
            "HTTP request duration by route.",
            ["method", "route"],
            registry=self.registry,
        ).labels
        self.events_produced = Counter(
            "minyi_events_produced_total", "Events published.", ["topic"], registry=self.registry
        ).labels
        self.events_consumed = Counter(
            "minyi_events_consumed_total",
            "Events handled by consumers.",
            ["group", "type"],
            registry=self.registry,
        ).labels
        self.events_dead_lettered = Counter(
            "minyi_events_dead_lettered_total",
            "Records sent to a dead-letter topic.",
            ["group"],
            registry=self.registry,
        ).labels
        self.consumer_lag = Gauge(
            "minyi_consumer_lag_records",
            "Records behind the end of each partition.",
            ["group", "topic", "partition"],
            registry=self.registry,
        ).labels
        self.consumer_stalled = Gauge(
            "minyi_consumer_stalled",
            "1 while a consumer group has lag and has made no progress for longer than "
            "MINYI_CONSUMER_STALL_SECONDS (readiness fails meanwhile).",
            ["group"],
            registry=self.registry,
        ).labels
        self.outbox_pending = Gauge(
            "minyi_outbox_pending_documents",
            "Documents with unpublished events seen by the last relay pass.",
            registry=self.registry,
        )
        self.outbox_oldest_age = Gauge(
            "minyi_outbox_oldest_event_age_seconds",
            "Age of the oldest event waiting in an outbox (0 when none is).",
            registry=self.registry,
        )
        self.push_deliveries = Counter(
            "minyi_push_deliveries_total",
            "Push attempts (email, SMS, IM) by channel and outcome: sent, retry or failed.",
            ["channel", "outcome"],
            registry=self.registry,
        ).labels
        self.info = Gauge(
            "minyi_service_info",
            "Service identity and the version of the running code; always 1.",
            ["service", "version"],
            registry=self.registry,
        )
        self.info.labels(service=service, version=minyi_version()).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
