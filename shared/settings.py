"""One settings class per service, read from `MINYI_*` environment variables at start-up.

Any setting may instead be read from a file named by `MINYI_<NAME>_FILE` (Docker secrets,
`/run/secrets/...`), so secrets need not sit in the environment. With
`MINYI_ENVIRONMENT=prod`, a service refuses to start on a setting that is only safe for the
demo (`ServiceSettings.prod_problems`, extended by each service)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from shared.zones import known_time_zone

DEV_JWT_SECRET = "minyi-dev-only-secret-change-me-in-prod!"
# The demo's Ed25519 key pair for staff tokens: routing signs with the private key, every service
# verifies with the public one. Published here, so prod refuses both.
DEV_JWT_PRIVATE_KEY = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIGbUnl4syNbWHdgLgv5+8RPs5dPcmpJd2RA0n2rBEf3d
-----END PRIVATE KEY-----
"""
DEV_JWT_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAGceYVcNxc+I93+h/24Kq7oE3ue308foD/xQ2HlxELNc=
-----END PUBLIC KEY-----
"""
FILE_SUFFIX = "_FILE"
S = TypeVar("S", bound="ServiceSettings")


class ValueFilesSource(PydanticBaseSettingsSource):
    """`MINYI_<NAME>_FILE=/run/secrets/<name>`: the setting's value is the file's content, its
    surrounding whitespace (the trailing newline editors add) stripped; list and dict settings
    are JSON, as in the environment. Setting both the variable and its `_FILE` is an error:
    which one wins would be a guess. An empty variable counts as unset, so that a compose
    override can blank a value the base file sets and give its `_FILE` instead."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        # Unused: __call__ reads every field at once.
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        prefix = str(self.config.get("env_prefix", "")).upper()
        environment = {name.upper(): value for name, value in os.environ.items()}
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            variable = f"{prefix}{name.upper()}"
            path = environment.get(variable + FILE_SUFFIX)
            if not path:
                continue
            if environment.get(variable):
                raise SettingsError(f"set {variable} or {variable}{FILE_SUFFIX}, not both")
            try:
                text = Path(path).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise SettingsError(f"{variable}{FILE_SUFFIX}: cannot read {path}: {exc}") from None
            try:
                values[name] = self.prepare_field_value(name, field, text, False)
            except ValueError:
                raise SettingsError(
                    f"{variable}{FILE_SUFFIX}: {path} does not hold valid JSON"
                ) from None
        return values


LOCAL_STORES: dict[str, str] = {
    "intake": "mongodb://127.0.0.1:27017/",
    "routing": "mongodb://127.0.0.1:27018/",
    "notify": "mongodb://127.0.0.1:27019/",
    "reporting": "mongodb://127.0.0.1:27020/",
}
"""Each service's store in the local deployment, its `MINYI_MONGO_URL` default: one SecantusDB
process per service, on consecutive ports in this order (deploy/local/lib.sh, `store_port`;
docs/operations.md, "One store per service")."""

MONGO_URL_HELP = (
    "The store's connection string; in prod with the service's credentials (best from "
    "MINYI_MONGO_URL_FILE). The default is the service's own store of `make up`."
)


