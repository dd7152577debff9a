"""Erasing residents' personal data (PIPL), and the retention of their contact.

One path for all three ways in (the admin API, `python -m services.intake erase`, the retention
job): each case is erased in ONE version-guarded write that also queues its `case.erased`
event (no personal data in it) and marks the erasure unfinished. What cannot be in that write
is done after it, idempotently, and redone by the finisher until done: the photos' bytes are
deleted, the erasure is logged, and once the case's outbox has drained a tombstone for its
contact goes to the compacted `resident-contacts` topic and, for a whole (`all`) erasure, one
for its sealing key to `case-keys`: every copy of its texts on the immutable topics is then
unreadable (crypto-shredding, shared.sealing). routing and notify scrub their stores when
`case.erased` reaches them.

A phone or an email also reaches the "me too" supporters' records that carry it: each loses its
contact in one write (the case, its resident and its count of supporters stay), and the finisher
sends the tombstone of `<case id>/<supporter id>`, on which notify forgets them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.intake.adapters.erasure import ErasureRepository, PendingErasure
from services.intake.domain.erasure import (
    EraseResident,
    covers,
    erase_case,
    erase_supporter_contact,
    retention_cutoff,
    subject_hash,
)
from services.intake.domain.errors import CaseNotFound
from services.intake.handlers import SOURCE
from shared.events.case_events import CLOSED_STATUSES, CaseErased, CaseStatus, ErasureScope
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document
from shared.optimistic import on_current_state

log = get_logger(__name__)

RETENTION_ACTOR = "retention"
"""Who the log says erased a contact whose retention ran out."""


class _LostRace(Exception):
    """The case changed between the read and the guarded write: read and decide again."""


@dataclass(frozen=True)
class ErasureOutcome:
    case_id: str
    status: CaseStatus | None
    """The case's status; None for a case found only in the log (its contact is gone)."""
    erased_now: bool
    """False: erased before (or, in a dry run, not erased yet)."""
    scope: ErasureScope | None
    """What is erased of it now; None: nothing yet (a dry run)."""
    supporter_id: str | None = None
    """Set: this is the subject's "me too" on the case (their record's contact), not the case."""


@dataclass(frozen=True)
class ErasureReport:
    subject: str
    """The keyed hash of the subject, as the log keeps it."""
    dry_run: bool
    cases: Sequence[ErasureOutcome]


async def erase_resident(
    *,
    request: EraseResident,
    erasures: ErasureRepository,
    key: bytes,
    by: str,
    correlation_id: str,
    now: datetime,
) -> ErasureReport:
    """Erase every case of the request's subject (or, in a dry run, list them).

    A tracking code that names no case raises CaseNotFound; a contact that no case carries any
    more answers with the cases erased for it before (the log knows them by the hash)."""
    subject = subject_hash(request.kind, request.normalized, key=key)
    if request.tracking_code is not None:
        found = await erasures.by_tracking_code(request.tracking_code)
        if found is None:
            raise CaseNotFound(request.tracking_code)
        documents = [found]
    else:
        documents = await erasures.by_contact(request.contact_key or "")
    outcomes: list[ErasureOutcome] = []
    for document in documents:
        done: ErasureScope | None = (document.get("erasure") or {}).get("scope")
        if request.dry_run or covers(done, "all"):
            outcomes.append(_as_found(document, done))
            continue
        erased = await erase_one(
            case_id=document["_id"],
            scope="all",
            by=by,
            subject=subject,
            erasures=erasures,
            correlation_id=correlation_id,
            now=now,
        )
        outcomes.append(
            ErasureOutcome(
                case_id=document["_id"], status=document["status"], erased_now=erased, scope="all"
            )
        )
    if request.contact_key is not None:
        for found in await erasures.supporters_by_contact(request.contact_key):
            done = (found.get("erasure") or {}).get("scope")
            erased = not request.dry_run and await erase_supporter(
                case_id=found["case_id"],
                supporter_id=found["supporter_id"],
                by=by,
                subject=subject,
                erasures=erasures,
                now=now,
            )
            outcomes.append(
                ErasureOutcome(
                    case_id=found["case_id"],
                    status=None,
                    erased_now=erased,
                    scope="contact" if erased else done,
                    supporter_id=found["supporter_id"],
                )
            )
    # Cases and supporters' records erased for this subject before no longer carry its
    # contact: the log has them.
    listed = {(o.case_id, o.supporter_id) for o in outcomes}
    for entry in await erasures.logged_for_subject(subject):
        supporter = entry.get("supporter_id")
        # A supporter's record is erased in full once its contact is.
        wanted: ErasureScope = "contact" if supporter else "all"
        if (entry["case_id"], supporter) not in listed and entry["scope"] == wanted:
            listed.add((entry["case_id"], supporter))
            outcomes.append(
                ErasureOutcome(
                    case_id=entry["case_id"],
                    status=None,
                    erased_now=False,
                    scope=wanted,
                    supporter_id=supporter,
                )
            )
    return ErasureReport(subject=subject, dry_run=request.dry_run, cases=outcomes)


