"""What routing's routes depend on, in one place: `Annotated` aliases that read from the
`Container` app.py puts on `app.state.container`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Request, status

from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.house_repository import HouseRepository
from services.routing.adapters.meeting_repository import MeetingRepository
from services.routing.adapters.oidc import OidcVerifier
from services.routing.adapters.suggestion_repository import SuggestionRepository
from services.routing.adapters.template_repository import TemplateRepository
from services.routing.adapters.user_repository import UserRepository
from services.routing.domain.sla import SlaRules
from services.routing.domain.workflow import Actor
from services.routing.entrypoints.workbench import Workbench
from services.routing.handlers.sign_in import SignInThrottle
from services.routing.settings import RoutingSettings
from shared.auth import Claims, current_claims
from shared.auth import CurrentClaims as CurrentClaims
from shared.logging import current_correlation_id, new_correlation_id
from shared.openapi import answers
from shared.outbox import OutboxRelay


@dataclass(frozen=True)
class Container:
    """What the routes, pages, consumer and scheduler use, built once by app.py."""

    settings: RoutingSettings
    cases: RoutedCaseRepository
    directory: DirectoryRepository
    users: UserRepository
    templates: TemplateRepository
    meetings: MeetingRepository
    suggestions: SuggestionRepository
    relay: OutboxRelay
    houses: HouseRepository
    sla: SlaRules
    oidc: OidcVerifier | None
    workbench: Workbench
    sign_in_throttle: SignInThrottle


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


# The dependencies are coroutines: FastAPI would run plain functions in a thread.


async def _settings(request: Request) -> RoutingSettings:
    return container(request).settings


async def _cases(request: Request) -> RoutedCaseRepository:
    return container(request).cases


async def _directory(request: Request) -> DirectoryRepository:
    return container(request).directory


async def _users(request: Request) -> UserRepository:
    return container(request).users


async def _templates(request: Request) -> TemplateRepository:
    return container(request).templates


async def _meetings(request: Request) -> MeetingRepository:
    return container(request).meetings


async def _suggestions(request: Request) -> SuggestionRepository:
    return container(request).suggestions


async def _houses(request: Request) -> HouseRepository:
    return container(request).houses


async def _relay(request: Request) -> OutboxRelay:
    return container(request).relay


async def _oidc(request: Request) -> OidcVerifier | None:
    return container(request).oidc


async def _workbench(request: Request) -> Workbench:
    return container(request).workbench


async def _sign_in_throttle(request: Request) -> SignInThrottle:
    return container(request).sign_in_throttle


async def _timezone(request: Request) -> ZoneInfo:
    return container(request).workbench.timezone


async def correlation_id() -> str:
    """The request's correlation id (set by the runtime's middleware), or a new one."""
    return current_correlation_id() or new_correlation_id()


def actor_from(claims: Claims) -> Actor:
    return Actor(
        role=claims.role,
        username=claims.sub,
        station_id=claims.station,
        representative_code=claims.representative_code,
        department_id=claims.department,
    )


async def _actor(claims: Annotated[Claims, Depends(current_claims)]) -> Actor:
    return actor_from(claims)


@answers(403, "Admins only.")
async def _admin(claims: Annotated[Claims, Depends(current_claims)]) -> Claims:
    if claims.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="admins only")
    return claims


Settings = Annotated[RoutingSettings, Depends(_settings)]
Cases = Annotated[RoutedCaseRepository, Depends(_cases)]
Directories = Annotated[DirectoryRepository, Depends(_directory)]
Users = Annotated[UserRepository, Depends(_users)]
Templates = Annotated[TemplateRepository, Depends(_templates)]
Meetings = Annotated[MeetingRepository, Depends(_meetings)]
Suggestions = Annotated[SuggestionRepository, Depends(_suggestions)]
Houses = Annotated[HouseRepository, Depends(_houses)]
Relay = Annotated[OutboxRelay, Depends(_relay)]
Oidc = Annotated[OidcVerifier | None, Depends(_oidc)]
Pages = Annotated[Workbench, Depends(_workbench)]
Throttle = Annotated[SignInThrottle, Depends(_sign_in_throttle)]
LocalZone = Annotated[ZoneInfo, Depends(_timezone)]
CorrelationId = Annotated[str, Depends(correlation_id)]
CurrentActor = Annotated[Actor, Depends(_actor)]
AdminClaims = Annotated[Claims, Depends(_admin)]
