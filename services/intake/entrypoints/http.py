"""intake's HTTP API: thin routes that parse, call a handler and shape the answer."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.intake.adapters.case_repository import (
    CaseRepository,
    IdempotencyConflict,
    request_fingerprint,
    snapshot_of,
)
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.domain.attachments import StoredAttachment
from services.intake.domain.cases import CaseCreate, CaseSnapshot, TimelineStep
from services.intake.domain.resident_actions import (
    ActionRefused,
    RateCase,
    ReopenCase,
    ReplyToStation,
    ResidentAction,
    allowed_actions,
    rate,
    reopen,
    reply,
)
from services.intake.domain.tracking import normalize_tracking_code
from services.intake.handlers import (
    CaseNotFound,
    UnknownReference,
    resident_action,
    submit_case,
)
from shared.events.case_events import CaseAction, CaseStatus, Rating
from shared.logging import current_correlation_id, new_correlation_id
from shared.mongo import Document
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


class Message(BaseModel):
    sender: Literal["station", "resident"] = Field(alias="from")
    text: str
    at: datetime

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


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
    attachments: list[StoredAttachment] = Field(
        default_factory=list, description="Photos: GET .../attachments/{n}."
    )
    messages: list[Message] = Field(
        default_factory=list, description="The conversation with the station, oldest first."
    )

    @field_validator("messages", mode="before")
    @classmethod
    def _in_order(cls, value: object) -> object:
        # Stored keyed by message id (one write each, no array updates); shown by time.
        if isinstance(value, dict):
            return sorted(value.values(), key=lambda m: m["at"])
        return value

    house_repair_stage: str | None = Field(
        default=None, description="Dilapidated-house repair cases: the current stage."
    )
    timeline: list[TimelineStep]
    response: str | None = Field(default=None, description="The feedback on the case.")
    responded_at: datetime | None = None
    rejection_reason: str | None = None
    rating: Rating | None = Field(default=None, description="The resident's latest rating.")
    reopen_count: int = 0
    allowed_actions: list[ResidentAction] = Field(
        default_factory=list, description="What the resident may do now: rate, reopen."
    )


class ActionRefusedBody(BaseModel):
    detail: str
    status: CaseStatus
    allowed_actions: list[ResidentAction]


def resident_view(document: Document, *, now: datetime) -> ResidentCaseView:
    view = ResidentCaseView.model_validate(document)
    return view.model_copy(
        update={"allowed_actions": allowed_actions(snapshot_of(document), now=now)}
    )


async def action_refused(request: Request, exc: Exception) -> JSONResponse:
    """409 with what the resident may do instead; registered on the app."""
    if not isinstance(exc, ActionRefused):
        raise exc
    body = ActionRefusedBody(
        detail=exc.detail, status=exc.status, allowed_actions=exc.allowed_actions
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=status.HTTP_409_CONFLICT)


async def unknown_reference(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnknownReference)
    return JSONResponse(
        {
            "detail": [
                {
                    "loc": ["body", exc.field],
                    "field": exc.field,
                    "msg": str(exc),
                    "type": "unknown_reference",
                }
            ]
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ActionRefused, action_refused)
    app.add_exception_handler(UnknownReference, unknown_reference)


async def attachment_response(cases: CaseRepository, case_id: str, n: int) -> Response:
    found = await cases.attachment(case_id, n)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"the case has no photo {n}")
    return Response(
        content=bytes(found["data"]),
        media_type=found["content_type"],
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def receipt_for(stored: Document) -> CaseReceipt:
    return CaseReceipt(
        case_id=stored["_id"],
        tracking_code=stored["tracking_code"],
        status=stored["status"],
        submitted_at=stored["submitted_at"],
        tracking_url=f"/v1/cases/{stored['tracking_code']}",
    )


class IntakeDeps:
    """What the routes need, injected at wiring time."""

    def __init__(
        self,
        *,
        cases: CaseRepository,
        directory: DirectoryCopy,
        relay: OutboxRelay,
        limit: Callable[[Request], Awaitable[None]],
    ) -> None:
        self.cases = cases
        self.directory = directory
        self.relay = relay
        self.limit = limit


def build_router(deps: IntakeDeps) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["cases"])

    async def act_as_resident(
        tracking_code: str, decide: Callable[[CaseSnapshot, datetime], CaseAction]
    ) -> ResidentCaseView:
        code = normalize_tracking_code(tracking_code)
        if code is None:
            raise _not_found()
        now = datetime.now(UTC)
        try:
            document = await resident_action(
                tracking_code=code,
                decide=lambda case: decide(case, now),
                cases=deps.cases,
                correlation_id=current_correlation_id() or new_correlation_id(),
                now=now,
            )
        except CaseNotFound:
            raise _not_found() from None
        deps.relay.wake()
        return resident_view(document, now=now)

    @router.post(
        "/cases",
        dependencies=[Depends(deps.limit)],
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
                directory=deps.directory,
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
        return receipt_for(stored)

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
            raise _not_found()
        return resident_view(document, now=datetime.now(UTC))

    @router.get(
        "/cases/{tracking_code}/attachments/{n}",
        response_class=Response,
        summary="A photo of the case, by tracking code.",
        responses={
            200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}},
            404: {"description": "No such case or photo."},
        },
    )
    async def get_attachment(tracking_code: str, n: int) -> Response:
        code = normalize_tracking_code(tracking_code)
        document = await deps.cases.by_tracking_code(code) if code else None
        if document is None:
            raise _not_found()
        return await attachment_response(deps.cases, document["_id"], n)

    @router.post(
        "/cases/{tracking_code}/rating",
        dependencies=[Depends(deps.limit)],
        status_code=status.HTTP_202_ACCEPTED,
        response_model=ResidentCaseView,
        summary="Rate the response to a case.",
        responses={**_ACTION_RESPONSES},
    )
    async def post_rating(tracking_code: str, command: RateCase) -> ResidentCaseView:
        return await act_as_resident(tracking_code, lambda case, now: rate(case, command, now=now))

    @router.post(
        "/cases/{tracking_code}/reopen",
        dependencies=[Depends(deps.limit)],
        status_code=status.HTTP_202_ACCEPTED,
        response_model=ResidentCaseView,
        summary="Ask for a case to be handled again (once, after a dissatisfied rating).",
        responses={**_ACTION_RESPONSES},
    )
    async def post_reopen(tracking_code: str, command: ReopenCase) -> ResidentCaseView:
        return await act_as_resident(
            tracking_code, lambda case, now: reopen(case, command, now=now)
        )

    @router.post(
        "/cases/{tracking_code}/messages",
        dependencies=[Depends(deps.limit)],
        status_code=status.HTTP_202_ACCEPTED,
        response_model=ResidentCaseView,
        summary="Answer the station's question.",
        responses={**_ACTION_RESPONSES},
    )
    async def post_message(tracking_code: str, command: ReplyToStation) -> ResidentCaseView:
        message_id = "m" + uuid.uuid4().hex
        return await act_as_resident(
            tracking_code,
            lambda case, now: reply(case, command, now=now, message_id=message_id),
        )

    return router


_ACTION_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"description": "No case has this tracking code."},
    409: {"model": ActionRefusedBody, "description": "Not allowed in the case's current state."},
    422: {"description": "Invalid fields, one message per field."},
}


def _not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail="no case has this tracking code")
