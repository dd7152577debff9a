"""The staff API: sign in, see your queue, act on a case. Scope is checked on the server."""

# No `from __future__ import annotations`: FastAPI must see the local dependency alias.

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.routing.adapters.case_repository import RoutedCaseRepository, VersionConflict
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.oidc import OidcError, OidcVerifier
from services.routing.adapters.template_repository import (
    ResponseTemplate,
    TemplateIn,
    TemplateRepository,
)
from services.routing.adapters.user_repository import StaffUser, UserRepository
from services.routing.domain.sla import breached
from services.routing.domain.workflow import (
    ActionNotAllowed,
    Actor,
    Command,
    allowed_actions,
    can_see,
)
from services.routing.handlers import InvalidCommand, case_state, send_message, take_action
from shared.auth import Claims, claims_dependency, issue_token
from shared.logging import current_correlation_id, new_correlation_id
from shared.mongo import Document
from shared.outbox import OutboxRelay
from shared.settings import ServiceSettings


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class OidcSignIn(BaseModel):
    id_token: str = Field(min_length=10, max_length=8192)


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    role: str
    station: str | None
    representative_code: str | None
    department: str | None


class AuditEntry(BaseModel):
    at: datetime
    actor_role: str
    actor_id: str | None
    action: str
    from_status: str | None = Field(alias="from")
    to_status: str = Field(alias="to")
    note: str | None


class CaseSummary(BaseModel):
    case_id: str
    category: str
    status: str
    station_id: str
    representative_code: str | None
    transferred_to: str | None = None
    submitted_at: datetime
    updated_at: datetime
    accept_due: datetime | None = None
    respond_due: datetime | None = None
    overdue: list[str] = Field(
        default_factory=list, description="Deadlines passed now: accept, respond."
    )
    version: int


class CaseMessage(BaseModel):
    sender: Literal["station", "resident"] = Field(alias="from")
    by: str | None = None
    text: str
    at: datetime

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class NewMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(min_length=2, max_length=2000)


class CaseDetail(CaseSummary):
    text: str
    channel: str
    liaison_point_id: str | None
    reason: str = Field(description="Why the case reached its holder.")
    round: int
    reopen_count: int
    rating: str | None
    audit: list[AuditEntry]
    allowed_actions: list[str]
    messages: list[CaseMessage] = Field(default_factory=list)
    meetings: list[str] = Field(
        default_factory=list, description="Meetings that raised or discussed the case."
    )

    @field_validator("messages", mode="before")
    @classmethod
    def _in_order(cls, value: object) -> object:
        if isinstance(value, dict):
            return sorted(value.values(), key=lambda m: m["at"])
        return value


class Conflict(BaseModel):
    detail: str
    status: str
    allowed_actions: list[str]


def actor_from(claims: Claims) -> Actor:
    return Actor(
        role=claims.role,
        username=claims.sub,
        station_id=claims.station,
        representative_code=claims.representative_code,
        department_id=claims.department,
    )


def scope_query(actor: Actor) -> Document:
    """The cases an actor may list; the same rule as `can_see`, as a store query."""
    if actor.role in ("admin", "supervisor"):
        return {}
    if actor.role in ("staff", "station_head"):
        return {"station_id": actor.station_id}
    if actor.role == "representative":
        return {"representative_code": actor.representative_code or "-"}
    return {"transferred_to": actor.department_id or "-"}


def case_summary(document: Document) -> dict[str, Any]:
    sla = document.get("sla") or {}
    overdue = breached(
        status=document["status"],
        accept_due=sla.get("accept_due"),
        respond_due=sla.get("respond_due"),
        escalated=frozenset(),
        now=datetime.now(UTC),
    )
    return {
        "case_id": document["_id"],
        **document,
        "accept_due": sla.get("accept_due"),
        "respond_due": sla.get("respond_due"),
        "overdue": overdue,
    }


def token_for(user: StaffUser, *, settings: ServiceSettings) -> Token:
    """What a successful sign-in gives, by password or OIDC, API or pages."""
    token, expires = issue_token(
        secret=settings.jwt_secret.get_secret_value(),
        username=user.username,
        role=user.role,
        station=user.station,
        representative_code=user.representative_code,
        department=user.department,
        ttl=timedelta(minutes=settings.jwt_ttl_minutes),
    )
    return Token(
        access_token=token,
        expires_at=expires,
        role=user.role,
        station=user.station,
        representative_code=user.representative_code,
        department=user.department,
    )


