"""`python -m services.intake import FILE.csv|FILE.jsonl`: load past cases into intake.

The file is streamed: rows are checked one by one (services/intake/domain/history_import.py)
and the valid ones stored in batches, each case in one insert together with the events of its
history (outbox). The running intake service's relay polls its collection and publishes them:
this command never talks to Kafka. A dry run checks the whole file and writes nothing.

Exit codes: 0 every row is imported (now or before); 1 some rows were refused (the others are
imported; a dry run: some rows are bad); 2 nothing could be done (no such file, bad columns,
no directory copy, the store failed — what was stored before stays, run it again).
"""

from __future__ import annotations

import asyncio
import csv
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO
from zoneinfo import ZoneInfo

import orjson
from pymongo.errors import PyMongoError

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.adapters.history_import_repository import (
    HistoryImportRepository,
    imported_document,
)
from services.intake.domain.history_import import (
    DirectoryView,
    FieldProblem,
    HistoryChecker,
    ImportedCase,
    ImportTally,
    RowProblem,
    column_problems,
    occurred_at,
    row_ranges,
)
from services.intake.settings import IntakeSettings
from shared.events.case_events import IMPORT_SOURCE
from shared.events.envelope import Envelope
from shared.logging import new_correlation_id
from shared.mongo import Document, create_client, service_database

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_FAILED = 2
DEFAULT_BATCH_SIZE = 500
SUFFIXES = (".csv", ".jsonl", ".ndjson")

RawRow = Mapping[str, Any]


class ImportFailed(Exception):
    """Nothing can be imported: the file or the environment is not usable."""


class ImportFile:
    """The rows of a CSV (UTF-8, BOM or not, header row) or JSONL file, streamed, each with
    its row number: the line it starts on, as an editor or a spreadsheet shows it."""

    def __init__(self, path: Path) -> None:
        if path.suffix.lower() not in SUFFIXES:
            raise ImportFailed(f"{path}: the file must be .csv or .jsonl")
        self.path = path
        self.size = path.stat().st_size
        self.bytes_read = 0
        self._not_utf8: set[int] = set()

    def rows(self, handle: BinaryIO) -> Iterator[tuple[int, RawRow | RowProblem]]:
        lines = self._lines(handle)
        if self.path.suffix.lower() == ".csv":
            return self._csv(lines)
        return self._jsonl(lines)

    def _lines(self, handle: BinaryIO) -> Iterator[str]:
        for number, raw in enumerate(handle, start=1):
            self.bytes_read += len(raw)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                # The row it belongs to is refused; the others are still read.
                self._not_utf8.add(number)
                text = raw.decode("utf-8", errors="replace")
            yield text.removeprefix("\ufeff") if number == 1 else text

    def _encoding_problem(self, first: int, last: int) -> RowProblem | None:
        bad = [n for n in range(first, last + 1) if n in self._not_utf8]
        if not bad:
            return None
        return RowProblem(first, (FieldProblem("", f"line {bad[0]} is not UTF-8"),))

    def _csv(self, lines: Iterator[str]) -> Iterator[tuple[int, RawRow | RowProblem]]:
        reader = csv.reader(lines)
        try:
            header = [name.strip().lower() for name in next(reader)]
        except StopIteration:
            raise ImportFailed(f"{self.path}: the file is empty; it needs a header row") from None
        problems = column_problems(header, header=True)
        if problems:
            raise ImportFailed(f"{self.path}: " + "; ".join(problems))
        ended = reader.line_num
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise csv.Error(f"{self.path}: line {reader.line_num}: {exc}") from None
            start, ended = ended + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            problem_row = self._encoding_problem(start, ended)
            if problem_row is not None:
                yield start, problem_row
                continue
            if len(values) != len(header):
                count = f"{len(values)} values, but the header has {len(header)} columns"
                yield start, RowProblem(start, (FieldProblem("", count),))
                continue
            yield start, dict(zip(header, values, strict=True))

    def _jsonl(self, lines: Iterator[str]) -> Iterator[tuple[int, RawRow | RowProblem]]:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            problem_row = self._encoding_problem(number, number)
            if problem_row is not None:
                yield number, problem_row
                continue
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield number, RowProblem(number, (FieldProblem("", f"not JSON: {exc}"),))
                continue
            if not isinstance(data, dict):
                yield number, RowProblem(number, (FieldProblem("", "not a JSON object"),))
                continue
            yield number, data


