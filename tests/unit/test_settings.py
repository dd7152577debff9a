"""Service settings: names derived from the namespace, and start-up validation."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import Field, ValidationError

from shared.settings import ServiceSettings


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"
    port: int = Field(default=8009, ge=1, le=65535)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MINYI_* variable of the machine running the tests leaks into them."""
    for name in list(os.environ):
        if name.upper().startswith("MINYI_"):
            monkeypatch.delenv(name)


def settings(**values: Any) -> ProbeSettings:
    return ProbeSettings.model_validate(values)


def test_defaults_come_from_the_subclass() -> None:
    made = settings()

    assert made.service_name == "probe"
    assert made.port == 8009
    assert made.namespace == ""


def test_without_a_namespace_names_are_the_bare_names() -> None:
    made = settings()

    assert made.topic("case-events") == "case-events"
    assert made.group("routing") == "probe.routing"
    assert made.database_name == "minyi_probe"


def test_a_namespace_prefixes_topics_groups_and_databases() -> None:
    made = settings(namespace="t42")

    assert made.topic("case-events") == "t42.case-events"
    assert made.group("routing") == "t42.probe.routing"
    assert made.database_name == "t42_minyi_probe"


def test_namespace_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINYI_NAMESPACE", "ci_7")

    made = ProbeSettings()

    assert made.namespace == "ci_7"
    assert made.database_name == "ci_7_minyi_probe"


@pytest.mark.parametrize("namespace", ["Upper", "with-dash", "dot.ted", "x" * 25, "空"])
def test_invalid_namespace_is_rejected(namespace: str) -> None:
    with pytest.raises(ValidationError, match="namespace"):
        settings(namespace=namespace)


def test_namespace_of_24_characters_is_accepted() -> None:
    assert settings(namespace="a" * 24).namespace == "a" * 24


def test_the_citys_time_zone_is_shanghai_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings().zone.key == "Asia/Shanghai"
    monkeypatch.setenv("MINYI_TIMEZONE", "Asia/Urumqi")
    assert ProbeSettings().zone.key == "Asia/Urumqi"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Beijing", "../etc/passwd", ""])
def test_an_unknown_time_zone_is_refused_at_start(zone: str) -> None:
    with pytest.raises(ValidationError, match="timezone") as refused:
        settings(timezone=zone)
    assert "unknown time zone" in str(refused.value)


@pytest.mark.parametrize("bootstrap", ["kafka", "kafka:9092,other", ""])
def test_bootstrap_server_without_port_is_rejected(bootstrap: str) -> None:
    with pytest.raises(ValidationError, match="needs host:port"):
        settings(kafka_bootstrap=bootstrap)


def test_several_bootstrap_servers_with_ports_are_accepted() -> None:
    made = settings(kafka_bootstrap="k1:9092,k2:9093")

    assert made.kafka_bootstrap == "k1:9092,k2:9093"


@pytest.mark.parametrize(
    ("field", "value"),
    [("port", 0), ("port", 65536), ("log_format", "xml"), ("consumer_handler_attempts", 0)],
)
def test_out_of_range_settings_are_rejected(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        settings(**{field: value})


def test_settings_are_frozen() -> None:
    made = settings()

    with pytest.raises(ValidationError, match="frozen"):
        made.namespace = "other"  # type: ignore[misc]
