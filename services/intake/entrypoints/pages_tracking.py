"""The resident's tracking page (`/t/<code>`) and what they do on it: rate, reopen, reply."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from services.intake.adapters.case_repository import CaseRepository
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.errors import CaseNotFound
from services.intake.domain.resident_actions import (
    ActionRefused,
    RateCase,
    ReopenCase,
    ReplyToStation,
    rate,
    reopen,
    reply,
)
from services.intake.domain.tracking import normalize_tracking_code
from services.intake.entrypoints.deps import Cases, Directory, FormPost, FormPostDeps, Settings
from services.intake.entrypoints.pages import PAGES, form_text, not_found, over_rate
from services.intake.entrypoints.schemas import resident_view
from services.intake.settings import IntakeSettings
from services.intake.web.forms import Errors, Message, parse_action
from services.intake.web.qr import qr_svg
from services.intake.web.views import (
    DONE_NOTICES,
    RATINGS,
    STATUS_TONE,
    code_groups,
    data_uri,
    localized,
    when,
)
from shared.events.case_events import CaseAction
from shared.mongo import Document
from shared.web.i18n import pick_language

Decide = Callable[[Any, CaseSnapshot, datetime], CaseAction]

router = APIRouter(include_in_schema=False)


@router.get("/t")
async def lookup(request: Request, code: str | None = None) -> Response:
    if code is None:
        return PAGES.render(request, "lookup.html", {"errors": {}, "code": ""})
    canonical = normalize_tracking_code(code)
    if canonical is None:
        return PAGES.render(
            request,
            "lookup.html",
            {"errors": {"code": Message("error.code")}, "code": code},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return RedirectResponse(f"/t/{canonical}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/t/{tracking_code}")
async def track(
    request: Request,
    tracking_code: str,
    cases: Cases,
    directory: Directory,
    settings: Settings,
) -> Response:
    code, document = await _case_by_code(cases, tracking_code)
    if document is None or code is None:
        return not_found(request, about="case", code=tracking_code)
    if code != tracking_code:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/t/{code}{query}", status_code=status.HTTP_303_SEE_OTHER)
    return await _tracking_page(request, document, directory=directory, settings=settings)


@router.post("/t/{tracking_code}/rating")
async def post_rating(request: Request, tracking_code: str, post: FormPost) -> Response:
    return await _act(
        request,
        tracking_code,
        model=RateCase,
        fields={"rating": "rating", "comment": "comment"},
        decide=lambda command, case, now: rate(case, command, now=now),
        done="rated",
        post=post,
    )


@router.post("/t/{tracking_code}/reopen")
async def post_reopen(request: Request, tracking_code: str, post: FormPost) -> Response:
    return await _act(
        request,
        tracking_code,
        model=ReopenCase,
        fields={"reason": "reason"},
        decide=lambda command, case, now: reopen(case, command, now=now),
        done="reopened",
        post=post,
    )


@router.post("/t/{tracking_code}/reply")
async def post_reply(request: Request, tracking_code: str, post: FormPost) -> Response:
    message_id = "m" + uuid.uuid4().hex
    return await _act(
        request,
        tracking_code,
        model=ReplyToStation,
        fields={"text": "reply"},
        decide=lambda command, case, now: reply(case, command, now=now, message_id=message_id),
        done="replied",
        post=post,
    )


async def _case_by_code(cases: CaseRepository, raw: str) -> tuple[str | None, Document | None]:
    code = normalize_tracking_code(raw)
    return code, (await cases.with_surviving(await cases.by_tracking_code(code)) if code else None)


async def _tracking_page(
    request: Request,
    document: Document,
    *,
    directory: DirectoryCopy,
    settings: IntakeSettings,
    errors: Errors | None = None,
    values: Mapping[str, str] | None = None,
    refused: bool = False,
    status_code: int = 200,
) -> Response:
    language = pick_language(request)
    view = resident_view(document, now=datetime.now(UTC))
    code = view.tracking_code
    category = await directory.entry("category", view.category)
    station = await directory.entry("station", view.station.id) if view.station else None
    new = request.query_params.get("new") == "1"
    done = request.query_params.get("done")
    tracking_url = f"{settings.public_base_url.rstrip('/')}/t/{code}"
    return PAGES.render(
        request,
        "tracking.html",
        {
            "view": view,
            "code_groups": code_groups(code),
            "category": localized(category, language) or view.category,
            "station": localized(station, language) or (view.station and view.station.name),
            "tone": STATUS_TONE.get(view.status, ""),
            "when": partial(when, zone=settings.zone),
            "new": new,
            "qr": data_uri(qr_svg(tracking_url)) if new else None,
            "done": done if done in DONE_NOTICES and not errors else None,
            "ratings": RATINGS,
            "errors": errors or {},
            "values": values or {},
            "refused": refused,
        },
        status_code=status_code,
    )


async def _act(
    request: Request,
    tracking_code: str,
    *,
    model: type[BaseModel],
    fields: Mapping[str, str],
    decide: Decide,
    done: str,
    post: FormPostDeps,
) -> Response:
    cases = post.commands.cases
    code, document = await _case_by_code(cases, tracking_code)
    if document is None or code is None:
        return not_found(request, about="case", code=tracking_code)
    busy = await over_rate(request, post.limit)
    if busy is not None:
        return busy
    data = await request.form(max_files=0)
    values = {name: form_text(data, name) for name in fields.values()}
    parsed = parse_action(
        model,
        {field: values[name].strip() or None for field, name in fields.items()},
        fields=fields,
    )
    if isinstance(parsed, dict):
        return await _tracking_page(
            request,
            document,
            directory=post.directory,
            settings=post.settings,
            errors=parsed,
            values=values,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    command = parsed
    now = datetime.now(UTC)
    try:
        await post.commands.act_as_resident(code, lambda case: decide(command, case, now), now=now)
    except CaseNotFound:
        return not_found(request, about="case", code=tracking_code)
    except ActionRefused:
        latest = await cases.with_surviving(await cases.by_tracking_code(code)) or document
        return await _tracking_page(
            request,
            latest,
            directory=post.directory,
            settings=post.settings,
            refused=True,
            status_code=status.HTTP_409_CONFLICT,
        )
    return RedirectResponse(f"/t/{code}?done={done}", status_code=status.HTTP_303_SEE_OTHER)
