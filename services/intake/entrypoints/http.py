"""intake's HTTP API for residents: thin routes that parse, call a handler and shape the answer.

Refusals (unknown case or photo, a refused action, an unknown reference, a reused
Idempotency-Key) are raised and answered by entrypoints/errors.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import Response

from services.intake.adapters.case_repository import CaseRepository
from services.intake.domain.cases import CaseCreate, CaseSnapshot
from services.intake.domain.errors import CaseNotFound, PhotoNotFound
from services.intake.domain.merged import combined_version
from services.intake.domain.resident_actions import (
    RateCase,
    ReopenCase,
    ReplyToStation,
    rate,
    reopen,
    reply,
)
from services.intake.domain.similar_cases import SimilarCases, SimilarDraft
from services.intake.domain.supporters import SupportCase, Supported
from services.intake.domain.tracking import normalize_tracking_code
from services.intake.entrypoints.case_commands import CaseCommands
from services.intake.entrypoints.deps import RATE_LIMITED, Cases, Commands, Directory, Settings
from services.intake.entrypoints.schemas import (
    ActionRefusedBody,
    CaseReceipt,
    ResidentCaseView,
    receipt_for,
    resident_view,
)
from services.intake.handlers.similar_cases import similar_cases
from shared.events.case_events import CaseAction
from shared.mongo import Document
from shared.preconditions import (
    ETAG_HEADER,
    ETAG_RESPONSE,
    NOT_MODIFIED_RESPONSE,
    IfNoneMatch,
    etag,
    matches_if_none_match,
)

router = APIRouter(prefix="/v1", tags=["cases"])

_ACTION_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"description": "No case has this tracking code."},
    409: {"model": ActionRefusedBody, "description": "Not allowed in the case's current state."},
    422: {"description": "Invalid fields, one message per field."},
}


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:\-]+$",
        description="Retrying with the same key returns the first result.",
    ),
]


PhotoSize = Annotated[
    Literal["full", "thumb"],
    Query(
        description="`thumb`: a JPEG of at most 320 px a side (photos stored before thumbnails "
        "existed answer with the photo itself)."
    ),
]


async def photo_response(
    cases: CaseRepository, case_id: str, n: int, *, size: Literal["full", "thumb"] = "full"
) -> Response:
    """Photo `n` of the case (or its thumbnail), for a browser to cache privately;
    PhotoNotFound when none."""
    found = await cases.photo(case_id, n, thumbnail=size == "thumb")
    if found is None:
        raise PhotoNotFound(n)
    content_type, data = found
    return Response(
        content=data,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


async def _case(cases: CaseRepository, tracking_code: str) -> Document:
    code = normalize_tracking_code(tracking_code)
    document = await cases.by_tracking_code(code) if code else None
    if document is None:
        raise CaseNotFound(tracking_code)
    return document


async def _act_as_resident(
    commands: CaseCommands,
    tracking_code: str,
    decide: Callable[[CaseSnapshot, datetime], CaseAction],
) -> ResidentCaseView:
    code = normalize_tracking_code(tracking_code)
    if code is None:
        raise CaseNotFound(tracking_code)
    now = datetime.now(UTC)
    document = await commands.act_as_resident(code, lambda case: decide(case, now), now=now)
    return resident_view(document, now=now)


@router.post(
    "/cases",
    dependencies=[RATE_LIMITED],
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
    commands: Commands,
    idempotency_key: IdempotencyKey = None,
) -> CaseReceipt:
    return receipt_for(await commands.submit(command, idempotency_key=idempotency_key))


@router.post(
    "/cases/similar",
    dependencies=[RATE_LIMITED],
    response_model=SimilarCases,
    summary="Open cases like a draft (same category, same point or within 500 m), best first.",
    responses={422: {"description": "Invalid fields, one message per field."}},
)
async def post_similar(
    draft: SimilarDraft, cases: Cases, directory: Directory, settings: Settings
) -> SimilarCases:
    found = await similar_cases(draft=draft, cases=cases, directory=directory, zone=settings.zone)
    return SimilarCases(cases=found)


@router.post(
    "/cases/{case_id}/supporters",
    dependencies=[RATE_LIMITED],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Supported,
    summary='"Me too": join an open case (by its public id, as suggested), counted once per '
    "Idempotency-Key; with a contact, hear its answer.",
    responses={
        404: {"description": "No case has this id."},
        409: {"description": "The case is closed, rejected or merged."},
        422: {"description": "Invalid fields, one message per field."},
    },
)
async def post_supporter(
    case_id: str,
    command: SupportCase,
    commands: Commands,
    idempotency_key: IdempotencyKey = None,
) -> Supported:
    return await commands.support(case_id, command, idempotency_key=idempotency_key)


@router.get(
    "/cases/{tracking_code}",
    response_model=ResidentCaseView,
    summary="The resident's view of a case, by tracking code; its version is the `ETag`.",
    responses={
        **ETAG_RESPONSE,
        **NOT_MODIFIED_RESPONSE,
        404: {"description": "No case has this tracking code."},
    },
)
async def get_case(
    tracking_code: str, cases: Cases, response: Response, if_none_match: IfNoneMatch = None
) -> ResidentCaseView | Response:
    document = await cases.with_surviving(await _case(cases, tracking_code))
    assert document is not None
    version = combined_version(document)
    tag = etag(version)
    if matches_if_none_match(if_none_match, version):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={ETAG_HEADER: tag})
    response.headers[ETAG_HEADER] = tag
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
async def get_attachment(
    tracking_code: str, n: int, cases: Cases, size: PhotoSize = "full"
) -> Response:
    document = await _case(cases, tracking_code)
    return await photo_response(cases, document["_id"], n, size=size)


@router.post(
    "/cases/{tracking_code}/rating",
    dependencies=[RATE_LIMITED],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ResidentCaseView,
    summary="Rate the response to a case.",
    responses={**_ACTION_RESPONSES},
)
async def post_rating(
    tracking_code: str, command: RateCase, commands: Commands
) -> ResidentCaseView:
    return await _act_as_resident(
        commands, tracking_code, lambda case, now: rate(case, command, now=now)
    )


@router.post(
    "/cases/{tracking_code}/reopen",
    dependencies=[RATE_LIMITED],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ResidentCaseView,
    summary="Ask for a case to be handled again (once, after a dissatisfied rating).",
    responses={**_ACTION_RESPONSES},
)
async def post_reopen(
    tracking_code: str, command: ReopenCase, commands: Commands
) -> ResidentCaseView:
    return await _act_as_resident(
        commands, tracking_code, lambda case, now: reopen(case, command, now=now)
    )


@router.post(
    "/cases/{tracking_code}/messages",
    dependencies=[RATE_LIMITED],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ResidentCaseView,
    summary="Answer the station's question.",
    responses={**_ACTION_RESPONSES},
)
async def post_message(
    tracking_code: str, command: ReplyToStation, commands: Commands
) -> ResidentCaseView:
    message_id = "m" + uuid.uuid4().hex
    return await _act_as_resident(
        commands,
        tracking_code,
        lambda case, now: reply(case, command, now=now, message_id=message_id),
    )
