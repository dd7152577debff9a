"""A real local SMS/IM gateway for tests: uvicorn serving a small Starlette app on a port.

It checks every request's HMAC signature, dedupes on `Idempotency-Key` as a real gateway
should, and can be told to refuse a number (400) or to answer one number's first request too
late (the sender times out: a lost response). It can be stopped and started again on the same
port, as a gateway that dies and comes back.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.notify.domain.gateway_signature import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)


@dataclass
class Received:
    key: str
    body: dict[str, Any]
    verified: bool


@dataclass
class GatewayReceiver:
    port: int
    secret: bytes
    requests: list[Received] = field(default_factory=list)
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    refuse: set[str] = field(default_factory=set)
    answer_late_once: dict[str, float] = field(default_factory=dict)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"

    async def _send(self, request: Request) -> JSONResponse:
        raw = await request.body()
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        verified = verify(
            self.secret,
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
            body=raw,
            now=time.time(),
        )
        body: dict[str, Any] = json.loads(raw)
        self.requests.append(Received(key, body, verified))
        if not verified:
            return JSONResponse({"error": "bad signature"}, status_code=401)
        if body["to"] in self.refuse:
            return JSONResponse({"error": "no such number"}, status_code=400)
        # Dedupe: a retry of a key already taken is acknowledged, not sent again.
        self.delivered.setdefault(key, body)
        delay = self.answer_late_once.pop(body["to"], 0.0)
        if delay:
            await asyncio.sleep(delay)
        return JSONResponse({"accepted": key}, status_code=202)

    async def start(self) -> None:
        app = Starlette(routes=[Route("/send", self._send, methods=["POST"])])
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(200):
            if self._server.started:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the gateway receiver did not start")

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = self._task = None

    def keys_for(self, to: str) -> list[str]:
        """Every Idempotency-Key sent for this number, retries included."""
        return [r.key for r in self.requests if r.body["to"] == to]
