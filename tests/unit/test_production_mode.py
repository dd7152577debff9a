"""`MINYI_ENVIRONMENT=prod` refuses to start on anything only safe for the demo, naming the
setting to fix, and on a store or broker reached without signing in; secrets can come from
files; Kafka clients can sign in with SASL."""

from __future__ import annotations

import json
import os
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa as rsa_key
from pydantic import ValidationError
from pydantic_settings import SettingsError

from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings
from services.reporting.settings import ReportingSettings
from services.routing.adapters.user_repository import UserImport
from services.routing.entrypoints import cli
from services.routing.settings import RoutingSettings
from shared.settings import DEV_JWT_PUBLIC_KEY, DEV_JWT_SECRET, ServiceSettings, load_settings
from tests.tokens import key_pair

STRONG = "s3cr3t-" + "x" * 40
OPEN311_KEY = "partner-key-" + "k" * 24
OWN_PRIVATE_KEY, OWN_PUBLIC_KEY = key_pair()
SIGNED_IN_MONGO_URL = "mongodb://reporting:store-password@mongo:27017/?authSource=admin"
# What every service needs in prod to reach the store and the broker as itself.
SIGNED_IN: dict[str, Any] = {
    "mongo_url": SIGNED_IN_MONGO_URL,
    "kafka_security_protocol": "SASL_PLAINTEXT",
    "kafka_sasl_username": "reporting",
    "kafka_sasl_password": "kafka-password",
}
PROD: dict[str, Any] = {
    "environment": "prod",
    "jwt_secret": STRONG,
    "jwt_public_key": OWN_PUBLIC_KEY,
    "secure_cookies": True,
    **SIGNED_IN,
}
ROUTING_PROD: dict[str, Any] = {**PROD, "jwt_private_key": OWN_PRIVATE_KEY}
SECURE_INTAKE: dict[str, Any] = {
    **PROD,
    "open311_api_keys": [OPEN311_KEY],
    "public_base_url": "https://minyi.longquan.example",
}
SECURE_NOTIFY: dict[str, Any] = {
    **PROD,
    "sms_gateway_url": "https://sms.example/send",
    "im_gateway_url": "https://im.example/send",
    "gateway_secret": "g" * 32,
    "smtp_host": "mail.example",
    "smtp_port": 465,
    "smtp_tls": "implicit",
    "smtp_username": "minyi",
    "smtp_password": "relay-password",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MINYI_* variable of the machine running the tests leaks into them."""
    for name in list(os.environ):
        if name.upper().startswith("MINYI_"):
            monkeypatch.delenv(name)


def signed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a service that reaches the store and the broker as itself."""
    monkeypatch.setenv("MINYI_MONGO_URL", SIGNED_IN_MONGO_URL)
    monkeypatch.setenv("MINYI_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("MINYI_KAFKA_SASL_USERNAME", "reporting")
    monkeypatch.setenv("MINYI_KAFKA_SASL_PASSWORD", "kafka-password")


def refusal(settings_class: type[ServiceSettings], **values: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        settings_class(**values)
    return str(raised.value)


def test_a_secure_production_configuration_of_every_service_starts() -> None:
    assert IntakeSettings(**SECURE_INTAKE).environment == "prod"
    assert RoutingSettings(**ROUTING_PROD).environment == "prod"
    assert ReportingSettings(**PROD).environment == "prod"
    notify = NotifySettings(**SECURE_NOTIFY)
    assert (notify.environment, notify.smtp_tls) == ("prod", "implicit")
    # Email and push channels are optional: notify with the inbox alone is fine too.
    assert NotifySettings(**PROD).smtp_host is None


def test_dev_accepts_the_demo_defaults() -> None:
    intake = IntakeSettings()
    assert intake.environment == "dev"
    assert intake.open311_api_keys == ["demo-open311-key"]
    assert intake.jwt_secret.get_secret_value() == DEV_JWT_SECRET
    assert NotifySettings(sms_gateway_url="http://127.0.0.1:9/sms", gateway_secret="s")


@pytest.mark.parametrize("secret", [DEV_JWT_SECRET, "short-but-not-default"])
def test_prod_refuses_the_development_or_a_short_jwt_secret(secret: str) -> None:
    message = refusal(RoutingSettings, **{**ROUTING_PROD, "jwt_secret": secret})
    assert "MINYI_JWT_SECRET must be set to 32+ random characters in prod" in message


def test_prod_refuses_cookies_that_are_not_secure() -> None:
    message = refusal(ReportingSettings, **{**PROD, "secure_cookies": False})
    assert "MINYI_SECURE_COOKIES must be true in prod" in message


def test_prod_refuses_the_demo_open311_key_even_next_to_a_real_one() -> None:
    keys = [OPEN311_KEY, "demo-open311-key"]
    message = refusal(IntakeSettings, **{**SECURE_INTAKE, "open311_api_keys": keys})
    assert "MINYI_OPEN311_API_KEYS holds the demo key" in message
    assert "every key must be 24+" not in message


def test_prod_refuses_a_guessable_open311_key() -> None:
    message = refusal(IntakeSettings, **{**SECURE_INTAKE, "open311_api_keys": ["abc123"]})
    assert "MINYI_OPEN311_API_KEYS: every key must be 24+ characters in prod" in message


def test_prod_refuses_an_http_public_base_url() -> None:
    url = "http://minyi.longquan.example"
    message = refusal(IntakeSettings, **{**SECURE_INTAKE, "public_base_url": url})
    assert "MINYI_PUBLIC_BASE_URL must be an https:// address in prod" in message


@pytest.mark.parametrize(("field", "name"), [("sms_gateway_url", "SMS"), ("im_gateway_url", "IM")])
def test_prod_refuses_an_http_gateway(field: str, name: str) -> None:
    message = refusal(NotifySettings, **{**SECURE_NOTIFY, field: "http://gateway.example/x"})
    assert f"MINYI_{name}_GATEWAY_URL must be an https:// address in prod" in message


def test_prod_refuses_smtp_that_may_fall_back_to_clear_text() -> None:
    message = refusal(NotifySettings, **{**SECURE_NOTIFY, "smtp_tls": "auto"})
    assert "MINYI_SMTP_TLS must be starttls or implicit in prod" in message
    assert NotifySettings(**{**SECURE_NOTIFY, "smtp_tls": "starttls", "smtp_port": 587})


def test_prod_refuses_a_short_gateway_secret() -> None:
    message = refusal(NotifySettings, **{**SECURE_NOTIFY, "gateway_secret": "short"})
    assert "MINYI_GATEWAY_SECRET must be 32+ characters in prod" in message


@pytest.mark.parametrize(
    "url",
    [
        "mongodb://127.0.0.1:27017/",
        "mongodb://mongo:27017/?authSource=admin",
        "mongodb://mongo-a:27017,mongo-b:27017/?replicaSet=rs0",
    ],
)
def test_prod_refuses_a_store_url_without_credentials(url: str) -> None:
    message = refusal(ReportingSettings, **{**PROD, "mongo_url": url})
    assert "MINYI_MONGO_URL must carry the service's credentials in prod" in message


@pytest.mark.parametrize(
    "url",
    [
        "mongodb://reporting:pw@mongo-a:27017,mongo-b:27017/?authSource=admin",
        "mongodb+srv://reporting:pw@cluster.example/",
        "mongodb://mongo:27017/?authMechanism=MONGODB-X509&tls=true",
    ],
)
def test_prod_accepts_a_store_url_that_signs_in(url: str) -> None:
    assert ReportingSettings(**{**PROD, "mongo_url": url}).mongo_url == url


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SSL"])
def test_prod_refuses_kafka_clients_that_do_not_sign_in(protocol: str) -> None:
    message = refusal(ReportingSettings, **{**PROD, "kafka_security_protocol": protocol})
    assert "MINYI_KAFKA_SECURITY_PROTOCOL must be SASL_SSL or SASL_PLAINTEXT in prod" in message
    assert f"over {protocol} the broker cannot tell which service" in message
    assert ReportingSettings(**{**PROD, "kafka_security_protocol": "SASL_SSL"})


def test_every_problem_is_reported_at_once() -> None:
    message = refusal(IntakeSettings, environment="prod")
    for setting in (
        "MINYI_JWT_SECRET",
        "MINYI_SECURE_COOKIES",
        "MINYI_OPEN311_API_KEYS",
        "MINYI_PUBLIC_BASE_URL",
        "MINYI_MONGO_URL",
        "MINYI_KAFKA_SECURITY_PROTOCOL",
    ):
        assert setting in message


def test_prod_refuses_the_demo_token_keys_anyone_could_sign_with() -> None:
    message = refusal(RoutingSettings, **{**PROD, "jwt_public_key": DEV_JWT_PUBLIC_KEY})
    assert "MINYI_JWT_PUBLIC_KEY must be your own Ed25519 public key in prod" in message
    assert "MINYI_JWT_PRIVATE_KEY must be your own Ed25519 private key in prod" in message
    assert "MINYI_JWT_PUBLIC_KEY" in refusal(
        ReportingSettings, **{**PROD, "jwt_public_key": DEV_JWT_PUBLIC_KEY}
    )


def test_token_keys_must_be_ed25519_pem() -> None:
    assert "not a PEM public key" in refusal(ReportingSettings, jwt_public_key="a shared secret")
    assert "not a PEM private key" in refusal(RoutingSettings, jwt_private_key=STRONG)
    rsa = (
        rsa_key.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    assert "must be an Ed25519 public key" in refusal(ReportingSettings, jwt_public_key=rsa)


def test_a_refused_start_prints_one_error_line_per_problem_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MINYI_ENVIRONMENT", "prod")
    monkeypatch.setenv("MINYI_JWT_SECRET", STRONG)
    monkeypatch.setenv("MINYI_JWT_PUBLIC_KEY", OWN_PUBLIC_KEY)
    signed_in(monkeypatch)

    with pytest.raises(SystemExit) as exited:
        load_settings(ReportingSettings)

    assert exited.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "error: MINYI_SECURE_COOKIES must be true in prod: the staff session cookie would "
        "travel over plain HTTP"
    ]


def test_a_bad_value_is_named_by_its_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MINYI_SIGN_IN_ACCOUNT_FAILURES", "0")

    with pytest.raises(SystemExit):
        load_settings(RoutingSettings)

    assert capsys.readouterr().err.startswith("error: MINYI_SIGN_IN_ACCOUNT_FAILURES: ")


# --- secrets from files (Docker secrets) ---


def test_a_secret_is_read_from_the_file_its_FILE_variable_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "jwt").write_text(STRONG + "\n", encoding="utf-8")  # editors add the newline
    (tmp_path / "keys").write_text(json.dumps([OPEN311_KEY]), encoding="utf-8")
    (tmp_path / "gateway").write_text("g" * 40, encoding="utf-8")
    (tmp_path / "kafka").write_text("kafka-password", encoding="utf-8")
    monkeypatch.setenv("MINYI_JWT_SECRET_FILE", str(tmp_path / "jwt"))
    monkeypatch.setenv("MINYI_OPEN311_API_KEYS_FILE", str(tmp_path / "keys"))
    monkeypatch.setenv("MINYI_GATEWAY_SECRET_FILE", str(tmp_path / "gateway"))
    monkeypatch.setenv("MINYI_KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "kafka"))

    intake = IntakeSettings()
    notify = NotifySettings()

    assert intake.jwt_secret.get_secret_value() == STRONG
    assert intake.open311_api_keys == [OPEN311_KEY]
    assert notify.gateway_secret is not None
    assert notify.gateway_secret.get_secret_value() == "g" * 40
    assert notify.kafka_sasl_password is not None
    assert notify.kafka_sasl_password.get_secret_value() == "kafka-password"


def test_a_secret_file_satisfies_production_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "jwt").write_text(STRONG, encoding="utf-8")
    (tmp_path / "private.pem").write_text(OWN_PRIVATE_KEY, encoding="utf-8")
    (tmp_path / "public.pem").write_text(OWN_PUBLIC_KEY, encoding="utf-8")
    monkeypatch.setenv("MINYI_JWT_SECRET_FILE", str(tmp_path / "jwt"))
    monkeypatch.setenv("MINYI_JWT_PRIVATE_KEY_FILE", str(tmp_path / "private.pem"))
    monkeypatch.setenv("MINYI_JWT_PUBLIC_KEY_FILE", str(tmp_path / "public.pem"))
    (tmp_path / "mongo_url").write_text(SIGNED_IN_MONGO_URL + "\n", encoding="utf-8")
    (tmp_path / "kafka").write_text("kafka-password", encoding="utf-8")
    monkeypatch.setenv("MINYI_MONGO_URL_FILE", str(tmp_path / "mongo_url"))
    monkeypatch.setenv("MINYI_KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "kafka"))
    monkeypatch.setenv("MINYI_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("MINYI_KAFKA_SASL_USERNAME", "routing")
    monkeypatch.setenv("MINYI_ENVIRONMENT", "prod")
    monkeypatch.setenv("MINYI_SECURE_COOKIES", "true")

    routing = RoutingSettings()
    assert routing.jwt_secret.get_secret_value() == STRONG
    assert routing.jwt_public_key.strip() == OWN_PUBLIC_KEY.strip()
    assert routing.mongo_url == SIGNED_IN_MONGO_URL


def test_a_variable_and_its_file_together_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "jwt").write_text(STRONG, encoding="utf-8")
    monkeypatch.setenv("MINYI_JWT_SECRET_FILE", str(tmp_path / "jwt"))
    monkeypatch.setenv("MINYI_JWT_SECRET", "another-" + "y" * 40)

    with pytest.raises(SettingsError, match="set MINYI_JWT_SECRET or MINYI_JWT_SECRET_FILE"):
        RoutingSettings()


def test_an_empty_variable_gives_way_to_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "url").write_text("mongodb://routing:pw@mongo:27017/?authSource=admin\n")
    monkeypatch.setenv("MINYI_MONGO_URL", "")  # what a compose override blanks
    monkeypatch.setenv("MINYI_MONGO_URL_FILE", str(tmp_path / "url"))

    assert RoutingSettings().mongo_url == "mongodb://routing:pw@mongo:27017/?authSource=admin"


def test_a_missing_secret_file_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MINYI_JWT_SECRET_FILE", str(tmp_path / "absent"))

    with pytest.raises(SystemExit):
        load_settings(RoutingSettings)

    assert capsys.readouterr().err.startswith(
        f"error: MINYI_JWT_SECRET_FILE: cannot read {tmp_path / 'absent'}"
    )


def test_a_list_file_that_is_not_json_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "keys").write_text("one-key-per-line\n", encoding="utf-8")
    monkeypatch.setenv("MINYI_OPEN311_API_KEYS_FILE", str(tmp_path / "keys"))

    with pytest.raises(SettingsError, match=r"MINYI_OPEN311_API_KEYS_FILE: .* valid JSON"):
        IntakeSettings()


# --- Kafka client security ---


def test_kafka_clients_connect_in_plaintext_by_default() -> None:
    assert ReportingSettings().kafka_client_options() == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "PLAINTEXT",
    }


