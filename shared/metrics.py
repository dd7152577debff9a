"""Prometheus metrics of one service instance, in a registry of its own (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        labels = {"service": service}
        self.http_requests = Counter(
            "minyi_http_requests_total",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        ).labels
        self.http_latency = Histogram(
            "minyi_http_request_seconds",
            "HTTP request latency by route.",
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
            "minyi_consumer_lag",
            "Records behind the end of each partition.",
            ["group", "topic", "partition"],
            registry=self.registry,
        ).labels
        self.outbox_pending = Gauge(
            "minyi_outbox_pending_documents",
            "Documents with unpublished events seen by the last relay pass.",
            registry=self.registry,
        )
        self.info = Gauge(
            "minyi_service_info", "Service identity.", list(labels), registry=self.registry
        )
        self.info.labels(**labels).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
