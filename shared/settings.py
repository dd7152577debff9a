"""One settings class per service, read from `MINYI_*` environment variables at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "minyi-dev-only-secret-change-me-in-prod!"


class ServiceSettings(BaseSettings):
    """What every service needs. Subclasses set `service_name` and `port` defaults."""

    model_config = SettingsConfigDict(env_prefix="MINYI_", extra="ignore", frozen=True)

    service_name: str
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    kafka_bootstrap: str = "127.0.0.1:9092"
    mongo_url: str = "mongodb://127.0.0.1:27017/"
    namespace: str = Field(
        default="",
        pattern=r"^[a-z0-9_]{0,24}$",
        description="Prefixes topic, consumer-group and database names, so that test runs or "
        "environments can share one broker and store without seeing each other.",
    )
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_lease_seconds: float = Field(default=15.0, gt=0)
    consumer_max_records: int = Field(default=500, ge=1)
    consumer_retry_max_seconds: float = Field(default=10.0, gt=0)
    consumer_handler_attempts: int = Field(
        default=3,
        ge=1,
        description="Attempts for a non-transient handler error before the dead letter.",
    )
    producer_linger_ms: int = Field(default=5, ge=0)
    environment: Literal["dev", "prod"] = "dev"
    jwt_secret: SecretStr = Field(
        default=SecretStr(DEV_JWT_SECRET),
        description="Signs staff tokens; every service must share it. Required in prod.",
    )
    jwt_ttl_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Where people's browsers reach each service's pages; pages link across services with them.
    intake_web_url: str = "http://127.0.0.1:8001"
    routing_web_url: str = "http://127.0.0.1:8002"
    notify_web_url: str = "http://127.0.0.1:8003"
    reporting_web_url: str = "http://127.0.0.1:8004"
    secure_cookies: bool = Field(
        default=False, description="Mark the staff session cookie Secure (behind HTTPS)."
    )

    @model_validator(mode="after")
    def _no_default_secrets_in_prod(self) -> ServiceSettings:
        secret = self.jwt_secret.get_secret_value()
        if self.environment == "prod" and (secret == DEV_JWT_SECRET or len(secret) < 32):
            raise ValueError("MINYI_JWT_SECRET must be set to 32+ random characters in prod")
        return self

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_has_port(cls, value: str) -> str:
        for server in value.split(","):
            if ":" not in server:
                raise ValueError(f"kafka bootstrap server {server!r} needs host:port")
        return value

    def topic(self, base: str) -> str:
        return f"{self.namespace}.{base}" if self.namespace else base

    def group(self, purpose: str) -> str:
        return self.topic(f"{self.service_name}.{purpose}")

    @property
    def database_name(self) -> str:
        base = f"minyi_{self.service_name}"
        return f"{self.namespace}_{base}" if self.namespace else base
