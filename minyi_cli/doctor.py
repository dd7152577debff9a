"""`minyi doctor`: is the platform able to work? Kafka, the store, the namespace's topics, each
consumer group's lag, each service's `/readyz`; one line per check, what is wrong on it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pymongo import AsyncMongoClient

from minyi_cli.errors import describe
from shared.mongo import Document
from shared.settings import LOCAL_STORES, ServiceSettings
from shared.topics import (
    CASE_EVENTS,
    CASE_KEYS,
    CONSUMER_GROUPS,
    DIRECTORY,
    HOUSES,
    RESIDENT_CONTACTS,
    STAFF_SESSIONS,
    STATION_ACTIVITIES,
    platform_topics,
)

# The topics each consumer group reads (its service's entrypoints/consumers.py), for its lag.
GROUP_TOPICS: Mapping[str, tuple[str, ...]] = {
    "routing.cases": (CASE_EVENTS,),
    "notify.cases": (CASE_EVENTS,),
    "notify.contacts": (RESIDENT_CONTACTS,),
    "reporting.cases": (CASE_EVENTS,),
    "reporting.activities": (STATION_ACTIVITIES,),
    "reporting.houses": (HOUSES,),
    "reporting.directory": (DIRECTORY,),
    "intake.cases": (CASE_EVENTS,),
    "intake.directory": (DIRECTORY,),
    "intake.sessions": (STAFF_SESSIONS,),
    "routing.sessions": (STAFF_SESSIONS,),
    "notify.sessions": (STAFF_SESSIONS,),
    "reporting.sessions": (STAFF_SESSIONS,),
    "intake.keys": (CASE_KEYS,),
    "routing.keys": (CASE_KEYS,),
    "notify.keys": (CASE_KEYS,),
    "reporting.keys": (CASE_KEYS,),
}

SERVICES = ("intake", "routing", "notify", "reporting")
# How many names of missing topics one line shows.
SHOWN = 3


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'FAIL':<4}  {self.name}: {self.detail}"


def service_urls(settings: ServiceSettings) -> dict[str, str]:
    """Where each service answers (MINYI_<SERVICE>_WEB_URL; `make up`'s ports by default)."""
    return {
        "intake": settings.intake_web_url,
        "routing": settings.routing_web_url,
        "notify": settings.notify_web_url,
        "reporting": settings.reporting_web_url,
    }


async def check_store(settings: ServiceSettings, *, timeout_s: float) -> Check:
    """Every store a service's database is in (one, or the four of `make up`)."""
    urls = {settings.store_url_of(service): service for service in LOCAL_STORES}
    failed = await asyncio.gather(*(_ping(url, timeout_s=timeout_s) for url in urls))
    problems = [
        f"{urls[url]}'s store at {url}: {problem}" if len(urls) > 1 else problem
        for url, problem in zip(urls, failed, strict=True)
        if problem is not None
    ]
    if problems:
        return Check("store", False, "; ".join(problems))
    return Check("store", True, "answers ping" if len(urls) == 1 else f"{len(urls)} answer ping")


async def _ping(url: str, *, timeout_s: float) -> str | None:
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        url,
        serverSelectionTimeoutMS=int(timeout_s * 1000),
        connectTimeoutMS=int(timeout_s * 1000),
    )
    try:
        await client.admin.command("ping")
    except Exception as exc:
        return describe(exc) or repr(exc)
    finally:
        await client.close()
    return None


def _missing_topics(settings: ServiceSettings, existing: set[str]) -> list[str]:
    return [
        settings.topic(spec.name)
        for spec in platform_topics()
        if settings.topic(spec.name) not in existing
    ]


def topics_check(settings: ServiceSettings, existing: set[str]) -> Check:
    expected = len(platform_topics())
    missing = _missing_topics(settings, existing)
    if not missing:
        return Check("topics", True, f"all {expected} exist")
    names = ", ".join(missing[:SHOWN]) + (
        f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
    )
    return Check(
        "topics",
        False,
        f"{len(missing)} of {expected} missing: {names} (run `minyi topics ensure`)",
    )


