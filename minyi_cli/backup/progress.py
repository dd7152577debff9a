"""Progress of a backup or restore, one item (a collection, a topic partition) at a time: a
Rich bar per item on a terminal; off a terminal one plain line when an item is done, and at
most one a second while a long one runs."""

from __future__ import annotations

import time
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from minyi_cli.progress import PLAIN_EVERY_S


class Steps(Protocol):
    def begin(self, what: str, total: int | None) -> None: ...
    def advance(self, count: int) -> None: ...
    def end(self) -> None: ...
    def close(self) -> None: ...


class BarSteps:
    def __init__(self, out: TextIO) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=out),
        )
        self._task: TaskID | None = None
        self._bar.start()

    def begin(self, what: str, total: int | None) -> None:
        self._task = self._bar.add_task(what, total=total)

    def advance(self, count: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, count)

    def end(self) -> None:
        if self._task is not None:
            # An item whose size was a guess (documents counted while read) ends full.
            done = self._bar.tasks[-1].completed
            self._bar.update(self._task, total=done, completed=done)
        self._task = None

    def close(self) -> None:
        self._bar.stop()


class LineSteps:
    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._what = ""
        self._total: int | None = None
        self._done = 0
        self._last = 0.0

    def begin(self, what: str, total: int | None) -> None:
        self._what, self._total, self._done = what, total, 0
        self._last = time.monotonic()

    def advance(self, count: int) -> None:
        self._done += count
        now = time.monotonic()
        if now - self._last >= PLAIN_EVERY_S:
            self._last = now
            of = f"/{self._total}" if self._total is not None else ""
            self._line(f"{self._what}: {self._done}{of} ...")

    def end(self) -> None:
        self._line(f"{self._what}: {self._done}")

    def close(self) -> None:
        pass

    def _line(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()


def steps_for(out: TextIO) -> Steps:
    return BarSteps(out) if out.isatty() else LineSteps(out)
