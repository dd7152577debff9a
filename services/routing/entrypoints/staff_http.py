"""The staff API: see your queue, act on a case, response templates, ask the resident. Scope is
checked on the server; errors are answered by entrypoints/errors.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter

from services.routing.adapters.case_repository import scope_query
from services.routing.adapters.template_repository import ResponseTemplate, TemplateIn
from services.routing.domain.follow_up import FollowUp, FollowUpNotAllowed
from services.routing.domain.supervision import InvalidDeadline, Supervise, SupervisionNotAllowed
from services.routing.domain.workflow import Command, OutOfScope, can_see
from services.routing.entrypoints.deps import (
    Cases,
    CorrelationId,
    CurrentActor,
    CurrentClaims,
    Directories,
    LocalZone,
    Relay,
    Templates,
)
from services.routing.entrypoints.schemas import CaseDetail, CaseSummary, Conflict, NewMessage
from services.routing.entrypoints.views import case_detail, case_summary, narrowed
from services.routing.handlers.common import case_state
from services.routing.handlers.follow_up import record_follow_up
from services.routing.handlers.messages import send_message
from services.routing.handlers.staff_actions import take_action
from services.routing.handlers.supervision import supervise_case
from shared.mongo import Document
from shared.pagination import PAGED_RESPONSE, CursorParam, cursor_key, page_of
from shared.preconditions import (
    ETAG_HEADER,
    ETAG_RESPONSE,
    NOT_MODIFIED_RESPONSE,
    IfMatch,
    IfNoneMatch,
    etag,
    matches_if_none_match,
)

router = APIRouter(prefix="/v1", tags=["staff"])

# A queue's cursor: the last case's (updated_at, case id).
_CASE_KEY: TypeAdapter[tuple[datetime, str]] = TypeAdapter(tuple[datetime, str])


@router.get(
    "/staff/cases",
    response_model=list[CaseSummary],
    summary="The cases the caller may see, newest change first; the next page's cursor is in "
    "the `Next-Cursor` header.",
    responses=PAGED_RESPONSE,
)
async def list_cases(
    actor: CurrentActor,
    cases: Cases,
    response: Response,
    cursor: CursorParam = None,
    case_status: Annotated[str | None, Query(alias="status", max_length=32)] = None,
    mine: bool = Query(False, description="Representatives: only cases they hold."),
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    station: Annotated[
        str | None, Query(max_length=64, description="Only this station's cases.")
    ] = None,
    representative: Annotated[
        str | None,
        Query(max_length=16, description="Only the cases this representative (a code) holds."),
    ] = None,
) -> list[dict[str, Any]]:
    scoped = scope_query(actor)
    if case_status:
        scoped["status"] = case_status
    if mine and actor.representative_code:
        scoped["representative_code"] = actor.representative_code
    # Narrower than the caller's scope, never wider: another station's cases stay unseen.
    query: Document | None = narrowed(scoped, "station_id", station) if station else scoped
    if representative and query is not None:
        query = narrowed(query, "representative_code", representative)
    after = cursor_key(cursor, _CASE_KEY)
    if query is None:
        return []
    found = await cases.list_cases(query, limit=limit + 1, after=after)
    page = page_of(found, limit=limit, key=lambda d: (d["updated_at"], d["_id"]))
    page.announce(response)
    return [case_summary(d) for d in page.items]


@router.get(
    "/staff/cases/{case_id}",
    response_model=CaseDetail,
    summary="A case with its routing reason, audit trail and allowed actions; its version is "
    "the `ETag`.",
    responses={
        **ETAG_RESPONSE,
        **NOT_MODIFIED_RESPONSE,
        404: {"description": "No such case in the caller's scope."},
    },
)
async def get_case(
    case_id: str,
    actor: CurrentActor,
    cases: Cases,
    response: Response,
    if_none_match: IfNoneMatch = None,
) -> Any:
    document = await cases.get(case_id)
    if document is None or not can_see(case_state(document), actor):
        raise OutOfScope(case_id)
    tag = etag(document["version"])
    if matches_if_none_match(if_none_match, document["version"]):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={ETAG_HEADER: tag})
    response.headers[ETAG_HEADER] = tag
    return case_detail(document, actor)


@router.post(
    "/staff/cases/{case_id}/actions",
    response_model=CaseDetail,
    summary="Take an action (accept, decline, approve, reject, merge, transfer, progress, "
    "respond, close, reassign, begin_review).",
    responses={
        403: {"description": "The caller's role may never take this action."},
        404: {"description": "No such case in the caller's scope."},
        409: {
            "model": Conflict,
            "description": "Not allowed in the case's current state, "
            "or the case kept changing under an action without If-Match.",
        },
        412: {
            "model": Conflict,
            "description": "The case changed since the version given in If-Match.",
        },
    },
)
async def act(
    case_id: str,
    command: Command,
    actor: CurrentActor,
    cases: Cases,
    directory: Directories,
    templates: Templates,
    relay: Relay,
    correlation_id: CorrelationId,
    if_match: IfMatch,
) -> Any:
    document = await take_action(
        case_id=case_id,
        command=command,
        actor=actor,
        cases=cases,
        directory=directory,
        expected_version=if_match,
        templates=templates,
        correlation_id=correlation_id,
    )
    relay.wake()
    return case_detail(document, actor)


@router.get(
    "/staff/templates",
    response_model=list[ResponseTemplate],
    tags=["templates"],
    summary="Response templates the caller's station may use.",
)
async def list_templates(
    claims: CurrentClaims,
    templates: Templates,
    category: Annotated[str | None, Query(max_length=64)] = None,
) -> list[ResponseTemplate]:
    return await templates.usable(station_id=claims.station, category=category)


@router.post(
    "/staff/templates",
    response_model=ResponseTemplate,
    tags=["templates"],
    status_code=status.HTTP_201_CREATED,
    summary="Add a template: a station head for the station, an admin city-wide.",
    responses={403: {"description": "Only station heads and admins."}},
)
async def add_template(
    body: TemplateIn, claims: CurrentClaims, templates: Templates
) -> ResponseTemplate:
    if claims.role not in ("station_head", "admin"):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="only station heads and admins add templates"
        )
    station = claims.station if claims.role == "station_head" else None
    return await templates.add(body, station_id=station, by=claims.sub, at=datetime.now(UTC))


@router.post(
    "/staff/cases/{case_id}/messages",
    response_model=CaseDetail,
    summary="Ask the resident a question; they answer from the tracking page.",
    responses={
        403: {"description": "Only the station and the holder write to residents."},
        404: {"description": "No such case in the caller's scope."},
        422: {"description": "Empty text, or the case is over."},
    },
)
async def ask_resident(
    case_id: str,
    body: NewMessage,
    actor: CurrentActor,
    cases: Cases,
    relay: Relay,
    correlation_id: CorrelationId,
) -> Any:
    document = await send_message(
        case_id=case_id, text=body.text, actor=actor, cases=cases, correlation_id=correlation_id
    )
    relay.wake()
    return case_detail(document, actor)


@router.post(
    "/staff/cases/{case_id}/supervisions",
    response_model=CaseDetail,
    status_code=status.HTTP_201_CREATED,
    tags=["supervision"],
    summary="Supervise (督办) an open case: a reason and a deadline to answer it by.",
    responses={
        403: {"description": "Only supervisors and admins supervise."},
        404: {"description": "No such case."},
        409: {"description": "The case is not open (already answered, closed or withdrawn)."},
        422: {"description": "The deadline is past or more than 90 days ahead."},
    },
)
async def supervise(
    case_id: str,
    body: Supervise,
    actor: CurrentActor,
    cases: Cases,
    relay: Relay,
    timezone: LocalZone,
    correlation_id: CorrelationId,
    if_match: IfMatch,
) -> Any:
    try:
        document = await supervise_case(
            case_id=case_id,
            command=body,
            actor=actor,
            cases=cases,
            timezone=timezone,
            correlation_id=correlation_id,
            expected_version=if_match,
        )
    except SupervisionNotAllowed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    except InvalidDeadline as exc:
        # The shared 422 shape: a field-level message, like a deadline the model refused.
        raise RequestValidationError(
            [
                {
                    "loc": ("body", "deadline"),
                    "msg": str(exc),
                    "type": "value_error",
                    "input": str(body.deadline),
                }
            ]
        ) from exc
    relay.wake()
    return case_detail(document, actor)


@router.post(
    "/staff/cases/{case_id}/follow-up",
    response_model=CaseDetail,
    status_code=status.HTTP_201_CREATED,
    tags=["follow-up"],
    summary="Record a follow-up call (回访): the rating a resident gave by phone or in person.",
    responses={
        403: {"description": "Only the case's station records follow-ups."},
        404: {"description": "No such case in the caller's scope."},
        409: {"description": "Not answered yet, rated by the resident, or followed up already."},
    },
)
async def follow_up(
    case_id: str,
    body: FollowUp,
    actor: CurrentActor,
    cases: Cases,
    relay: Relay,
    correlation_id: CorrelationId,
    if_match: IfMatch,
) -> Any:
    try:
        document = await record_follow_up(
            case_id=case_id,
            command=body,
            actor=actor,
            cases=cases,
            correlation_id=correlation_id,
            expected_version=if_match,
        )
    except FollowUpNotAllowed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    relay.wake()
    return case_detail(document, actor)
