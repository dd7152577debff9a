"""The case key ring: each service's copy of the cases' sealing keys (shared.sealing), fed by
the compacted `case-keys` topic, and the two edges that use it.

- `CaseKeys`: the local `case_keys` collection. A key record is stored once and never changed;
  a tombstone (the case id with no value: the case was erased) leaves an `erased` mark without
  the key, so "shredded" (a placeholder is all anyone reads) and "not arrived yet" (wait for
  it) stay apart. One `$in` read per polled batch or relay pass, one write per batch.
- `KeySealer`: what the publisher runs over each batch before it goes out. A case's key is born
  with its `case.submitted` (intake's relay publishes it, so every way a case is born —
  the form, the API, staff, the history import — is covered) and the key record goes out
  first in the same batch, again each time the event does; the events of a case whose key is
  shredded go out with placeholders; those of a case with no key at all (born before keys
  existed) go out as they are.
- `key_ring_routes` / `KeyTombstones`: the consumer side of the topic, and intake's delete
  records.

Opening sealed events is the consumer's (shared.consumer), through the same lookup.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.dispatch import Event, EventRoutes
from shared.events.case_events import CaseSubmitted
from shared.events.case_key_events import CaseKeyIssued
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document, find_in, is_duplicate_key
from shared.producer import EventPublisher, Items
from shared.sealing import cases_of, new_key, seal_envelope
from shared.settings import ServiceSettings
from shared.topics import CASE_KEYS

log = get_logger(__name__)

COLLECTION = "case_keys"
SOURCE = "minyi/keys"


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def decode_key(text: str) -> bytes:
    return base64.urlsafe_b64decode(text)


class CaseKeys:
    """This service's copy of the key ring."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db[COLLECTION]

    async def lookup(self, case_ids: set[str]) -> dict[str, bytes | None]:
        """Each known case's key; None when it was shredded; absent when not here (yet)."""
        if not case_ids:
            return {}
        found = await find_in(self.collection, "_id", sorted(case_ids))
        return {d["_id"]: decode_key(d["key"]) if "key" in d else None for d in found}

    async def record(self, issued: Sequence[CaseKeyIssued]) -> None:
        """Keep the keys not known yet, in one write; a key known, or a case shredded, stays
        as it is (a key never changes, and a shredded one never comes back)."""
        await self._insert(
            [{"_id": k.case_id, "key": k.key, "issued_at": k.issued_at} for k in issued]
        )

    async def issue(self, case_ids: set[str], *, now: datetime) -> dict[str, bytes | None]:
        """A new key for each of these cases that has none, stored before any event sealed
        with it leaves; returns every one's key as stored (another replica may have won)."""
        await self._insert(
            [
                {"_id": case_id, "key": encode_key(new_key()), "issued_at": now}
                for case_id in case_ids
            ]
        )
        return await self.lookup(case_ids)

    async def forget(self, case_id: str, *, now: datetime) -> None:
        """The case was erased: drop its key, keep the mark that it was."""
        await self.collection.update_one(
            {"_id": case_id},
            {"$set": {"erased_at": now}, "$unset": {"key": "", "issued_at": ""}},
            upsert=True,
        )

    async def _insert(self, documents: list[Document]) -> None:
        if not documents:
            return
        try:
            await self.collection.insert_many(documents, ordered=False)
        except BulkWriteError as exc:
            if not is_duplicate_key(exc):
                raise


def key_ring_routes(keys: CaseKeys) -> EventRoutes:
    """The routes of a service's `<service>.keys` consumer (its tombstones: `forget_key`)."""

    async def record(events: Sequence[Event[CaseKeyIssued]]) -> None:
        await keys.record([e.data for e in events])

    routes = EventRoutes()
    routes.on(CaseKeyIssued, record)
    return routes


async def forget_key(key: bytes, *, keys: CaseKeys) -> None:
    """A `case-keys` tombstone: the case was erased."""
    await keys.forget(key.decode(), now=datetime.now(UTC))
    log.info("case.key_shredded", case_id=key.decode())


class KeySealer:
    """Seals a batch of outgoing events (shared.producer.EventPublisher): one key read (and, for
    new cases, one write) per batch."""

    def __init__(self, keys: CaseKeys, *, settings: ServiceSettings) -> None:
        self._keys = keys
        self._topic = settings.topic(CASE_KEYS)

    async def seal(self, items: Items) -> Items:
        envelopes = [envelope for _, envelope in items]
        wanted = cases_of(envelopes)
        if not wanted:
            return list(items)
        # By case: the correlation id of its case.submitted, which its key record carries too.
        born = {
            e.subject: e.correlationid
            for e in envelopes
            if e.type == CaseSubmitted.TYPE and e.subject in wanted
        }
        found = await self._keys.lookup(wanted)
        missing = set(born) - set(found)
        if missing:
            found.update(await self._keys.issue(missing, now=datetime.now(UTC)))
        unkeyed = wanted - set(found)
        if unkeyed:
            log.warning("events.unsealed_without_key", cases=len(unkeyed))
        # Each newborn case's key ahead of its events; again whenever its case.submitted goes
        # out again (a relay retrying after a crash), so the record is never left behind.
        records: Items = [
            (self._topic, _key_record(case_id, key, correlation_id=born[case_id]))
            for case_id in sorted(born)
            if (key := found.get(case_id)) is not None
        ]
        return [*records, *((topic, seal_envelope(e, found)) for topic, e in items)]


def _key_record(case_id: str, key: bytes, *, correlation_id: str) -> Envelope:
    issued = CaseKeyIssued(case_id=case_id, key=encode_key(key), issued_at=datetime.now(UTC))
    return Envelope.wrap(issued, source=SOURCE, subject=case_id, correlation_id=correlation_id)


class KeyTombstones:
    """Delete records on the compacted `case-keys` topic (intake's, on erasure): every service
    drops its copy of the key on reading one, and the cleaner drops the key from the log."""

    def __init__(self, *, publisher: EventPublisher, settings: ServiceSettings) -> None:
        self._publisher = publisher
        self._topic = settings.topic(CASE_KEYS)

    async def publish(self, case_id: str) -> None:
        """Returns once the broker has acknowledged it."""
        await self._publisher.publish_raw(
            self._topic, key=case_id.encode(), value=None, headers=[("erased", b"erasure")]
        )
