"""Which failures are worth retrying. Everything else is a bug or a poison message."""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaConnectionError, KafkaError
from pymongo.errors import ConnectionFailure, PyMongoError, WaitQueueTimeoutError


class TransientError(Exception):
    """Raised by a handler when a dependency is unavailable: retry, never dead-letter."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(
        exc,
        TransientError
        | ConnectionFailure
        | WaitQueueTimeoutError
        | KafkaConnectionError
        | asyncio.TimeoutError
        | ConnectionError,
    ):
        return True
    if isinstance(exc, KafkaError):
        return bool(getattr(exc, "retriable", False))
    if isinstance(exc, PyMongoError):
        return exc.has_error_label("RetryableWriteError") or exc.has_error_label(
            "TransientTransactionError"
        )
    return False
