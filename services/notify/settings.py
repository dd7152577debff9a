from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    port: int = Field(default=8003, ge=1, le=65535)
    smtp_host: str | None = Field(
        default=None,
        description="SMTP relay for the email channel; None disables email (the inbox works).",
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "minyi@localhost"
    smtp_timeout_s: float = Field(default=10, gt=0)
    email_addresses: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Inbox address (e.g. `station_head:xijie`) -> email address, as JSON in "
            "MINYI_EMAIL_ADDRESSES. A stand-in until the station directory carries contacts: "
            "an inbox address without an entry here simply gets no email."
        ),
    )
