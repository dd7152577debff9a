"""The age of the oldest pending outbox event, from the entries' `seq` (time.time_ns())."""

from __future__ import annotations

from shared.mongo import Document
from shared.outbox import oldest_seq
from shared.outbox_age import age_seconds


def test_the_oldest_entry_of_any_document_is_the_one_counted() -> None:
    documents: list[Document] = [
        {"_id": "a", "outbox": {"e1": {"seq": 5_000, "topic": "t"}}},
        {"_id": "b", "outbox": {"e2": {"seq": 9_000}, "e3": {"seq": 2_000}}},
        {"_id": "c"},  # drained meanwhile: nothing left to count
    ]
    assert oldest_seq(documents) == 2_000


def test_nothing_pending_is_no_age() -> None:
    assert oldest_seq([]) is None
    assert oldest_seq([{"_id": "a", "outbox": {}}]) is None
    assert age_seconds(None, now_ns=10**18) == 0.0


def test_the_age_is_in_seconds_and_never_negative() -> None:
    assert age_seconds(1_000_000_000, now_ns=91_000_000_000) == 90.0
    # Another replica's clock a little ahead of this one's.
    assert age_seconds(2_000_000_000, now_ns=1_000_000_000) == 0.0
