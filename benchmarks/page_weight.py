"""Benchmark: how heavy each page is for a phone on a slow network.

Starts intake, routing and reporting as processes in a namespace of their own (on the running
local Kafka and store), fetches each page and everything it links from the same origin
(stylesheets, scripts, images), and prints per page: requests, bytes as sent, bytes gzipped
(what a compressing proxy would send), and the transfer time on a slow 3G link (400 kbit/s,
400 ms round trip; requests after the page in one further round trip). The baseline measured
in the same run is the smallest possible page: the shared layout with an empty body.

    .venv/bin/python -m benchmarks.page_weight
"""

from __future__ import annotations

import asyncio
import gzip
import re
import uuid
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

import httpx

from shared.settings import ServiceSettings
from shared.topics import delete_namespace_topics, ensure_topics
from tests.e2e.platform import DEMO_PASSWORD, Platform
from tests.infra import free_port, test_infra

LINK_BANDWIDTH_BYTES_S = 400_000 / 8
ROUND_TRIP_S = 0.4
ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src|img[^>]+src)="([^"]+)"')


class _Settings(ServiceSettings):
    service_name: str = "bench"
    port: int = 1


@dataclass(frozen=True)
class Weight:
    name: str
    requests: int
    raw_bytes: int
    gzip_bytes: int

    @property
    def slow_3g_s(self) -> float:
        # The page, then its assets fetched in parallel: two round trips plus the bytes.
        trips = 1 if self.requests == 1 else 2
        return trips * ROUND_TRIP_S + self.gzip_bytes / LINK_BANDWIDTH_BYTES_S


async def weigh(client: httpx.AsyncClient, name: str, url: str) -> Weight:
    page = await client.get(url)
    page.raise_for_status()
    bodies = [page.content]
    origin = urlparse(url).netloc
    for asset in sorted(set(ASSET.findall(page.text))):
        target = urljoin(url, asset)
        if asset.startswith("data:") or urlparse(target).netloc != origin:
            continue
        fetched = await client.get(target)
        fetched.raise_for_status()
        bodies.append(fetched.content)
    return Weight(
        name=name,
        requests=len(bodies),
        raw_bytes=sum(len(body) for body in bodies),
        gzip_bytes=sum(len(gzip.compress(body, 6)) for body in bodies),
    )


async def main() -> None:
    with test_infra() as infra:
        settings = _Settings(
            kafka_bootstrap=infra.kafka_bootstrap,
            mongo_url=infra.mongo_url,
            namespace="b" + uuid.uuid4().hex[:12],
        )
        await ensure_topics(settings)
        platform = Platform(infra=infra, namespace=settings.namespace)
        services = ("intake", "routing", "reporting")
        try:
            await asyncio.to_thread(platform.seed_directory)
            for service in services:
                platform.ports[service] = free_port()
            for service in services:
                await asyncio.to_thread(platform.start, service)
            async with httpx.AsyncClient(timeout=30, follow_redirects=True) as client:
                for _ in range(100):  # intake's directory copy arrives through Kafka
                    if (await client.get(platform.url("intake", "/r/0412"))).status_code == 200:
                        break
                    await asyncio.sleep(0.3)
                signed = await client.post(
                    platform.url("routing", "/staff/sign-in"),
                    # Staff, who may open the dashboard as well as the queue.
                    data={"username": "xijie-staff", "password": DEMO_PASSWORD},
                )
                signed.raise_for_status()
                pages = [
                    ("baseline: tracking lookup (layout only)", platform.url("intake", "/t")),
                    ("resident form /r/0412", platform.url("intake", "/r/0412")),
                    ("workbench queue /staff", platform.url("routing", "/staff")),
                    ("dashboard /dashboard", platform.url("reporting", "/dashboard")),
                    ("public figures /transparency", platform.url("reporting", "/transparency")),
                ]
                weights = [await weigh(client, name, url) for name, url in pages]
        finally:
            await asyncio.to_thread(platform.stop_all)
            await delete_namespace_topics(settings)
    baseline = weights[0]
    print(f"{'page':42} {'requests':>8} {'bytes':>9} {'gzipped':>9} {'slow 3G s':>9} {'× base':>7}")
    for weight in weights:
        print(
            f"{weight.name:42} {weight.requests:8d} {weight.raw_bytes:9d} {weight.gzip_bytes:9d}"
            f" {weight.slow_3g_s:9.2f} {weight.gzip_bytes / baseline.gzip_bytes:7.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
