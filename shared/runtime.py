"""What one running service instance owns: store client, event publisher, metrics and the
background tasks (consumers, outbox relay), started and stopped with the HTTP app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial

from fastapi import FastAPI
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.auth import install_token_check
from shared.case_keys import CaseKeys, KeySealer, forget_key, key_ring_routes
from shared.consumer import ConsumerStalled, EventConsumer, Tombstones
from shared.dispatch import EventRoutes
from shared.group_progress import wait_until_consumed
from shared.http import ReadinessCheck, create_service_app
from shared.logging import configure_logging, get_logger
from shared.metrics import Metrics, minyi_version
from shared.mongo import Document, create_client, ping, service_database
from shared.outbox import OutboxRelay
from shared.outbox_age import watch_outbox_age
from shared.producer import EventPublisher
from shared.settings import ServiceSettings
from shared.token_versions import TokenVersions, token_version_routes
from shared.topics import CASE_KEYS, STAFF_SESSIONS
from shared.tracing import configure_tracing
from shared.tracing_http import TracingMiddleware

log = get_logger(__name__)


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        # Before the store client: its command listener exists only when spans are recorded.
        configure_tracing(settings.service_name, minyi_version())
        self.metrics = Metrics(settings.service_name)
        self.mongo: AsyncMongoClient[Document] = create_client(settings)
        self.db: AsyncDatabase[Document] = service_database(self.mongo, settings)
        # The cases' sealing keys (fed by keys_consumer): what leaves is sealed with them,
        # what comes in is opened with them (shared.sealing).
        self.case_keys = CaseKeys(self.db)
        self.publisher = EventPublisher(
            settings=settings,
            metrics=self.metrics,
            sealer=KeySealer(self.case_keys, settings=settings),
        )
        # The staff accounts' token versions the token check reads (fed by sessions_consumer).
        self.token_versions = TokenVersions(self.db)
        self._tasks: list[asyncio.Task[None]] = []
        # Every consumer built here, so readiness can tell a stuck one (check_progress).
        self._consumers: list[EventConsumer] = []
        # The relays, whose oldest pending event /metrics shows.
        self._relays: list[OutboxRelay] = []
        self._schema_ready = asyncio.Event()
        # Whether the sessions consumer runs here (every service's does; readiness waits for it).
        self._reads_sessions = False

    def relay(self, collections: Sequence[AsyncCollection[Document]]) -> OutboxRelay:
        """The outbox relay publishing the events queued in these collections."""
        relay = OutboxRelay(
            collections=collections,
            publisher=self.publisher,
            settings=self.settings,
            metrics=self.metrics,
        )
        self._relays.append(relay)
        return relay

    def consumer(
        self,
        *,
        purpose: str,
        topic: str,
        routes: EventRoutes,
        on_tombstone: Tombstones | None = None,
    ) -> EventConsumer:
        """The consumer group `<service>.<purpose>` over one topic, dispatching by `routes`
        (and, on a compacted topic, its delete records to `on_tombstone`)."""
        consumer = EventConsumer(
            settings=self.settings,
            metrics=self.metrics,
            publisher=self.publisher,
            purpose=purpose,
            topics=[topic],
            routes=routes,
            on_tombstone=on_tombstone,
            keys=self.case_keys,
        )
        self._consumers.append(consumer)
        return consumer

    def keys_consumer(self) -> EventConsumer:
        """The group `<service>.keys`: the cases' sealing keys into `case_keys`, and their
        tombstones (an erased case) out of it. Every service that reads case events or seals its
        own runs it, or it cannot read sealed fields."""
        return self.consumer(
            purpose="keys",
            topic=CASE_KEYS,
            routes=key_ring_routes(self.case_keys),
            on_tombstone=partial(forget_key, keys=self.case_keys),
        )

    def sessions_consumer(self) -> EventConsumer:
        """The group `<service>.sessions`: routing's staff token versions into this service's
        `token_versions`, which the token check of every request reads (shared.token_versions).
        Every service runs it, or revoked tokens stay good there. Also watches, for this
        replica, the group catching up with the topic (unknown accounts: shared.token_versions)."""
        self._reads_sessions = True
        consumer = self.consumer(
            purpose="sessions",
            topic=STAFF_SESSIONS,
            routes=token_version_routes(self.token_versions),
        )

        async def catch_up() -> None:
            topic = self.settings.topic(STAFF_SESSIONS)
            await wait_until_consumed(self.settings, group=consumer.group, topic=topic)
            self.token_versions.mark_caught_up()
            log.info("token_versions.caught_up", group=consumer.group)

        self.spawn("sessions.catch_up", catch_up)
        return consumer

    def app(
        self, *, title: str, description: str, on_start: Callable[[], Awaitable[None]]
    ) -> FastAPI:
        """The service's HTTP app, whose lifespan starts and stops this runtime, checking staff
        tokens with the settings' public key and the token versions (shared.auth.CurrentClaims)."""
        app = create_service_app(
            title=title,
            description=description,
            version="0.1.0",
            metrics=self.metrics,
            max_body_bytes=self.settings.max_body_bytes,
            lifespan=runtime_lifespan(self, on_start=on_start),
            readiness=self.readiness,
        )
        install_token_check(
            app, verify_key=self.settings.jwt_public_key, states=self.token_versions
        )
        # Outermost: the server span covers every other middleware.
        app.add_middleware(TracingMiddleware)
        return app

    def readiness(self) -> list[ReadinessCheck]:
        async def store() -> None:
            await asyncio.wait_for(ping(self.mongo), 2.0)

        async def kafka() -> None:
            await self.publisher.check()

        async def schema() -> None:
            if not self._schema_ready.is_set():
                raise ConnectionError("indexes not created yet (is the store reachable?)")

        async def consumers() -> None:
            stalled: list[str] = []
            for consumer in self._consumers:
                try:
                    consumer.check_progress()
                except ConsumerStalled as exc:
                    stalled.append(str(exc))
            if stalled:
                raise ConsumerStalled("; ".join(stalled))

        async def staff_sessions() -> None:
            self.token_versions.check_caught_up()

        checks: list[ReadinessCheck] = [
            ("store", store),
            ("kafka", kafka),
            ("schema", schema),
            ("consumers", consumers),
        ]
        if self._reads_sessions:
            # Until caught up, tokens of accounts not read yet are answered 503 "starting".
            checks.append(("staff_sessions", staff_sessions))
        return checks

    def spawn_setup(self, setup: Callable[[], Awaitable[None]]) -> None:
        """Create indexes in the background, retried until the store answers."""

        async def run() -> None:
            await setup()
            self._schema_ready.set()

        self.spawn("schema", run)

    async def wait_schema(self) -> None:
        await self._schema_ready.wait()

    async def start(self) -> None:
        self.spawn("producer", self.publisher.start)
        if self._relays:
            self.spawn("outbox.age", self._watch_outbox_age)

    async def _watch_outbox_age(self) -> None:
        # After the indexes exist: without the sparse one, the pending query would scan.
        await self._schema_ready.wait()
        await watch_outbox_age(self._relays, metrics=self.metrics)

    def spawn(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run a background loop; if it dies of a bug, log it and start it again."""

        async def supervised() -> None:
            delay = 0.5
            while True:
                try:
                    await run()
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("task.crashed", task=name, restart_in=delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 30.0)

        self._tasks.append(asyncio.create_task(supervised(), name=name))

    async def stop(self, *, step_timeout_s: float = 10.0) -> None:
        """Stop background tasks, then the clients; no step may hang the shutdown."""
        await self._cancel_tasks(step_timeout_s)
        steps: list[tuple[str, Awaitable[object]]] = [
            ("kafka producer", self.publisher.stop()),
            ("store client", self.mongo.close()),
        ]
        for name, step in steps:
            try:
                await asyncio.wait_for(step, step_timeout_s)
            except TimeoutError:
                log.error("service.stop_step_timed_out", step=name, timeout_s=step_timeout_s)

    async def _cancel_tasks(self, timeout_s: float) -> None:
        # Some library code swallows a cancellation that races with its own wake-up, so a
        # task still running after a moment is cancelled again rather than waited for.
        deadline = asyncio.get_running_loop().time() + timeout_s
        pending = [t for t in self._tasks if not t.done()]
        while pending and asyncio.get_running_loop().time() < deadline:
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=0.5)
            pending = [t for t in pending if not t.done()]
        if pending:
            log.error("service.tasks_did_not_stop", tasks=[t.get_name() for t in pending])
        self._tasks.clear()


def runtime_lifespan(
    runtime: ServiceRuntime, *, on_start: Callable[[], Awaitable[None]]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        configure_logging(
            service=runtime.settings.service_name,
            level=runtime.settings.log_level,
            fmt=runtime.settings.log_format,
        )
        await runtime.start()
        await on_start()
        log.info("service.started", port=runtime.settings.port)
        try:
            yield
        finally:
            await runtime.stop()
            log.info("service.stopped")

    return lifespan
