"""The HTTP shell every service shares: correlation ids, body limits, metrics, health, errors."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.asyncapi import asyncapi_document
from shared.errors import TransientError
from shared.logging import bind_correlation_id, get_logger, new_correlation_id, valid_correlation_id
from shared.metrics import Metrics
from shared.openapi import ServiceApp, offline

log = get_logger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"

ReadinessCheck = tuple[str, Callable[[], Awaitable[None]]]


class Readiness(BaseModel):
    """`/readyz`: each dependency `ok` or why it is unavailable; 503 unless all are ok."""

    status: Literal["ready", "not ready"]
    checks: dict[str, str]


class CorrelationIdMiddleware:
    """Takes `X-Request-ID` (or makes one), binds it to the logs, returns it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name in (b"x-request-id", b"x-correlation-id"):
                incoming = valid_correlation_id(value.decode("latin-1"))
                break
        correlation_id = incoming or new_correlation_id()
        scope.setdefault("state", {})["correlation_id"] = correlation_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", correlation_id.encode()))
                message["headers"] = headers
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
            bind_correlation_id(correlation_id)
            await self.app(scope, receive, send_with_id)


class BodySizeLimitMiddleware:
    """413 before reading a body larger than the limit, declared or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._reject(scope, receive, send)
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body larger than {self.max_bytes} bytes"}, status_code=413
        )
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class MetricsMiddleware:
    """Counts and times each request and writes its one access line (`http.request`).

    Both name the route template (`/v1/cases/{tracking_code}`), never the concrete path: a
    tracking code in a path would leak into logs and make one metric series per case."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "unmatched")
            method = scope["method"]
            elapsed = time.perf_counter() - start
            self.metrics.http_requests(method=method, route=name, status=str(status)).inc()
            self.metrics.http_latency(method=method, route=name).observe(elapsed)
            # The correlation id comes from the context CorrelationIdMiddleware bound.
            log.info(
                "http.request",
                method=method,
                route=name,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )


def create_service_app(
    *,
    title: str,
    description: str,
    version: str,
    metrics: Metrics,
    max_body_bytes: int,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    readiness: Callable[[], Sequence[ReadinessCheck]],
) -> FastAPI:
    app = ServiceApp(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
    )

    @app.get("/healthz", tags=["operations"], summary="The process is alive.")
    @offline
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Kafka and the store are reachable.",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Something is unavailable."}},
    )
    async def readyz() -> Response:
        results: dict[str, str] = {}
        for name, check in readiness():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"unavailable: {type(exc).__name__}: {exc}"[:300]
        ready = all(v == "ok" for v in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics.",
        response_class=PlainTextResponse,
    )
    @offline
    async def prometheus_metrics() -> Response:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    # Built once per app: the document depends only on the code, and it is some 90 kB.
    asyncapi_body = orjson.dumps(asyncapi_document(version=version))

    @app.get(
        "/asyncapi.json",
        tags=["operations"],
        summary="The AsyncAPI 3.0 document of every topic and event: the events' contract.",
        response_class=JSONResponse,
        responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
    )
    @offline
    async def asyncapi() -> Response:
        return Response(asyncapi_body, media_type="application/json")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": [_field_error(err) for err in exc.errors()]}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI answers a JSON body that is not UTF-8 with a bare 400 "error parsing the
            # body"; it is the same mistake as malformed JSON, which it answers 422
            # `json_invalid`, so it gets the same field-level answer.
            problem = {
                "loc": ["body"],
                "field": "",
                "msg": "the body is not valid JSON: it is not UTF-8",
                "type": "json_invalid",
            }
            return JSONResponse({"detail": [problem]}, status_code=422)
        return await http_exception_handler(request, exc)

    @app.exception_handler(TransientError)
    @app.exception_handler(ConnectionFailure)
    async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("http.store_unavailable", path=request.url.path, error=str(exc)[:300])
        return JSONResponse(
            {
                "detail": "the service is temporarily unavailable; please retry shortly",
                "request_id": getattr(request.state, "correlation_id", None),
            },
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled_error", path=request.url.path)
        return JSONResponse(
            {
                "detail": "internal error",
                "request_id": getattr(request.state, "correlation_id", None),
            },
            status_code=500,
        )

    # Outermost first: the correlation id must be bound before anything logs.
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(CorrelationIdMiddleware)
    return app


def _field_error(err: Any) -> dict[str, Any]:
    """A field-level message that is JSON-safe (pydantic puts exceptions in `ctx`)."""
    loc = [str(p) for p in err.get("loc", ())]
    return {
        "loc": loc,
        "field": ".".join(p for p in loc if p not in ("body", "query", "path", "header", "cookie")),
        "msg": err.get("msg", ""),
        "type": err.get("type", ""),
    }


async def no_lifespan(_: FastAPI) -> AsyncIterator[None]:
    yield
