"""docker-compose.yml never publishes the unauthenticated infrastructure beyond the host, loads
the demo accounts only when asked to, and takes every secret from outside the file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from shared.settings import DEV_JWT_PRIVATE_KEY, DEV_JWT_PUBLIC_KEY, DEV_JWT_SECRET

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
INFRASTRUCTURE = ("kafka", "mongo")
# A setting is a secret when its name says so; the test then wants it from a file or from the
# operator's environment, never written in the compose file.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|API_KEYS|TOKEN|PRIVATE_KEY")
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::?-(?P<default>[^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def published(service: dict[str, Any]) -> list[str]:
    return [str(p) for p in service.get("ports", [])]


def test_kafka_and_the_store_are_published_on_loopback_only() -> None:
    services = compose()["services"]
    for name in INFRASTRUCTURE:
        ports = published(services[name])
        assert ports, f"{name} publishes nothing; drop this test's entry if that is meant"
        for port in ports:
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_the_demo_seed_runs_only_in_the_demo_profile_and_nothing_waits_for_it() -> None:
    services = compose()["services"]
    seeding = [
        name for name, service in services.items() if "seed-demo" in service.get("command", [])
    ]
    assert seeding == ["seed"]
    assert services["seed"]["profiles"] == ["demo"]
    for name, service in services.items():
        if "demo" in service.get("profiles", []):
            continue
        assert "seed" not in service.get("depends_on", {}), f"{name} waits for the demo seed"


def test_every_secret_comes_from_a_docker_secret_or_the_operators_environment() -> None:
    loaded = compose()
    checked = 0
    for name, service in loaded["services"].items():
        mounted = set(service.get("secrets", []))
        for variable, value in (service.get("environment") or {}).items():
            if not SECRET_NAME.search(variable):
                continue
            checked += 1
            text = str(value)
            if variable.endswith("_FILE"):
                assert text.startswith("/run/secrets/"), f"{name}: {variable}={text}"
                secret = text.removeprefix("/run/secrets/")
                assert secret in mounted, f"{name} reads {secret} but does not mount it"
                continue
            found = INTERPOLATION.fullmatch(text)
            assert found, f"{name}: {variable} is written in the compose file"
            default = found.group("default")
            assert default in (None, "", DEV_JWT_SECRET), f"{name}: {variable} has a default"
    assert checked, "no secret setting found: the pattern no longer matches the file"
    for secret, source in loaded["secrets"].items():
        assert set(source) == {"file"}, f"secret {secret} is not read from a file"
        assert source["file"].startswith("${MINYI_SECRETS_DIR:-"), source["file"]


def test_the_development_secrets_are_the_documented_defaults_that_prod_refuses() -> None:
    secrets = ROOT / "deploy/docker/dev-secrets"
    assert (secrets / "jwt_secret").read_text(encoding="utf-8").strip() == DEV_JWT_SECRET
    assert (secrets / "open311_api_keys").read_text(encoding="utf-8").strip() == (
        '["demo-open311-key"]'
    )
    private = (secrets / "jwt_private_key").read_text(encoding="utf-8")
    public = (secrets / "jwt_public_key").read_text(encoding="utf-8")
    assert (private.strip(), public.strip()) == (
        DEV_JWT_PRIVATE_KEY.strip(),
        DEV_JWT_PUBLIC_KEY.strip(),
    )


def test_only_routing_holds_the_token_signing_key() -> None:
    services = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]
    holders = {name for name, s in services.items() if "jwt_private_key" in s.get("secrets", [])}
    assert holders == {"routing"}
    for name, service in services.items():
        if "MINYI_ENVIRONMENT" in (service.get("environment") or {}):  # a Minyi container
            assert "MINYI_JWT_PUBLIC_KEY_FILE" in service["environment"], name
            assert "jwt_public_key" in service.get("secrets", []), name


def test_env_example_names_every_variable_the_compose_file_reads() -> None:
    read = {m.group("name") for m in INTERPOLATION.finditer(COMPOSE.read_text(encoding="utf-8"))}
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    named = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert read, "no ${...} in the compose file: the pattern no longer matches"
    assert read <= named, f"missing from .env.example: {sorted(read - named)}"
    assert named <= read, f".env.example names variables compose ignores: {sorted(named - read)}"
    assert "#MINYI_ENVIRONMENT=prod" in example, "how to switch to prod is not shown"
