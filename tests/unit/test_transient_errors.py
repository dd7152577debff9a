"""Which failures are retried, and which go to the dead letter."""

from __future__ import annotations

import pytest
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    RecordTooLargeError,
    RequestTimedOutError,
)
from pymongo.errors import (
    AutoReconnect,
    ConnectionFailure,
    DuplicateKeyError,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
)

from shared.errors import TransientError, is_transient
from shared.events.envelope import EventDecodeError


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionFailure("down"),
        AutoReconnect("primary stepped down"),
        NetworkTimeout("slow"),
        ServerSelectionTimeoutError("no server"),
        KafkaConnectionError("broker gone"),
        TransientError("try later"),
        TimeoutError(),
        ConnectionRefusedError(),
    ],
    ids=type,
)
def test_unavailable_dependencies_are_transient(exc: BaseException) -> None:
    assert is_transient(exc) is True


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad"),
        KeyError("missing"),
        EventDecodeError("poison"),
        DuplicateKeyError("dup", 11000),
        OperationFailure("unauthorized", 13),
    ],
    ids=type,
)
def test_bugs_and_poison_are_not_transient(exc: BaseException) -> None:
    assert is_transient(exc) is False


def test_kafka_errors_are_transient_when_marked_retriable() -> None:
    assert RequestTimedOutError.retriable is True
    assert is_transient(RequestTimedOutError()) is True
    assert is_transient(KafkaTimeoutError()) is bool(KafkaTimeoutError.retriable)
    assert RecordTooLargeError.retriable is False
    assert is_transient(RecordTooLargeError()) is False


def test_mongo_errors_labelled_retryable_are_transient() -> None:
    retryable = OperationFailure("write conflict", 112, {"errorLabels": ["RetryableWriteError"]})
    in_txn = OperationFailure("txn", 251, {"errorLabels": ["TransientTransactionError"]})

    assert is_transient(retryable) is True
    assert is_transient(in_txn) is True
