"""The historical import: check an import file's rows and store the valid ones in batches,
each case in one insert together with the events of its history (outbox). The running intake
service's relay publishes them; this never talks to Kafka. A dry run writes nothing.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import BinaryIO, Protocol

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.adapters.history_import_repository import (
    HistoryImportRepository,
    Inserted,
    imported_document,
)
from services.intake.adapters.import_file import ImportFile
from services.intake.domain.history_import.checker import HistoryChecker, ImportedCase, ImportTally
from services.intake.domain.history_import.history import occurred_at
from services.intake.domain.history_import.references import DirectoryView
from services.intake.domain.history_import.rows import ImportFailed, RowProblem
from shared.errors import is_transient
from shared.events.case_events import IMPORT_SOURCE
from shared.events.envelope import Envelope
from shared.logging import get_logger
from shared.mongo import Document

log = get_logger(__name__)

DEFAULT_BATCH_SIZE = 500
# Attempts of one batch's insert while the store fails transiently, waiting 0.5, 1, 2 … 32 s in
# between (about a minute in all).
STORE_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 0.5


# With `paced`: batches the import may be ahead of intake's relay, and how long it waits for
# one before it goes on without waiting (intake not running).
PACE_BATCHES_AHEAD = 4
PACE_MAX_WAIT_SECONDS = 120.0
PACE_POLL_SECONDS = 0.5
PACE_SAMPLE = 100


class PublishingPace:
    """Keeps an import at most `ahead` batches ahead of intake's outbox relay.

    Unpaced, a large import fills intake's outbox far faster than the platform drains it (the
    store is shared by everything), and every relay read of a large backlog costs the store
    its size. Paced, after each batch the import waits until the first cases of the batch
    `ahead` batches back are published. A relay that publishes nothing for `max_wait_s` (intake
    is not running) ends the pacing, with a warning: the events wait in the outbox for intake.
    """

    def __init__(
        self,
        imports: HistoryImportRepository,
        *,
        ahead: int = PACE_BATCHES_AHEAD,
        max_wait_s: float = PACE_MAX_WAIT_SECONDS,
        poll_s: float = PACE_POLL_SECONDS,
    ) -> None:
        self._imports = imports
        self._ahead = ahead
        self._max_wait_s = max_wait_s
        self._poll_s = poll_s
        self._batches: deque[list[str]] = deque()
        self.gave_up = False

    async def after(self, case_ids: Sequence[str]) -> None:
        """After a batch is stored: wait, if the import is too far ahead of the relay."""
        if self.gave_up or not case_ids:
            return
        # A sample: the relay claims a backlog whole before it looks again, so once these are
        # out, what was pending with them is too, and about `ahead` batches wait at most.
        self._batches.append(list(case_ids[:PACE_SAMPLE]))
        if len(self._batches) <= self._ahead:
            return
        sample = self._batches.popleft()
        waited = 0.0
        while await self._imports.unpublished(sample):
            if waited >= self._max_wait_s:
                self.gave_up = True
                log.warning("intake.import_not_paced", waited_s=waited, reason="relay silent")
                return
            await asyncio.sleep(self._poll_s)
            waited += self._poll_s


class ImportProgress(Protocol):
    """Where an import reports as it goes (the command prints it)."""

    def show(self, tally: ImportTally, *, bytes_read: int) -> None:
        """After each batch: what was done so far."""

    def problem(self, problem: RowProblem) -> None:
        """A refused row, when it is met."""


async def load_directory(directory: DirectoryCopy) -> DirectoryView:
    """Intake's copy of the directory, which live submissions are checked against too."""
    view = DirectoryView.of(
        {
            "categories": await directory.entries("category"),
            "stations": await directory.entries("station"),
            "liaison_points": await directory.entries("liaison_point"),
            "representatives": await directory.entries("representative"),
        }
    )
    if not view.entries["categories"] or not view.entries["stations"]:
        raise ImportFailed(
            "intake has no copy of the directory yet: load it in routing "
            "(python -m services.routing seed-demo or directory import) and start intake, "
            "which copies it from the directory topic"
        )
    return view


def envelopes_of(case: ImportedCase, *, correlation_id: str) -> list[Envelope]:
    return [
        Envelope.wrap(
            event,
            source=IMPORT_SOURCE,
            subject=case.case_id,
            correlation_id=correlation_id,
            time=occurred_at(event),
        )
        for event in case.events
    ]


