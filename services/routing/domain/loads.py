"""How a change of a case moves its holders' open load: what routing balances new cases by. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from services.routing.domain.workflow import OPEN

Holding = tuple[str | None, str]
"""(representative code or None for a station queue, status) of a case."""


def load_shift(before: Holding | None, after: Holding) -> dict[str, int]:
    """+1 for whoever now holds an open case, -1 for whoever stopped; nothing for queues."""
    shift: Counter[str] = Counter()
    if before is not None and before[0] is not None and before[1] in OPEN:
        shift[before[0]] -= 1
    if after[0] is not None and after[1] in OPEN:
        shift[after[0]] += 1
    return {code: n for code, n in shift.items() if n}


def combined(shifts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for shift in shifts:
        total.update(shift)
    return {code: n for code, n in total.items() if n}