class Progress:
    """One line per batch; on a terminal, the same line rewritten."""

    def __init__(self, out: TextIO, *, size: int, dry_run: bool) -> None:
        self._out = out
        self._size = size
        self._dry_run = dry_run
        self._live = out.isatty()
        self._started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def show(self, tally: ImportTally, *, bytes_read: int) -> None:
        percent = 100 * bytes_read // self._size if self._size else 100
        rate = tally.read / max(self.elapsed(), 1e-6)
        done = "to import" if self._dry_run else "imported"
        line = (
            f"{'checked' if self._dry_run else 'read'} {tally.read} rows ({percent}%): "
            f"{tally.imported} {done}, {tally.already} already imported, "
            f"{len(tally.refused)} refused · {rate:.0f} rows/s"
        )
        self._write(line, keep=False)

    def problem(self, problem: RowProblem) -> None:
        self._write(str(problem), keep=True)

    def finish(self) -> None:
        if self._live:
            self._out.write("\n")
            self._out.flush()

    def _write(self, line: str, *, keep: bool) -> None:
        if self._live:
            # Clear the progress line; a kept line (a refused row) ends with a newline.
            self._out.write("\r\x1b[K" + line + ("\n" if keep else ""))
        else:
            self._out.write(line + "\n")
        self._out.flush()


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


async def run_import(
    *,
    path: Path,
    settings: IntakeSettings,
    dry_run: bool,
    batch_size: int = DEFAULT_BATCH_SIZE,
    out: TextIO,
    now: datetime | None = None,
) -> ImportTally:
    """Check every row; store the valid ones in batches (not in a dry run). Prints each
    refused row and a progress line per batch to `out`.

    One batch is inserted while the next is read and built, so the store and the parsing
    work at the same time.
    """
    source = ImportFile(path)
    now = now or datetime.now(UTC)
    client = create_client(settings)
    try:
        db = service_database(client, settings)
        checker = HistoryChecker(
            directory=await load_directory(DirectoryCopy(db)),
            now=now,
            timezone=ZoneInfo(settings.timezone),
        )
        repository = HistoryImportRepository(db)
        if not dry_run:
            # The unique idempotency key is what makes a second run import nothing.
            await CaseRepository(db).ensure_indexes()
        tally = ImportTally()
        progress = Progress(out, size=source.size, dry_run=dry_run)

        async def store(batch: Prepared) -> None:
            if dry_run:
                keys = [c.idempotency_key for c in batch.cases]
                found = await repository.already_imported(keys)
                tally.already += len(found)
                tally.imported += len(batch.cases) - len(found)
            else:
                result = await repository.insert(batch.documents)
                tally.imported += result.inserted
                tally.already += result.already
            if batch.read:
                progress.show(tally, bytes_read=batch.bytes_read)

        with path.open("rb") as handle:
            batches = Batches(
                source=source,
                handle=handle,
                checker=checker,
                batch_size=batch_size,
                build=not dry_run,
                correlation_id=new_correlation_id(),
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
        progress.finish()
        return tally
    finally:
        await client.close()


def summary(tally: ImportTally, *, dry_run: bool, seconds: float) -> str:
    refused = f"refused {len(tally.refused)}"
    if tally.refused:
        rows = "row" if len(tally.refused) == 1 else "rows"
        refused += f" ({rows} {row_ranges(tally.refused)})"
    if dry_run:
        return (
            f"dry run, nothing written: read {tally.read}, would import {tally.imported}, "
            f"already imported {tally.already}, {refused}"
        )
    rate = tally.read / max(seconds, 1e-6)
    return (
        f"read {tally.read}, imported {tally.imported}, already imported {tally.already}, "
        f"{refused} in {seconds:.1f} s ({rate:.0f} rows/s)"
    )


def import_command(
    path: Path,
    *,
    settings: IntakeSettings,
    dry_run: bool,
    batch_size: int = DEFAULT_BATCH_SIZE,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The command: runs the import, prints the summary, returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    if not path.is_file():
        print(f"error: {path}: no such file", file=err)
        return EXIT_FAILED
    started = time.monotonic()
    try:
        tally = asyncio.run(
            run_import(
                path=path, settings=settings, dry_run=dry_run, batch_size=batch_size, out=out
            )
        )
    except ImportFailed as exc:
        print(f"error: {exc}", file=err)
        return EXIT_FAILED
    except (OSError, PyMongoError, csv.Error) as exc:
        kept = "" if dry_run else "; what was imported stays: run the import again to finish"
        print(f"error: {type(exc).__name__}: {exc}{kept}", file=err)
        return EXIT_FAILED
    print(summary(tally, dry_run=dry_run, seconds=time.monotonic() - started), file=out)
    return EXIT_REFUSED if tally.refused else EXIT_OK
