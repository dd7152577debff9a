"""The duty record's pages: the whole record for those who may read it (the workbench's session
cookie, the same rule as `/v1/reports/representatives/{code}/record`), and its public part for
anyone, linked from the representative's QR page."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.reporting.domain.duty_record import public_record
from services.reporting.entrypoints.deps import PagesDep, ReadModelsDep, SettingsDep
from services.reporting.entrypoints.filters import parse_filters
from services.reporting.entrypoints.pages import SIGN_IN_PATH
from services.reporting.entrypoints.public_http import PUBLIC_CACHE
from services.reporting.handlers.reports.duty_record import (
    read_duty_record,
    representative_station,
)
from services.reporting.web.contexts import field_errors, preset_links
from services.reporting.web.duty_record import record_context
from shared.access import may_read_duty_record, reads_duty_records
from shared.web.i18n import pick_language
from shared.web.session import session_claims

router = APIRouter(include_in_schema=False)

CODE = re.compile(r"^[0-9A-Za-z]{2,16}$")


def public_path(code: str) -> str:
    return f"/transparency/representatives/{code}"


def staff_path(code: str) -> str:
    return f"/representatives/{code}/record"


async def _render(
    request: Request,
    read_models: ReadModelsDep,
    pages: PagesDep,
    *,
    code: str,
    public: bool,
    since: str | None,
    until: str | None,
    extra: dict[str, Any],
) -> HTMLResponse:
    lang = pick_language(request)
    day = read_models.today()
    path = public_path(code) if public else staff_path(code)
    filters, form = parse_filters(since=since, until=until, station="", today=day)
    record = None
    if filters is not None:
        form.since, form.until = filters.since.isoformat(), filters.until.isoformat()
        record = await read_duty_record(
            read_models, code=code, since=filters.since, until=filters.until
        )
        if record is None:
            return pages.render(request, "not_found.html", {"message": None}, status_code=404)
    context: dict[str, Any] = {
        "form": form,
        "errors": field_errors(form.errors, lang),
        "presets": preset_links(
            path,
            current=filters.preset(today=day) if filters else None,
            station=None,
            today=day,
        ),
        "action": path,
        "public": public,
        "record": None,
        "exports": [],
        "public_url": None,
        **extra,
    }
    if record is not None:
        shown = public_record(record) if public else record
        context.update(record_context(shown, lang))
        context["public_url"] = public_path(code)
    return pages.render(
        request,
        "duty_record.html",
        context,
        status_code=200 if filters else 422,
        private=not public,
    )


@router.get("/representatives/record")
async def find_duty_record(code: str = "") -> RedirectResponse:
    """The dashboard's "open a representative's record" form: a GET form cannot fill a path."""
    if not CODE.match(code.strip()):
        return RedirectResponse("/dashboard", status_code=303)
    return RedirectResponse(staff_path(code.strip()), status_code=303)


@router.get("/representatives/{code}/record", response_class=HTMLResponse)
async def duty_record_page(
    request: Request,
    code: str,
    read_models: ReadModelsDep,
    settings: SettingsDep,
    pages: PagesDep,
    since: str | None = None,
    until: str | None = None,
) -> Response:
    claims = await session_claims(request)
    if claims is None:
        return RedirectResponse(f"{settings.routing_web_url}{SIGN_IN_PATH}", status_code=303)
    if not reads_duty_records(claims):
        return pages.render(
            request, "not_found.html", {"message": "not_for_you_record"}, status_code=403
        )
    known, station = await representative_station(read_models, code)
    if not known or not may_read_duty_record(claims, code=code, station=station):
        return pages.render(request, "not_found.html", {"message": None}, status_code=404)
    return await _render(
        request,
        read_models,
        pages,
        code=code,
        public=False,
        since=since,
        until=until,
        extra={
            "exports": [
                (ext, f"/v1/reports/representatives/{code}/record.{ext}") for ext in ("csv", "xlsx")
            ]
        },
    )


@router.get("/transparency/representatives/{code}", response_class=HTMLResponse)
async def public_duty_record_page(
    request: Request,
    code: str,
    read_models: ReadModelsDep,
    settings: SettingsDep,
    pages: PagesDep,
    since: str | None = None,
    until: str | None = None,
) -> HTMLResponse:
    response = await _render(
        request,
        read_models,
        pages,
        code=code,
        public=True,
        since=since,
        until=until,
        extra={
            "intake_url": settings.intake_web_url.rstrip("/"),
            "form_url": f"{settings.intake_web_url.rstrip('/')}/r/{code}",
        },
    )
    if response.status_code == 200 and "set-cookie" not in response.headers:
        response.headers["Cache-Control"] = PUBLIC_CACHE
        response.headers["Vary"] = "Cookie"
    return response
