"""docker-compose.yml never publishes the unauthenticated infrastructure beyond the host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
INFRASTRUCTURE = ("kafka", "mongo")


def published(service: dict[str, Any]) -> list[str]:
    return [str(p) for p in service.get("ports", [])]


def test_kafka_and_the_store_are_published_on_loopback_only() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    for name in INFRASTRUCTURE:
        ports = published(services[name])
        assert ports, f"{name} publishes nothing; drop this test's entry if that is meant"
        for port in ports:
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
