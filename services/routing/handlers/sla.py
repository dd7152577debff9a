"""SLA escalation: `case.escalated` once for every deadline a case has passed; and the open
cases' deadlines counted again when routing starts with another working calendar
(docs/lifecycle.md).

Safe in every replica at once: each escalation is a conditional single-document update, and
one replica at a time (the holder of the calendar lease) counts deadlines again."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.routing.adapters.calendar_state import CalendarState
from services.routing.adapters.case_documents import audit_entry, recounted_sla
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.directory import Directory
from services.routing.domain.sla import DEADLINES, SlaRules, breached
from services.routing.handlers.common import SOURCE
from shared.events.case_events import CaseEscalated
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document

log = get_logger(__name__)

# A case changed between the read and the write of its recount is read and counted again, up
# to this many times (a case that busy gets its next deadlines from the next write anyway).
_RECOUNT_ATTEMPTS = 3


async def escalate_breaches(
    *, cases: RoutedCaseRepository, now: datetime, correlation_id: str
) -> int:
    """Emit `case.escalated` once for every deadline passed; returns how many."""
    escalated = 0
    for document in await cases.breach_candidates(now=now):
        sla_fields = document.get("sla") or {}
        done = frozenset(d for d in DEADLINES if sla_fields.get(f"{d}_escalated"))
        due = breached(
            status=document["status"],
            accept_due=sla_fields.get("accept_due"),
            respond_due=sla_fields.get("respond_due"),
            escalated=done,
            now=now,
        )
        if not due:
            await cases.rewatch(document)
            continue
        events = [
            Envelope.wrap(
                CaseEscalated(
                    case_id=document["_id"],
                    station_id=document["station_id"],
                    actor_role="system",
                    actor_id="routing.sla",
                    at=now,
                    deadline=deadline,
                    due_at=sla_fields[f"{deadline}_due"],
                ),
                source=SOURCE,
                subject=document["_id"],
                correlation_id=correlation_id,
            )
            for deadline in due
        ]
        audit = [
            audit_entry(
                at=now,
                actor_role="system",
                actor_id="routing.sla",
                action="escalate",
                source=document["status"],
                target=document["status"],
                detail={"deadline": deadline},
            )
            for deadline in due
        ]
        if await cases.mark_escalated(case=document, deadlines=due, audit=audit, events=events):
            escalated += len(due)
            log.warning(
                "case.escalated",
                case_id=document["_id"],
                deadlines=due,
                station=document["station_id"],
            )
    return escalated


@dataclass(frozen=True)
class Recount:
    open_cases: int
    changed: int


@dataclass(frozen=True)
class CalendarApplied:
    """`unchanged`: the open cases were counted with this calendar already; `busy`: another
    replica holds the lease (ask again later); `recounted`: this replica counted them again;
    `lost`: its lease ran out while it counted (ask again: whoever holds it now finishes)."""

    outcome: Literal["unchanged", "busy", "recounted", "lost"]
    fingerprint: str
    recount: Recount | None = None


async def apply_calendar(
    *,
    state: CalendarState,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    sla: SlaRules,
    token: str,
    clock: Callable[[], datetime],
    lease_s: float,
    batch_size: int = 500,
) -> CalendarApplied:
    """Count the open cases' deadlines again if they were counted with another calendar than
    `sla.calendar` (or before routing kept track), once across replicas: under a lease in the
    store, renewed with every batch. Idempotent: a second run finds the fingerprint stored."""
    fingerprint = sla.calendar.fingerprint()
    stored = await state.read()
    if stored is not None and stored.get("fingerprint") == fingerprint:
        log.info("sla.calendar_unchanged", fingerprint=fingerprint)
        return CalendarApplied("unchanged", fingerprint)
    if not await state.claim(token=token, now=clock(), lease_s=lease_s):
        return CalendarApplied("busy", fingerprint)
    # Another replica may have finished between the read and the claim.
    stored = await state.read()
    if stored is not None and stored.get("fingerprint") == fingerprint:
        await state.release(token=token)
        return CalendarApplied("unchanged", fingerprint)

    async def still_mine() -> bool:
        return await state.renew(token=token, now=clock(), lease_s=lease_s)

    try:
        recount = await recount_deadlines(
            cases=cases,
            sla=sla,
            directory=await directory.load(),
            batch_size=batch_size,
            between_batches=still_mine,
        )
    except Exception:
        # The next attempt (this replica's or another's) need not wait the lease out; if the
        # store is what failed, the lease runs out by itself.
        with contextlib.suppress(Exception):
            await state.release(token=token)
        raise
    if recount is None or not await state.finish(
        token=token, fingerprint=fingerprint, changed=recount.changed, at=clock()
    ):
        # The lease ran out under this replica (a stall longer than the lease): whoever took it
        # counts again from the start, which the recount's idempotence makes safe.
        log.warning("sla.calendar_lease_lost", fingerprint=fingerprint)
        return CalendarApplied("lost", fingerprint, recount)
    log.info(
        "sla.deadlines_recounted",
        fingerprint=fingerprint,
        previous=(stored or {}).get("fingerprint"),
        open_cases=recount.open_cases,
        changed=recount.changed,
    )
    return CalendarApplied("recounted", fingerprint, recount)


async def recount_deadlines(
    *,
    cases: RoutedCaseRepository,
    sla: SlaRules,
    directory: Directory | None,
    batch_size: int,
    between_batches: Callable[[], Awaitable[bool]] | None = None,
) -> Recount | None:
    """Count every open case's deadlines again with `sla.calendar`, a batch at a time (one read
    along the status index, one bulk write per batch). `between_batches` answering False stops
    it (None is returned). Returns how many open cases were read and how many had a deadline
    moved."""
    seen = 0
    changed: set[str] = set()
    async for batch in cases.open_cases(batch_size=batch_size):
        seen += len(batch)
        changed |= await _recount_batch(batch, cases=cases, sla=sla, directory=directory)
        if between_batches is not None and not await between_batches():
            return None
    return Recount(open_cases=seen, changed=len(changed))


async def _recount_batch(
    batch: list[Document],
    *,
    cases: RoutedCaseRepository,
    sla: SlaRules,
    directory: Directory | None,
) -> set[str]:
    changed: set[str] = set()
    pending = batch
    for _ in range(_RECOUNT_ATTEMPTS):
        # Cases stored before the reopening time was kept with the response deadline.
        reopened = await cases.last_reopened(
            str(c["_id"])
            for c in pending
            if c.get("reopen_count") and "respond_from" not in (c.get("sla") or {})
        )
        writes = []
        for case in pending:
            fields = recounted_sla(
                case,
                calendar=sla.calendar,
                policy=sla.policy(directory=directory, category=str(case.get("category", ""))),
                reopened_at=reopened.get(str(case["_id"])),
            )
            if fields:
                writes.append((case, fields))
        moved = {str(c["_id"]) for c, f in writes if any(k.endswith("_due") for k in f)}
        if await cases.set_deadlines(writes) == len(writes):
            return changed | moved
        # Some changed meanwhile (their version moved): read those again and count them again.
        read = {str(c["_id"]): c for c, _ in writes}
        fresh = await cases.recount_rows(read)
        missed = [c for c in fresh if c["version"] != read[str(c["_id"])]["version"]]
        changed |= moved - {str(c["_id"]) for c in missed}
        pending = missed
    if pending:
        log.warning("sla.recount_gave_up", cases=sorted(str(c["_id"]) for c in pending))
    return changed
