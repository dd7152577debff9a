"""The queue: the cases the signed-in user works on, filtered, as cards that fit a phone."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.routing.adapters.case_repository import scope_query
from services.routing.entrypoints.deps import Cases, Directories, Pages, actor_from
from services.routing.entrypoints.schemas import CaseSummary
from services.routing.entrypoints.views import case_summary, narrowed
from services.routing.web.views import (
    FETCH_LIMIT,
    HOME_PATH,
    STATUSES,
    WAITING,
    QueueFilters,
    one_page,
    queue_title,
    representative_codes,
)
from shared.mongo import Document

router = APIRouter(include_in_schema=False)
# The roles whose queue spans stations.
CITY_WIDE = ("admin", "supervisor", "department")


@router.get(HOME_PATH)
async def queue(
    request: Request, workbench: Pages, cases: Cases, directory: Directories
) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    params = request.query_params
    snapshot = await directory.load()
    categories = list(snapshot.categories) if snapshot else []
    stations = list(snapshot.stations) if snapshot else []
    filters = QueueFilters.of(
        params, categories={c.code for c in categories}, stations={s.id for s in stations}
    )

    scoped: Document = scope_query(actor_from(claims))
    if filters.status == "open":
        scoped["status"] = {"$in": list(WAITING)}
    elif filters.status != "any":
        scoped["status"] = filters.status
    if filters.category:
        scoped["category"] = filters.category
    # A city's queue: one station's, or one representative's found by name or code. None:
    # the filters contradict the reader's scope, nothing to list.
    query = narrowed(scoped, "station_id", filters.station) if filters.station else scoped
    unmatched = None
    if filters.representative and query is not None:
        codes = representative_codes(
            snapshot,
            filters.representative,
            station=query.get("station_id") if isinstance(query.get("station_id"), str) else None,
        )
        if not codes:
            unmatched = workbench.text(
                request, "representative_unknown", text=filters.representative
            )
        query = narrowed(query, "representative_code", codes)
    documents = await cases.list_cases(query, limit=FETCH_LIMIT) if query is not None else []
    rows = [CaseSummary.model_validate(case_summary(d)) for d in documents]
    texts = {d["_id"]: str(d.get("text") or "") for d in documents}
    if filters.overdue_only:
        rows = [row for row in rows if row.overdue]
    shown, page, pages = one_page(rows, params.get("page"))
    kept = filters.kept()

    def page_url(number: int) -> str:
        return f"{HOME_PATH}?{urlencode({**kept, 'page': number})}"

    names = {
        c.code: (c.name if workbench.language(request) == "zh" else c.name_en) for c in categories
    }
    return await workbench.render(
        request,
        claims,
        "queue.html",
        {
            "nav_current": "queue",
            "title_key": queue_title(claims.role),
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
            "chosen_status": filters.status,
            "chosen_category": filters.category,
            "overdue_only": filters.overdue_only,
            # Only readers who see several stations choose one; representatives see their own.
            "stations": stations if claims.role in CITY_WIDE else [],
            "chosen_station": filters.station,
            "representative_search": claims.role != "representative",
            "chosen_representative": filters.representative,
            "problem": unmatched,
        },
    )
