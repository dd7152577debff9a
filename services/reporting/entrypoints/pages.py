"""reporting's pages: the dashboard (city-wide or one station) and the public figures.

Both read the same figures as the JSON API, through the read side (`handlers/reports`). The
dashboard is for the signed-in (the workbench's session cookie), like `/v1/reports/*`: station
staff see their own station's figures only, supervisors and admins any station or the city.
The public page carries only what `/v1/public/transparency` carries and may be cached.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.reporting.entrypoints.deps import PagesDep, ReadModelsDep, SettingsDep
from services.reporting.entrypoints.filters import parse_filters
from services.reporting.entrypoints.public_http import PUBLIC_CACHE
from services.reporting.handlers.reports.dashboard import dashboard as read_dashboard
from services.reporting.handlers.reports.dashboard import station_directory
from services.reporting.handlers.reports.public import public_figures
from services.reporting.web.contexts import (
    dashboard_context,
    field_errors,
    preset_links,
    station_options,
    transparency_context,
)
from shared.access import CITY_WIDE, reads_figures
from shared.web.i18n import pick_language
from shared.web.session import session_claims

router = APIRouter(include_in_schema=False)

# The workbench's sign-in page (routing); the session cookie it sets is read here too.
SIGN_IN_PATH = "/staff/sign-in"
NOT_FOR_YOU = (
    '<!doctype html><html lang="zh"><meta charset="utf-8"><title>民意</title>'
    "<p>统计看板仅向联络站工作人员、督查人员和管理员开放。</p>"
    "<p>The dashboard is for station staff, supervisors and admins.</p></html>"
)


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    read_models: ReadModelsDep,
    settings: SettingsDep,
    pages: PagesDep,
    since: str | None = None,
    until: str | None = None,
    station: str | None = None,
) -> Response:
    lang = pick_language(request)
    day = read_models.today()
    claims = await session_claims(request)
    if claims is None:
        return RedirectResponse(f"{settings.routing_web_url}{SIGN_IN_PATH}", status_code=303)
    if not reads_figures(claims):
        return HTMLResponse(NOT_FOR_YOU, status_code=403)
    own_station = None if claims.role in CITY_WIDE else claims.station
    filters, form = parse_filters(
        since=since, until=until, station=station, today=day, default_station=own_station
    )
    board = None
    if filters is not None:
        # The inputs show the period in force, typed or by default.
        form.since, form.until = filters.since.isoformat(), filters.until.isoformat()
        wanted = filters.station
        if own_station is not None and wanted not in (None, own_station):
            # Another station's figures do not exist for station staff: as if unknown.
            form.errors["station"] = "error_unknown_station"
        else:
            board = await read_dashboard(
                read_models,
                since=filters.since,
                until=filters.until,
                station_id=own_station or wanted,
            )
            if wanted and wanted != own_station and not board.knows_station(wanted):
                form.errors["station"] = "error_unknown_station"
                board = None
    directory = board.station_directory if board else await station_directory(read_models)
    context: dict[str, Any] = {
        "form": form,
        "errors": field_errors(form.errors, lang),
        "station_options": station_options(
            directory, board=board, own_station=own_station, lang=lang
        ),
        "presets": preset_links(
            "/dashboard",
            current=filters.preset(today=day) if filters else None,
            station=None if "station" in form.errors else form.station,
            today=day,
        ),
        "board": board,
        "public_url": "/transparency",
    }
    if board is not None:
        context.update(dashboard_context(board, lang))
    return pages.render(request, "dashboard.html", context, status_code=200 if board else 422)


@router.get("/transparency", response_class=HTMLResponse)
async def transparency(
    request: Request,
    read_models: ReadModelsDep,
    settings: SettingsDep,
    pages: PagesDep,
    since: str | None = None,
    until: str | None = None,
) -> HTMLResponse:
    lang = pick_language(request)
    day = read_models.today()
    filters, form = parse_filters(since=since, until=until, station="", today=day)
    context: dict[str, Any] = {
        "form": form,
        "errors": field_errors(form.errors, lang),
        "presets": preset_links(
            "/transparency",
            current=filters.preset(today=day) if filters else None,
            station=None,
            today=day,
        ),
        "intake_url": settings.intake_web_url.rstrip("/"),
        "figures": None,
    }
    if filters is not None:
        form.since, form.until = filters.since.isoformat(), filters.until.isoformat()
        found = await public_figures(read_models, since=filters.since, until=filters.until)
        context.update(
            transparency_context(found.figures, found.sentence, found.station_directory, lang)
        )
    response = pages.render(
        request,
        "transparency.html",
        context,
        status_code=200 if filters else 422,
        private=False,
    )
    # A response that sets the language cookie is one person's, not for shared caches.
    if filters is not None and "set-cookie" not in response.headers:
        response.headers["Cache-Control"] = PUBLIC_CACHE
        # The language comes from ?lang= or a cookie, so caches must keep them apart.
        response.headers["Vary"] = "Cookie"
    return response
