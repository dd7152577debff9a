"""Benchmark: how fast residents' submissions are accepted and flow through the platform.

Starts the four services as processes in a namespace of their own (on the running local Kafka
and store), then measures, in the same run:

- baseline: raw `insert_one` of a case-sized document into the store, same concurrency;
- intake: `POST /v1/cases` throughput and latency (the store write with its outbox event);
- pipeline: time from the first submission until reporting has counted every case
  (intake → outbox → Kafka → routing → outbox → Kafka → reporting).

Prints numbers and the ratio of intake's rate to the raw store rate. Bounded: it sends a fixed
number of requests to loopback only, then stops.

    .venv/bin/python -m benchmarks.intake_pipeline [--cases 400] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from shared.settings import ServiceSettings
from shared.topics import delete_namespace_topics, ensure_topics
from tests.e2e.platform import ADMIN, Platform
from tests.infra import test_infra


class _Settings(ServiceSettings):
    service_name: str = "bench"
    port: int = 1


CASE = {
    "category": "parking",
    "text": "小区里要增加一些停车位，晚上车停不下",
    "channel": "qr",
    "representative_code": "0412",
}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run_concurrently(n: int, concurrency: int, call: Any) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            start = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began, latencies


async def _baseline(mongo_url: str, namespace: str, n: int, concurrency: int) -> float:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    collection = client[f"{namespace}_baseline"]["cases"]

    async def insert(i: int) -> None:
        await collection.insert_one(
            {
                "_id": str(uuid.uuid4()),
                "tracking_code": str(i),
                **CASE,
                "timeline": [{"status": "submitted"}],
            }
        )

    elapsed, _ = await _run_concurrently(n, concurrency, insert)
    await client.drop_database(f"{namespace}_baseline")
    await client.close()
    return n / elapsed


async def _intake(platform: Platform, n: int, concurrency: int) -> tuple[float, list[float]]:
    async with httpx.AsyncClient(base_url=platform.url("intake", ""), timeout=30) as http:

        async def post(i: int) -> None:
            response = await http.post("/v1/cases", json={**CASE, "text": f"{CASE['text']} #{i}"})
            if response.status_code != 202:
                raise RuntimeError(f"intake answered {response.status_code}: {response.text}")

        elapsed, latencies = await _run_concurrently(n, concurrency, post)
    return n / elapsed, latencies


async def _counted(platform: Platform, n: int, timeout_s: float) -> float:
    began = time.perf_counter()
    reporting = platform.url("reporting", "")
    async with httpx.AsyncClient(base_url=reporting, headers=ADMIN, timeout=10) as http:
        while time.perf_counter() - began < timeout_s:
            report = (await http.get("/v1/reports/city")).json()
            if report["city"]["assigned"] >= n:
                return time.perf_counter()
            await asyncio.sleep(0.1)
    raise RuntimeError(f"reporting did not count {n} cases within {timeout_s}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    namespace = "bench" + uuid.uuid4().hex[:8]
    with test_infra() as infra:
        settings = _Settings(
            kafka_bootstrap=infra.kafka_bootstrap, mongo_url=infra.mongo_url, namespace=namespace
        )
        asyncio.run(ensure_topics(settings))
        platform = Platform(infra=infra, namespace=namespace)
        try:
            platform.start_all()
            baseline_rate = asyncio.run(
                _baseline(infra.mongo_url, namespace, args.cases, args.concurrency)
            )
            began = time.perf_counter()
            rate, latencies = asyncio.run(_intake(platform, args.cases, args.concurrency))
            done = asyncio.run(_counted(platform, args.cases, timeout_s=300))
        finally:
            platform.stop_all()
            asyncio.run(delete_namespace_topics(settings))
    ms = [x * 1000 for x in latencies]
    print(f"cases: {args.cases}, concurrency: {args.concurrency}")
    print(f"baseline store insert_one:  {baseline_rate:8.1f} /s")
    print(
        f"intake POST /v1/cases:      {rate:8.1f} /s  "
        f"(ratio to baseline {rate / baseline_rate:.2f})"
    )
    print(
        f"intake latency ms:          p50 {statistics.median(ms):.1f}  "
        f"p95 {_percentile(ms, 0.95):.1f}  max {max(ms):.1f}"
    )
    total = done - began
    print(
        f"pipeline (all submitted → all counted by reporting): {total:.2f} s  "
        f"= {args.cases / total:.1f} cases/s end to end"
    )


if __name__ == "__main__":
    main()
