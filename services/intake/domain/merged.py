"""A case merged into another (a duplicate) follows the surviving case. Pure.

Its resident reads the surviving case's progress and answer on their own tracking page and
rates that answer from it; the rating stays on their own case (`case.rated` with `answer_of`),
so each resident's rating counts once while the surviving case alone counts for completion.
They cannot reopen it: the surviving case's own resident decides that.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.resident_actions import MAX_REOPENS

SURVIVING = "surviving"
"""Where a merged case's document carries what it follows of the surviving case, once read."""


def as_follower(
    own: CaseSnapshot, *, rated_at: datetime | None, surviving: Mapping[str, Any] | None
) -> CaseSnapshot:
    """What the resident rules see of a merged case: the surviving case's status and answer,
    its own rating (given since that answer or not), no reopening and no conversation."""
    if own.status != "merged" or surviving is None:
        return own
    responded_at = surviving.get("responded_at")
    return own.model_copy(
        update={
            "status": surviving["status"],
            "responded_at": responded_at,
            "rated_since_response": rated_at is not None
            and responded_at is not None
            and _naive(rated_at) >= _naive(responded_at),
            "reopen_count": MAX_REOPENS,
            "awaiting_reply": False,
        }
    )


def combined_version(document: Mapping[str, Any]) -> int:
    """The version of what the tracking page shows: the case's own, plus the surviving case's
    for a merged one (both only grow, so any change to either changes the sum)."""
    surviving = document.get(SURVIVING) or {}
    return int(document["version"]) + int(surviving.get("version") or 0)


def _naive(at: datetime) -> datetime:
    # The store may hand back naive UTC datetimes; compare like with like.
    return at.replace(tzinfo=None)
