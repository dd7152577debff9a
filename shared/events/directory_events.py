"""Events on the log-compacted `directory` topic, keyed `<kind>:<key>`.

Each event carries the entry's whole current state, so compaction keeps exactly what a new
reader needs. Entries are deactivated, never deleted.
"""

from __future__ import annotations

from typing import Any, Literal

from shared.events.envelope import EventData

DirectoryKind = Literal[
    "category", "department", "station", "liaison_point", "representative", "settings"
]


class DirectoryEntryChanged(EventData):
    TYPE = "directory.entry_changed"
    VERSION = 1

    kind: DirectoryKind
    key: str
    entry: dict[str, Any]


def directory_subject(kind: DirectoryKind, key: str) -> str:
    return f"{kind}:{key}"
