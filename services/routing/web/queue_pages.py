"""The queue: the cases the signed-in user works on, filtered, as cards that fit a phone."""

from __future__ import annotations

from typing import Any, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.routing.adapters.case_repository import OPEN_STATUSES, RoutedCaseRepository
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.workflow import Status
from services.routing.entrypoints.staff_http import (
    CaseSummary,
    actor_from,
    case_summary,
    scope_query,
)
from services.routing.web.common import HOME_PATH, Workbench
from shared.auth import Claims
from shared.mongo import Document

PAGE_SIZE = 20
# The API's own ceiling for one listing; filters narrow a station's queue below it.
FETCH_LIMIT = 500
STATUSES: tuple[str, ...] = get_args(Status)
# "Open" in the queue includes responded cases: they still wait for staff to close them.
WAITING = (*OPEN_STATUSES, "responded")


def queue_title(claims: Claims) -> str:
    if claims.role == "representative":
        return "queue_title_mine"
    if claims.role == "department":
        return "queue_title_department"
    if claims.role in ("staff", "station_head"):
        return "queue_title_station"
    return "queue_title_all"


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or "1"))
    except ValueError:
        return 1


def build_router(
    *, workbench: Workbench, cases: RoutedCaseRepository, directory: DirectoryRepository
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get(HOME_PATH)
    async def queue(request: Request) -> Response:
        claims = workbench.claims(request)
        if claims is None:
            return workbench.to_sign_in(request)
        params = request.query_params
        snapshot = await directory.load()
        categories = list(snapshot.categories) if snapshot else []
        chosen_status = params.get("status") or "open"
        if chosen_status not in (*STATUSES, "open", "any"):
            chosen_status = "open"
        chosen_category = params.get("category") or ""
        if chosen_category not in {c.code for c in categories}:
            chosen_category = ""
        overdue_only = params.get("overdue") == "1"

        query: Document = scope_query(actor_from(claims))
        if chosen_status == "open":
            query["status"] = {"$in": list(WAITING)}
        elif chosen_status != "any":
            query["status"] = chosen_status
        if chosen_category:
            query["category"] = chosen_category
        documents = await cases.list_cases(query, limit=FETCH_LIMIT)
        rows = [CaseSummary.model_validate(case_summary(d)) for d in documents]
        texts = {d["_id"]: str(d.get("text") or "") for d in documents}
        if overdue_only:
            rows = [row for row in rows if row.overdue]

        pages = max(1, -(-len(rows) // PAGE_SIZE))
        page = min(_page_number(params.get("page")), pages)
        shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        kept: dict[str, Any] = {
            "status": chosen_status,
            "category": chosen_category,
            **({"overdue": "1"} if overdue_only else {}),
        }

        def page_url(number: int) -> str:
            return f"{HOME_PATH}?{urlencode({**kept, 'page': number})}"

        names = {
            c.code: (c.name if workbench.language(request) == "zh" else c.name_en)
            for c in categories
        }
        return await workbench.render(
            request,
            claims,
            "queue.html",
            {
                "nav_current": "queue",
                "title_key": queue_title(claims),
                "rows": shown,
                "texts": texts,
                "total": len(rows),
                "capped": len(documents) == FETCH_LIMIT,
                "fetch_limit": FETCH_LIMIT,
                "page": page,
                "pages": pages,
                "page_url": page_url,
                "statuses": STATUSES,
                "categories": categories,
                "category_names": names,
                "chosen_status": chosen_status,
                "chosen_category": chosen_category,
                "overdue_only": overdue_only,
            },
        )

    return router
