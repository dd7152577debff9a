"""The durations (whole milliseconds) of many buckets, and their exact order statistics. Pure.

A daily bucket keeps its durations as a list. A roll-up keeps each kind packed (`pack`): sorted,
as 8-byte integers in one binary field, with their sum. A report over a year then neither
decodes nor sorts each duration of the year: the mean is the sums' quotient, and the k-th
smallest duration is the least value with k durations at or below it, found by bisecting the
values and counting in each sorted run (`Durations.at_rank`). The figures are exactly those of
sorting every duration; with 100,000 cases stored a year holds about 100,000 of them, which a
report no longer turns into Python integers and sorts.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from typing import Any

# Signed 8-byte integers in the machine's order; durations over 24.8 days overflow 4 bytes.
PACKED = "q"


def pack(values: Iterable[int]) -> dict[str, Any]:
    """A roll-up's durations of one kind: sorted and packed, with their sum."""
    ordered = array(PACKED, sorted(values))
    return {"sum": sum(ordered), "sorted": ordered.tobytes()}


class Durations:
    """Durations added from buckets, daily (a list) or rolled up (packed)."""

    def __init__(self) -> None:
        self._runs: list[array[int]] = []
        self._loose: list[int] = []
        self.count = 0
        self.total = 0

    @classmethod
    def of(cls, values: Durations | Iterable[int]) -> Durations:
        """Durations as they are, or plain values gathered."""
        if isinstance(values, Durations):
            return values
        made = cls()
        made.add(list(values))
        return made

    def add(self, stored: Any) -> None:
        """One bucket's durations of one kind, as stored."""
        if isinstance(stored, Mapping):
            run: array[int] = array(PACKED)
            run.frombytes(bytes(stored["sorted"]))
            if run:
                self._runs.append(run)
                self.count += len(run)
                self.total += int(stored["sum"])
            return
        values = [int(v) for v in stored]
        self._loose.extend(values)
        self.count += len(values)
        self.total += sum(values)

    def packed(self) -> dict[str, Any]:
        """All of them as one roll-up's (`pack`); the sort merges the runs, already sorted."""
        merged = array(PACKED)
        for run in self._sorted_runs():
            merged.extend(run)
        return {"sum": self.total, "sorted": array(PACKED, sorted(merged)).tobytes()}

    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    def at_rank(self, rank: int) -> int:
        """The rank-th smallest duration (1-based, 1 ≤ rank ≤ count)."""
        if not 1 <= rank <= self.count:
            raise ValueError(f"rank {rank} outside 1..{self.count}")
        runs = self._sorted_runs()
        low = min(run[0] for run in runs)
        high = max(run[-1] for run in runs)
        while low < high:
            middle = (low + high) // 2
            if sum(bisect_right(run, middle) for run in runs) >= rank:
                high = middle
            else:
                low = middle + 1
        return low

    def _sorted_runs(self) -> list[array[int]]:
        if self._loose:
            self._runs.append(array(PACKED, sorted(self._loose)))
            self._loose = []
        return [run for run in self._runs if run]