def _as_found(document: Document, done: ErasureScope | None) -> ErasureOutcome:
    return ErasureOutcome(
        case_id=document["_id"], status=document["status"], erased_now=False, scope=done
    )


async def erase_one(
    *,
    case_id: str,
    scope: ErasureScope,
    by: str,
    subject: str | None,
    erasures: ErasureRepository,
    correlation_id: str,
    now: datetime,
    expected_version: int | None = None,
) -> bool:
    """Erase `scope` of one case; False when it was erased so already (or is unknown).

    With `expected_version` (the retention job), only the case as it was read: a replica that
    read the same version and wrote first wins, and this one changes nothing."""

    async def attempt() -> Document | None:
        document = await erasures.get(case_id)
        if document is None or covers((document.get("erasure") or {}).get("scope"), scope):
            return None
        if expected_version is not None and document["version"] != expected_version:
            return None
        erasure = erase_case(document, scope=scope, at=now, by=by, subject=subject)
        event = Envelope.wrap(
            CaseErased(case_id=case_id, scope=erasure.scope, erased_at=now),
            source=SOURCE,
            subject=case_id,
            correlation_id=correlation_id,
            time=now,
        )
        written = await erasures.apply(
            case_id=case_id, version=document["version"], erasure=erasure, event=event, at=now
        )
        if not written:
            if expected_version is not None:
                return None
            raise _LostRace(case_id)
        marker: Document = erasure.set["erasure"]
        return marker

    # A case busy with events (a routing change landing between the read and the write) is
    # read again; an erasure must not give up on a busy case.
    marker = await on_current_state(attempt, lost_race=_LostRace, attempts=10)
    if marker is None:
        return False
    if marker["scope"] == "all":
        await erasures.delete_photos(case_id)
    await erasures.record(case_id, marker)
    log.info("case.erased", case_id=case_id, scope=marker["scope"], by=by)
    return True


async def erase_supporter(
    *,
    case_id: str,
    supporter_id: str,
    by: str,
    subject: str | None,
    erasures: ErasureRepository,
    now: datetime,
) -> bool:
    """Erase the contact a "me too" supporter of the case left; False when it was erased
    before. The case is not touched."""
    erasure = erase_supporter_contact(at=now, by=by, subject=subject)
    if not await erasures.apply_to_supporter(
        case_id=case_id, supporter_id=supporter_id, erasure=erasure, at=now
    ):
        return False
    await erasures.record(case_id, erasure.set["erasure"], supporter_id=supporter_id)
    log.info("supporter.erased", case_id=case_id, by=by)
    return True


RETENTION_PAGE = 200


def _contact_expires(due: Document) -> bool:
    """A due case that is still ended and still holds a contact."""
    return due["status"] in CLOSED_STATUSES and due.get("contact") is not None


