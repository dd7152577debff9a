"""Dilapidated-house repair (危旧房治理) stages as reporting counts them. Pure.

The same stage names, in the same order, as routing's table (docs/lifecycle.md); reporting keeps
its own copy because services share events, not code. A case's stage now is in `case_state`.
"""

from __future__ import annotations

from collections.abc import Mapping

STAGES: tuple[str, ...] = (
    "under_governance",
    "design",
    "repairing",
    "repaired",
    "acceptance_passed",
    "expropriated",
)


def every_stage(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts per stage, every stage present (zero included), in the table's order."""
    return {stage: int(counts.get(stage, 0)) for stage in STAGES}
