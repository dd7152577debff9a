"""notify's inbox as its API publishes it, and which inbox addresses an account reads.

notify answers `GET /v1/inbox/{recipient}` with an `InboxPage`; routing's pages read it through
the same models. The addresses follow notify's delivery rules (services/notify/domain/rules.py).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from shared.auth import Claims


class InboxMessage(BaseModel):
    id: str
    recipient: str
    title: str
    body: str
    urgent: bool = False
    case_id: str
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    recipient: str
    unread: int
    messages: list[InboxMessage]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page."
    )


def recipients_for(claims: Claims) -> list[str]:
    """The inbox addresses notify delivers to for this account."""
    if claims.role == "representative" and claims.representative_code:
        return [f"representative:{claims.representative_code}"]
    if claims.role == "staff" and claims.station:
        return [f"station:{claims.station}"]
    if claims.role == "station_head" and claims.station:
        return [f"station:{claims.station}", f"station_head:{claims.station}"]
    if claims.role == "department" and claims.department:
        return [f"department:{claims.department}"]
    return []
