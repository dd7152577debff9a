"""Benchmark: does the platform keep its pace as data grows? (`make bench-scale`)

In one run, on the running local Kafka and store, in a namespace of its own:

1. baseline, in each phase just before intake: a bare FastAPI endpoint
   (benchmarks/bare_intake.py) that validates the same body as intake and does one
   `insert_one` into the same store, under the same load;
2. empty: the four services as processes, the directory loaded (the demo's; `--directory city`:
   the city's 19 stations and 1,027 representatives), no cases; measures
   intake's submission rate and latency, the sustained end-to-end rate (first submission →
   reporting has counted every case and every consumer group's lag is 0), the time from the
   load's end to lag 0, the p50 of the main report and queue queries, intake's p99 at half
   load, and the store's CPU at rest;
3. fill: brings intake's store to N cases through a real path, the historical import
   (`python -m services.intake import FILE.jsonl`) or the API, and waits until every
   consumer has caught up;
4. at N: the same measures again.

The load comes from benchmarks/load.py, a process of its own; traffic goes to loopback only,
every wait has a deadline, and the run removes its processes, topics and databases. It prints
a table and writes it to docs/benchmarks.md (unless `--no-write`).

    .venv/bin/python -m benchmarks.scale [--cases 10000] [--load-seconds 20] [--concurrency 16]
        [--directory demo|city]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform as host
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pymongo import AsyncMongoClient, MongoClient
from pymongo.errors import PyMongoError

from shared.mongo import Document
from shared.settings import ServiceSettings
from shared.topics import (
    CASE_EVENTS,
    CASE_KEYS,
    CONSUMER_GROUPS,
    DIRECTORY,
    HOUSES,
    RESIDENT_CONTACTS,
    STAFF_SESSIONS,
    STATION_ACTIVITIES,
    delete_namespace_topics,
    ensure_topics,
)
from tests.conftest import drop_namespace_databases
from tests.e2e.platform import DEMO_PASSWORD, SERVICES, Platform
from tests.infra import ROOT, Infra, free_port, local_store_urls, test_infra
from tests.tokens import bearer

HEADING = "## `make bench-scale` — throughput as data grows"
DOCS = ROOT / "docs" / "benchmarks.md"
IMPORTER = ROOT / "services" / "intake" / "entrypoints" / "history_import.py"
DEMO_DIRECTORY = ROOT / "services" / "routing" / "demo_directory.yaml"
# `--directory`: the demo's 3 stations and 10 representatives, or the city's 19 and 1,027
# (whose ids include the demo's, so the load generator's QR codes resolve in both).
DIRECTORIES = {
    "demo": DEMO_DIRECTORY,
    "city": ROOT / "services" / "routing" / "city_directory.yaml",
}
STAFF = "xijie-staff"
# What each consumer group reads, by the purpose in its name (`<service>.<purpose>`).
PURPOSE_TOPIC = {
    "cases": CASE_EVENTS,
    "contacts": RESIDENT_CONTACTS,
    "activities": STATION_ACTIVITIES,
    "houses": HOUSES,
    "directory": DIRECTORY,
    "sessions": STAFF_SESSIONS,
    "keys": CASE_KEYS,
}
# Reporting's counters as the probe reads them: over the last days for the load (cheap, the
# load's cases are today's), over the whole imported history for the fill.
HISTORY_DAYS = 730
RECENT = {
    "since": (date.today() - timedelta(days=1)).isoformat(),
    "until": (date.today() + timedelta(days=1)).isoformat(),
}
# The imported cases younger than this are still handled as often as new ones.
RECENT_HISTORY = timedelta(days=60)
WHOLE_HISTORY = {
    "since": (date.today() - timedelta(days=HISTORY_DAYS + 5)).isoformat(),
    "until": (date.today() + timedelta(days=1)).isoformat(),
}


class AdminAuth(httpx.Auth):
    """A fresh admin token for every request: a 100,000-case run outlasts a token's hour, and
    a client holding one token got 401 from its second hour on."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers.update(bearer("admin"))
        yield request


ADMIN_AUTH = AdminAuth()


class _Settings(ServiceSettings):
    service_name: str = "bench"
    port: int = 1


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


# --- observing the platform ------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    at: float
    received: int
    assigned: int
    lags: dict[str, int]
    ends: int

    @property
    def lag(self) -> int:
        return sum(self.lags.values())


