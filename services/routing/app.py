"""Wiring: settings → runtime → repositories → the container on app.state → routes, pages,
consumer and timers."""

from __future__ import annotations

from fastapi import FastAPI

from services.routing.adapters.calendar_state import CalendarState
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.holiday_calendar import (
    OfficialCalendar,
    official_calendar,
    working_calendar,
)
from services.routing.adapters.house_repository import HouseRepository
from services.routing.adapters.meeting_repository import MeetingRepository
from services.routing.adapters.oidc import OidcVerifier
from services.routing.adapters.sign_in_attempts import Clock, SignInAttempts, system_clock
from services.routing.adapters.suggestion_repository import SuggestionRepository
from services.routing.adapters.template_repository import TemplateRepository
from services.routing.adapters.user_repository import UserRepository
from services.routing.domain.sla import SlaPolicy, SlaRules
from services.routing.entrypoints import (
    admin_http,
    auth_http,
    directory_http,
    house_repair_http,
    meetings_http,
    pages,
    staff_http,
    suggestions_http,
)
from services.routing.entrypoints.consumers import case_events_consumer
from services.routing.entrypoints.deps import Container
from services.routing.entrypoints.errors import install_error_handlers
from services.routing.entrypoints.sla_calendar import CalendarCoverage, CalendarWatch
from services.routing.entrypoints.sla_scheduler import SlaScheduler
from services.routing.entrypoints.workbench import Workbench
from services.routing.handlers.sign_in import SignInThrottle
from services.routing.settings import RoutingSettings
from shared.periodic import recount_every
from shared.runtime import ServiceRuntime


def sla_rules(settings: RoutingSettings, official: OfficialCalendar) -> SlaRules:
    return SlaRules(
        calendar=working_calendar(
            official,
            timezone=settings.zone,
            holidays=frozenset(settings.holidays),
            extra_working_days=frozenset(settings.extra_working_days),
        ),
        default=SlaPolicy(
            accept_days=settings.sla_accept_days, respond_days=settings.sla_respond_days
        ),
    )


def oidc_verifier(settings: RoutingSettings) -> OidcVerifier | None:
    if not (settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url):
        return None
    return OidcVerifier(
        issuer=settings.oidc_issuer,
        audience=settings.oidc_audience,
        jwks_url=settings.oidc_jwks_url,
        username_claim=settings.oidc_username_claim,
    )


def sign_in_throttle(settings: RoutingSettings, attempts: SignInAttempts) -> SignInThrottle:
    return SignInThrottle.of(
        attempts,
        account_failures=settings.sign_in_account_failures,
        address_failures=settings.sign_in_address_failures,
        window_s=settings.sign_in_window_s,
        max_wait_s=settings.sign_in_max_wait_s,
    )


def create_app(
    settings: RoutingSettings | None = None, *, throttle_clock: Clock = system_clock
) -> FastAPI:
    """`throttle_clock`: what time the sign-in throttle reads (a test moves it past a wait)."""
    settings = settings or RoutingSettings()
    runtime = ServiceRuntime(settings)
    cases = RoutedCaseRepository(runtime.db)
    meetings = MeetingRepository(runtime.db)
    houses = HouseRepository(runtime.db)
    suggestions = SuggestionRepository(runtime.db)
    directory = DirectoryRepository(runtime.db)
    users = UserRepository(runtime.db)
    official = official_calendar()
    container = Container(
        settings=settings,
        cases=cases,
        directory=directory,
        users=users,
        templates=TemplateRepository(runtime.db),
        meetings=meetings,
        suggestions=suggestions,
        relay=runtime.relay(
            [
                cases.collection,
                meetings.collection,
                houses.collection,
                suggestions.collection,
                *directory.collections(),
                users.collection,
            ]
        ),
        sla=sla_rules(settings, official),
        oidc=oidc_verifier(settings),
        workbench=Workbench.of(settings),
        sign_in_throttle=sign_in_throttle(
            settings, SignInAttempts(runtime.db, clock=throttle_clock)
        ),
        houses=houses,
    )
    scheduler = SlaScheduler(
        cases=cases, relay=container.relay, interval_s=settings.sla_check_seconds
    )
    calendar_watch = CalendarWatch(
        coverage=CalendarCoverage(
            official,
            overrides=frozenset(settings.holidays) | frozenset(settings.extra_working_days),
            registry=runtime.metrics.registry,
        ),
        state=CalendarState(runtime.db),
        cases=cases,
        directory=directory,
        sla=container.sla,
    )

    async def on_start() -> None:
        async def setup() -> None:
            await cases.ensure_indexes()
            await directory.ensure_indexes()
            await container.templates.ensure_indexes()
            await meetings.ensure_indexes()
            await houses.ensure_indexes()
            await suggestions.ensure_indexes()
            await container.sign_in_throttle.attempts.ensure_indexes()
            await users.ensure_indexes()
            # Every account's token state, again: services that missed one catch up.
            await users.publish_all()
            container.relay.wake()

        runtime.spawn_setup(setup)
        runtime.spawn("outbox", container.relay.run)
        consumer = case_events_consumer(
            runtime, cases=cases, directory=directory, relay=container.relay, sla=container.sla
        )
        runtime.spawn("consumer.cases", consumer.run)
        runtime.spawn("consumer.sessions", runtime.sessions_consumer().run)
        runtime.spawn("consumer.keys", runtime.keys_consumer().run)
        # Here, not in the task: the warning comes with the first lines of the log even while
        # the store is out of reach.
        calendar_watch.check_coverage()

        async def calendar() -> None:
            await runtime.wait_schema()  # the status index serves the recount
            await calendar_watch.run()

        async def sla() -> None:
            await calendar_watch.wait_applied()
            await scheduler.run()

        runtime.spawn("sla.calendar", calendar)
        runtime.spawn("sla", sla)

        async def loads() -> None:
            await runtime.wait_schema()  # the status index serves the recount
            # See adapters/open_loads.py for why the counters can drift after a crash.
            await recount_every(
                settings.load_recount_seconds, cases.loads.recount, event="routing.loads_recounted"
            )

        runtime.spawn("loads", loads)

    app = runtime.app(
        title="Minyi routing",
        description="The directory, and who holds each case and why.",
        on_start=on_start,
    )
    app.state.container = container
    install_error_handlers(app)
    app.include_router(directory_http.router)
    app.include_router(admin_http.router)
    app.include_router(admin_http.users_router)
    app.include_router(auth_http.router)
    app.include_router(staff_http.router)
    app.include_router(house_repair_http.router)
    app.include_router(meetings_http.router)
    app.include_router(suggestions_http.router)
    app.include_router(pages.router)
    pages.mount_workbench_static(app)
    return app
