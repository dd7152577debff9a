"""Progress of long work: a Rich bar with an ETA on a terminal; plain lines (no carriage
returns) when the output is a file or a pipe, so logs and CI keep one line per step."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from services.intake.domain.history_import.checker import ImportTally
from services.intake.domain.history_import.rows import RowProblem

# At most one plain line this often: a replay of a million events is not a million lines.
PLAIN_EVERY_S = 1.0


def _bar(console: Console, *, counted: bool) -> Progress:
    counter = MofNCompleteColumn() if counted else TaskProgressColumn()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        counter,
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


class RichImportProgress:
    """The past-cases import on a terminal: the bar follows the bytes read (the row count is
    unknown until the end), a refused row is printed above it."""

    def __init__(self, out: TextIO, *, size: int, dry_run: bool) -> None:
        self._console = Console(file=out)
        self._bar = _bar(self._console, counted=False)
        self._dry_run = dry_run
        self._task = self._bar.add_task("checking" if dry_run else "importing", total=size or 1)
        self._bar.start()

    def show(self, tally: ImportTally, *, bytes_read: int) -> None:
        done = "to import" if self._dry_run else "imported"
        self._bar.update(
            self._task,
            completed=bytes_read,
            description=f"{tally.read} rows: {tally.imported} {done}, {len(tally.refused)} refused",
        )

    def problem(self, problem: RowProblem) -> None:
        self._bar.console.print(str(problem), markup=False, highlight=False)

    def finish(self) -> None:
        self._bar.stop()


def replay_progress(out: TextIO) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """reporting's rebuild: `(show(done, total), finish())`."""
    if out.isatty():
        bar = _bar(Console(file=out), counted=True)
        task = bar.add_task("replaying events", total=None)
        bar.start()

        def show_bar(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, 1))

        return show_bar, bar.stop
    last = [0.0]

    def show_line(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < PLAIN_EVERY_S:
            return
        last[0] = now
        percent = 100 * done // total if total else 100
        out.write(f"replayed {done}/{total} events ({percent}%)\n")
        out.flush()

    return show_line, lambda: None