def test_kafka_clients_sign_in_with_scram_when_configured() -> None:
    settings = ReportingSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-256",
        kafka_sasl_username="reporting",
        kafka_sasl_password="kafka-password",
    )
    options = settings.kafka_client_options()
    assert {k: v for k, v in options.items() if k != "ssl_context"} == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "reporting",
        "sasl_plain_password": "kafka-password",
    }
    assert isinstance(options["ssl_context"], ssl.SSLContext)


def test_sasl_without_a_username_and_password_is_refused() -> None:
    with pytest.raises(ValidationError, match="MINYI_KAFKA_SASL_USERNAME and"):
        ReportingSettings(kafka_security_protocol="SASL_PLAINTEXT")


# --- routing's command line ---


def test_seed_demo_is_refused_in_prod_before_touching_the_store(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MINYI_ENVIRONMENT", "prod")
    monkeypatch.setenv("MINYI_JWT_SECRET", STRONG)
    monkeypatch.setenv("MINYI_JWT_PRIVATE_KEY", OWN_PRIVATE_KEY)
    monkeypatch.setenv("MINYI_JWT_PUBLIC_KEY", OWN_PUBLIC_KEY)
    monkeypatch.setenv("MINYI_SECURE_COOKIES", "true")
    signed_in(monkeypatch)
    # Nothing listens here: reaching the store would fail differently, and slowly.
    monkeypatch.setenv("MINYI_MONGO_URL", "mongodb://routing:pw@127.0.0.1:9/")

    code = cli.main(["seed-demo"], serve=lambda settings: None)

    assert code == 1
    error = capsys.readouterr().err
    assert error.startswith("error: seed-demo loads the demo accounts")
    assert "MINYI_ENVIRONMENT=prod" in error


def test_prod_refuses_accounts_with_the_demos_published_password() -> None:
    accounts = [
        UserImport(
            username="xijie-staff",
            display_name="西街",
            role="staff",
            station="xijie",
            password="minyi-demo",
        ),
        UserImport(username="admin", display_name="管理员", role="admin", password="N0t-the-demo!"),
    ]

    with pytest.raises(ValueError, match="xijie-staff use the demo's published password"):
        cli.check_accounts(accounts, prod=True)
    cli.check_accounts(accounts, prod=False)
    cli.check_accounts(accounts[1:], prod=True)