class Probe:
    """Reporting's counters, every consumer group's lag and the topics' end offsets."""

    def __init__(self, platform: Platform, settings: ServiceSettings) -> None:
        self.platform = platform
        self.settings = settings
        self.admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        self.offsets = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
        )
        self.http = httpx.AsyncClient(
            base_url=platform.url("reporting", ""), auth=ADMIN_AUTH, timeout=30
        )
        self.partitions: dict[str, list[TopicPartition]] = {}
        self.groups = {
            group: settings.topic(PURPOSE_TOPIC[group.rsplit(".", 1)[1]])
            for group in CONSUMER_GROUPS
            if group.rsplit(".", 1)[1] in PURPOSE_TOPIC
        }
        unknown = set(CONSUMER_GROUPS) - set(self.groups)
        if unknown:
            log(f"note: lag not read for groups of unknown purpose: {sorted(unknown)}")

    async def __aenter__(self) -> Probe:
        await asyncio.wait_for(self.admin.start(), 30)
        await asyncio.wait_for(self.offsets.start(), 30)
        # From the broker's topic descriptions: a consumer that subscribed to nothing knows no
        # topic's partitions, and an empty list would read as "no lag" for ever.
        described = await self.admin.describe_topics(sorted(set(self.groups.values())))
        for entry in described:
            topic = str(entry["topic"])
            found = sorted(int(p["partition"]) for p in entry["partitions"])
            if not found:
                raise RuntimeError(f"topic {topic} has no partitions (error {entry['error_code']})")
            self.partitions[topic] = [TopicPartition(topic, p) for p in found]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()
        await self.offsets.stop()
        await self.admin.close()

    async def lags(self) -> tuple[dict[str, int], int]:
        every = [tp for tps in self.partitions.values() for tp in tps]
        ends: dict[TopicPartition, int] = await self.offsets.end_offsets(every)
        lags: dict[str, int] = {}
        for group, topic in self.groups.items():
            tps = self.partitions[topic]
            committed = await self.admin.list_consumer_group_offsets(
                self.settings.topic(group), partitions=tps
            )
            lags[group] = sum(
                max(0, ends[tp] - max(0, committed[tp].offset if tp in committed else 0))
                for tp in tps
            )
        return lags, sum(ends.values())

    async def snapshot(self, *, history: bool = False, attempts: int = 10) -> Snapshot:
        """Now; counted over the recent days or the whole `history`. A slow or failed poll
        (the machine is busy) is tried again, a few times."""
        for attempt in range(1, attempts + 1):
            try:
                return await self._snapshot(WHOLE_HISTORY if history else RECENT)
            except (httpx.HTTPError, KafkaError) as exc:
                if attempt == attempts:
                    raise
                log(f"note: poll failed ({type(exc).__name__}), trying again")
                await asyncio.sleep(1)
        raise AssertionError("unreachable")

    async def _snapshot(self, period: dict[str, str]) -> Snapshot:
        lags, ends = await self.lags()
        response = await self.http.get("/v1/reports/city", params=period)
        response.raise_for_status()
        city = response.json()["city"]
        return Snapshot(time.time(), city["received"], city["assigned"], lags, ends)

    async def drained(
        self,
        done: Callable[[Snapshot], bool],
        *,
        label: str,
        interval_s: float = 1.0,  # a poll makes reporting count open cases: polling loads the store
        stall_s: float = 180.0,
        deadline_s: float = 3 * 3600,
        progress_s: float = 10.0,
        total: int = 0,
        counted_from: int | None = None,
        metric: Literal["assigned", "received"] = "assigned",
        history: bool = False,
    ) -> Snapshot:
        """Poll until every group's lag is 0 and `done`; fail after `stall_s` without progress
        or at the deadline. Prints progress every `progress_s` (cases counted, rate, ETA)."""
        began = time.monotonic()
        first = await self.snapshot(history=history)
        last_change, last_key = began, (first.received, first.assigned, first.lag, first.ends)
        next_progress = began + progress_s
        while True:
            snap = await self.snapshot(history=history)
            if snap.lag == 0 and done(snap):
                return snap
            now = time.monotonic()
            key = (snap.received, snap.assigned, snap.lag, snap.ends)
            if key != last_key:
                last_change, last_key = now, key
            if now - last_change > stall_s:
                raise RuntimeError(f"{label}: no progress for {stall_s:.0f}s; lags {snap.lags}")
            if now - began > deadline_s:
                raise RuntimeError(f"{label}: not drained within {deadline_s:.0f}s")
            if now >= next_progress:
                next_progress = now + progress_s
                value, start = getattr(snap, metric), getattr(first, metric)
                counted = value - (start if counted_from is None else counted_from)
                rate = (value - start) / max(now - began, 1e-9)
                eta = f", ETA {(total - counted) / rate:.0f}s" if total and rate > 0 else ""
                of = f"/{total}" if total else ""
                log(
                    f"{label}: {counted}{of} {metric} ({rate:.1f}/s{eta}), "
                    f"lag {snap.lag} {_nonzero(snap.lags)}"
                )
            await asyncio.sleep(interval_s)


def _nonzero(lags: dict[str, int]) -> str:
    return json.dumps({g: n for g, n in lags.items() if n}, separators=(",", ":"))


@dataclass
class Stillness:
    """Whether the topics' end offsets and reporting's counters stayed put for `for_s`."""

    for_s: float
    key: tuple[int, int, int] | None = None
    since: float = 0.0

    def __call__(self, snap: Snapshot) -> bool:
        key = (snap.ends, snap.received, snap.assigned)
        if key != self.key:
            self.key, self.since = key, snap.at
        return snap.at - self.since >= self.for_s


async def quiet(probe: Probe, *, label: str, for_s: float = 2.0) -> Snapshot:
    """Every group at lag 0 and nothing new on the topics or in reporting for `for_s`."""
    return await probe.drained(Stillness(for_s), label=label, interval_s=0.5)


# --- load -------------------------------------------------------------------------------------


