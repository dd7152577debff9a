"""A new case: checked against the directory, stored with its `case.submitted` event."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from services.intake.adapters.case_documents import request_fingerprint
from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.domain.attachments import AttachmentIn
from services.intake.domain.cases import CaseCreate, open_case
from services.intake.domain.errors import PhotoRefused, UnknownReference
from services.intake.domain.photos import CleanAttachment, clean_attachments
from services.intake.handlers import SOURCE
from shared.events.directory_events import DirectoryKind
from shared.events.envelope import Envelope
from shared.events.resident_events import ResidentContactGiven
from shared.logging import get_logger
from shared.mongo import Document

log = get_logger(__name__)

# Decoding and re-encoding a 12 MP photo takes a few hundred milliseconds of CPU and up to
# 160 MB of memory (domain.photos.MAX_PIXELS): off the event loop, so consumers and other
# requests go on, and no more submissions' photos at once than the machine has cores for.
PHOTOS_AT_ONCE = 2


class PhotoCleaner:
    """Cleans submissions' photos (domain.photos) in worker threads, a few at a time.

    One per app: the limit holds across every entry point that takes photos."""

    def __init__(self, *, at_once: int = PHOTOS_AT_ONCE) -> None:
        self._slots = asyncio.Semaphore(at_once)

    async def clean(self, attachments: Sequence[AttachmentIn]) -> list[CleanAttachment]:
        """Raises PhotoRefused naming the first photo that cannot be kept."""
        if not attachments:
            return []
        async with self._slots:
            return await asyncio.to_thread(clean_attachments, attachments)


_REFERENCES: dict[str, tuple[DirectoryKind, str]] = {
    "category": ("category", "category"),
    "representative_code": ("representative", "representative"),
    "liaison_point_id": ("liaison_point", "liaison point"),
}


async def check_reference(field: str, value: str | None, *, directory: DirectoryCopy) -> None:
    """Refuse a `field` value the directory does not know, once intake has a copy of it."""
    kind, label = _REFERENCES[field]
    if value is None or not await directory.knows(kind):
        return
    entry = await directory.entry(kind, value)
    if entry is None or not entry.get("active", True):
        raise UnknownReference(field, f"no active {label} {value!r}")


async def check_references(command: CaseCreate, *, directory: DirectoryCopy) -> None:
    """Refuse what the directory does not know, once intake has a copy of it."""
    for field in _REFERENCES:
        await check_reference(field, getattr(command, field), directory=directory)


async def submit_case(
    *,
    command: CaseCreate,
    cases: CaseRepository,
    directory: DirectoryCopy,
    photos: PhotoCleaner,
    correlation_id: str,
    idempotency_key: str | None,
    station_id: str | None = None,
    meeting_id: str | None = None,
) -> Document:
    """Store the case with its photos cleaned (a retry with the same idempotency key gets
    the first one back).

    Raises UnknownReference, PhotoRefused, and IdempotencyConflict for a key used for other
    content."""
    await check_references(command, directory=directory)
    try:
        cleaned = await photos.clean(command.attachments)
    except PhotoRefused as exc:
        log.info("case.photo_refused", index=exc.index, reason=exc.reason, channel=command.channel)
        raise
    new = open_case(command, now=datetime.now(UTC), station_id=station_id, meeting_id=meeting_id)
    event = Envelope.wrap(
        new.submitted, source=SOURCE, subject=new.case_id, correlation_id=correlation_id
    )
    contact = (
        Envelope.wrap(
            ResidentContactGiven(
                case_id=new.case_id,
                phone=new.contact.phone,
                email=new.contact.email,
                language=new.contact.language,
                given_at=new.submitted.submitted_at,
            ),
            source=SOURCE,
            subject=new.case_id,
            correlation_id=correlation_id,
        )
        if new.contact is not None
        else None
    )
    stored = await cases.add(
        new,
        event,
        contact=contact,
        idempotency_key=idempotency_key,
        fingerprint=request_fingerprint(command),
        attachments=cleaned,
    )
    if stored["_id"] == new.case_id:
        log.info(
            "case.submitted",
            case_id=new.case_id,
            category=command.category,
            channel=command.channel,
        )
    else:
        log.info("case.submission_replayed", case_id=stored["_id"])
    return stored