class ServiceSettings(BaseSettings):
    """What every service needs. Subclasses set `service_name`, `port` and `mongo_url` defaults."""

    model_config = SettingsConfigDict(env_prefix="MINYI_", extra="ignore", frozen=True)

    service_name: str = Field(
        description="Which service this is: names its database, consumer groups and logs. Set "
        "by each service; not meant to be changed."
    )
    host: str = Field(default="127.0.0.1", description="The address the HTTP server listens on.")
    port: int = Field(ge=1, le=65535, description="The port the HTTP server listens on.")
    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092",
        description="The Kafka brokers to start from, `host:port[,host:port...]`.",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="How the Kafka clients connect; SASL_* sign in with the username below.",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = Field(
        default="SCRAM-SHA-512", description="The SASL mechanism (SASL_* protocols)."
    )
    kafka_sasl_username: str | None = Field(
        default=None,
        description="The service's own Kafka account (SASL_*), so ACLs can tell services apart.",
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None, description="The Kafka account's password (SASL_*)."
    )
    kafka_ssl_cafile: str | None = Field(
        default=None,
        description="CA bundle the broker's certificate is checked against (SSL, SASL_SSL); "
        "the system's CAs when unset.",
    )
    mongo_url: str = Field(default=LOCAL_STORES["intake"], description=MONGO_URL_HELP)
    timezone: str = Field(
        default="Asia/Shanghai",
        description="The city's time zone (an IANA name): where working days are counted, the "
        "pages show times, and the reports' days begin and end.",
    )
    namespace: str = Field(
        default="",
        pattern=r"^[a-z0-9_]{0,24}$",
        description="Prefixes topic, consumer-group and database names, so that test runs or "
        "environments can share one broker and store without seeing each other.",
    )
    log_format: Literal["json", "console"] = Field(
        default="json",
        description="One JSON object per log line, or coloured lines for a terminal.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="The least severe log lines written."
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Larger request bodies are refused with 413."
    )
    outbox_poll_seconds: float = Field(
        default=0.5,
        gt=0,
        description="How often the outbox relay looks for events not yet published when "
        "nothing woke it; at rest it slows to every 4 × this (a local write still wakes it at "
        "once).",
    )
    outbox_lease_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How long a relay holds a collection's outboxes (renewed while it has work) "
        "before another replica may publish them; a killed relay is replaced after it.",
    )
    consumer_max_records: int = Field(
        default=2000,
        ge=1,
        description="Records a consumer takes from Kafka in one batch (at most: a consumer "
        "keeping up takes what is there). A larger batch writes each store document it touches "
        "once for more events when a consumer is behind.",
    )
    consumer_fetch_wait_ms: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="How long the broker may hold a consumer's fetch for more records (up to "
        "16 KiB) when fewer are waiting: larger batches under a steady trickle, and fewer "
        "store writes per event, for that much latency per hop. 0: answer at once.",
    )
    consumer_retry_max_seconds: float = Field(
        default=10.0,
        gt=0,
        description="The cap of the exponential backoff between retries of a batch that failed "
        "transiently (consumers, the outbox relay).",
    )
    consumer_handler_attempts: int = Field(
        default=3,
        ge=1,
        description="Attempts for a non-transient handler error before the dead letter.",
    )
    consumer_stall_seconds: float = Field(
        default=120.0,
        gt=0,
        description="/readyz fails for a consumer whose lag has been above 0 and not falling, "
        "with no batch handled, for longer than this.",
    )
    producer_linger_ms: int = Field(
        default=5, ge=0, description="How long the producer waits to fill a batch."
    )
    environment: Literal["dev", "prod"] = Field(
        default="dev",
        description="`prod` refuses to start on any demo-only value (published keys, no "
        "credentials, plain-HTTP cookies).",
    )
    jwt_secret: SecretStr = Field(
        default=SecretStr(DEV_JWT_SECRET),
        description="Keys the workbench forms' CSRF tokens (routing). Required in prod.",
    )
    jwt_public_key: str = Field(
        default=DEV_JWT_PUBLIC_KEY,
        description="Ed25519 public key (PEM) every service verifies staff tokens with; routing "
        "signs them with the private key. Required in prod.",
    )
    jwt_ttl_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="How long a staff token is valid."
    )
    # Where people's browsers reach each service's pages; pages link across services with them.
    intake_web_url: str = Field(
        default="http://127.0.0.1:8001", description="Where browsers reach intake's pages."
    )
    routing_web_url: str = Field(
        default="http://127.0.0.1:8002",
        description="Where browsers reach routing's pages (the workbench, sign-in).",
    )
    notify_web_url: str = Field(
        default="http://127.0.0.1:8003", description="Where browsers reach notify."
    )
    reporting_web_url: str = Field(
        default="http://127.0.0.1:8004",
        description="Where browsers reach reporting's pages (the dashboard).",
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark the staff session cookie Secure (behind HTTPS). Required in prod.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Files before the environment: where both are given the variable is empty (both set
        # is refused), and the file must win over that blank.
        return (
            init_settings,
            ValueFilesSource(settings_cls),
            env_settings,
            dotenv_settings,
            file_secret_settings,
        )

    @model_validator(mode="after")
    def _kafka_sign_in_is_complete(self) -> ServiceSettings:
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                "MINYI_KAFKA_SASL_USERNAME and MINYI_KAFKA_SASL_PASSWORD are required with "
                f"MINYI_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol}"
            )
        return self

    @model_validator(mode="after")
    def _nothing_demo_in_prod(self) -> ServiceSettings:
        if self.environment == "prod":
            problems = self.prod_problems()
            if problems:
                # One line per problem: an operator fixes them all in one go.
                raise ValueError("\n".join(problems))
        return self

    def prod_problems(self) -> list[str]:
        """What makes this configuration unsafe outside the demo, one message per setting.
        Subclasses add theirs to `super().prod_problems()`."""
        problems = []
        secret = self.jwt_secret.get_secret_value()
        if secret == DEV_JWT_SECRET or len(secret) < 32:
            problems.append("MINYI_JWT_SECRET must be set to 32+ random characters in prod")
        if self.jwt_public_key.strip() == DEV_JWT_PUBLIC_KEY.strip():
            problems.append(
                "MINYI_JWT_PUBLIC_KEY must be your own Ed25519 public key in prod (the demo's "
                "private key is published)"
            )
        if not self.secure_cookies:
            problems.append(
                "MINYI_SECURE_COOKIES must be true in prod: the staff session cookie would "
                "travel over plain HTTP"
            )
        if not mongo_url_signs_in(self.mongo_url):
            problems.append(
                "MINYI_MONGO_URL must carry the service's credentials in prod "
                "(mongodb://<user>:<password>@host/?authSource=admin, best from "
                "MINYI_MONGO_URL_FILE): a store without authentication serves anyone who "
                "reaches it"
            )
        if not self.kafka_security_protocol.startswith("SASL_"):
            problems.append(
                "MINYI_KAFKA_SECURITY_PROTOCOL must be SASL_SSL or SASL_PLAINTEXT in prod, "
                "with the service's own MINYI_KAFKA_SASL_USERNAME: over "
                f"{self.kafka_security_protocol} the broker cannot tell which service is "
                "reading or writing, so no topic can be kept from any of them"
            )
        return problems

    @field_validator("jwt_public_key")
    @classmethod
    def _is_an_ed25519_public_key(cls, value: str) -> str:
        from shared.auth import check_verify_key

        check_verify_key(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _is_a_time_zone(cls, value: str) -> str:
        return known_time_zone(value)

    @property
    def zone(self) -> ZoneInfo:
        """The city's time zone (`timezone`)."""
        return ZoneInfo(self.timezone)

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap_has_port(cls, value: str) -> str:
        for server in value.split(","):
            if ":" not in server:
                raise ValueError(f"kafka bootstrap server {server!r} needs host:port")
        return value

    def kafka_client_options(self) -> dict[str, Any]:
        """The connection keywords of every aiokafka client (producer, consumer, admin)."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.kafka_bootstrap,
            "security_protocol": self.kafka_security_protocol,
        }
        if self.kafka_security_protocol.startswith("SASL_"):
            password = self.kafka_sasl_password
            options |= {
                "sasl_mechanism": self.kafka_sasl_mechanism,
                "sasl_plain_username": self.kafka_sasl_username,
                "sasl_plain_password": password.get_secret_value() if password else None,
            }
        if self.kafka_security_protocol.endswith("SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(cafile=self.kafka_ssl_cafile)
        return options

    def topic(self, base: str) -> str:
        return f"{self.namespace}.{base}" if self.namespace else base

    def group(self, purpose: str) -> str:
        return self.topic(f"{self.service_name}.{purpose}")

    def store_url_of(self, service: str) -> str:
        """Where `service`'s database is, for a command that reads several services' (backup,
        restore, doctor): MINYI_MONGO_URL when given (one store holding them all, as in
        compose), else that service's store of `make up`."""
        if "mongo_url" in self.model_fields_set:
            return self.mongo_url
        return LOCAL_STORES.get(service, self.mongo_url)

    @property
    def database_name(self) -> str:
        return database_prefix(self.namespace) + self.service_name


def database_prefix(namespace: str) -> str:
    """Every service's database is `<prefix><service>`."""
    return f"{namespace}_minyi_" if namespace else "minyi_"


def mongo_url_signs_in(url: str) -> bool:
    """Whether a MongoDB connection string authenticates: a user in it, or a mechanism that
    needs none written there (X.509 client certificates, AWS or OIDC identities)."""
    parts = urlsplit(url)
    mechanism = parse_qs(parts.query).get("authMechanism", [""])[0]
    user = parts.netloc.rpartition("@")[0]
    return bool(user) or mechanism in ("MONGODB-X509", "MONGODB-AWS", "MONGODB-OIDC")


def problems_of(error: ValidationError | SettingsError) -> list[str]:
    """A settings error as lines an operator reads: `MINYI_PORT: Input should be ...`."""
    if isinstance(error, SettingsError):
        return [str(error)]
    lines: list[str] = []
    for problem in error.errors():
        message = str(problem["msg"]).removeprefix("Value error, ")
        location = ".".join(str(part) for part in problem["loc"])
        prefix = f"MINYI_{location.upper()}: " if location else ""
        lines.extend(f"{prefix}{line}" for line in message.splitlines())
    return lines


def load_settings(settings_class: type[S]) -> S:
    """The service's settings from the environment, or exit 2 with one `error:` line per
    problem: a refused start-up names the setting to fix instead of a traceback."""
    try:
        return settings_class()
    except (ValidationError, SettingsError) as exc:
        for line in problems_of(exc):
            print(f"error: {line}", file=sys.stderr)
        raise SystemExit(2) from None