async def load(
    port: int,
    *,
    seconds: float,
    concurrency: int,
    tag: str,
    rate: float = 0.0,
    count: int = 0,
) -> dict[str, Any]:
    """Run benchmarks/load.py against a loopback port; its JSON summary."""
    args = [
        sys.executable,
        "-m",
        "benchmarks.load",
        f"--port={port}",
        f"--seconds={seconds}",
        f"--concurrency={concurrency}",
        f"--tag={tag}",
        f"--rate={rate}",
        f"--count={count}",
    ]
    process = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), seconds + 120)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(f"load generator did not finish within {seconds + 120:.0f}s") from None
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed: {err.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(out)
    errors = {k: v for k, v in result["statuses"].items() if k != "202"}
    if errors:
        log(f"note: {tag}: answers other than 202: {errors}")
    return result


# --- the baseline ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def bare_endpoint(infra: Infra, namespace: str) -> AsyncIterator[int]:
    """benchmarks/bare_intake.py running on a free loopback port, for the run's duration."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.bare_intake",
        f"--port={port}",
        f"--mongo-url={infra.mongo_url}",
        f"--database={namespace}_bare",
        cwd=ROOT,
    )
    try:
        await _wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=60)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _wait_http(url: str, *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} not answering within {timeout_s:.0f}s")


# --- one phase: empty or at N ----------------------------------------------------------------


@dataclass
class Phase:
    name: str
    cases_stored: int = 0
    bare: dict[str, Any] = field(default_factory=dict)
    intake: dict[str, Any] = field(default_factory=dict)
    e2e_rate: float = 0.0
    lag_zero_s: float = 0.0
    half: dict[str, Any] = field(default_factory=dict)
    queries_ms: dict[str, float] = field(default_factory=dict)
    rest: RestCpu | None = None


QUERIES = {
    "stations": ("reporting", "/v1/reports/stations", False),
    "city": ("reporting", "/v1/reports/city", False),
    "queue": ("routing", "/v1/staff/cases", True),
}


async def query_p50(platform: Platform, *, calls: int) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=30) as http:
        signed = await http.post(
            platform.url("routing", "/v1/auth/token"),
            json={"username": STAFF, "password": DEMO_PASSWORD},
        )
        signed.raise_for_status()
        token = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        p50: dict[str, float] = {}
        for name, (service, path, staff) in QUERIES.items():
            url = platform.url(service, path)
            headers = token if staff else bearer("admin")
            times: list[float] = []
            for i in range(calls + 3):
                began = time.perf_counter()
                response = await http.get(url, headers=headers)
                elapsed = time.perf_counter() - began
                response.raise_for_status()
                if i >= 3:  # the first calls warm caches and connections
                    times.append(elapsed * 1000)
            p50[name] = statistics.median(times)
    return p50


def store_pids() -> list[int]:
    """The local store processes (`store` is intake's, `store-<service>` the others')."""
    pids = []
    for pidfile in sorted(
        (Path(os.environ.get("MINYI_VAR", ROOT / "var")) / "run").glob("store*.pid")
    ):
        with contextlib.suppress(OSError, ValueError):
            pid = int(pidfile.read_text().strip())
            if Path(f"/proc/{pid}/stat").exists():
                pids.append(pid)
    return pids


def _cpu_ticks(pid: int) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    return None


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks of every core, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(values[:8])
    return total - values[3] - values[4], total  # minus idle and iowait


@dataclass(frozen=True)
class RestCpu:
    """CPU in % of one core over a quiet window: the stores, the four services, the machine."""

    store: float | None
    services: float | None
    machine: float


async def rest_cpu(seconds: float, services: list[int]) -> RestCpu:
    stores = store_pids()
    pids = [*stores, *services]
    before = {pid: _cpu_ticks(pid) for pid in pids}
    busy, total = _machine_ticks()
    began = time.monotonic()
    await asyncio.sleep(seconds)
    after = {pid: _cpu_ticks(pid) for pid in pids}
    busy_end, total_end = _machine_ticks()
    elapsed, hz = time.monotonic() - began, os.sysconf("SC_CLK_TCK")

    def share(pid: int) -> float | None:
        first, last = before[pid], after[pid]
        return None if first is None or last is None else 100 * (last - first) / hz / elapsed

    def summed(of: list[int]) -> float | None:
        shares = [share(pid) for pid in of]
        return None if not of or None in shares else sum(x for x in shares if x is not None)

    cores = os.cpu_count() or 1
    return RestCpu(
        store=summed(stores),
        services=summed(services),
        machine=100 * cores * (busy_end - busy) / max(total_end - total, 1),
    )


async def intake_cases(mongo_url: str, namespace: str) -> int:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url)
    try:
        return await client[f"{namespace}_minyi_intake"]["cases"].estimated_document_count()
    finally:
        await client.close()


async def measure(
    name: str,
    platform: Platform,
    probe: Probe,
    options: argparse.Namespace,
    *,
    bare_port: int,
    half_rate: float | None,
) -> Phase:
    """The bare endpoint, then intake under the same load; the end-to-end rate and drain, the
    queries, the CPU at rest, intake at half load."""
    phase = Phase(name)
    port = platform.ports["intake"]
    seconds, concurrency = options.load_seconds, options.concurrency
    log(f"{name}: bare endpoint, {concurrency} connections, {seconds:g}s")
    await load(bare_port, seconds=min(2.0, seconds), concurrency=concurrency, tag="warm-bare")
    phase.bare = await load(bare_port, seconds=seconds, concurrency=concurrency, tag="bare")
    bare = phase.bare
    log(f"{name}: bare {bare['rate']:.1f}/s, p50 {bare['p50_ms']:.1f}, p99 {bare['p99_ms']:.1f}")
    log(f"{name}: intake warm-up")
    await load(port, seconds=min(2.0, seconds), concurrency=concurrency, tag=f"warm-{name}")
    await quiet(probe, label=f"{name} warm-up")
    phase.cases_stored = await intake_cases(platform.store_url("intake"), platform.namespace)
    before = await probe.snapshot()
    log(f"{name}: {phase.cases_stored} cases stored; intake at {concurrency} connections")
    phase.intake = await load(port, seconds=seconds, concurrency=concurrency, tag=name)
    submitted = phase.intake["ok"]
    log(f"{name}: {submitted} submitted at {phase.intake['rate']:.1f}/s; waiting for the pipeline")
    done = await probe.drained(
        lambda s: s.assigned >= before.assigned + submitted,
        label=f"{name} pipeline",
        total=submitted,
        counted_from=before.assigned,
    )
    phase.e2e_rate = submitted / (done.at - phase.intake["first_sent"])
    phase.lag_zero_s = max(0.0, done.at - phase.intake["last_done"])
    log(f"{name}: end to end {phase.e2e_rate:.1f}/s, lag 0 {phase.lag_zero_s:.1f}s after")
    await quiet(probe, label=f"{name} settle")
    phase.queries_ms = await query_p50(platform, calls=options.query_calls)
    log(f"{name}: query p50 ms {json.dumps({k: round(v, 1) for k, v in phase.queries_ms.items()})}")
    services = [p.pid for p in platform.processes.values()]
    phase.rest = await rest_cpu(options.rest_seconds, services)
    log(f"{name}: CPU at rest, % of a core: {phase.rest}")
    rate = half_rate or phase.intake["rate"] / 2
    phase.half = await load(
        port, seconds=seconds, concurrency=concurrency, rate=rate, tag=f"half-{name}"
    )
    phase.half["offered"] = rate
    log(f"{name}: at {rate:.1f}/s offered: p99 {phase.half['p99_ms']:.1f} ms")
    await quiet(probe, label=f"{name} half-load drain")
    return phase


# --- filling the store -----------------------------------------------------------------------


@dataclass
class Fill:
    strategy: str
    added: int = 0
    seconds: float = 0.0


def history(
    count: int, *, seed: str, directory_file: Path = DEMO_DIRECTORY
) -> Iterator[dict[str, Any]]:
    """`count` past cases, oldest first, over the last two years, mostly closed and rated,
    spread over the directory's representatives and points."""
    directory = yaml.safe_load(directory_file.read_text(encoding="utf-8"))
    categories = [c["code"] for c in directory["categories"]]
    representatives = [r["code"] for r in directory["representatives"]]
    points = [p["id"] for p in directory["liaison_points"]]
    texts = ("停车位不够", "充电桩太少", "垃圾分类亭位置不合适", "雨天积水严重", "老房子漏水")
    pick = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    span = timedelta(days=HISTORY_DAYS - 1).total_seconds()
    stamps = sorted(pick.randrange(int(span)) for _ in range(count))
    for i, offset in enumerate(stamps):
        submitted = now - timedelta(days=HISTORY_DAYS) + timedelta(seconds=offset)
        qr = pick.random() < 0.7
        record: dict[str, Any] = {
            "external_id": f"{seed}-{i:07d}",
            "submitted_at": submitted.isoformat(),
            "category": pick.choice(categories),
            "text": f"{pick.choice(texts)}，希望尽快解决（历史 {i}）",
            "channel": "qr" if qr else pick.choice(("web", "in_person", "meeting")),
        }
        if qr:
            record["representative_code"] = pick.choice(representatives)
        else:
            record["liaison_point_id"] = pick.choice(points)
        # Most past cases are closed; recent ones are still being handled, and a few old ones
        # were left open. (A sixth of two years' cases open would make the open queues the
        # size of the history, which no station has.)
        steps = {
            "assigned": submitted + timedelta(minutes=pick.randint(1, 60)),
            "accepted": submitted + timedelta(hours=pick.randint(2, 48)),
            "responded": submitted + timedelta(days=pick.randint(3, 20)),
            "closed": submitted + timedelta(days=pick.randint(21, 30)),
        }
        roll = pick.random()
        if now - submitted < RECENT_HISTORY:
            wanted = "closed" if roll < 0.85 else "responded" if roll < 0.93 else "accepted"
        else:
            wanted = "closed" if roll < 0.99 else "responded"
        reached = [step for step, at in steps.items() if at < now]
        reached = reached[: list(steps).index(wanted) + 1]
        record["status"] = reached[-1] if reached else "submitted"
        for step in reached:
            record[f"{step}_at"] = steps[step].isoformat()
        if "responded" in reached:
            record["response"] = "已协调相关部门处理，感谢您的建议。"
        if "closed" in reached and pick.random() < 0.7:
            record["rating"] = pick.choices(
                ("satisfied", "basically_satisfied", "dissatisfied"), (70, 22, 8)
            )[0]
        yield record


async def fill(
    platform: Platform, probe: Probe, options: argparse.Namespace, *, target: int
) -> Fill:
    stored = await intake_cases(platform.store_url("intake"), platform.namespace)
    strategy = options.fill or ("import" if IMPORTER.exists() else "api")
    result = Fill(strategy)
    missing = max(0, target - stored)
    if not missing:
        log(f"fill: {stored} cases already stored, nothing to add")
        return result
    log(f"fill: {stored} stored, adding {missing} through {strategy}")
    before = await probe.snapshot(history=strategy == "import")
    began = time.time()
    if strategy == "api":
        submitted = await _fill_api(platform, probe, options, count=missing, before=before)
        done = await probe.drained(
            lambda s: s.assigned >= before.assigned + submitted,
            label="fill",
            interval_s=1.0,
            total=missing,
        )
        result.added = submitted
    else:
        await _fill_import(platform, probe, count=missing)
        done = await _imported(probe, before=before, count=missing)
        result.added = missing
    result.seconds = done.at - began
    log(f"fill: {result.added} cases in {result.seconds:.0f}s")
    return result


async def _fill_api(
    platform: Platform, probe: Probe, options: argparse.Namespace, *, count: int, before: Snapshot
) -> int:
    deadline_s = max(600.0, count / 5)
    task = asyncio.create_task(
        load(
            platform.ports["intake"],
            seconds=deadline_s,
            concurrency=options.concurrency,
            count=count,
            tag="fill",
        )
    )
    began = time.monotonic()
    while not task.done():
        await asyncio.wait({task}, timeout=10)
        if not task.done():
            snap = await probe.snapshot()
            counted = snap.assigned - before.assigned
            rate = counted / (time.monotonic() - began)
            eta = f", ETA {(count - counted) / rate:.0f}s" if rate > 0 else ""
            log(f"fill: {counted}/{count} counted ({rate:.1f}/s{eta}), lag {snap.lag}")
    submitted: int = task.result()["ok"]
    return submitted


def write_history(count: int, *, seed: str, directory_file: Path = DEMO_DIRECTORY) -> Path:
    """A JSONL file of `count` past cases, in a temporary file the caller removes."""
    with tempfile.NamedTemporaryFile(
        "w", suffix=".jsonl", prefix=f"{seed}-", delete=False, encoding="utf-8"
    ) as file:
        for record in history(count, seed=seed, directory_file=directory_file):
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
        return Path(file.name)


async def _fill_import(platform: Platform, probe: Probe, *, count: int) -> None:
    path = await asyncio.to_thread(
        write_history,
        count,
        seed=platform.namespace,
        directory_file=platform.directory or DEMO_DIRECTORY,
    )
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.intake",
            "import",
            str(path),
            # A few batches ahead of intake's relay, as an operator loading a large history
            # into a running platform would (docs/operations.md, "Importing past cases").
            "--paced",
            cwd=ROOT,
            # Unbuffered, so that an error line comes after the progress lines it follows.
            env={**platform.env(), "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        began = time.monotonic()
        deadline, next_progress = began + max(600.0, count / 20), began + 10
        assert process.stdout is not None
        output: list[bytes] = []
        while process.returncode is None:
            if time.monotonic() > deadline:
                process.kill()
                await process.wait()
                raise RuntimeError("the import did not finish in time")
            with contextlib.suppress(TimeoutError):
                line = await asyncio.wait_for(process.stdout.readline(), 2)
                output = [*output[-49:], line]
                if not line:
                    await process.wait()
            if time.monotonic() >= next_progress:
                # The import's own progress line, not a count of the cases: counting a
                # growing collection every few seconds is a scan the store cannot afford.
                next_progress = time.monotonic() + 10
                last = next((x for x in reversed(output) if x.strip()), b"").decode(
                    errors="replace"
                )
                log(f"fill: import running {time.monotonic() - began:.0f}s: {last.strip()}")
        if process.returncode != 0:
            tail = b"".join(output[-20:]).decode(errors="replace")
            raise RuntimeError(f"the import exited with {process.returncode}:\n{tail}")
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


PENDING_GAUGE = "minyi_outbox_pending_documents"


async def pending_outboxes(platform: Platform) -> dict[str, float]:
    """The services whose relay last saw events not yet published (their /metrics gauge).

    Not a read of the outboxes: the local store reads every pending document for any filter
    on them, however small the limit, and with tens of thousands pending each read would take
    seconds of the store's one core from the platform being measured."""
    pending: dict[str, float] = {}
    async with httpx.AsyncClient(auth=ADMIN_AUTH, timeout=30) as http:
        for service in SERVICES:
            response = await http.get(platform.url(service, "/metrics"))
            response.raise_for_status()
            for line in response.text.splitlines():
                name, _, value = line.partition(" ")
                if name == PENDING_GAUGE and float(value):
                    pending[service] = float(value)
    return pending


async def _imported(
    probe: Probe,
    *,
    before: Snapshot,
    count: int,
    interval_s: float = 5.0,
    still_s: float = 10.0,
    stall_s: float = 300.0,
) -> Snapshot:
    """Every service's outboxes are empty, every group is at lag 0 and the topics stayed put for
    `still_s`; then reporting's count of the whole history, read once.

    Only Kafka's offsets and the services' /metrics are polled: a report of the whole
    history read while reporting folds years of cases rebuilds every month it changed, on every
    poll, and that load would be the benchmark's, not the platform's."""
    began = time.monotonic()
    deadline = began + 3 * 3600
    key: tuple[int, int] | None = None
    changed = began
    next_progress = began + 10
    while True:
        try:
            lags, ends = await probe.lags()
            pending = await pending_outboxes(probe.platform)
        except (KafkaError, httpx.HTTPError) as exc:
            log(f"note: poll failed ({type(exc).__name__}), trying again")
            await asyncio.sleep(interval_s)
            continue
        lag = sum(lags.values())
        now = time.monotonic()
        if (lag, ends) != key:
            key, changed = (lag, ends), now
        if not lag and not pending and now - changed >= still_s:
            break
        if now - changed > stall_s:
            raise RuntimeError(f"fill: no progress for {stall_s:.0f}s; lags {lags}")
        if now > deadline:
            raise RuntimeError("fill: not drained within 3 hours")
        if now >= next_progress:
            next_progress = now + 10
            waiting = f", outboxes not empty: {json.dumps(pending)}" if pending else ""
            log(f"fill: lag {lag} {_nonzero(lags)}{waiting}, {now - began:.0f}s")
        await asyncio.sleep(interval_s)
    done = await probe.snapshot(history=True)
    if done.received < before.received + count:
        log(
            f"note: reporting counts {done.received - before.received} of {count} "
            "imported cases as received in the period"
        )
    return done


# --- the table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    measure: str
    empty: float | None
    full: float | None
    target: str = ""
    check: Callable[[float | None, float | None], bool | None] | None = None
    digits: int = 1

    def ratio(self) -> float | None:
        if self.empty is None or self.full is None or self.empty == 0:
            return None
        return self.full / self.empty

    def cells(self) -> list[str]:
        met = self.check(self.empty, self.full) if self.check else None
        return [
            self.measure,
            _fmt(self.empty, self.digits),
            _fmt(self.full, self.digits),
            _fmt(self.ratio(), 2),
            self.target,
            "" if met is None else "yes" if met else "**no**",
        ]


def _fmt(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _both(test: Callable[[float], bool]) -> Callable[[float | None, float | None], bool | None]:
    def check(empty: float | None, full: float | None) -> bool | None:
        if empty is None or full is None:
            return None
        return test(empty) and test(full)

    return check


def _ratio(test: Callable[[float], bool]) -> Callable[[float | None, float | None], bool | None]:
    def check(empty: float | None, full: float | None) -> bool | None:
        if empty is None or full is None or empty == 0:
            return None
        return test(full / empty)

    return check


def _full(test: Callable[[float], bool]) -> Callable[[float | None, float | None], bool | None]:
    return lambda empty, full: None if full is None else test(full)


def rows(empty: Phase, full: Phase) -> list[Row]:
    half = empty.half["offered"]
    return [
        Row("bare endpoint submissions/s (baseline)", empty.bare["rate"], full.bare["rate"]),
        Row("bare endpoint p50 ms", empty.bare["p50_ms"], full.bare["p50_ms"]),
        Row("bare endpoint p99 ms", empty.bare["p99_ms"], full.bare["p99_ms"]),
        Row(
            "intake submissions/s",
            empty.intake["rate"],
            full.intake["rate"],
            "at N ≥ 0.8 × empty",
            _ratio(lambda r: r >= 0.8),
        ),
        Row(
            "intake ÷ bare endpoint",
            empty.intake["rate"] / empty.bare["rate"],
            full.intake["rate"] / full.bare["rate"],
            "≥ 0.5",
            _both(lambda r: r >= 0.5),
            2,
        ),
        Row("intake p50 ms, full load", empty.intake["p50_ms"], full.intake["p50_ms"]),
        Row("intake p99 ms, full load", empty.intake["p99_ms"], full.intake["p99_ms"]),
        Row(
            f"intake p99 ms at half load ({half:,.0f}/s)",
            empty.half["p99_ms"],
            full.half["p99_ms"],
            "< 100 ms",
            _both(lambda v: v < 100),
        ),
        Row(
            "end-to-end cases/s, sustained",
            empty.e2e_rate,
            full.e2e_rate,
            "≥ 200",
            _both(lambda v: v >= 200),
        ),
        Row(
            "end-to-end at N ÷ empty",
            empty.e2e_rate,
            full.e2e_rate,
            "at N ≥ 0.8 × empty",
            _ratio(lambda r: r >= 0.8),
        ),
        Row(
            "load end → all counted, every lag 0, s",
            empty.lag_zero_s,
            full.lag_zero_s,
            "≤ 5 s",
            _both(lambda v: v <= 5),
        ),
        Row(
            "stations report p50 ms",
            empty.queries_ms["stations"],
            full.queries_ms["stations"],
            "at N ≤ 1.5 × empty",
            _ratio(lambda r: r <= 1.5),
        ),
        Row(
            "city report p50 ms",
            empty.queries_ms["city"],
            full.queries_ms["city"],
            "at N ≤ 1.5 × empty",
            _ratio(lambda r: r <= 1.5),
        ),
        Row(
            "staff queue p50 ms",
            empty.queries_ms["queue"],
            full.queries_ms["queue"],
            "at N ≤ 1.5 × empty",
            _ratio(lambda r: r <= 1.5),
        ),
        Row(
            "store CPU at rest, % of a core",
            empty.rest.store if empty.rest else None,
            full.rest.store if full.rest else None,
            "at N < 5 %",
            _full(lambda v: v < 5),
        ),
        Row(
            "four services' CPU at rest, % of a core",
            empty.rest.services if empty.rest else None,
            full.rest.services if full.rest else None,
        ),
        Row(
            "whole machine busy at rest, % of a core",
            empty.rest.machine if empty.rest else None,
            full.rest.machine if full.rest else None,
        ),
    ]


def table(rows: list[Row], *, full_cases: int) -> str:
    head = ["measure", "empty", f"at N ({full_cases:,} cases)", "N ÷ empty", "target", "met?"]
    body = [head, ["---"] * len(head), *(row.cells() for row in rows)]
    widths = [max(len(r[i]) for r in body if r[0] != "---") for i in range(len(head))]
    lines = []
    for r in body:
        if r[0] == "---":
            lines.append("| " + " | ".join("-" * w for w in widths) + " |")
        else:
            lines.append(
                "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
            )
    return "\n".join(lines)


# --- the machine and the docs ----------------------------------------------------------------


def _proc_field(path: str, name: str) -> str | None:
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    return None


def machine(mongo_url: str) -> str:
    """Cores, CPU model, memory, the store's engine and version, Kafka's version, today."""
    memory = _proc_field("/proc/meminfo", "MemTotal")
    gib = f"{int(memory.split()[0]) / 1024**2:.0f} GiB" if memory else "? GiB"
    cpu = _proc_field("/proc/cpuinfo", "model name") or host.machine()
    client: MongoClient[Document] = MongoClient(mongo_url, serverSelectionTimeoutMS=5000)
    with client:
        info = client.admin.command("buildInfo")
    if "secantusVersion" in info:
        engine = f"SecantusDB {info['secantusVersion']}"
    elif "ferretdb" in info:
        engine = f"FerretDB {info['ferretdb'].get('version', '?')}"
    else:
        engine = f"MongoDB {info.get('version', '?')}"
    pids = store_pids()
    with contextlib.suppress(OSError):
        flags = Path(f"/proc/{pids[0]}/cmdline").read_bytes().split(b"\0") if pids else []
        shown = [f.decode() for f in (b"--sync-on-commit", b"--standalone") if f in flags]
        if shown:
            engine += " with " + " ".join(f"`{f}`" for f in shown)
    if len(pids) > 1:
        engine += f", {len(pids)} processes (one per service)"
    kafka = "Kafka ?"
    kafka_pid = Path(os.environ.get("MINYI_VAR", ROOT / "var")) / "run" / "kafka.pid"
    with contextlib.suppress(OSError, ValueError):
        cmdline = Path(f"/proc/{int(kafka_pid.read_text())}/cmdline").read_bytes().decode()
        found = re.search(r"kafka[-_](?:2\.\d+-)?(\d+\.\d+\.\d+)", cmdline)
        if found:
            kafka = f"Kafka {found.group(1)}"
    cores = os.cpu_count() or 0
    return f"{cores} cores ({cpu}), {gib}; {engine}; {kafka}; {date.today().isoformat()}"


SECTION = """{heading}

`benchmarks/scale.py` measures, in one run and in a namespace of its own on the running local
Kafka and store, whether the platform keeps its pace as stored cases grow. It starts the four
services as processes (the demo directory loaded; with `--directory city` the city's 19
stations and 1,027 representatives) and, beside them, a **baseline**: a bare FastAPI
endpoint (`benchmarks/bare_intake.py`) that validates the same body as intake and does one
`insert_one` into the same store. It measures them on an **empty** namespace, brings intake's
store to **N cases** through a real path (`--fill import`: the historical import
`python -m services.intake import FILE.jsonl`, whose events flow to every consumer; `--fill
api`: `POST /v1/cases`), and measures again **at N**:

- the bare endpoint, then intake: `POST /v1/cases` closed loop with C keep-alive connections for
  S seconds, from a load generator in a process of its own (`benchmarks/load.py`); rate, p50,
  p99. The baseline is measured again in each phase, just before intake, so that the ratio
  compares the two under the same conditions on a shared machine;
- end to end: from the first submission of that load until reporting has counted every case as
  assigned and every consumer group's lag is 0; and the time from the load's last answer to then;
- intake's p99 at half load: open loop at half the empty namespace's intake rate, latency
  counted from when each request was due;
- the p50 of 30 calls of the main report (`/v1/reports/stations`, `/v1/reports/city`) and the
  station staff's queue (`/v1/staff/cases` as `xijie-staff`), at rest;
- the store process's CPU at rest (from `/proc/<pid>/stat`, once every lag is 0), with the four
  services' and the whole machine's beside it.

Targets are printed, not asserted. `make bench-scale` runs it with N = 10,000 (`make
bench-scale ARGS="--cases 100000"` for more); options: `--cases N`, `--load-seconds S`
(default 20), `--concurrency C` (default 16), `--fill import|api` (default: import),
`--directory demo|city` (default: demo), `--query-calls`, `--rest-seconds`, `--no-write`,
`--keep` (leave the namespace's databases and topics, e.g. to profile the reports at N).
`make test` runs it at 1,500 cases (`tests/e2e/test_bench_scale_smoke.py`, alone, after the
rest) to check that every phase runs, every figure is printed and nothing is left behind; it
judges none of the figures.

Reading it:

- Consumer lag is read from Kafka (each group's committed offsets against the topics' end
  offsets). Events still waiting in a service's outbox are not lag yet, so the drain time runs
  until reporting has counted every case **and** every lag is 0.
- N counts every case in intake's store, the empty phase's load included; with a small N that
  load alone may reach it, and nothing is imported.
- Half load is the same offered rate in both columns (half the empty namespace's rate); when
  intake at N is slower than that, its p99 shows the queue building up.
- The machine, Kafka and the store are shared with whatever else runs on it: the last two rows
  show how busy it was at rest, and the store's CPU includes other namespaces' traffic.

### Results ({machine})

`{command}`. {fill}

{table}
"""


def write_docs(section: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    start = text.find(HEADING)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(HEADING))
        rest = "" if end < 0 else text[end + 1 :]
        text = text[:start] + section + ("\n" + rest if rest else "")
    DOCS.write_text(text, encoding="utf-8")


# --- the run ---------------------------------------------------------------------------------


async def run(infra: Infra, platform: Platform, options: argparse.Namespace) -> str:
    log("starting the bare endpoint and the four services")
    settings = _Settings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        namespace=platform.namespace,
    )
    async with bare_endpoint(infra, platform.namespace) as bare_port:
        await asyncio.to_thread(platform.start_all)
        async with Probe(platform, settings) as probe:
            await quiet(probe, label="start")
            empty = await measure(
                "empty", platform, probe, options, bare_port=bare_port, half_rate=None
            )
            filled = await fill(platform, probe, options, target=options.cases)
            await quiet(probe, label="filled")
            full = await measure(
                "at N",
                platform,
                probe,
                options,
                bare_port=bare_port,
                half_rate=empty.half["offered"],
            )
    body = table(rows(empty, full), full_cases=full.cases_stored)
    fill_text = (
        f"Fill: {filled.added:,} cases through `{filled.strategy}` in {filled.seconds:,.0f} s "
        f"({filled.added / filled.seconds:,.1f} cases/s, until every lag was 0)."
        if filled.added
        else "Fill: nothing to add."
    )
    command = (
        f"--cases {options.cases} --load-seconds {options.load_seconds:g} "
        f"--concurrency {options.concurrency} --fill {filled.strategy} "
        f"--directory {options.directory}"
    )
    print()
    print(fill_text)
    print(body)
    return SECTION.format(
        heading=HEADING,
        machine=await asyncio.to_thread(machine, infra.mongo_url),
        command=command,
        fill=fill_text,
        table=body,
    )


async def preflight(settings: ServiceSettings) -> None:
    """The store answers promptly (it is shared; a stuck one would only time out later),
    and the namespace's topics exist before any service starts."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongo_url, serverSelectionTimeoutMS=10_000, socketTimeoutMS=10_000
    )
    try:
        began = time.monotonic()
        await client.admin.command("ping")
        log(f"store answers a ping in {1000 * (time.monotonic() - began):.0f} ms")
    except PyMongoError as exc:
        raise SystemExit(f"the store at {settings.mongo_url} does not answer: {exc}") from None
    finally:
        await client.close()
    await ensure_topics(settings)


async def clean_up(
    settings: ServiceSettings, store_urls: list[str], *, timeout_s: float = 300.0
) -> None:
    """The namespace's topics and its databases in every store, each within `timeout_s`."""
    steps: list[tuple[str, Coroutine[Any, Any, object]]] = [
        ("topics", delete_namespace_topics(settings))
    ]
    steps += [
        (
            f"databases at {url}",
            drop_namespace_databases(settings.model_copy(update={"mongo_url": url})),
        )
        for url in store_urls
    ]
    for what, step in steps:
        try:
            await asyncio.wait_for(step, timeout_s)
        except (TimeoutError, KafkaError, PyMongoError) as exc:
            log(
                f"could not remove the {what} of namespace {settings.namespace} "
                f"({type(exc).__name__}); remove them by hand"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="N: cases stored at the end")
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--fill", choices=("import", "api"), default=None)
    parser.add_argument("--query-calls", type=int, default=30)
    parser.add_argument("--rest-seconds", type=float, default=20.0)
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the namespace's databases and topics in place, to profile them afterwards",
    )
    parser.add_argument(
        "--directory",
        choices=tuple(DIRECTORIES),
        default="demo",
        help="the demo's 3 stations, or the city's 19 stations and 1,027 representatives",
    )
    options = parser.parse_args()
    namespace = "scale" + uuid.uuid4().hex[:8]
    with test_infra() as infra:
        settings = _Settings(
            kafka_bootstrap=infra.kafka_bootstrap, mongo_url=infra.mongo_url, namespace=namespace
        )
        asyncio.run(preflight(settings))
        # The deployment's layout: each service on its own store, as `make up` runs them.
        stores = (
            local_store_urls() if os.environ.get("MINYI_TEST_INFRA", "local") == "local" else {}
        )
        platform = Platform(
            infra=infra,
            namespace=namespace,
            directory=DIRECTORIES[options.directory],
            stores=stores,
        )
        try:
            section = asyncio.run(run(infra, platform, options))
        finally:
            platform.stop_all()
            if options.keep:
                log(
                    f"kept namespace {namespace}: databases {namespace}_*, "
                    f"topics {namespace}.*; remove them by hand when done"
                )
            else:
                asyncio.run(clean_up(settings, platform.store_urls))
    if not options.no_write:
        write_docs(section)
        log(f"written to {DOCS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
