"""The four services as real processes, in a namespace of their own, for end-to-end tests."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pymongo import AsyncMongoClient

from services.routing.adapters.directory_repository import DEMO_DIRECTORY
from services.routing.entrypoints.cli import seed
from services.routing.settings import RoutingSettings
from shared.outbox import OUTBOX_COUNT
from tests.infra import ROOT, Infra, free_port
from tests.tokens import bearer, publish_test_accounts_sync

SERVICES = ("intake", "routing", "notify", "reporting")
ADMIN = bearer("admin")
ARTIFACTS = ROOT / "test-artifacts" / "e2e"


@dataclass
class Platform:
    infra: Infra
    namespace: str
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, IO[bytes]] = field(default_factory=dict)
    # Settings a test adds for every service (e.g. a push gateway for notify).
    extra_env: dict[str, str] = field(default_factory=dict)
    # The directory file seeded (with its demo accounts); None: the demo's.
    directory: Path | None = None
    # Whether the accounts of tests' own tokens (ADMIN) are on `staff-sessions` yet.
    test_accounts_published: bool = False
    # A store per service (benchmarks/scale.py); a service not named uses `infra.mongo_url`.
    stores: dict[str, str] = field(default_factory=dict)

    def store_url(self, service: str) -> str:
        return self.stores.get(service, self.infra.mongo_url)

    @property
    def store_urls(self) -> list[str]:
        """Every store the services use, each once."""
        return sorted({self.infra.mongo_url, *self.stores.values()})

    def env(self, service: str | None = None) -> dict[str, str]:
        env = {
            **os.environ,
            "MINYI_NAMESPACE": self.namespace,
            "MINYI_KAFKA_BOOTSTRAP": self.infra.kafka_bootstrap,
            "MINYI_MONGO_URL": self.infra.mongo_url,
            "MINYI_OUTBOX_POLL_SECONDS": "0.2",
            "MINYI_CONSUMER_RETRY_MAX_SECONDS": "2",
            # Every test request comes from 127.0.0.1; the limit has its own tests.
            "MINYI_RATE_LIMIT_PER_MINUTE": "1000000",
            "MINYI_RATE_LIMIT_BURST": "100000",
            **{
                f"MINYI_{name.upper()}_WEB_URL": f"http://127.0.0.1:{port}"
                for name, port in self.ports.items()
            },
            **self.extra_env,
        }
        if "intake" in self.ports:
            env["MINYI_PUBLIC_BASE_URL"] = env["MINYI_INTAKE_WEB_URL"]
        if service is not None:
            env["MINYI_PORT"] = str(self.ports[service])
            env["MINYI_MONGO_URL"] = self.store_url(service)
        return env

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def seed_directory(self) -> None:
        """What `python -m services.routing seed-demo [FILE]` does, done in this process: a
        Python starting and importing routing would cost more than the seed itself, and
        routing cannot start before it."""
        settings = RoutingSettings(
            kafka_bootstrap=self.infra.kafka_bootstrap,
            mongo_url=self.store_url("routing"),
            namespace=self.namespace,
        )
        asyncio.run(seed(self.directory or DEMO_DIRECTORY, settings))

    def start(self, service: str, *, timeout_s: float = 60.0) -> None:
        self.launch(service)
        self.wait_ready(service, timeout_s=timeout_s)

    def launch(self, service: str) -> None:
        """The service's process, started; `wait_ready` waits for it."""
        if not self.test_accounts_published:
            # Before any service starts: each is ready only once it has read them.
            publish_test_accounts_sync(
                kafka_bootstrap=self.infra.kafka_bootstrap, namespace=self.namespace
            )
            self.test_accounts_published = True
        self.ports.setdefault(service, free_port())
        directory = ARTIFACTS / self.namespace
        directory.mkdir(parents=True, exist_ok=True)
        log = self.logs.get(service) or (directory / f"{service}.log").open("ab")
        self.logs[service] = log
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}"],
            env=self.env(service),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, service: str, *, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        last = ""
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise AssertionError(f"{service} exited with {process.returncode}; see its log")
            try:
                response = httpx.get(self.url(service, "/readyz"), timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = str(exc)
            time.sleep(0.1)
        raise AssertionError(f"{service} not ready within {timeout_s}s: {last}")

    def stop(self, service: str, *, kill: bool = False) -> None:
        process = self.processes.pop(service, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def start_all(self, services: Sequence[str] = SERVICES) -> None:
        """The demo directory seeded and the services (all four by default) running."""
        for service in services:
            self.ports.setdefault(service, free_port())
        # A start is mostly Python importing: started together, the services (and the seed,
        # which only routing reads) overlap instead of queueing, several seconds each.
        for service in services:
            if service != "routing":
                self.launch(service)
        self.seed_directory()
        if "routing" in services:
            self.launch("routing")
        for service in services:
            self.wait_ready(service)

    def restart_stopped(self) -> None:
        """Every service a test stopped (or that died), started again: the next test of a
        shared platform finds them all running."""
        down = [
            s for s in self.ports if s not in self.processes or self.processes[s].poll() is not None
        ]
        for service in down:
            self.launch(service)
        for service in down:
            self.wait_ready(service)

    def stop_all(self) -> None:
        # Signalled together, they shut down side by side rather than one after the other.
        running = [p for p in self.processes.values() if p.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        for log in self.logs.values():
            log.close()

    def settle(self, *, timeout_s: float = 60.0) -> None:
        """Wait until nothing is in flight: every consumer group of the namespace has handled
        every record of its topics, and no service's outbox holds an event. A test on a shared
        platform then counts only what it causes itself."""
        eventually(lambda: asyncio.run(self._quiet()), timeout_s=timeout_s, interval_s=0.2)

    def _subscriptions(self) -> dict[str, set[str]]:
        """Each consumer group's topics, as its service logged them when it joined."""
        found: dict[str, set[str]] = {}
        for log in self.logs.values():
            with open(log.name, "rb") as lines:
                for line in lines:
                    if b'"kafka.consumer.started"' not in line:
                        continue
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    found.setdefault(entry["group"], set()).update(entry["topics"])
        return found

    async def _quiet(self) -> bool:
        prefix = self.namespace + "."
        admin = AIOKafkaAdminClient(bootstrap_servers=self.infra.kafka_bootstrap)
        reader = AIOKafkaConsumer(bootstrap_servers=self.infra.kafka_bootstrap)
        await admin.start()
        await reader.start()
        try:
            groups = sorted(
                str(g[0])
                for g in await admin.list_consumer_groups()
                if str(g[0]).startswith(prefix)
            )
            subscribed = self._subscriptions()
            for group in groups:
                committed = await admin.list_consumer_group_offsets(group)
                # A partition the group never committed on counts from its beginning.
                topics = subscribed.get(group, set()) | {tp.topic for tp in committed}
                tps = [
                    TopicPartition(topic, partition)
                    for topic in sorted(topics)
                    for partition in sorted(await _partitions(reader, topic))
                ]
                ends = await reader.end_offsets(tps) if tps else {}
                for tp, end in ends.items():
                    done = committed[tp].offset if tp in committed else 0
                    if end > max(done, 0):
                        return False
        except KafkaError:
            return False  # e.g. a coordinator still moving after a restart: ask again
        finally:
            await reader.stop()
            await admin.close()
        for url in self.store_urls:
            if not await self._outboxes_drained(url):
                return False
        return True

    async def _outboxes_drained(self, url: str) -> bool:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
        try:
            for name in await client.list_database_names():
                if not name.startswith(self.namespace + "_"):
                    continue
                database = client[name]
                for collection in await database.list_collection_names():
                    if await database[collection].find_one({OUTBOX_COUNT: {"$gt": 0}}, {"_id": 1}):
                        return False
        finally:
            await client.close()
        return True

    def get(self, service: str, path: str, **params: Any) -> httpx.Response:
        """As an admin, who may read every report and inbox (the default secret is in use)."""
        return httpx.get(self.url(service, path), params=params, headers=ADMIN, timeout=10)

    def post(self, service: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.url(service, path), timeout=10, **kwargs)


async def _partitions(reader: AIOKafkaConsumer, topic: str) -> set[int]:
    found: set[int] | None = reader.partitions_for_topic(topic)
    if not found:
        await reader._client.force_metadata_update()
        found = reader.partitions_for_topic(topic)
    return found or set()


def eventually(check: Any, *, timeout_s: float = 30.0, interval_s: float = 0.1) -> Any:
    """Poll `check` until it returns a truthy value; fail with its last error otherwise."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
            last = value
        except (AssertionError, httpx.HTTPError, KeyError) as exc:
            last = exc
        time.sleep(interval_s)
    raise AssertionError(f"not reached within {timeout_s}s; last: {last!r}")


DEMO_PASSWORD = "minyi-demo"


def sign_in(platform: Platform, username: str) -> dict[str, str]:
    """Authorization headers for a demo account."""
    response = platform.post(
        "routing", "/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def act(
    platform: Platform, headers: dict[str, str], case_id: str, action: str, **fields: Any
) -> httpx.Response:
    return platform.post(
        "routing",
        f"/v1/staff/cases/{case_id}/actions",
        json={"action": action, **fields},
        headers=headers,
    )


def staff_case(platform: Platform, headers: dict[str, str], case_id: str) -> httpx.Response:
    return httpx.get(
        platform.url("routing", f"/v1/staff/cases/{case_id}"), headers=headers, timeout=10
    )
