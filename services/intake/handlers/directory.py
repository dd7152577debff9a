"""intake's copy of the directory, kept from routing's `directory.entry_changed` events."""

from __future__ import annotations

from collections.abc import Sequence

from services.intake.adapters.directory_copy import DirectoryCopy
from shared.dispatch import Event
from shared.events.directory_events import DirectoryEntryChanged


async def on_directory_events(
    events: Sequence[Event[DirectoryEntryChanged]], *, directory: DirectoryCopy
) -> None:
    for event in events:
        changed = event.data
        await directory.apply(
            kind=changed.kind, key=changed.key, entry=changed.entry, at=event.time
        )
