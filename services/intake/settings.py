from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    port: int = Field(default=8001, ge=1, le=65535)
