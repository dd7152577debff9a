"""What every entry point that changes a case does around the handler: run it with the
request's correlation id, then wake the outbox relay so the events go out now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.adapters.erasure import ErasureRepository
from services.intake.domain.cases import CaseCreate, CaseSnapshot
from services.intake.domain.erasure import EraseResident
from services.intake.domain.supporters import SupportCase, Supported
from services.intake.handlers.erasure import ErasureReport, erase_resident
from services.intake.handlers.resident_actions import resident_action
from services.intake.handlers.submission import PhotoCleaner, submit_case
from services.intake.handlers.supporters import support_case
from shared.events.case_events import CaseAction
from shared.mongo import Document
from shared.outbox import OutboxRelay


@dataclass(frozen=True)
class CaseCommands:
    """The case-changing use cases, bound to one request (the JSON API, the pages, Open311)."""

    cases: CaseRepository
    directory: DirectoryCopy
    relay: OutboxRelay
    photos: PhotoCleaner
    correlation_id: str

    async def submit(
        self,
        command: CaseCreate,
        *,
        idempotency_key: str | None = None,
        station_id: str | None = None,
        meeting_id: str | None = None,
    ) -> Document:
        """handlers.submission.submit_case: raises UnknownReference, PhotoRefused,
        IdempotencyConflict."""
        stored = await submit_case(
            command=command,
            cases=self.cases,
            directory=self.directory,
            photos=self.photos,
            correlation_id=self.correlation_id,
            idempotency_key=idempotency_key,
            station_id=station_id,
            meeting_id=meeting_id,
        )
        self.relay.wake()
        return stored

    async def support(
        self, case_id: str, command: SupportCase, *, idempotency_key: str | None
    ) -> Supported:
        """handlers.supporters.support_case: raises CaseNotFound, CaseClosedToSupport."""
        supported = await support_case(
            case_id=case_id,
            command=command,
            cases=self.cases,
            correlation_id=self.correlation_id,
            idempotency_key=idempotency_key,
        )
        self.relay.wake()
        return supported

    async def act_as_resident(
        self, tracking_code: str, decide: Callable[[CaseSnapshot], CaseAction], *, now: datetime
    ) -> Document:
        """handlers.resident_actions.resident_action: raises CaseNotFound, ActionRefused."""
        document = await resident_action(
            tracking_code=tracking_code,
            decide=decide,
            cases=self.cases,
            correlation_id=self.correlation_id,
            now=now,
        )
        self.relay.wake()
        return document


@dataclass(frozen=True)
class ErasureCommands:
    """Erasing a resident's data, bound to one request (the admin API; the CLI calls the
    handler itself and leaves the publishing to the running service)."""

    erasures: ErasureRepository
    key: bytes
    relay: OutboxRelay
    wake_finisher: Callable[[], None]
    correlation_id: str

    async def erase(self, request: EraseResident, *, by: str, now: datetime) -> ErasureReport:
        """handlers.erasure.erase_resident: raises CaseNotFound for an unknown tracking code.
        The `case.erased` events go out now, and the finisher sends the tombstones after them."""
        report = await erase_resident(
            request=request,
            erasures=self.erasures,
            key=self.key,
            by=by,
            correlation_id=self.correlation_id,
            now=now,
        )
        if any(outcome.erased_now for outcome in report.cases):
            self.relay.wake()
            self.wake_finisher()
        return report
