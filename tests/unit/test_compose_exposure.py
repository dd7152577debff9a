"""docker-compose.yml publishes nothing beyond the host's loopback, makes every service sign in
to MongoDB and Kafka as itself with rights to its own database, topics and groups only (the
ACLs kept equal to what the code reads and writes), loads the demo accounts only when asked
to, starts monitoring only when asked to, and takes every secret from outside the file."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

import shared.topics as topics_module
from shared.asyncapi import CATALOGUE
from shared.settings import (
    DEV_JWT_PRIVATE_KEY,
    DEV_JWT_PUBLIC_KEY,
    DEV_JWT_SECRET,
    mongo_url_signs_in,
)
from shared.topics import CONSUMER_GROUPS, NOTIFY_DELIVERIES, dead_letter_topic, platform_topics

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DEV_SECRETS = ROOT / "deploy/docker/dev-secrets"
INFRASTRUCTURE = ("kafka", "mongo")
SERVICES = ("intake", "routing", "notify", "reporting")
MONITORING = ("prometheus", "grafana")
# A setting is a secret when its name says so; the test then wants it from a file or from the
# operator's environment, never written in the compose file.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|API_KEYS|TOKEN|PRIVATE_KEY")
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::?-(?P<default>[^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def published(service: dict[str, Any]) -> list[str]:
    """Port specs as they are without a `.env`: `${VAR:-default}` gives its default."""
    return [
        INTERPOLATION.sub(lambda m: m.group("default") or "", str(p))
        for p in service.get("ports", [])
    ]


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in (service.get("environment") or {}).items()}


def minyi_containers() -> dict[str, dict[str, Any]]:
    """The containers running Minyi's image (the services and the one-shot jobs)."""
    return {
        name: service
        for name, service in compose()["services"].items()
        if "MINYI_ENVIRONMENT" in (service.get("environment") or {})
    }


def secret_value(service: dict[str, Any], variable: str) -> str:
    """The development value of the Docker secret `variable` (a `*_FILE`) names, once the
    test has checked the service mounts it."""
    path = environment(service)[variable]
    assert path.startswith("/run/secrets/"), f"{variable}={path}"
    secret = path.removeprefix("/run/secrets/")
    assert secret in service.get("secrets", []), f"{secret} is read but not mounted"
    return (DEV_SECRETS / secret).read_text(encoding="utf-8").strip()


def test_kafka_and_the_store_are_published_on_loopback_only() -> None:
    services = compose()["services"]
    for name in INFRASTRUCTURE:
        ports = published(services[name])
        assert ports, f"{name} publishes nothing; drop this test's entry if that is meant"
        for port in ports:
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"


def test_nothing_is_published_beyond_the_hosts_loopback_by_default() -> None:
    checked = 0
    for name, service in compose()["services"].items():
        for port in published(service):
            checked += 1
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} on every interface"
            assert "0.0.0.0" not in port, f"{name}: {port}"
    assert checked >= len(INFRASTRUCTURE) + len(SERVICES) + len(MONITORING)
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    specs = re.findall(r"^MINYI_[A-Z]+_PUBLISH=(.*)$", example, flags=re.MULTILINE)
    assert len(specs) == len(SERVICES)
    assert all(spec.startswith("127.0.0.1:") for spec in specs), specs


def test_monitoring_starts_only_in_its_profile_with_read_only_configuration() -> None:
    services = compose()["services"]
    profiled = {name for name, s in services.items() if "monitoring" in s.get("profiles", [])}
    assert profiled == set(MONITORING)
    for name in MONITORING:
        service = services[name]
        assert service["profiles"] == ["monitoring"]
        image = service["image"]
        assert re.fullmatch(r"[a-z/]+:v?\d+\.\d+\.\d+", image), f"{name}: {image} is not pinned"
        mounts = [v for v in service["volumes"] if v.startswith("./")]
        assert mounts, f"{name} mounts no configuration"
        for mount in mounts:
            source, _, mode = mount.split(":")
            assert mode == "ro", f"{name} may write {source}"
            assert (ROOT / source).exists(), f"{name} mounts {source}, which does not exist"
    for name, service in services.items():
        if name not in MONITORING:  # the platform runs without them
            assert not set(service.get("depends_on", {})) & set(MONITORING), name
    grafana = environment(services["grafana"])
    assert secret_value(services["grafana"], "GF_SECURITY_ADMIN_PASSWORD__FILE")
    assert "GF_SECURITY_ADMIN_PASSWORD" not in grafana


