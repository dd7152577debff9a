from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field, SecretStr, model_validator

from services.notify.domain.delivery import PushChannel
from shared.settings import LOCAL_STORES, MONGO_URL_HELP, ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    port: int = Field(default=8003, ge=1, le=65535)
    mongo_url: str = Field(default=LOCAL_STORES["notify"], description=MONGO_URL_HELP)

    # Email over SMTP.
    smtp_host: str | None = Field(
        default=None,
        description="SMTP relay for the email channel; None disables email (the inbox works).",
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="The SMTP relay's port.")
    smtp_from: str = Field(default="minyi@localhost", description="The sender of every email.")
    smtp_timeout_s: float = Field(
        default=10, gt=0, description="How long one SMTP conversation may take."
    )
    smtp_tls: Literal["auto", "starttls", "implicit"] = Field(
        default="auto",
        description="auto: STARTTLS when the relay offers it (an attacker on the path can "
        "strip the offer); starttls: required; implicit: TLS from the first byte (port 465). "
        "prod refuses auto when MINYI_SMTP_HOST is set.",
    )
    smtp_username: str | None = Field(default=None, description="Sign in to the relay as.")
    smtp_password: SecretStr | None = Field(
        default=None, description="The relay password, with MINYI_SMTP_USERNAME."
    )

    # SMS and IM through HTTP gateways.
    sms_gateway_url: AnyHttpUrl | None = Field(
        default=None, description="Where SMS are POSTed; None disables SMS."
    )
    im_gateway_url: AnyHttpUrl | None = Field(
        default=None, description="Where IM (duty app) messages are POSTed; None disables IM."
    )
    gateway_secret: SecretStr | None = Field(
        default=None,
        description="Signs gateway requests (HMAC-SHA256); required with a URL, "
        "32+ characters in prod.",
    )
    gateway_timeout_s: float = Field(
        default=10, gt=0, description="How long one SMS or IM gateway request may take."
    )

    # Staff addresses, until the directory carries them: inbox address -> address.
    email_addresses: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Inbox address (e.g. `station_head:xijie`) -> email address, as JSON in "
            "MINYI_EMAIL_ADDRESSES. A stand-in until the directory carries staff contacts: "
            "an inbox address without an entry gets no email."
        ),
    )
    sms_numbers: dict[str, str] = Field(
        default_factory=dict, description="Inbox address -> phone number, as JSON."
    )
    im_accounts: dict[str, str] = Field(
        default_factory=dict, description="Inbox address -> IM account, as JSON."
    )

    # Delivery: how the channel workers retry.
    delivery_backoff_base_s: float = Field(
        default=2.0, gt=0, description="The first retry's wait; each further one doubles it."
    )
    delivery_backoff_cap_s: float = Field(
        default=600.0, gt=0, description="The longest wait between two attempts."
    )
    delivery_max_attempts: int = Field(
        default=30, ge=1, description="Transient failures before a delivery is given up."
    )
    delivery_lease_s: float = Field(
        default=60.0,
        gt=0,
        description="How long a worker holds a delivery it is sending; must exceed "
        "the SMTP and gateway timeouts.",
    )
    delivery_poll_s: float = Field(
        default=1.0, gt=0, description="How often the channel workers look for due deliveries."
    )
    delivery_concurrency: int = Field(
        default=16, ge=1, description="Sends in flight per channel and process."
    )
    contact_wait_s: float = Field(
        default=300.0,
        ge=0,
        description="How long a resident's contact may lag their case before the "
        "message is sent inbox-only.",
    )

    @model_validator(mode="after")
    def _gateways_are_signed(self) -> NotifySettings:
        if (self.sms_gateway_url or self.im_gateway_url) and not self.gateway_secret:
            raise ValueError("MINYI_GATEWAY_SECRET is required with a gateway URL")
        if bool(self.smtp_username) != bool(self.smtp_password):
            raise ValueError("MINYI_SMTP_USERNAME and MINYI_SMTP_PASSWORD go together")
        slowest = max(self.smtp_timeout_s, self.gateway_timeout_s)
        if self.delivery_lease_s <= slowest:
            raise ValueError("MINYI_DELIVERY_LEASE_S must exceed the SMTP and gateway timeouts")
        return self

    def prod_problems(self) -> list[str]:
        problems = super().prod_problems()
        secret = self.gateway_secret.get_secret_value() if self.gateway_secret else None
        if secret is not None and len(secret) < 32:
            problems.append("MINYI_GATEWAY_SECRET must be 32+ characters in prod")
        for name, url in (("SMS", self.sms_gateway_url), ("IM", self.im_gateway_url)):
            if url is not None and url.scheme != "https":
                problems.append(
                    f"MINYI_{name}_GATEWAY_URL must be an https:// address in prod: residents' "
                    "phone numbers and messages would cross the network in clear"
                )
        if self.smtp_host and self.smtp_tls == "auto":
            problems.append(
                "MINYI_SMTP_TLS must be starttls or implicit in prod: with auto, email "
                "(and the relay password) goes in clear when the STARTTLS offer is stripped"
            )
        return problems

    def staff_addresses(self) -> dict[PushChannel, dict[str, str]]:
        return {"email": self.email_addresses, "sms": self.sms_numbers, "im": self.im_accounts}
