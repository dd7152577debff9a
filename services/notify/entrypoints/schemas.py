"""The request and response models of notify's HTTP API (the inbox answers with the shared
contract, `shared.inbox.InboxPage`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

from services.notify.domain.preferences import Preferences
from services.notify.domain.templates import DEFAULT_LANGUAGE, Language

Recipient = Annotated[
    str,
    Path(
        pattern=(
            r"^(representative|station|station_head|department|staff|case):[A-Za-z0-9_\-]{1,64}$"
        ),
        description=(
            "`representative:<code>`, `station:<id>`, `station_head:<station id>`, "
            "`department:<id>`, `staff:<user>` or `case:<id>`."
        ),
        examples=["representative:0412"],
    ),
]


class TemplatePreviewRequest(BaseModel):
    event_type: str = Field(examples=["case.assigned"])
    audience: str = Field(examples=["representative"])
    language: Language = DEFAULT_LANGUAGE
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="The event's data, as it travels on the topic.",
        examples=[{"category": "parking", "reason": "qr: representative 0412"}],
    )


class RenderedTemplate(BaseModel):
    title: str
    body: str


class PreferencesView(BaseModel):
    recipient: str
    preferences: Preferences
    stored: bool = Field(description="False: nothing was set, these are the defaults.")
