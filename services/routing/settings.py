from __future__ import annotations

from datetime import date

from pydantic import Field, SecretStr, field_validator

from shared.auth import check_signing_key
from shared.settings import DEV_JWT_PRIVATE_KEY, LOCAL_STORES, MONGO_URL_HELP, ServiceSettings


class RoutingSettings(ServiceSettings):
    service_name: str = "routing"
    port: int = Field(default=8002, ge=1, le=65535)
    mongo_url: str = Field(default=LOCAL_STORES["routing"], description=MONGO_URL_HELP)
    jwt_private_key: SecretStr = Field(
        default=SecretStr(DEV_JWT_PRIVATE_KEY),
        description="Ed25519 private key (PEM) staff tokens are signed with; only routing holds "
        "it. Required in prod.",
    )
    # China's official holidays and make-up days come from `chinesecalendar`; these win over
    # it, and are all there is for a year it does not know yet (docs/lifecycle.md).
    holidays: list[date] = Field(
        default_factory=list,
        description='Days off beyond the official calendar, JSON: ["2027-01-01", ...].',
    )
    extra_working_days: list[date] = Field(
        default_factory=list,
        description="Working days beyond the official calendar (调休 make-up days).",
    )
    sla_accept_days: int = Field(
        default=2,
        ge=1,
        description="Working days to accept, unless the category sets `sla_accept_days`.",
    )
    sla_respond_days: int = Field(
        default=15,
        ge=1,
        description="Working days to respond, unless the category sets `sla_respond_days`.",
    )
    suggestion_answer_days: int = Field(
        default=90,
        ge=1,
        le=730,
        description="Calendar days a department has to answer a representative's formal "
        "suggestion (代表建议), unless the suggestion names its own deadline.",
    )
    oidc_issuer: str | None = Field(default=None, description="OIDC sign-in: the issuer URL.")
    oidc_audience: str | None = Field(default=None, description="OIDC: this client's id.")
    oidc_jwks_url: str | None = Field(default=None, description="OIDC: the provider's JWKS URL.")
    oidc_username_claim: str = Field(
        default="preferred_username", description="OIDC: the claim naming the staff account."
    )
    sla_check_seconds: float = Field(
        default=30.0, gt=0, description="How often to look for breaches."
    )
    load_recount_seconds: float = Field(
        default=600.0,
        gt=0,
        description="How often the representatives' open-load counters are set from the cases.",
    )
    trust_forwarded_for: bool = Field(
        default=False,
        description="Behind one proxy: the client address is the last X-Forwarded-For entry.",
    )
    # Sign-in throttling (services/routing/domain/throttle.py): after the free failures, each
    # further attempt waits 2^(failures - free) seconds, up to the maximum.
    sign_in_account_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins of one account before waits begin."
    )
    sign_in_address_failures: int = Field(
        default=20, ge=1, description="Failed sign-ins from one client address before waits."
    )
    sign_in_window_s: float = Field(
        default=900.0,
        gt=0,
        description="Failures are forgotten this long after the last one (or its wait).",
    )
    sign_in_max_wait_s: float = Field(
        default=900.0, ge=1, description="The longest wait a run of failures imposes."
    )

    @field_validator("jwt_private_key")
    @classmethod
    def _is_an_ed25519_private_key(cls, value: SecretStr) -> SecretStr:
        check_signing_key(value.get_secret_value())
        return value

    def prod_problems(self) -> list[str]:
        problems = super().prod_problems()
        if self.jwt_private_key.get_secret_value().strip() == DEV_JWT_PRIVATE_KEY.strip():
            problems.append(
                "MINYI_JWT_PRIVATE_KEY must be your own Ed25519 private key in prod (the demo's "
                "is published)"
            )
        return problems
