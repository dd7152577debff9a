"""`python -m services.intake import FILE.csv|FILE.jsonl`: load past cases into intake.

The command's side of the import (handlers/history_import.py does the work): it opens the
store, prints each refused row and a progress line per batch, then the summary, and answers
with an exit code. The file is streamed and checked row by row; the valid rows are stored in
batches, each case in one insert with the events of its history, which the running intake
service's relay publishes: this command never talks to Kafka. A dry run writes nothing.

Exit codes: 0 every row is imported (now or before); 1 some rows were refused (the others are
imported; a dry run: some rows are bad); 2 nothing could be done (no such file, bad columns,
no directory copy, the store failed — what was stored before stays, run it again).
"""

from __future__ import annotations

import asyncio
import csv
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TextIO

from pymongo.errors import PyMongoError

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.adapters.history_import_repository import HistoryImportRepository
from services.intake.adapters.import_file import ImportFile
from services.intake.domain.history_import.checker import ImportTally, row_ranges
from services.intake.domain.history_import.rows import ImportFailed, RowProblem
from services.intake.handlers.history_import import (
    DEFAULT_BATCH_SIZE,
    ImportProgress,
    PublishingPace,
    import_history,
)
from services.intake.settings import IntakeSettings
from shared.logging import new_correlation_id
from shared.mongo import create_client, service_database

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_FAILED = 2


class ShownProgress(ImportProgress, Protocol):
    """Progress the command shows, and ends when the import is done (`minyi cases import`
    passes a Rich bar)."""

    def finish(self) -> None:
        """After the last batch."""


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


async def run_import(
    *,
    path: Path,
    settings: IntakeSettings,
    dry_run: bool,
    batch_size: int = DEFAULT_BATCH_SIZE,
    out: TextIO,
    now: datetime | None = None,
    progress: ShownProgress | None = None,
    paced: bool = False,
) -> ImportTally:
    """Check every row; store the valid ones in batches (not in a dry run). Prints each
    refused row and a progress line per batch to `out`, unless another `progress` shows them."""
    source = ImportFile(path)
    now = now or datetime.now(UTC)
    client = create_client(settings)
    try:
        db = service_database(client, settings)
        progress = progress or Progress(out, size=source.size, dry_run=dry_run)
        imports = HistoryImportRepository(db)
        tally = await import_history(
            source=source,
            directory=DirectoryCopy(db),
            cases=CaseRepository(db),
            imports=imports,
            dry_run=dry_run,
            batch_size=batch_size,
            timezone=settings.zone,
            correlation_id=new_correlation_id(),
            now=now,
            progress=progress,
            pace=PublishingPace(imports) if paced and not dry_run else None,
        )
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
    paced: bool = False,
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
                path=path,
                settings=settings,
                dry_run=dry_run,
                batch_size=batch_size,
                out=out,
                paced=paced,
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
