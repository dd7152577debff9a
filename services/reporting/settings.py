from __future__ import annotations

from pydantic import Field

from shared.settings import LOCAL_STORES, MONGO_URL_HELP, ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: str = "reporting"
    port: int = Field(default=8004, ge=1, le=65535)
    mongo_url: str = Field(default=LOCAL_STORES["reporting"], description=MONGO_URL_HELP)
    rebuild_grace_seconds: float = Field(
        default=3.0,
        ge=0,
        description="After taking the rebuild lock, how long to let a live batch finish.",
    )
    rebuild_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long the rebuild lock holds without renewal (a crashed rebuild).",
    )
    now_recount_seconds: float = Field(
        default=600.0,
        gt=0,
        description="How often the counters of cases open and overdue now are set from the cases.",
    )