def build_router(
    *,
    settings: ServiceSettings,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    users: UserRepository,
    relay: OutboxRelay,
    templates: TemplateRepository,
    oidc: OidcVerifier | None = None,
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["staff"])
    current: Any = claims_dependency(settings.jwt_secret.get_secret_value())
    CurrentClaims = Annotated[Claims, Depends(current)]

    @router.post(
        "/auth/token",
        response_model=Token,
        tags=["auth"],
        summary="Sign in with username and password; returns a short-lived token.",
        responses={401: {"description": "Wrong username or password."}},
    )
    async def sign_in(body: SignIn) -> Token:
        user = await users.authenticate(body.username, body.password)
        if user is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="wrong username or password")
        return token_for(user, settings=settings)

    @router.post(
        "/auth/oidc",
        response_model=Token,
        tags=["auth"],
        summary="Exchange the identity provider's ID token for a Minyi token.",
        responses={
            401: {"description": "Invalid ID token, or no active account for it."},
            404: {"description": "OIDC sign-in is not configured."},
            503: {"description": "The identity provider's keys are unreachable."},
        },
    )
    async def oidc_sign_in(body: OidcSignIn) -> Token:
        if oidc is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="OIDC sign-in is not configured")
        try:
            username = await oidc.username(body.id_token)
        except OidcError as exc:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, detail=f"invalid ID token: {exc}"
            ) from None
        except ConnectionError as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from None
        user = await users.active(username)
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, detail=f"no active Minyi account {username!r}"
            )
        return token_for(user, settings=settings)

    @router.get("/staff/me", response_model=Claims, tags=["auth"])
    async def me(claims: CurrentClaims) -> Claims:
        return claims

    @router.get(
        "/staff/cases",
        response_model=list[CaseSummary],
        summary="The cases the caller may see, newest change first.",
    )
    async def list_cases(
        claims: CurrentClaims,
        case_status: Annotated[str | None, Query(alias="status", max_length=32)] = None,
        mine: bool = Query(False, description="Representatives: only cases they hold."),
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[dict[str, Any]]:
        actor = actor_from(claims)
        query = scope_query(actor)
        if case_status:
            query["status"] = case_status
        if mine and actor.representative_code:
            query["representative_code"] = actor.representative_code
        return [case_summary(d) for d in await cases.list_cases(query, limit=limit)]

    @router.get(
        "/staff/cases/{case_id}",
        response_model=CaseDetail,
        summary="A case with its routing reason, audit trail and allowed actions.",
        responses={404: {"description": "No such case in the caller's scope."}},
    )
    async def get_case(case_id: str, claims: CurrentClaims) -> dict[str, Any]:
        actor = actor_from(claims)
        document = await cases.get(case_id)
        if document is None or not can_see(case_state(document), actor):
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such case")
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
                "or the case changed since the version given in If-Match.",
            },
        },
    )
    async def act(
        case_id: str,
        command: Command,
        claims: CurrentClaims,
        if_match: Annotated[int | None, Header(alias="If-Match", ge=1)] = None,
    ) -> Any:
        actor = actor_from(claims)
        try:
            document = await take_action(
                case_id=case_id,
                command=command,
                actor=actor,
                cases=cases,
                directory=directory,
                expected_version=if_match,
                templates=templates,
                correlation_id=current_correlation_id() or new_correlation_id(),
            )
        except ActionNotAllowed as exc:
            return JSONResponse(
                Conflict(
                    detail=str(exc), status=exc.status, allowed_actions=list(exc.allowed)
                ).model_dump(),
                status_code=status.HTTP_409_CONFLICT,
            )
        except VersionConflict:
            current_doc = await cases.get(case_id)
            state = case_state(current_doc) if current_doc else None
            return JSONResponse(
                Conflict(
                    detail="the case changed meanwhile; reload and try again",
                    status=state.status if state else "unknown",
                    allowed_actions=list(allowed_actions(state, actor)) if state else [],
                ).model_dump(),
                status_code=status.HTTP_409_CONFLICT,
            )
        except InvalidCommand as exc:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=[{"loc": ["body"], "field": "", "msg": str(exc), "type": "value_error"}],
            ) from None
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
    async def add_template(body: TemplateIn, claims: CurrentClaims) -> ResponseTemplate:
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
    async def ask_resident(case_id: str, body: NewMessage, claims: CurrentClaims) -> Any:
        actor = actor_from(claims)
        try:
            document = await send_message(
                case_id=case_id,
                text=body.text,
                actor=actor,
                cases=cases,
                correlation_id=current_correlation_id() or new_correlation_id(),
            )
        except InvalidCommand as exc:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=[{"loc": ["body"], "field": "", "msg": str(exc), "type": "value_error"}],
            ) from None
        except VersionConflict:
            raise HTTPException(
                status.HTTP_409_CONFLICT, detail="the case changed meanwhile; try again"
            ) from None
        relay.wake()
        return case_detail(document, actor)

    return router


def case_detail(document: Document, actor: Actor) -> dict[str, Any]:
    return {
        **case_summary(document),
        "allowed_actions": allowed_actions(case_state(document), actor),
    }
