"""The four services as real processes, in a namespace of their own, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from tests.infra import ROOT, Infra, free_port
from tests.tokens import bearer

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
        return env

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def seed_directory(self) -> None:
        file = [str(self.directory)] if self.directory else []
        subprocess.run(
            [sys.executable, "-m", "services.routing", "seed-demo", *file],
            env=self.env(),
            cwd=ROOT,
            check=True,
            capture_output=True,
        )

    def start(self, service: str, *, timeout_s: float = 60.0) -> None:
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
        self.wait_ready(service, timeout_s=timeout_s)

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

    def start_all(self) -> None:
        self.seed_directory()
        for service in SERVICES:
            self.ports.setdefault(service, free_port())
        for service in SERVICES:
            self.start(service)

    def stop_all(self) -> None:
        for service in list(self.processes):
            self.stop(service)
        for log in self.logs.values():
            log.close()

    def get(self, service: str, path: str, **params: Any) -> httpx.Response:
        """As an admin, who may read every report and inbox (the default secret is in use)."""
        return httpx.get(self.url(service, path), params=params, headers=ADMIN, timeout=10)

    def post(self, service: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.url(service, path), timeout=10, **kwargs)


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
