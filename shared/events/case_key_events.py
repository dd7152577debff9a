"""Events on the log-compacted `case-keys` topic, keyed by case id: each case's sealing key
(shared.sealing), issued when its first event is published and deleted by a tombstone (the case
id, no value) when the case is erased.

Secret: only the four Minyi services may read this topic (docs/security.md). A downstream
system reads sealed fields as sealed; a key it was never given is one an erasure never has to
chase.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from shared.events.envelope import EventData


class CaseKeyIssued(EventData):
    """The key that seals the personal fields of one case's events (AES-256-GCM)."""

    TYPE = "case.key_issued"
    VERSION = 1

    case_id: str
    key: str = Field(description="The 32-byte key, base64url with padding (RFC 4648 §5).")
    issued_at: datetime
