"""Where the tests find a real Kafka broker and a real MongoDB-wire store.

MINYI_TEST_INFRA=local (default): the project's own processes (deploy/local/infra.sh), started
    here when they are not running.
MINYI_TEST_INFRA=docker: testcontainers with the official Kafka and MongoDB images.
MINYI_TEST_INFRA=external: MINYI_TEST_KAFKA_BOOTSTRAP and MINYI_TEST_MONGO_URL.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    mongo_url: str


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def _local() -> Iterator[Infra]:
    kafka_port = int(os.environ.get("MINYI_KAFKA_PORT", "9092"))
    store_port = int(os.environ.get("MINYI_STORE_PORT", "27017"))
    if not (_port_open(kafka_port) and _port_open(store_port)):
        subprocess.run([str(ROOT / "deploy/local/infra.sh"), "start"], check=True)
    yield Infra(f"127.0.0.1:{kafka_port}", f"mongodb://127.0.0.1:{store_port}/")


def local_store_urls() -> dict[str, str]:
    """Each service's store in the local deployment (`infra.sh store-urls`): one SecantusDB
    process per service by default (docs/operations.md, "One store per service"). The tests
    keep every service on `Infra.mongo_url`; benchmarks/scale.py measures the deployment."""
    listed = subprocess.run(
        [str(ROOT / "deploy/local/infra.sh"), "store-urls"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(line.split(" ", 1) for line in listed.splitlines() if line.strip())


def free_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _docker() -> Iterator[Infra]:
    from testcontainers.community.mongodb import MongoDbContainer
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    # The official apache/kafka image in KRaft mode; the advertised port must be the host's,
    # so it is chosen before the container starts.
    port = free_port()
    kafka = (
        DockerContainer("apache/kafka:3.9.1")
        .with_bind_ports(9092, port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://127.0.0.1:{port}")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env(
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
        )
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
    )
    with kafka, MongoDbContainer("mongo:7.0") as mongo:
        wait_for_logs(kafka, "Kafka Server started", timeout=120)
        yield Infra(f"127.0.0.1:{port}", mongo.get_connection_url())


@contextmanager
def _external() -> Iterator[Infra]:
    try:
        yield Infra(os.environ["MINYI_TEST_KAFKA_BOOTSTRAP"], os.environ["MINYI_TEST_MONGO_URL"])
    except KeyError as missing:
        raise RuntimeError(
            f"MINYI_TEST_INFRA=external needs {missing.args[0]} in the environment"
        ) from None


@contextmanager
def test_infra() -> Iterator[Infra]:
    mode = os.environ.get("MINYI_TEST_INFRA", "local")
    providers = {"local": _local, "docker": _docker, "external": _external}
    if mode not in providers:
        raise RuntimeError(f"MINYI_TEST_INFRA must be one of {sorted(providers)}, not {mode!r}")
    with providers[mode]() as infra:
        yield infra
