""" "Me too": one more resident on an open case, with the contact they may leave."""

from __future__ import annotations

from datetime import UTC, datetime

from services.intake.adapters.case_repository import CaseRepository
from services.intake.domain.errors import CaseNotFound
from services.intake.domain.supporters import (
    CaseClosedToSupport,
    SupportCase,
    Supported,
    contact_key,
    may_be_supported,
    supporter_id,
    supporter_record,
)
from services.intake.handlers import SOURCE
from shared.events.case_events import CaseSupported
from shared.events.envelope import Envelope
from shared.events.resident_events import ResidentContactGiven
from shared.logging import get_logger

log = get_logger(__name__)


async def support_case(
    *,
    case_id: str,
    command: SupportCase,
    cases: CaseRepository,
    correlation_id: str,
    idempotency_key: str | None,
) -> Supported:
    """Raises CaseNotFound for an unknown case, CaseClosedToSupport for one no longer open."""
    supporter = supporter_id(idempotency_key)
    now = datetime.now(UTC)
    contact = command.contact

    def events(count: int) -> list[Envelope]:
        wrapped: list[Envelope] = []
        if contact is not None:
            given = ResidentContactGiven(
                case_id=case_id,
                supporter_id=supporter,
                phone=contact.phone,
                email=contact.email,
                language=contact.language,
                given_at=now,
            )
            wrapped.append(
                Envelope.wrap(
                    given,
                    source=SOURCE,
                    subject=contact_key(case_id, supporter),
                    correlation_id=correlation_id,
                )
            )
        supported = CaseSupported(
            case_id=case_id,
            supporter_id=supporter,
            supporters=count,
            has_contact=contact is not None,
            supported_at=now,
        )
        wrapped.append(
            Envelope.wrap(supported, source=SOURCE, subject=case_id, correlation_id=correlation_id)
        )
        return wrapped

    record = (
        supporter_record(
            case_id=case_id,
            supporter=supporter,
            contact=contact.model_dump(exclude_none=True),
            at=now,
        )
        if contact is not None
        else None
    )
    found = await cases.add_supporter(
        case_id=case_id, supporter_id=supporter, events=events, record=record
    )
    if found is None:
        # "Me too" names a case by its public id, never by its resident's tracking code.
        raise CaseNotFound(case_id, by="id")
    status, count = found
    if not may_be_supported(status):
        raise CaseClosedToSupport(status)
    log.info("case.supported", case_id=case_id, supporters=count)
    return Supported(case_id=case_id, supporters=count)
