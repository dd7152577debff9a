from __future__ import annotations

import hashlib

from pydantic import Field, SecretStr

from shared.settings import LOCAL_STORES, MONGO_URL_HELP, ServiceSettings

DEMO_OPEN311_KEY = "demo-open311-key"


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    port: int = Field(default=8001, ge=1, le=65535)
    mongo_url: str = Field(default=LOCAL_STORES["intake"], description=MONGO_URL_HELP)
    max_body_bytes: int = Field(
        default=9 * 1024 * 1024,
        ge=1024,
        description="Room for three 2 MiB photos in base64; larger bodies get 413.",
    )
    rate_limit_per_minute: float = Field(
        default=30,
        gt=0,
        description="Submissions, resident actions and Open311 request reads per "
        "client address and minute, per process.",
    )
    rate_limit_burst: int = Field(default=10, ge=1, description="Requests allowed at once.")
    trust_forwarded_for: bool = Field(
        default=False,
        description="Behind one proxy: the client address is the last X-Forwarded-For entry.",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8001",
        description="The address residents' phones open: representatives' QR codes point at "
        "the resident form under it (`<public_base_url>/r/<code>`).",
    )
    open311_api_keys: list[str] = Field(
        default=[DEMO_OPEN311_KEY],
        description="Keys that Open311 GeoReport v2 clients send as `api_key` to post requests, "
        "and to read every request in full (without a key: only published cases, scrubbed). "
        "The default is for the demo only: prod refuses it, and any key under 24 characters.",
    )
    open311_jurisdiction_id: str = Field(
        default="longquan.minyi",
        description="The Open311 `jurisdiction_id` this endpoint answers for.",
    )

    contact_retention_days: int = Field(
        default=180,
        ge=0,
        description="Days a resident's phone and email are kept after their case ends (closed, "
        "rejected or merged); then the retention job erases them everywhere. 0: at the next "
        "check after the case ends.",
    )
    retention_check_seconds: float = Field(
        default=3600, gt=0, description="How often the retention job looks for expired contacts."
    )
    erasure_salt: SecretStr | None = Field(
        default=None,
        description="Keys the hash of an erasure's subject (tracking code, phone or email) in "
        "the erasure log. Derived from MINYI_JWT_SECRET when unset; keep it stable, or audits "
        "no longer find earlier erasures by the subject.",
    )

    def erasure_key(self) -> bytes:
        """The HMAC key of erasure subjects; derived (not the secret itself) when unset."""
        if self.erasure_salt is not None:
            return self.erasure_salt.get_secret_value().encode()
        secret = self.jwt_secret.get_secret_value().encode()
        return hashlib.sha256(b"minyi/erasure-subject\0" + secret).digest()

    def prod_problems(self) -> list[str]:
        problems = super().prod_problems()
        if self.erasure_salt is not None and len(self.erasure_salt.get_secret_value()) < 32:
            problems.append("MINYI_ERASURE_SALT must be 32+ random characters in prod")
        if DEMO_OPEN311_KEY in self.open311_api_keys:
            problems.append(
                "MINYI_OPEN311_API_KEYS holds the demo key (published in the docs) in prod; "
                "give each Open311 client its own key of 24+ random characters"
            )
        if any(len(key) < 24 for key in self.open311_api_keys if key != DEMO_OPEN311_KEY):
            problems.append("MINYI_OPEN311_API_KEYS: every key must be 24+ characters in prod")
        if not self.public_base_url.startswith("https://"):
            problems.append(
                "MINYI_PUBLIC_BASE_URL must be an https:// address in prod: residents' QR codes "
                "and forms would send their data in clear"
            )
        return problems
