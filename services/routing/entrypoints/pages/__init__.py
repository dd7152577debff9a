"""The staff workbench pages: sign in, queue, case, inbox, directory admin.

Server-rendered forms that work without JavaScript; every page calls the same handlers and
repositories as the staff JSON API. Templates, strings and pure view helpers live in
services/routing/web/.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from services.routing.entrypoints.pages.admin import router as admin_pages
from services.routing.entrypoints.pages.case import router as case_pages
from services.routing.entrypoints.pages.houses import router as house_pages
from services.routing.entrypoints.pages.inbox import router as inbox_pages
from services.routing.entrypoints.pages.meetings import router as meeting_pages
from services.routing.entrypoints.pages.queue import router as queue_pages
from services.routing.entrypoints.pages.sign_in import router as sign_in_pages
from services.routing.entrypoints.pages.suggestions import router as suggestion_pages
from services.routing.entrypoints.pages.supervision import router as supervision_pages
from services.routing.web.views import WEB
from shared.web.pages import mount_static

router = APIRouter(include_in_schema=False)
router.include_router(sign_in_pages)
router.include_router(queue_pages)
router.include_router(case_pages)
router.include_router(supervision_pages)
router.include_router(suggestion_pages)
router.include_router(meeting_pages)
router.include_router(house_pages)
router.include_router(inbox_pages)
router.include_router(admin_pages)


def mount_workbench_static(app: FastAPI) -> None:
    mount_static(app, service="routing", directory=WEB / "static")
