from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: str = "reporting"
    port: int = Field(default=8004, ge=1, le=65535)
