"""Log lines: one JSON object per line, UTF-8 unescaped, library lines in the same shape, and
one access line per request naming the route template, never the concrete path."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog

from shared.http import create_service_app, no_lifespan
from shared.logging import configure_logging, get_logger
from shared.metrics import Metrics


class Logs:
    """configure_logging writing to a buffer; structlog and the root logger restored after."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self.out = io.StringIO()

    def configure(self) -> None:
        # Patched here, in the test's own phase: pytest's capture re-installs its stdout
        # between a fixture's setup and the test.
        self._monkeypatch.setattr("sys.stdout", self.out)
        configure_logging(service="intake", level="INFO", fmt="json")
        # No logger may keep the buffer after the test (module-level loggers are shared).
        structlog.configure(cache_logger_on_first_use=False)

    def library(self, name: str) -> logging.Logger:
        """A library's stdlib logger, enabled: import-linter's CLI (test_architecture, in the
        same process) runs `dictConfig`, which disables every logger that existed then."""
        logger = logging.getLogger(name)
        self._monkeypatch.setattr(logger, "disabled", False)
        return logger

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.getvalue().splitlines() if line.strip()]


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Logs]:
    saved = structlog.get_config()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    uvicorn_error = logging.getLogger("uvicorn.error")
    saved_uvicorn = (list(uvicorn_error.handlers), uvicorn_error.propagate)
    yield Logs(monkeypatch)
    structlog.configure(**saved)
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    uvicorn_error.handlers[:] = saved_uvicorn[0]
    uvicorn_error.propagate = saved_uvicorn[1]


def test_chinese_text_is_written_as_is_not_escaped(logs: Logs) -> None:
    logs.configure()
    get_logger("services.intake.handlers").info("case.submitted", text="西街的路灯坏了")

    raw = logs.out.getvalue()
    assert "西街的路灯坏了" in raw
    assert "\\u" not in raw
    [line] = logs.lines()
    assert line["event"] == "case.submitted"
    assert line["logger"] == "services.intake.handlers"
    assert line["service"] == "intake"
    assert line["level"] == "info"


def test_a_stdlib_logger_line_is_json_with_the_same_fields(logs: Logs) -> None:
    logs.configure()
    logs.library("aiokafka.consumer.group_coordinator").warning(
        "heartbeat failed for group %s", "西街.cases"
    )

    [line] = logs.lines()
    assert line["event"] == "heartbeat failed for group 西街.cases"
    assert line["level"] == "warning"
    assert line["logger"] == "aiokafka.consumer.group_coordinator"
    assert line["service"] == "intake"
    assert "timestamp" in line


def test_a_library_exception_is_one_json_line_with_its_traceback(logs: Logs) -> None:
    logs.configure()
    try:
        raise ConnectionError("store gone")
    except ConnectionError:
        logs.library("pymongo.topology").exception("server selection failed")

    [line] = logs.lines()
    assert line["level"] == "error"
    assert "ConnectionError: store gone" in line["exception"]


def test_uvicorns_own_plain_text_handlers_are_replaced_by_the_json_one(
    logs: Logs,
) -> None:
    # What uvicorn's default logging config does before the app's lifespan configures logs.
    uvicorn_error = logs.library("uvicorn.error")
    uvicorn_error.addHandler(logging.StreamHandler(logs.out))
    uvicorn_error.propagate = False
    logs.configure()

    uvicorn_error.error("Exception in ASGI application")

    [line] = logs.lines()
    assert line["logger"] == "uvicorn.error"
    assert line["event"] == "Exception in ASGI application"


def test_library_info_lines_stay_out_while_service_info_lines_go_in(
    logs: Logs,
) -> None:
    logs.configure()
    logs.library("aiokafka.conn").info("connected")
    get_logger("shared.runtime").info("service.started")

    assert [line["event"] for line in logs.lines()] == ["service.started"]


async def test_each_request_writes_one_access_line_with_the_route_template(
    logs: Logs,
) -> None:
    logs.configure()
    app = create_service_app(
        title="probe",
        description="",
        version="0",
        metrics=Metrics("probe"),
        max_body_bytes=4096,
        lifespan=no_lifespan,  # type: ignore[arg-type]
        readiness=list,
    )

    @app.get("/v1/cases/{tracking_code}")
    async def track(tracking_code: str) -> dict[str, str]:
        return {"tracking_code": tracking_code}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        found = await client.get("/v1/cases/LQ7K2M9P", headers={"X-Request-ID": "req-7"})
        missing = await client.get("/nowhere/LQ7K2M9P")
    assert (found.status_code, missing.status_code) == (200, 404)

    assert "LQ7K2M9P" not in logs.out.getvalue()
    access = [line for line in logs.lines() if line["event"] == "http.request"]
    assert len(access) == 2
    first, second = access
    assert first["method"] == "GET"
    assert first["route"] == "/v1/cases/{tracking_code}"
    assert first["status"] == 200
    assert first["correlation_id"] == "req-7"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert first["logger"] == "shared.http"
    assert second["route"] == "unmatched"
    assert second["status"] == 404
    assert second["correlation_id"] != "req-7"
