"""What each recipient is told about an event: the rules, then the words in their language. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.notify.domain.delivery import PushChannel
from services.notify.domain.rules import recipients
from services.notify.domain.templates import DEFAULT_LANGUAGE, Language, render
from shared.events.envelope import EventData
from shared.zones import city_minute


class Notification(BaseModel):
    model_config = ConfigDict(frozen=True)

    recipient: str
    title: str
    body: str
    urgent: bool = False
    push: tuple[PushChannel, ...] = ()
    language: Language = DEFAULT_LANGUAGE


def notifications(
    event: EventData,
    *,
    zone: tzinfo,
    languages: Mapping[str, Language] | None = None,
    followers: Sequence[str] = (),
) -> list[Notification]:
    """One notification per recipient the rules name (with the case's `followers`), in the
    recipient's language (Chinese unless `languages` says otherwise); times read as the city's
    clocks show them (`zone`)."""
    data = template_data(event, zone=zone)
    found: list[Notification] = []
    for recipient in recipients(event, followers=followers):
        language = (languages or {}).get(recipient.address, DEFAULT_LANGUAGE)
        title, body = render(recipient.template_key, data, language)
        found.append(
            Notification(
                recipient=recipient.address,
                title=title,
                body=body,
                urgent=recipient.urgent,
                push=recipient.push,
                language=language,
            )
        )
    return found


def template_data(event: EventData, *, zone: tzinfo) -> dict[str, Any]:
    """The event's fields as the templates read them. A time is written as people in the city
    write it, to the minute ("2026-12-08 23:59"), not as the UTC instant the event carries
    ("2026-12-08T15:59:59Z", a day's deadline read as the afternoon)."""
    data = event.model_dump(mode="json")
    for name, value in event:
        if isinstance(value, datetime):
            data[name] = city_minute(value, zone)
    return data
