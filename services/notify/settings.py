from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    port: int = Field(default=8003, ge=1, le=65535)
