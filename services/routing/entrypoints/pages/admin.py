"""Directory admin for admins: the lists, and forms for representatives and categories.

Saving goes through the same handler as the admin JSON API (`put_directory_entry`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from services.routing.domain.directory import Directory, find_representatives
from services.routing.entrypoints.deps import Directories, Pages, Relay
from services.routing.entrypoints.workbench import Workbench
from services.routing.handlers.directory import (
    DirectoryNotLoaded,
    InvalidEntry,
    put_directory_entry,
)
from services.routing.web.forms import ADMIN_FORMS, LEVELS, directory_entry, field_errors
from services.routing.web.views import ADMIN_PATH, SEARCH_MAX, one_page, point_groups
from shared.auth import Claims

router = APIRouter(include_in_schema=False)


async def _admin_only(request: Request, workbench: Workbench) -> Claims | Response:
    """The admin's claims, or the answer for anyone else."""
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    if claims.role != "admin":
        return await workbench.forbidden(request, claims)
    return claims


async def _render_form(
    request: Request,
    workbench: Workbench,
    claims: Claims,
    snapshot: Directory,
    kind: str,
    entry: dict[str, Any],
    *,
    is_new: bool,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return await workbench.render(
        request,
        claims,
        ADMIN_FORMS[kind][1],
        {
            "nav_current": "admin",
            "directory": snapshot,
            "entry": entry,
            "point_groups": point_groups(snapshot, entry),
            "is_new": is_new,
            "levels": LEVELS,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get(ADMIN_PATH)
async def overview(request: Request, workbench: Pages, directory: Directories) -> Response:
    claims = await _admin_only(request, workbench)
    if not isinstance(claims, Claims):
        return claims
    params = request.query_params
    saved = params.get("saved")
    snapshot = await directory.load()
    # The city's 1,027 representatives: a page at a time, found by name or code and station.
    text = (params.get("q") or "").strip()[:SEARCH_MAX]
    station = params.get("station") or ""
    if snapshot is None or snapshot.station(station) is None:
        station = ""
    found = find_representatives(snapshot, text=text, station=station or None) if snapshot else []
    shown, page, pages = one_page(found, params.get("page"))
    kept = {name: value for name, value in (("q", text), ("station", station)) if value}

    def page_url(number: int) -> str:
        return f"{ADMIN_PATH}?{urlencode({**kept, 'page': number})}"

    return await workbench.render(
        request,
        claims,
        "admin.html",
        {
            "nav_current": "admin",
            "directory": snapshot,
            "notice": workbench.text(request, "saved", name=saved) if saved else None,
            "reps": shown,
            "reps_total": len(found),
            "search_text": text,
            "chosen_station": station,
            "page": page,
            "pages": pages,
            "page_url": page_url,
        },
    )


@router.get(ADMIN_PATH + "/{kind}/{key}")
async def edit_form(
    request: Request, kind: str, key: str, workbench: Pages, directory: Directories
) -> Response:
    claims = await _admin_only(request, workbench)
    if not isinstance(claims, Claims):
        return claims
    snapshot = await directory.load()
    if kind not in ADMIN_FORMS or snapshot is None:
        return await workbench.not_found(request, claims)
    if key == "new":
        return await _render_form(
            request, workbench, claims, snapshot, kind, {"active": True}, is_new=True
        )
    existing = next((e for e in getattr(snapshot, kind) if e.code == key), None)
    if existing is None:
        return await workbench.not_found(request, claims)
    return await _render_form(
        request, workbench, claims, snapshot, kind, existing.model_dump(mode="json"), is_new=False
    )


@router.post(ADMIN_PATH + "/{kind}")
async def save(
    request: Request, kind: str, workbench: Pages, directory: Directories, relay: Relay
) -> Response:
    claims = await _admin_only(request, workbench)
    if not isinstance(claims, Claims):
        return claims
    form = await request.form()
    if not workbench.csrf_ok(request, form.get("csrf")):
        return await workbench.forbidden(request, claims, reason="csrf_failed")
    snapshot = await directory.load()
    if kind not in ADMIN_FORMS or snapshot is None:
        return await workbench.not_found(request, claims)
    entry = directory_entry(kind, form)
    try:
        await put_directory_entry(kind=ADMIN_FORMS[kind][0], entry=entry, directory=directory)
    except DirectoryNotLoaded:
        return await workbench.not_found(request, claims)
    except InvalidEntry as exc:
        errors = field_errors(exc.error, workbench.texts(request), skip=2)
        return await _render_form(
            request,
            workbench,
            claims,
            snapshot,
            kind,
            entry,
            is_new=form.get("is_new") == "1",
            errors=errors,
            status_code=422,
        )
    relay.wake()
    return RedirectResponse(f"{ADMIN_PATH}?saved={entry['code']}", status_code=303)