async def _lags(
    settings: ServiceSettings, admin: AIOKafkaAdminClient, existing: set[str], *, max_lag: int
) -> list[Check]:
    wanted = {settings.topic(t) for topics in GROUP_TOPICS.values() for t in topics} & existing
    # Partitions from the topics' metadata: a consumer subscribed to nothing knows none.
    described = await admin.describe_topics(sorted(wanted)) if wanted else []
    partitions = {
        d["topic"]: [TopicPartition(d["topic"], p["partition"]) for p in d.get("partitions", [])]
        for d in described
        if not d.get("error_code")
    }
    every = [tp for tps in partitions.values() for tp in tps]
    ends: dict[TopicPartition, int] = {}
    starts: dict[TopicPartition, int] = {}
    if every:
        consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=None)
        await consumer.start()
        try:
            ends = await consumer.end_offsets(every)
            starts = await consumer.beginning_offsets(every)
        finally:
            await consumer.stop()
    checks = []
    unmeasured = 0
    for group in CONSUMER_GROUPS:
        name = f"lag {settings.topic(group)}"
        topics = [settings.topic(t) for t in GROUP_TOPICS[group]]
        if any(t not in partitions for t in topics):
            unmeasured += 1  # the topics line names what is missing
            continue
        committed = await admin.list_consumer_group_offsets(settings.topic(group))
        lag = 0
        for tp in (tp for t in topics for tp in partitions[t]):
            offset = committed[tp].offset if tp in committed else -1
            # A partition the group never committed is read from its beginning.
            lag += ends[tp] - (offset if offset >= 0 else starts[tp])
        never = "" if committed else " (no offsets committed yet)"
        if lag > max_lag:
            checks.append(Check(name, False, f"{lag} events behind (more than {max_lag}){never}"))
        else:
            checks.append(Check(name, True, f"{lag} events behind{never}"))
    if unmeasured:
        checks.append(
            Check("lag", False, f"not measured for {unmeasured} group(s): their topics are missing")
        )
    return checks


async def check_kafka(settings: ServiceSettings, *, timeout_s: float, max_lag: int) -> list[Check]:
    """Kafka itself, then (only if it answers) the topics and the lag of every group."""
    admin = AIOKafkaAdminClient(
        **settings.kafka_client_options(), request_timeout_ms=int(timeout_s * 1000)
    )
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        existing = set(await asyncio.wait_for(admin.list_topics(), timeout_s))
    except (KafkaError, TimeoutError, OSError) as exc:
        await admin.close()
        reason = str(exc) or f"no answer in {timeout_s:g} s"
        return [
            Check("kafka", False, f"unreachable at {settings.kafka_bootstrap}: {reason}"),
            Check("topics", False, "not checked: Kafka is unreachable"),
        ]
    try:
        checks = [Check("kafka", True, f"reachable at {settings.kafka_bootstrap}")]
        checks.append(topics_check(settings, existing))
        try:
            checks += await asyncio.wait_for(
                _lags(settings, admin, existing, max_lag=max_lag), timeout_s * 4
            )
        except (KafkaError, TimeoutError) as exc:
            checks.append(Check("lag", False, f"not measured: {describe(exc) or repr(exc)}"))
        return checks
    finally:
        await admin.close()


async def check_service(client: httpx.AsyncClient, service: str, url: str) -> Check:
    address = url.rstrip("/") + "/readyz"
    try:
        response = await client.get(address)
    except httpx.HTTPError as exc:
        return Check(service, False, f"unreachable at {address}: {type(exc).__name__}")
    if response.status_code == 200:
        return Check(service, True, f"ready ({address})")
    return Check(
        service,
        False,
        f"not ready ({address} answered {response.status_code}: {response.text[:200].strip()})",
    )


async def run_checks(
    settings: ServiceSettings,
    *,
    urls: Mapping[str, str],
    timeout_s: float,
    max_lag: int,
) -> list[Check]:
    # All at once: an unreachable part costs its timeout once, not once per check.
    store = asyncio.create_task(check_store(settings, timeout_s=timeout_s))
    kafka = asyncio.create_task(check_kafka(settings, timeout_s=timeout_s, max_lag=max_lag))
    async with httpx.AsyncClient(timeout=timeout_s) as http:
        services = await asyncio.gather(
            *(check_service(http, name, url) for name, url in urls.items())
        )
    return [*await kafka, await store, *services]
