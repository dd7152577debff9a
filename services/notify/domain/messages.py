"""Who hears what, and the words they read. Pure."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.events.case_events import CaseAssigned


class InboxMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    recipient: str
    title: str
    body: str


def recipient_for(event: CaseAssigned) -> str:
    """The representative who holds the case, or the station's queue when nobody does."""
    if event.representative_code:
        return f"representative:{event.representative_code}"
    return f"station:{event.station_id}"


def new_case_message(event: CaseAssigned) -> InboxMessage:
    holder = "您" if event.representative_code else event.station_name
    return InboxMessage(
        recipient=recipient_for(event),
        title=f"新的意见建议（{event.category}）",
        body=f"一件新的意见建议已分派给{holder}，请及时受理。分派原因：{event.reason}",
    )
