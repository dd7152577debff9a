"""reporting's use cases."""

from __future__ import annotations

from collections.abc import Sequence

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.counters import deltas_for
from shared.consumer import ConsumedEvent
from shared.logging import get_logger

log = get_logger(__name__)


async def on_case_events(events: Sequence[ConsumedEvent], *, read_models: ReadModels) -> None:
    """One batched write per bucket collection for the whole batch."""
    changes = [(e.envelope.id, delta) for e in events for delta in deltas_for(e.envelope)]
    if changes:
        applied = await read_models.apply(changes)
        log.info(
            "reporting.counters_updated", events=len(events), increments=len(changes), new=applied
        )
