"""The failures an operator meets (store or Kafka down, a missing file, a bad value), each as
one `error: ...` line instead of a traceback."""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
import yaml
from aiokafka.errors import KafkaError
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure, PyMongoError

from services.intake.domain.history_import.rows import ImportFailed

EXIT_FAILED = 1
# Long enough for a path and a reason; a longer message is a dump nobody reads on one line.
MAX_LENGTH = 400


def one_line(text: str) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= MAX_LENGTH else flat[: MAX_LENGTH - 1] + "…"


def _store_reason(exc: PyMongoError) -> str:
    # PyMongo appends its timeouts and the whole topology description: the host and the
    # socket's error come first and are what the operator can act on.
    reason = str(exc).split(" (configured timeouts", 1)[0].split(", Timeout:", 1)[0]
    return reason


def describe(exc: BaseException) -> str | None:
    """The one-line message for an expected failure, or None for a bug (its traceback stays)."""
    if isinstance(exc, ConnectionFailure):
        return f"the store is unreachable (MINYI_MONGO_URL): {_store_reason(exc)}"
    if isinstance(exc, PyMongoError):
        return f"the store failed: {type(exc).__name__}: {_store_reason(exc)}"
    if isinstance(exc, KafkaError):
        # aiokafka's messages mostly start with the class name already.
        text = (
            str(exc) if str(exc).startswith(type(exc).__name__) else f"{type(exc).__name__}: {exc}"
        )
        return f"Kafka failed (MINYI_KAFKA_BOOTSTRAP): {text}"
    if isinstance(exc, TimeoutError):
        return f"no answer in time: {exc or 'Kafka or the store did not respond'}"
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename}: no such file"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    if isinstance(exc, ValidationError):
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: "
            f"{str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors()
        ]
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return f"{len(problems)} invalid value(s): {'; '.join(problems[:3])}{more}"
    if isinstance(exc, csv.Error):
        return f"not valid CSV: {exc}"
    if isinstance(exc, ImportFailed):
        return str(exc)
    if isinstance(exc, yaml.YAMLError):
        return f"not valid YAML: {exc}"
    if isinstance(exc, ValueError | KeyError | RuntimeError):
        return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return None


def fail(message: str, *, code: int = EXIT_FAILED) -> typer.Exit:
    print(f"error: {one_line(message)}", file=sys.stderr)
    return typer.Exit(code)


@contextmanager
def reported(*, code: int = EXIT_FAILED) -> Iterator[None]:
    """Turns an expected failure into one `error:` line and exit `code`."""
    try:
        yield
    except Exception as exc:
        message = describe(exc)
        if message is None:
            raise
        raise fail(message, code=code) from None