# --- MongoDB: a root user, and each service as its own user ---


def test_mongo_requires_a_root_password_from_a_secret_and_creates_the_services_users() -> None:
    mongo = compose()["services"]["mongo"]
    env = environment(mongo)
    assert env["MONGO_INITDB_ROOT_USERNAME"]
    assert secret_value(mongo, "MONGO_INITDB_ROOT_PASSWORD_FILE")
    assert "MONGO_INITDB_ROOT_PASSWORD" not in env
    init = [v for v in mongo["volumes"] if "/docker-entrypoint-initdb.d/" in v]
    assert len(init) == 1 and init[0].endswith(":ro"), mongo["volumes"]
    script = (ROOT / init[0].split(":")[0]).read_text(encoding="utf-8")
    for service in SERVICES:
        # The init script creates each user from the URL the service connects with.
        assert f"{service}_mongo_url" in mongo["secrets"], service
        assert f'"{service}"' in script, service
    assert "/run/secrets/${service}_mongo_url" in script
    assert 'role: "readWrite", db: database' in script


@pytest.mark.parametrize("name", [*SERVICES, "seed"])
def test_each_container_reaches_the_store_with_its_own_credentials(name: str) -> None:
    service = compose()["services"][name]
    env = environment(service)
    assert "MINYI_MONGO_URL" not in env, f"{name} has a URL without its secret"
    url = secret_value(service, "MINYI_MONGO_URL_FILE")
    assert mongo_url_signs_in(url), f"{name}'s store URL has no credentials"
    parts = urlsplit(url)
    owner = "routing" if name == "seed" else name  # the seed writes routing's database
    assert parts.username == owner
    assert parse_qs(parts.query)["authSource"] == ["admin"]  # where the init script puts users


def test_no_minyi_container_reaches_the_store_without_credentials() -> None:
    for name, service in minyi_containers().items():
        env = environment(service)
        if "MINYI_MONGO_URL" in env:
            assert mongo_url_signs_in(env["MINYI_MONGO_URL"]), name


# --- Kafka: SASL/SCRAM for every client, a user and ACLs per service ---


def kafka_properties() -> dict[str, str]:
    """The broker's server.properties as the apache/kafka image derives them from `KAFKA_*`:
    `___` is `-`, `__` is `_`, `_` is `.`."""
    env = environment(compose()["services"]["kafka"])
    return {
        property_name(name.removeprefix("KAFKA_").lower()): value
        for name, value in env.items()
        if name.startswith("KAFKA_")
    }


def property_name(variable: str) -> str:
    return "-".join(
        "_".join(part.replace("_", ".") for part in chunk.split("__"))
        for chunk in variable.split("___")
    )


