from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    service_name: str = "routing"
    port: int = Field(default=8002, ge=1, le=65535)
