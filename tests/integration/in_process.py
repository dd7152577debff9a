"""A service's app run in-process for a test: its lifespan (consumers, relay) on the real broker
and store, and an HTTP client talking to it through ASGI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI


@asynccontextmanager
async def serving(
    app: FastAPI, name: str, *, ready: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """`ready`: wait (up to ~10 s) until `/readyz` answers 200 before handing the client over."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}") as client:
            if ready:
                for _ in range(200):
                    if (await client.get("/readyz")).status_code == 200:
                        break
                    await asyncio.sleep(0.05)
            yield client
