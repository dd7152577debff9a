"""What each recipient is told about an event: the rules, then the words in their language. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from services.notify.domain.delivery import PushChannel
from services.notify.domain.rules import recipients
from services.notify.domain.templates import DEFAULT_LANGUAGE, Language, render
from shared.events.envelope import EventData


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
    languages: Mapping[str, Language] | None = None,
    followers: Sequence[str] = (),
) -> list[Notification]:
    """One notification per recipient the rules name (with the case's `followers`), in the
    recipient's language (Chinese unless `languages` says otherwise)."""
    data = event.model_dump(mode="json")
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