def test_kafka_takes_only_scram_from_anything_beyond_its_own_loopback() -> None:
    properties = kafka_properties()
    protocols = dict(p.split(":") for p in properties["listener.security.protocol.map"].split(","))
    listeners = dict(listener.split("://", 1) for listener in properties["listeners"].split(","))
    advertised = properties["advertised.listeners"]
    assert "CLIENT://kafka:9092" in advertised  # what the services' MINYI_KAFKA_BOOTSTRAP names
    for name, address in listeners.items():
        if not address.startswith("127.0.0.1:"):
            assert protocols[name] == "SASL_PLAINTEXT", f"{name} ({address}) takes no password"
    assert protocols["CLIENT"] == protocols["HOST"] == "SASL_PLAINTEXT"
    assert properties["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    for listener in ("client", "host"):
        jaas = properties[f"listener.name.{listener}.scram-sha-512.sasl.jaas.config"]
        assert jaas.startswith("org.apache.kafka.common.security.scram.ScramLoginModule")
    assert properties["authorizer.class.name"].endswith("StandardAuthorizer")
    assert properties["allow.everyone.if.no.acl.found"] == "false"
    # The super user is whoever connects to the PLAINTEXT listeners, which are loopback only.
    assert properties["super.users"] == "User:ANONYMOUS"
    assert properties["inter.broker.listener.name"] == "BROKER"
    assert "BROKER://127.0.0.1:9091" in properties["listeners"]


def test_every_minyi_container_signs_in_to_kafka_as_its_own_user() -> None:
    containers = minyi_containers()
    assert set(SERVICES) | {"topics", "seed"} <= set(containers)
    expected = {**{s: s for s in SERVICES}, "seed": "routing", "topics": "minyi-admin"}
    for name, service in containers.items():
        env = environment(service)
        assert env["MINYI_KAFKA_SECURITY_PROTOCOL"].startswith("SASL_"), name
        assert env["MINYI_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512", name
        assert env["MINYI_KAFKA_SASL_USERNAME"] == expected[name], name
        assert secret_value(service, "MINYI_KAFKA_SASL_PASSWORD_FILE"), name
        assert "MINYI_KAFKA_SASL_PASSWORD" not in env, name


def test_the_kafka_auth_job_creates_every_user_from_its_secret_before_anyone_connects() -> None:
    services = compose()["services"]
    job = services["kafka-auth"]
    env = environment(job)
    assert job["network_mode"] == "service:kafka"  # the only way to the loopback listener
    assert env["MINYI_KAFKA_SERVICES"].split() == list(SERVICES)
    for user in SERVICES:
        assert f"kafka_{user}_password" in job["secrets"], user
    assert "kafka_admin_password" in job["secrets"]
    script = next(v for v in job["volumes"] if v.endswith(":ro")).split(":")[0]
    assert (ROOT / script).is_file()
    for name in (*SERVICES, "topics"):
        assert services[name]["depends_on"]["kafka-auth"] == {
            "condition": "service_completed_successfully"
        }, name


def granted(direction: str) -> dict[str, set[str]]:
    env = environment(compose()["services"]["kafka-auth"])
    return {s: set(env[f"MINYI_ACL_{s.upper()}_{direction}"].split()) for s in SERVICES}


def test_the_kafka_acls_are_what_the_code_reads_and_writes() -> None:
    reads = {s: {t.name for t in CATALOGUE if s in t.consumers} for s in SERVICES}
    writes = {s: {t.name for t in CATALOGUE if s in t.producers} for s in SERVICES}
    assert granted("READS") == reads
    assert granted("WRITES") == writes


def test_every_topic_and_group_is_covered_by_the_catalogue_or_a_services_own_prefix() -> None:
    catalogued = {t.name for t in CATALOGUE}
    owned = {
        dead_letter_topic(name) for name in (*CONSUMER_GROUPS, NOTIFY_DELIVERIES)
    }  # under `<service>.`, which each service owns whole
    for spec in platform_topics():
        assert spec.name in catalogued | owned, (
            f"{spec.name} is neither in shared/asyncapi.CATALOGUE nor a dead-letter topic: "
            "who may read and write it? (the compose ACLs follow the catalogue)"
        )
    for name in (*CONSUMER_GROUPS, NOTIFY_DELIVERIES):
        assert name.split(".")[0] in SERVICES, f"{name} is under no service's prefix"


def test_each_service_uses_only_topics_its_acls_allow() -> None:
    """The catalogue cross-checked against the code: every topic constant a service's package
    takes from shared.topics is one it may read or write."""
    topics = {
        name: value
        for name, value in vars(topics_module).items()
        if isinstance(value, str) and value in {spec.name for spec in platform_topics()}
    }
    reads, writes = granted("READS"), granted("WRITES")
    for service in SERVICES:
        used: set[str] = set()
        for path in (ROOT / "services" / service).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "shared.topics":
                    used |= {topics[a.name] for a in node.names if a.name in topics}
        assert used, f"{service} uses no topic: the scan no longer finds them"
        assert used <= reads[service] | writes[service], (service, used)


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


def test_every_secret_has_its_development_file() -> None:
    for secret, source in compose()["secrets"].items():
        path = source["file"].replace("${MINYI_SECRETS_DIR:-./deploy/docker/dev-secrets}", "")
        assert (DEV_SECRETS / path.lstrip("/")).is_file(), secret
        assert path.lstrip("/") == secret


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
