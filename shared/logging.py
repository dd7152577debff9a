"""structlog JSON logs that carry the correlation id of the request or event being handled.

One stream, one shape: Minyi's own events and the lines of the libraries it runs on (aiokafka,
pymongo, uvicorn, anything using stdlib `logging`) are rendered by the same processors into the
same JSON object per line, UTF-8 and unescaped, so `grep 西街` finds a resident's words and a
log shipper never meets a plain-text line among the JSON."""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import Callable
from typing import Any, TextIO

import orjson
import structlog

_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

# uvicorn configures these with its own plain-text handlers (and no propagation) before the
# app starts; they are handed back to the root handler so their lines are JSON too.
_LIBRARY_LOGGERS_WITH_OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def _dumps(value: Any, **kw: Any) -> str:
    """JSON with non-ASCII kept as is: Chinese text stays readable and greppable."""
    return orjson.dumps(value, default=kw.get("default"), option=orjson.OPT_NON_STR_KEYS).decode()


class _MinyiHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler configure_logging installs, recognisable so it is replaced, not added."""


class _NamedPrintLogger(structlog.PrintLogger):
    """A PrintLogger that knows the name it was asked for, for add_logger_name."""

    def __init__(self, file: TextIO, name: str) -> None:
        super().__init__(file)
        self.name = name


def _named_print_logger_factory(file: TextIO) -> Callable[..., _NamedPrintLogger]:
    def factory(*args: Any) -> _NamedPrintLogger:
        return _NamedPrintLogger(file, str(args[0]) if args else "")

    return factory


def configure_logging(*, service: str, level: str = "INFO", fmt: str = "json") -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_dumps)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )

    def add_service(
        _: Any, __: str, event: structlog.typing.EventDict
    ) -> structlog.typing.EventDict:
        event.setdefault("service", service)
        return event

    # What every line gets, whether it came from structlog or from stdlib `logging`.
    common: list[Any] = [
        structlog.contextvars.merge_contextvars,
        add_service,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *common,
            structlog.stdlib.add_logger_name,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # Minyi's own lines skip stdlib logging (it costs a lock and a record per line); the
        # foreign ones below are rendered by the same processors, so both look alike.
        logger_factory=_named_print_logger_factory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    handler = _MinyiHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*common, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    # Replaces its own handler when called again (each app's lifespan calls it), and leaves
    # other handlers (a test runner's capture) alone.
    for existing in [h for h in root.handlers if isinstance(h, _MinyiHandler)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    # Libraries are chatty at INFO; their warnings and errors are what an operator needs.
    root.setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name in _LIBRARY_LOGGERS_WITH_OWN_HANDLERS:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True


def get_logger(name: str) -> Any:
    # The name reaches _NamedPrintLogger when the logger is first used (after configuration),
    # and add_logger_name writes it as `logger`, the same field stdlib records get.
    return structlog.get_logger(name)


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def valid_correlation_id(value: str | None) -> str | None:
    """A caller's id is kept only when it is safe to log and to echo back."""
    if value and _CORRELATION_ID.match(value):
        return value
    return None


def bind_correlation_id(correlation_id: str) -> None:
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id)


def current_correlation_id() -> str | None:
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return value if isinstance(value, str) else None
