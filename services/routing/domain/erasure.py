"""What routing keeps of a case whose resident's data was erased (intake's `case.erased`):
everything the counts, deadlines and the audit's who-did-what need; none of the free text that
is the resident's or may quote them. Pure: data in, data out.

Erased: the case's text; every message both ways; the note of every audit entry and of every
house-repair stage a person wrote (the resident's reasons and answers, staff's responses,
rejections, notes and questions). Kept: status, category, station, holder, dates, deadlines,
who did what when, and routing's own notes (why it routed the case where it did).
Routing never holds the resident's contact, photos (only their count) or location.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

ERASED = "[erased]"


def _note_erased(entry: dict[str, Any], *, keep_system: bool) -> dict[str, Any]:
    if entry.get("note") is None or (keep_system and entry.get("actor_role") == "system"):
        return entry
    return {**entry, "note": ERASED}


def erased_fields(document: dict[str, Any], *, at: datetime) -> dict[str, Any]:
    """The fields to set on routing's stored case `document`, the erasure mark included."""
    fields: dict[str, Any] = {
        "text": ERASED,
        "messages": {
            key: {**message, "text": ERASED}
            for key, message in (document.get("messages") or {}).items()
        },
        "audit": [_note_erased(e, keep_system=True) for e in document.get("audit") or []],
        "erased": {"at": at, "scope": "all"},
    }
    history = (document.get("house_repair") or {}).get("history")
    if history:
        fields["house_repair.history"] = [_note_erased(h, keep_system=False) for h in history]
    return fields
