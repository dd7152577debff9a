"""Imported past cases in intake's `cases` collection: many at once, each with its events.

An imported case is stored as the resident's view it ended in, and carries in its outbox every
event of its history; the running intake service's relay publishes them. The same single-
document write marks those events applied, so when they come back from Kafka intake's consumer
recognises them and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from services.intake.adapters.case_documents import applied_entry, case_document
from services.intake.domain.history_import.checker import ImportedCase
from shared.events.envelope import Envelope
from shared.mongo import Document, is_duplicate_key
from shared.outbox import still_pending, with_outbox
from shared.topics import CASE_EVENTS


def imported_document(
    case: ImportedCase, envelopes: Sequence[Envelope], *, imported_at: datetime
) -> Document:
    """The stored case (the same fields as a live one) with its events in its outbox."""
    view = case.view
    document: Document = {
        **case_document(
            case.submitted,
            tracking_code=case.tracking_code,
            idempotency_key=case.idempotency_key,
            fingerprint=case.fingerprint,
        ),
        "status": view.status,
        "updated_at": view.updated_at,
        **view.fields,
        "timeline": [step.model_dump() for step in view.timeline],
        # Every event but case.submitted, which intake never consumes.
        "applied": {applied_entry(e.id): True for e in envelopes[1:]},
        "imported": {"external_id": case.external_id, "at": imported_at},
    }
    return with_outbox(document, envelopes, topic=CASE_EVENTS)


@dataclass(frozen=True)
class Inserted:
    inserted: int
    already: int  # their idempotency key (or case id) was there: imported before


class HistoryImportRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.collection: AsyncCollection[Document] = db["cases"]

    async def insert(self, documents: Sequence[Document]) -> Inserted:
        """Insert the batch in one request; a case imported before is counted, not an error."""
        if not documents:
            return Inserted(0, 0)
        try:
            result = await self.collection.insert_many(list(documents), ordered=False)
        except BulkWriteError as exc:
            if not is_duplicate_key(exc):
                raise
            already = len(exc.details.get("writeErrors", []))
            return Inserted(len(documents) - already, already)
        return Inserted(len(result.inserted_ids), 0)

    async def already_imported(self, keys: Sequence[str]) -> set[str]:
        """Which of these idempotency keys are stored (served by its unique index)."""
        if not keys:
            return set()
        found = await self.collection.find(
            {"idempotency_key": {"$in": list(keys)}}, {"_id": 0, "idempotency_key": 1}
        ).to_list()
        return {d["idempotency_key"] for d in found}

    async def unpublished(self, case_ids: Sequence[str]) -> bool:
        """Whether any of these cases still holds events its relay has not published."""
        return bool(await still_pending(self.collection, case_ids, {"_id": 1}))
