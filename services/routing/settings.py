from __future__ import annotations

from datetime import date

from pydantic import Field

from shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    service_name: str = "routing"
    port: int = Field(default=8002, ge=1, le=65535)
    timezone: str = Field(default="Asia/Shanghai", description="Where working days are counted.")
    holidays: list[date] = Field(
        default_factory=list, description='Public holidays, JSON: ["2026-10-01", ...].'
    )
    extra_working_days: list[date] = Field(
        default_factory=list, description="Weekend days that are working days (调休)."
    )
    sla_accept_days: int = Field(default=2, ge=1, description="Default working days to accept.")
    sla_respond_days: int = Field(default=15, ge=1, description="Default working days to respond.")
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
