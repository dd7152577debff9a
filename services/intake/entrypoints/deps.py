"""What intake's routes depend on, in one place: `Annotated` aliases that read from the
`Container` app.py puts on `app.state.container`. Routes declare what they need by these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.adapters.erasure import ErasureRepository
from services.intake.entrypoints.case_commands import CaseCommands, ErasureCommands
from services.intake.handlers.submission import PhotoCleaner
from services.intake.settings import IntakeSettings
from shared.auth import CurrentClaims as CurrentClaims
from shared.logging import current_correlation_id, new_correlation_id
from shared.openapi import answers
from shared.outbox import OutboxRelay
from shared.rate_limit import TOO_MANY, RateLimiter, rate_limited

RateLimit = Callable[[Request], Awaitable[None]]


@dataclass(frozen=True)
class Container:
    """What the routes use, built once per app."""

    settings: IntakeSettings
    cases: CaseRepository
    directory: DirectoryCopy
    relay: OutboxRelay
    limit: RateLimit
    photos: PhotoCleaner
    erasures: ErasureRepository
    wake_erasures: Callable[[], None]

    @classmethod
    def of(
        cls,
        *,
        settings: IntakeSettings,
        cases: CaseRepository,
        directory: DirectoryCopy,
        relay: OutboxRelay,
        wake_erasures: Callable[[], None] = lambda: None,
    ) -> Container:
        """The routes' view of these parts: the per-client rate limit of submissions and
        resident actions, and shared.auth's staff-token check, as the settings say; one photo
        cleaner, whose limit of photos cleaned at once holds across every entry point."""
        return cls(
            settings=settings,
            cases=cases,
            directory=directory,
            relay=relay,
            limit=rate_limited(
                RateLimiter(
                    per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
                ),
                trust_forwarded_for=settings.trust_forwarded_for,
            ),
            photos=PhotoCleaner(),
            erasures=ErasureRepository(cases.collection.database),
            wake_erasures=wake_erasures,
        )


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


def _settings(request: Request) -> IntakeSettings:
    return container(request).settings


def _cases(request: Request) -> CaseRepository:
    return container(request).cases


def _directory(request: Request) -> DirectoryCopy:
    return container(request).directory


@answers(429, TOO_MANY)
async def rate_limit(request: Request) -> None:
    """429 with Retry-After when the client is over its rate (submissions, resident actions)."""
    await container(request).limit(request)


def _correlation_id() -> str:
    return current_correlation_id() or new_correlation_id()


def _commands(request: Request) -> CaseCommands:
    found = container(request)
    return CaseCommands(
        cases=found.cases,
        directory=found.directory,
        relay=found.relay,
        photos=found.photos,
        correlation_id=_correlation_id(),
    )


def _erasure_commands(request: Request) -> ErasureCommands:
    found = container(request)
    return ErasureCommands(
        erasures=found.erasures,
        key=found.settings.erasure_key(),
        relay=found.relay,
        wake_finisher=found.wake_erasures,
        correlation_id=_correlation_id(),
    )


@dataclass(frozen=True)
class FormPostDeps:
    """What a resident's page uses to take a posted form: the commands it runs, the directory
    and settings its pages show, and the rate limit it answers with a page of its own."""

    commands: CaseCommands
    directory: DirectoryCopy
    settings: IntakeSettings
    limit: RateLimit


def _form_post(request: Request) -> FormPostDeps:
    found = container(request)
    return FormPostDeps(
        commands=_commands(request),
        directory=found.directory,
        settings=found.settings,
        limit=found.limit,
    )


# The same scheme as shared.auth's, so the OpenAPI document names the same security.
Settings = Annotated[IntakeSettings, Depends(_settings)]
Cases = Annotated[CaseRepository, Depends(_cases)]
Directory = Annotated[DirectoryCopy, Depends(_directory)]
Commands = Annotated[CaseCommands, Depends(_commands)]
"""Submitting a case and a resident's actions, with the request's correlation id."""
Erasures = Annotated[ErasureCommands, Depends(_erasure_commands)]
"""Erasing residents' data (the admin API), with the request's correlation id."""
FormPost = Annotated[FormPostDeps, Depends(_form_post)]
"""What a resident's page needs to take a posted form."""
"""The signed-in staff member's claims (bearer token, or the pages' cookie on GET), or 401."""
RATE_LIMITED = Depends(rate_limit)
"""For `dependencies=[RATE_LIMITED]`: the routes that submit a case or a resident's action."""
