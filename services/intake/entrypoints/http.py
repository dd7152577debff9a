"""intake's HTTP API: thin routes that parse, call a handler and shape the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from services.intake.adapters.case_repository import (
    CaseRepository,
    IdempotencyConflict,
    request_fingerprint,
)
from services.intake.domain.cases import CaseCreate, CaseStatus, TimelineStep
from services.intake.domain.tracking import normalize_tracking_code
from services.intake.handlers import submit_case
from shared.logging import current_correlation_id, new_correlation_id
from shared.outbox import OutboxRelay


class CaseReceipt(BaseModel):
    case_id: str
    tracking_code: str = Field(description="Keep it: it is the only way to follow the case.")
    status: CaseStatus
    submitted_at: datetime
    tracking_url: str


class StationRef(BaseModel):
    id: str
    name: str


class RepresentativeRef(BaseModel):
    code: str
    name: str | None = None


class ResidentCaseView(BaseModel):
    """What the holder of a tracking code sees. No contact data, no internal notes."""

    model_config = ConfigDict(from_attributes=True)

    tracking_code: str
    status: CaseStatus
    category: str
    text: str
    channel: str
    submitted_at: datetime
    updated_at: datetime
    station: StationRef | None
    representative: RepresentativeRef | None
    timeline: list[TimelineStep]


class IntakeDeps:
    """What the routes need, injected at wiring time."""

    def __init__(self, *, cases: CaseRepository, relay: OutboxRelay) -> None:
        self.cases = cases
        self.relay = relay


def build_router(deps: IntakeDeps) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["cases"])

    @router.post(
        "/cases",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=CaseReceipt,
        summary="Submit an opinion or suggestion.",
        responses={
            409: {"description": "Idempotency-Key reused for a different submission."},
            413: {"description": "Body too large."},
            422: {"description": "Invalid fields, one message per field."},
        },
    )
    async def post_case(
        command: CaseCreate,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                min_length=8,
                max_length=128,
                pattern=r"^[A-Za-z0-9._:\-]+$",
                description="Retrying with the same key returns the first result.",
            ),
        ] = None,
    ) -> CaseReceipt:
        try:
            stored = await submit_case(
                command=command,
                cases=deps.cases,
                correlation_id=current_correlation_id() or new_correlation_id(),
                idempotency_key=idempotency_key,
                fingerprint=request_fingerprint(command),
            )
        except IdempotencyConflict:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                detail="Idempotency-Key was already used for a different submission",
            ) from None
        deps.relay.wake()
        return CaseReceipt(
            case_id=stored["_id"],
            tracking_code=stored["tracking_code"],
            status=stored["status"],
            submitted_at=stored["submitted_at"],
            tracking_url=f"/v1/cases/{stored['tracking_code']}",
        )

    @router.get(
        "/cases/{tracking_code}",
        response_model=ResidentCaseView,
        summary="The resident's view of a case, by tracking code.",
        responses={404: {"description": "No case has this tracking code."}},
    )
    async def get_case(tracking_code: str) -> ResidentCaseView:
        code = normalize_tracking_code(tracking_code)
        document = await deps.cases.by_tracking_code(code) if code else None
        if document is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no case has this tracking code")
        return ResidentCaseView.model_validate(document)

    return router
