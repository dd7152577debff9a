"""The resident's pages: the QR landing form, the confirmation, tracking, rating and reopening.

Plain forms that work without JavaScript (POST → 303 → GET). They call the same handlers and
domain models as the JSON API; a refused form comes back with field-level messages (422), an
unknown representative or tracking code is a friendly 404 page.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from starlette.datastructures import FormData, UploadFile

from services.intake.adapters.case_repository import IdempotencyConflict, request_fingerprint
from services.intake.domain.cases import CaseSnapshot
from services.intake.domain.qr import LEVEL_LABELS, qr_svg
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
from services.intake.entrypoints.http import IntakeDeps, resident_view
from services.intake.handlers import CaseNotFound, UnknownReference, resident_action, submit_case
from services.intake.settings import IntakeSettings
from services.intake.web.catalog import CATALOG
from services.intake.web.forms import (
    Errors,
    Message,
    Photo,
    SubmissionForm,
    parse_action,
    parse_submission,
)
from shared.events.case_events import CaseAction
from shared.logging import current_correlation_id, new_correlation_id
from shared.mongo import Document
from shared.web.i18n import Language, pick_language
from shared.web.pages import Pages, mount_static

WEB = Path(__file__).resolve().parents[1] / "web"
MAX_FILE_PARTS: Final = 20  # more than the photo limit, so a fifth photo gets a field message
DONE_NOTICES: Final = frozenset({"rated", "reopened", "replied"})
_RATINGS: Final = ("satisfied", "basically_satisfied", "dissatisfied")
_STATUS_TONE: Final = {
    "responded": "ok",
    "closed": "ok",
    "rejected": "bad",
    "declined": "warn",
    "reopened": "warn",
}

Decide = Callable[[CaseSnapshot, datetime], CaseAction]


def mount_pages(app: FastAPI, *, deps: IntakeDeps, settings: IntakeSettings) -> None:
    app.include_router(build_pages_router(deps=deps, settings=settings))
    mount_static(app, service="intake", directory=WEB / "static")


def build_pages_router(*, deps: IntakeDeps, settings: IntakeSettings) -> APIRouter:
    pages = Pages(templates=WEB / "templates", catalog=CATALOG)
    zone = ZoneInfo(settings.timezone)
    router = APIRouter(include_in_schema=False)

    def when(moment: datetime) -> dict[str, str]:
        local = moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=UTC)
        return {"iso": moment.isoformat(), "text": local.strftime("%Y-%m-%d %H:%M")}

    def localized(entry: Mapping[str, Any] | None, language: Language) -> str | None:
        if entry is None:
            return None
        name = entry.get("name_en") if language == "en" else None
        return str(name or entry.get("name") or "")

    async def active(kind: Any, key: str) -> Document | None:
        entry = await deps.directory.entry(kind, key)
        return entry if entry is not None and entry.get("active", True) else None

    async def representative_card(code: str, language: Language) -> dict[str, str] | None:
        entry = await active("representative", code)
        if entry is None:
            return None
        level = entry.get("level", "")
        station = await deps.directory.entry("station", str(entry.get("station", "")))
        return {
            "code": str(entry["code"]),
            "name": str(entry["name"]),
            "level": f"level.{level}" if level in LEVEL_LABELS else "level.other",
            "station": localized(station, language) or "",
        }

    async def categories(language: Language) -> list[dict[str, str]]:
        listed = [
            {"code": str(c["code"]), "label": localized(c, language) or str(c["code"])}
            for c in await deps.directory.entries("category")
            if c.get("active", True)
        ]
        # "Other" is the fallback, so it comes last whatever its code sorts as.
        return sorted(listed, key=lambda c: c["code"] == "other")

    async def over_rate(request: Request) -> Response | None:
        """The JSON API's limit, answered as a page."""
        try:
            await deps.limit(request)
        except HTTPException as exc:
            if exc.status_code != status.HTTP_429_TOO_MANY_REQUESTS:
                raise
            seconds = (exc.headers or {}).get("Retry-After", "1")
            response = pages.render(
                request, "busy.html", {"seconds": seconds}, status_code=exc.status_code
            )
            response.headers["Retry-After"] = seconds
            return response
        return None

    def not_found(request: Request, *, about: str, code: str = "") -> Response:
        return pages.render(
            request,
            "not_found.html",
            {"about": about, "code": code, "errors": {}},
            status_code=status.HTTP_404_NOT_FOUND,
        )

    # ---- the form -------------------------------------------------------------------------

    async def form_page(
        request: Request,
        *,
        representative: dict[str, str] | None,
        form: SubmissionForm | None = None,
        errors: Errors | None = None,
        photos_dropped: bool = False,
        status_code: int = 200,
    ) -> Response:
        language = pick_language(request)
        form = form or SubmissionForm()
        if not form.idempotency_key():
            form = _with_new_submission_id(form)
        return pages.render(
            request,
            "resident_form.html",
            {
                "representative": representative,
                "categories": await categories(language),
                "form": form,
                "errors": errors or {},
                "photos_dropped": photos_dropped,
                "action": request.url.path,
            },
            status_code=status_code,
        )

    async def submit(request: Request, *, representative: dict[str, str] | None) -> Response:
        busy = await over_rate(request)
        if busy is not None:
            return busy
        data = await request.form(max_files=MAX_FILE_PARTS)
        form = _submission_form(data)
        photos = await _photos(data)
        code = representative["code"] if representative else None
        parsed = parse_submission(
            form, photos, representative_code=code, language=pick_language(request)
        )
        if not isinstance(parsed, dict):
            try:
                stored = await submit_case(
                    command=parsed,
                    cases=deps.cases,
                    directory=deps.directory,
                    correlation_id=current_correlation_id() or new_correlation_id(),
                    idempotency_key=form.idempotency_key(),
                    fingerprint=request_fingerprint(parsed),
                )
            except UnknownReference as exc:
                parsed = _unknown_reference(exc)
            except IdempotencyConflict:
                # Sent before with other content (e.g. back, edit, send): a fresh form sends it.
                return await form_page(
                    request,
                    representative=representative,
                    form=_with_new_submission_id(form),
                    errors={"form": Message("error.form.resubmitted")},
                    photos_dropped=bool(photos),
                    status_code=status.HTTP_409_CONFLICT,
                )
            else:
                deps.relay.wake()
                return RedirectResponse(
                    f"/t/{stored['tracking_code']}?new=1", status_code=status.HTTP_303_SEE_OTHER
                )
        return await form_page(
            request,
            representative=representative,
            form=form,
            errors=parsed,
            photos_dropped=bool(photos),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )

    @router.get("/")
    async def home(request: Request) -> Response:
        return pages.render(request, "home.html", {"errors": {}, "code": ""})

    @router.get("/new")
    async def new_form(request: Request) -> Response:
        return await form_page(request, representative=None)

    @router.post("/new")
    async def post_new(request: Request) -> Response:
        return await submit(request, representative=None)

    @router.get("/r/{representative_code}")
    async def qr_form(request: Request, representative_code: str) -> Response:
        card = await representative_card(representative_code, pick_language(request))
        if card is None:
            return not_found(request, about="representative")
        return await form_page(request, representative=card)

    @router.post("/r/{representative_code}")
    async def post_qr_form(request: Request, representative_code: str) -> Response:
        card = await representative_card(representative_code, pick_language(request))
        if card is None:
            return not_found(request, about="representative")
        return await submit(request, representative=card)

    # ---- tracking -------------------------------------------------------------------------

    async def tracking_page(
        request: Request,
        document: Document,
        *,
        errors: Errors | None = None,
        values: Mapping[str, str] | None = None,
        refused: bool = False,
        status_code: int = 200,
    ) -> Response:
        language = pick_language(request)
        view = resident_view(document, now=datetime.now(UTC))
        code = view.tracking_code
        category = await deps.directory.entry("category", view.category)
        station = await deps.directory.entry("station", view.station.id) if view.station else None
        new = request.query_params.get("new") == "1"
        done = request.query_params.get("done")
        tracking_url = f"{settings.public_base_url.rstrip('/')}/t/{code}"
        return pages.render(
            request,
            "tracking.html",
            {
                "view": view,
                "code_groups": _groups(code),
                "category": localized(category, language) or view.category,
                "station": localized(station, language) or (view.station and view.station.name),
                "tone": _STATUS_TONE.get(view.status, ""),
                "when": when,
                "new": new,
                "qr": _data_uri(qr_svg(tracking_url)) if new else None,
                "done": done if done in DONE_NOTICES and not errors else None,
                "ratings": _RATINGS,
                "errors": errors or {},
                "values": values or {},
                "refused": refused,
            },
            status_code=status_code,
        )

    async def case_by_code(raw: str) -> tuple[str | None, Document | None]:
        code = normalize_tracking_code(raw)
        return code, (await deps.cases.by_tracking_code(code) if code else None)

    @router.get("/t")
    async def lookup(request: Request, code: str | None = None) -> Response:
        if code is None:
            return pages.render(request, "lookup.html", {"errors": {}, "code": ""})
        canonical = normalize_tracking_code(code)
        if canonical is None:
            return pages.render(
                request,
                "lookup.html",
                {"errors": {"code": Message("error.code")}, "code": code},
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            )
        return RedirectResponse(f"/t/{canonical}", status_code=status.HTTP_303_SEE_OTHER)

    @router.get("/t/{tracking_code}")
    async def track(request: Request, tracking_code: str) -> Response:
        code, document = await case_by_code(tracking_code)
        if document is None or code is None:
            return not_found(request, about="case", code=tracking_code)
        if code != tracking_code:
            query = f"?{request.url.query}" if request.url.query else ""
            return RedirectResponse(f"/t/{code}{query}", status_code=status.HTTP_303_SEE_OTHER)
        return await tracking_page(request, document)

    async def act(
        request: Request,
        tracking_code: str,
        *,
        model: type[BaseModel],
        fields: Mapping[str, str],
        decide: Callable[[Any, CaseSnapshot, datetime], CaseAction],
        done: str,
    ) -> Response:
        code, document = await case_by_code(tracking_code)
        if document is None or code is None:
            return not_found(request, about="case", code=tracking_code)
        busy = await over_rate(request)
        if busy is not None:
            return busy
        data = await request.form(max_files=0)
        values = {name: _text(data, name) for name in fields.values()}
        parsed = parse_action(
            model,
            {field: values[name].strip() or None for field, name in fields.items()},
            fields=fields,
        )
        if isinstance(parsed, dict):
            return await tracking_page(
                request,
                document,
                errors=parsed,
                values=values,
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            )
        command = parsed
        now = datetime.now(UTC)
        try:
            await resident_action(
                tracking_code=code,
                decide=lambda case: decide(command, case, now),
                cases=deps.cases,
                correlation_id=current_correlation_id() or new_correlation_id(),
                now=now,
            )
        except CaseNotFound:
            return not_found(request, about="case", code=tracking_code)
        except ActionRefused:
            latest = await deps.cases.by_tracking_code(code) or document
            return await tracking_page(
                request, latest, refused=True, status_code=status.HTTP_409_CONFLICT
            )
        deps.relay.wake()
        return RedirectResponse(f"/t/{code}?done={done}", status_code=status.HTTP_303_SEE_OTHER)

    @router.post("/t/{tracking_code}/rating")
    async def post_rating(request: Request, tracking_code: str) -> Response:
        return await act(
            request,
            tracking_code,
            model=RateCase,
            fields={"rating": "rating", "comment": "comment"},
            decide=lambda command, case, now: rate(case, command, now=now),
            done="rated",
        )

    @router.post("/t/{tracking_code}/reopen")
    async def post_reopen(request: Request, tracking_code: str) -> Response:
        return await act(
            request,
            tracking_code,
            model=ReopenCase,
            fields={"reason": "reason"},
            decide=lambda command, case, now: reopen(case, command, now=now),
            done="reopened",
        )

    @router.post("/t/{tracking_code}/reply")
    async def post_reply(request: Request, tracking_code: str) -> Response:
        message_id = "m" + uuid.uuid4().hex
        return await act(
            request,
            tracking_code,
            model=ReplyToStation,
            fields={"text": "reply"},
            decide=lambda command, case, now: reply(case, command, now=now, message_id=message_id),
            done="replied",
        )

    return router


