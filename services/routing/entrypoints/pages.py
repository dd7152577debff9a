"""The staff workbench pages: sign in, queue, case, inbox, directory admin.

Server-rendered forms that work without JavaScript; every page calls the same handlers and
repositories as the staff JSON API. The modules under services/routing/web/ hold the routes.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI

from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.template_repository import TemplateRepository
from services.routing.adapters.user_repository import UserRepository
from services.routing.settings import RoutingSettings
from services.routing.web import admin_pages, case_pages, inbox_pages, queue_pages, sign_in_pages
from services.routing.web.catalog import CATALOG
from services.routing.web.common import WEB, Workbench
from services.routing.web.inbox_client import InboxClient
from shared.outbox import OutboxRelay
from shared.web.pages import Pages, mount_static


def build_router(
    *,
    settings: RoutingSettings,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    users: UserRepository,
    templates: TemplateRepository,
    relay: OutboxRelay,
) -> APIRouter:
    workbench = Workbench(
        pages=Pages(templates=WEB / "templates", catalog=CATALOG),
        secret=settings.jwt_secret.get_secret_value(),
        timezone=ZoneInfo(settings.timezone),
        inbox=InboxClient(base_url=settings.notify_web_url),
        intake_web_url=settings.intake_web_url,
    )
    router = APIRouter(include_in_schema=False)
    router.include_router(
        sign_in_pages.build_router(workbench=workbench, users=users, settings=settings)
    )
    router.include_router(
        queue_pages.build_router(workbench=workbench, cases=cases, directory=directory)
    )
    router.include_router(
        case_pages.build_router(
            workbench=workbench,
            cases=cases,
            directory=directory,
            templates=templates,
            relay=relay,
        )
    )
    router.include_router(inbox_pages.build_router(workbench=workbench))
    router.include_router(
        admin_pages.build_router(workbench=workbench, directory=directory, relay=relay)
    )
    return router


def mount_workbench_static(app: FastAPI) -> None:
    mount_static(app, service="routing", directory=WEB / "static")