@dataclass
class Prepared:
    """The next batch of the file: its valid cases (with their documents, for a real run) and
    the rows refused on the way."""

    cases: list[ImportedCase] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    refused: list[RowProblem] = field(default_factory=list)
    read: int = 0
    bytes_read: int = 0
    last: bool = False


class Batches:
    """Reads, checks and builds the file's batches of `batch_size` rows (CPU only: runs in a
    worker thread while the previous batch is being inserted)."""

    def __init__(
        self,
        *,
        source: ImportFile,
        handle: BinaryIO,
        checker: HistoryChecker,
        batch_size: int,
        build: bool,
        correlation_id: str,
        now: datetime,
    ) -> None:
        self._source = source
        self._rows = source.rows(handle)
        self._checker = checker
        self._batch_size = batch_size
        self._build = build
        self._correlation_id = correlation_id
        self._now = now

    def next(self) -> Prepared:
        prepared = Prepared()
        for number, item in self._rows:
            prepared.read += 1
            checked = item if isinstance(item, RowProblem) else self._checker.check(number, item)
            if isinstance(checked, RowProblem):
                prepared.refused.append(checked)
            else:
                prepared.cases.append(checked)
            if prepared.read >= self._batch_size:
                break
        else:
            prepared.last = True
        if self._build:
            prepared.documents = [
                imported_document(
                    case,
                    envelopes_of(case, correlation_id=self._correlation_id),
                    imported_at=self._now,
                )
                for case in prepared.cases
            ]
        prepared.bytes_read = self._source.bytes_read
        return prepared


async def insert_patiently(
    imports: HistoryImportRepository, documents: Sequence[Document]
) -> Inserted:
    """Insert a batch, again after a transient store failure: a store too busy to answer the
    driver's heartbeat in time fails a request for a moment, and an import of 100,000 cases
    should not stop for it. Safe because the insert is idempotent by each case's key; the cases
    a failed attempt stored count as already imported."""
    delay = FIRST_RETRY_SECONDS
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            return await imports.insert(documents)
        except Exception as exc:
            if attempt == STORE_ATTEMPTS or not is_transient(exc):
                raise
            log.warning(
                "intake.import_batch_retried",
                error=f"{type(exc).__name__}: {exc}",
                attempt=attempt,
                retry_in=delay,
            )
            await asyncio.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # the loop returns or raises


async def import_history(
    *,
    source: ImportFile,
    directory: DirectoryCopy,
    cases: CaseRepository,
    imports: HistoryImportRepository,
    dry_run: bool,
    batch_size: int = DEFAULT_BATCH_SIZE,
    timezone: tzinfo,
    correlation_id: str,
    now: datetime,
    progress: ImportProgress,
    pace: PublishingPace | None = None,
) -> ImportTally:
    """Check every row against intake's directory copy; store the valid ones in batches (not
    in a dry run). Reports each refused row and each batch to `progress`; with `pace`, keeps
    to intake's relay.

    One batch is inserted while the next is read and built, so the store and the parsing
    work at the same time. Raises ImportFailed when there is no directory copy to check against.
    """
    checker = HistoryChecker(directory=await load_directory(directory), now=now, timezone=timezone)
    if not dry_run:
        # The unique idempotency key is what makes a second run import nothing.
        await cases.ensure_indexes()
    tally = ImportTally()

    async def store(batch: Prepared) -> None:
        if dry_run:
            keys = [c.idempotency_key for c in batch.cases]
            found = await imports.already_imported(keys)
            tally.already += len(found)
            tally.imported += len(batch.cases) - len(found)
        else:
            result = await insert_patiently(imports, batch.documents)
            tally.imported += result.inserted
            tally.already += result.already
            if pace is not None:
                await pace.after([str(d["_id"]) for d in batch.documents])
        if batch.read:
            progress.show(tally, bytes_read=batch.bytes_read)

    with source.path.open("rb") as handle:
        batches = Batches(
            source=source,
            handle=handle,
            checker=checker,
            batch_size=batch_size,
            build=not dry_run,
            correlation_id=correlation_id,
            now=now,
        )
        storing: asyncio.Task[None] | None = None
        try:
            while True:
                batch = await asyncio.to_thread(batches.next)
                tally.read += batch.read
                for problem in batch.refused:
                    tally.refused.append(problem.row)
                    progress.problem(problem)
                if storing is not None:
                    await storing
                storing = asyncio.create_task(store(batch))
                if batch.last:
                    break
        finally:
            if storing is not None:
                await storing
    return tally
