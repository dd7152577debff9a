"""HTTP load generator for the benchmarks: runs in a process of its own, loopback only.

It POSTs resident submissions (varied categories, representatives and texts) to one endpoint
over keep-alive HTTP/1.1 connections, with a minimal client on asyncio streams, so that the
generator costs the two shared cores as little as possible, and prints one JSON object with
what it measured.

Closed loop: `--concurrency C` connections, each sends its next request as soon as the answer
to the previous one arrived, for `--seconds S` or until `--count N` requests were answered.
Open loop: `--rate R` requests per second for `--seconds S`, whatever the answers' pace;
latency counts from when each request was due, so a server that falls behind shows it.

    .venv/bin/python -m benchmarks.load --port 8001 --seconds 10 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvloop

HOST = "127.0.0.1"
# The demo directory's categories and the representatives who hold a QR code.
CATEGORIES = (
    "parking",
    "ev_charging",
    "garbage_sorting",
    "drainage",
    "house_repair",
    "neighbour_dispute",
    "other",
)
REPRESENTATIVES = ("0412", "0413", "0414", "0415", "0416", "0417", "0501", "0502", "0601", "0602")
TEXTS = (
    "小区里要增加一些停车位，晚上车停不下",
    "楼下电瓶车充电桩不够，经常排队",
    "垃圾分类亭的位置离住户太近，夏天有异味",
    "雨天路口积水严重，希望疏通排水管",
    "老房子屋顶漏水，申请危旧房治理",
)


def case_body(n: int, tag: str) -> bytes:
    """The `n`-th submission of a run: a resident scanning a representative's QR code."""
    return orjson.dumps(
        {
            "category": CATEGORIES[n % len(CATEGORIES)],
            "text": f"{TEXTS[n % len(TEXTS)]}（{tag}-{n}）",
            "channel": "qr",
            "representative_code": REPRESENTATIVES[n % len(REPRESENTATIVES)],
        }
    )


class _Connection:
    """One keep-alive HTTP/1.1 connection; answers must carry a Content-Length."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        reused = self._writer is not None
        try:
            return await self._post(path, body)
        except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
            # The server closed an idle keep-alive connection before this request reached it:
            # send it again once on a new connection, as HTTP clients do.
            stale = not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial
            if not (reused and stale):
                raise
            self.close()
            return await self._post(path, body)

    async def _post(self, path: str, body: bytes) -> int:
        if self._writer is None or self._reader is None:
            self._reader, self._writer = await asyncio.open_connection(HOST, self.port)
        reader, writer = self._reader, self._writer
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length:
            await reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


@dataclass
class _Tally:
    expect: int
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    first_sent: float = 0.0
    last_done: float = 0.0

    def record(self, status: str, sent: float, latency: float) -> None:
        self.statuses[status] += 1
        self.first_sent = min(self.first_sent or sent, sent)
        self.last_done = max(self.last_done, time.time())
        if status == str(self.expect):
            self.latencies.append(latency)


REQUEST_TIMEOUT_S = 30.0


async def _send(connection: _Connection, path: str, body: bytes) -> str:
    try:
        return str(await asyncio.wait_for(connection.post(path, body), REQUEST_TIMEOUT_S))
    except (
        OSError,
        TimeoutError,
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
        ValueError,
    ) as exc:
        connection.close()
        return type(exc).__name__


async def closed_loop(
    *, port: int, path: str, seconds: float, count: int, concurrency: int, tag: str, expect: int
) -> _Tally:
    tally = _Tally(expect=expect)
    deadline = time.monotonic() + seconds
    issued = 0

    async def worker() -> None:
        nonlocal issued
        connection = _Connection(port)
        try:
            while time.monotonic() < deadline and (count == 0 or issued < count):
                n = issued
                issued += 1
                body = case_body(n, tag)
                sent, began = time.time(), time.perf_counter()
                status = await _send(connection, path, body)
                tally.record(status, sent, time.perf_counter() - began)
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally


async def open_loop(
    *, port: int, path: str, seconds: float, rate: float, concurrency: int, tag: str, expect: int
) -> _Tally:
    tally = _Tally(expect=expect)
    idle: list[_Connection] = []
    in_flight = asyncio.Semaphore(concurrency)
    tasks: set[asyncio.Task[None]] = set()

    async def one(n: int, due: float) -> None:
        async with in_flight:
            connection = idle.pop() if idle else _Connection(port)
            sent = time.time()
            status = await _send(connection, path, case_body(n, tag))
            tally.record(status, sent, time.perf_counter() - due)
            idle.append(connection)

    start = time.perf_counter()
    total = int(rate * seconds)
    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(n, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    # Answers still owed when the schedule ends get a bounded wait.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    for connection in idle:
        connection.close()
    return tally


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def summary(tally: _Tally) -> dict[str, Any]:
    ms = sorted(x * 1000 for x in tally.latencies)
    ok = len(ms)
    elapsed = max(tally.last_done - tally.first_sent, 1e-9)
    return {
        "ok": ok,
        "statuses": dict(tally.statuses),
        "first_sent": tally.first_sent,
        "last_done": tally.last_done,
        "elapsed_s": elapsed,
        "rate": ok / elapsed,
        "p50_ms": _percentile(ms, 0.50),
        "p90_ms": _percentile(ms, 0.90),
        "p99_ms": _percentile(ms, 0.99),
        "max_ms": ms[-1] if ms else 0.0,
        "mean_ms": statistics.fmean(ms) if ms else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/v1/cases")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--count", type=int, default=0, help="closed loop: stop after N")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=0.0, help="open loop at R requests/s")
    parser.add_argument("--tag", default="load", help="marks the texts of this run")
    parser.add_argument("--expect", type=int, default=202, help="the status that counts as ok")
    args = parser.parse_args()
    if args.rate > 0:
        run = open_loop(
            port=args.port,
            path=args.path,
            seconds=args.seconds,
            rate=args.rate,
            concurrency=max(args.concurrency, 256),
            tag=args.tag,
            expect=args.expect,
        )
    else:
        run = closed_loop(
            port=args.port,
            path=args.path,
            seconds=args.seconds,
            count=args.count,
            concurrency=args.concurrency,
            tag=args.tag,
            expect=args.expect,
        )
    tally = uvloop.run(run)
    json.dump(summary(tally), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
