"""What each recipient finds in their inbox for an event: the rules, then the words. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from services.notify.domain.rules import recipients
from services.notify.domain.templates import DEFAULT_LANGUAGE, Language, render
from shared.events.envelope import EventData


class InboxMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    recipient: str
    title: str
    body: str
    urgent: bool = False


def inbox_messages(
    event: EventData, *, language: Language = DEFAULT_LANGUAGE
) -> list[InboxMessage]:
    """One message per recipient the rules name for this event, rendered in `language`."""
    data = event.model_dump(mode="json")
    messages: list[InboxMessage] = []
    for recipient in recipients(event):
        title, body = render(recipient.template_key, data, language)
        messages.append(
            InboxMessage(
                recipient=recipient.address, title=title, body=body, urgent=recipient.urgent
            )
        )
    return messages


def email_messages(
    messages: list[InboxMessage], addresses: Mapping[str, str]
) -> list[tuple[InboxMessage, str]]:
    """Which inbox messages also go out by email, and to which address.

    For now only urgent ones (the station head on escalation), and only to recipients whose
    email address is known (see `NotifySettings.email_addresses`).
    """
    return [
        (message, addresses[message.recipient])
        for message in messages
        if message.urgent and message.recipient in addresses
    ]
