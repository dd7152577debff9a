"""intake's copy of the directory, kept from routing's `directory.entry_changed` events."""

from __future__ import annotations

from collections.abc import Sequence

from services.intake.adapters.directory_copy import DirectoryCopy
from shared.dispatch import Event
from shared.events.directory_events import DirectoryEntryChanged


async def on_directory_events(
    events: Sequence[Event[DirectoryEntryChanged]], *, directory: DirectoryCopy
) -> None:
    await directory.apply_many(
        [(event.data.kind, event.data.key, event.data.entry, event.time) for event in events]
    )
