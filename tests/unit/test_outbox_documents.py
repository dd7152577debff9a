"""The outbox's pure helpers: the documents and updates that carry events with the state change."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from shared.events.case_events import CaseSubmitted
from shared.events.envelope import Envelope
from shared.mongo import Document
from shared.outbox import OUTBOX, OUTBOX_COUNT, queue_events, with_outbox

TOPIC = "case-events"


def submitted(n: int) -> Envelope:
    data = CaseSubmitted(
        case_id=f"case-{n}",
        category="parking",
        text="停车位不够用了",
        channel="web",
        submitted_at=datetime(2025, 3, 14, tzinfo=UTC),
    )
    return Envelope.wrap(data, source="intake", subject=f"case-{n}", correlation_id="r")


def key(envelope: Envelope) -> str:
    return "e" + envelope.id.replace("-", "")


def test_with_outbox_keys_each_entry_by_its_event_id() -> None:
    events = [submitted(n) for n in range(3)]

    document = with_outbox({"_id": "case-1"}, events, topic=TOPIC)

    assert set(document[OUTBOX]) == {key(e) for e in events}
    for event in events:
        entry = document[OUTBOX][key(event)]
        assert entry["topic"] == TOPIC
        assert entry["event"] == event.model_dump(mode="json")
        assert Envelope.model_validate(entry["event"]) == event


def test_entry_keys_cannot_be_mistaken_for_array_indexes_or_paths() -> None:
    event = submitted(1).model_copy(update={"id": str(uuid.UUID(int=0))})

    (entry_key,) = with_outbox({}, [event], topic=TOPIC)[OUTBOX]

    assert entry_key == "e" + "0" * 32
    assert not entry_key.isdigit()
    assert "." not in entry_key and "$" not in entry_key


def test_with_outbox_numbers_entries_in_the_order_given() -> None:
    events = [submitted(n) for n in range(5)]

    entries = with_outbox({}, events, topic=TOPIC)[OUTBOX]

    seqs = [entries[key(e)]["seq"] for e in events]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)


def test_with_outbox_counts_the_events() -> None:
    assert with_outbox({}, [submitted(n) for n in range(4)], topic=TOPIC)[OUTBOX_COUNT] == 4


def test_a_document_without_events_carries_no_outbox_so_the_relay_never_reads_it() -> None:
    document = with_outbox({"_id": "case-1"}, [], topic=TOPIC)

    assert document == {"_id": "case-1"}


def test_with_outbox_keeps_the_document_and_leaves_the_original_alone() -> None:
    original: Document = {"_id": "case-1", "status": "submitted", "timeline": [{"s": 1}]}
    before = copy.deepcopy(original)

    document = with_outbox(original, [submitted(1)], topic=TOPIC)

    assert original == before
    assert {k: document[k] for k in before} == before
    assert OUTBOX not in original


def test_queue_events_sets_entries_under_dotted_outbox_paths() -> None:
    events = [submitted(n) for n in range(3)]

    update = queue_events({"$set": {"status": "assigned"}}, events, topic=TOPIC)

    outbox_paths = {k for k in update["$set"] if k.startswith(f"{OUTBOX}.")}
    assert outbox_paths == {f"{OUTBOX}.{key(e)}" for e in events}
    for event in events:
        assert update["$set"][f"{OUTBOX}.{key(event)}"]["event"]["id"] == event.id


def test_queue_events_numbers_entries_in_the_order_given() -> None:
    events = [submitted(n) for n in range(5)]

    update = queue_events({}, events, topic=TOPIC)

    seqs = [update["$set"][f"{OUTBOX}.{key(e)}"]["seq"] for e in events]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)


def test_later_queued_events_come_after_earlier_ones() -> None:
    first, second = submitted(1), submitted(2)

    earlier = with_outbox({}, [first], topic=TOPIC)[OUTBOX][key(first)]["seq"]
    later = queue_events({}, [second], topic=TOPIC)["$set"][f"{OUTBOX}.{key(second)}"]["seq"]

    assert later > earlier


def test_queue_events_increments_the_count() -> None:
    update = queue_events({}, [submitted(n) for n in range(3)], topic=TOPIC)

    assert update["$inc"] == {OUTBOX_COUNT: 3}


def test_queue_events_preserves_the_original_operators() -> None:
    original: dict[str, Any] = {
        "$set": {"status": "assigned", "holder": "0412"},
        "$inc": {"version": 1},
        "$push": {"timeline": {"status": "assigned"}},
        "$unset": {"lease": ""},
    }

    update = queue_events(original, [submitted(1)], topic=TOPIC)

    assert update["$set"]["status"] == "assigned"
    assert update["$set"]["holder"] == "0412"
    assert update["$inc"] == {"version": 1, OUTBOX_COUNT: 1}
    assert update["$push"] == {"timeline": {"status": "assigned"}}
    assert update["$unset"] == {"lease": ""}


def test_queue_events_does_not_mutate_the_update_it_was_given() -> None:
    original: dict[str, Any] = {"$set": {"status": "assigned"}, "$inc": {"version": 1}}
    before = copy.deepcopy(original)

    queue_events(original, [submitted(1), submitted(2)], topic=TOPIC)

    assert original == before