def _text(data: FormData, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


def _submission_form(data: FormData) -> SubmissionForm:
    return SubmissionForm(
        category=_text(data, "category"),
        text=_text(data, "text"),
        place=_text(data, "place"),
        lat=_text(data, "lat"),
        lon=_text(data, "lon"),
        contact_name=_text(data, "contact_name"),
        contact_phone=_text(data, "contact_phone"),
        contact_email=_text(data, "contact_email"),
        consent=_text(data, "consent") == "yes",
        submission_id=_text(data, "submission_id"),
    )


async def _photos(data: FormData) -> list[Photo]:
    photos = []
    for item in data.getlist("photos"):
        if not isinstance(item, UploadFile):
            continue
        content = await item.read()
        if not item.filename and not content:
            continue  # the empty part a browser sends when no file was chosen
        photos.append(
            Photo(
                filename=item.filename or "",
                content_type=item.content_type or "",
                data=content,
            )
        )
    return photos


def _unknown_reference(exc: UnknownReference) -> Errors:
    if exc.field == "category":
        return {"category": Message("error.category.unknown_reference")}
    return {"form": Message("error.form.representative")}


def _with_new_submission_id(form: SubmissionForm) -> SubmissionForm:
    return replace(form, submission_id=f"page:{uuid.uuid4().hex}")


def _groups(code: str) -> list[str]:
    """`MY-` then groups of four: easier to read aloud and to copy by hand."""
    prefix, body = code[:3], code[3:]
    return [prefix + body[:4], *(body[i : i + 4] for i in range(4, len(body), 4))]


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