@dataclass(frozen=True)
class RetentionPass:
    expired: int
    """Contacts erased."""
    full_page: bool
    """As many due cases as asked for: more may be due."""


async def expire_contacts(
    *,
    erasures: ErasureRepository,
    now: datetime,
    retention_days: int,
    correlation_id: str,
    limit: int = RETENTION_PAGE,
    among: Sequence[str] | None = None,
) -> RetentionPass:
    """Erase the contact of up to `limit` cases that ended `retention_days` ago or more (with
    `among`: of those of these ids), and the contacts their "me too" supporters left. Safe in
    every replica at once: each erasure is guarded by the version read (a supporter's: by its
    not being erased yet), so one replica wins each."""
    due = await erasures.due_for_retention(
        cutoff=retention_cutoff(now, days=retention_days), limit=limit, among=among
    )
    expired = 0
    # The supporters first: the case leaves the retention index once its own turn is done.
    ended = [d["_id"] for d in due if d["status"] in CLOSED_STATUSES]
    for supporter in await erasures.supporters_with_contact(ended):
        if await erase_supporter(
            case_id=supporter["case_id"],
            supporter_id=supporter["supporter_id"],
            by=RETENTION_ACTOR,
            subject=None,
            erasures=erasures,
            now=now,
        ):
            expired += 1
    # Reopened since it ended (it counts again from its next end), or no contact left.
    await erasures.release_retention([d for d in due if not _contact_expires(d)])
    for document in filter(_contact_expires, due):
        if await erase_one(
            case_id=document["_id"],
            scope="contact",
            by=RETENTION_ACTOR,
            subject=None,
            erasures=erasures,
            correlation_id=correlation_id,
            now=now,
            expected_version=document["version"],
        ):
            expired += 1
    if expired:
        log.info("contacts.expired", cases=expired, retention_days=retention_days)
    return RetentionPass(expired=expired, full_page=len(due) >= limit)


Tombstone = Callable[[str], Awaitable[None]]
"""Publishes the delete record of a contact (its key on `resident-contacts`: a case id, or a
supporter's `<case id>/<supporter id>`) or of a case's key; returns once it is acknowledged."""


async def finish_erasures(
    *,
    erasures: ErasureRepository,
    tombstone: Tombstone,
    shred: Tombstone,
    now: datetime,
    limit: int = 100,
) -> tuple[int, int]:
    """Finish what erasures left to do after their write; returns (finished, still waiting).

    An erasure waits while its case's outbox still holds events (its `case.erased`, or a
    contact record queued before it): a tombstone must come after the record it deletes on
    its topic, or compaction would keep the record. The key record goes out with the case's
    `case.submitted`, so a drained case has it on `case-keys` too."""
    finished = waiting = 0
    for pending in await erasures.pending(limit=limit):
        if not pending.drained:
            waiting += 1
            continue
        await _finish(pending, erasures=erasures, tombstone=tombstone, shred=shred, now=now)
        finished += 1
    return finished, waiting


async def _finish(
    pending: PendingErasure,
    *,
    erasures: ErasureRepository,
    tombstone: Tombstone,
    shred: Tombstone,
    now: datetime,
) -> None:
    marker = pending.marker
    whole = marker["scope"] == "all"
    if whole:
        await erasures.delete_photos(pending.case_id)
    await erasures.record(pending.case_id, marker, supporter_id=pending.supporter_id)
    had_contact = bool(marker.get("contact"))
    if had_contact:
        await tombstone(pending.contact_key)
    if whole:
        # Also for a case older than keys: every service then marks it shredded, and a replay
        # of its clear events reads placeholders too.
        await shred(pending.case_id)
    await erasures.finish(pending, at=now, tombstone=had_contact)
    log.info(
        "case.erasure_finished",
        case_id=pending.case_id,
        supporter=pending.supporter_id is not None,
        scope=marker["scope"],
        tombstone=had_contact,
        key_shredded=whole,
    )
