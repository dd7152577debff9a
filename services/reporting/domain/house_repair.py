"""Dilapidated-house repair (危旧房治理) stages as reporting counts them. Pure.

The stages are the event contract's (`shared.events.case_events.HOUSE_STAGES`), in the table's
order (docs/lifecycle.md). A case's stage now is in `case_state`.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.events.case_events import HOUSE_STAGES

STAGES: tuple[str, ...] = HOUSE_STAGES


def every_stage(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts per stage, every stage present (zero included), in the table's order."""
    return {stage: int(counts.get(stage, 0)) for stage in STAGES}
