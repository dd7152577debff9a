"""Directory admin for admins: the lists, and forms for representatives and categories.

Saving goes through the same handler as the admin JSON API (`put_directory_entry`).
"""

from __future__ import annotations

from typing import Any, get_args

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.domain.directory import Directory, EntryKind, Level
from services.routing.handlers import DirectoryNotLoaded, put_directory_entry
from services.routing.web.common import Workbench, field_errors
from shared.auth import Claims
from shared.outbox import OutboxRelay

ADMIN_PATH = "/staff/admin"
LEVELS: tuple[str, ...] = get_args(Level)
# The forms the workbench offers, by path segment: the directory kind and its form template.
FORMS: dict[str, tuple[EntryKind, str]] = {
    "representatives": ("representatives", "admin_representative.html"),
    "categories": ("categories", "admin_category.html"),
}


def _given(entry: dict[str, Any]) -> dict[str, Any]:
    """An empty text box counts as not given, so a required field says so."""
    return {name: value for name, value in entry.items() if value != ""}


def representative_entry(form: FormData) -> dict[str, Any]:
    return _given(
        {
            "code": str(form.get("code") or "").strip(),
            "name": str(form.get("name") or "").strip(),
            "level": str(form.get("level") or ""),
            "station": str(form.get("station") or ""),
            "points": [str(p) for p in form.getlist("points")],
            "specialties": [str(s) for s in form.getlist("specialties")],
            "active": form.get("active") == "on",
        }
    )


def category_entry(form: FormData) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": str(form.get("code") or "").strip(),
        "name": str(form.get("name") or "").strip(),
        "name_en": str(form.get("name_en") or "").strip(),
        "active": form.get("active") == "on",
    }
    for days in ("sla_accept_days", "sla_respond_days"):
        value = str(form.get(days) or "").strip()
        if value:
            entry[days] = value
    return _given(entry)


def build_router(
    *, workbench: Workbench, directory: DirectoryRepository, relay: OutboxRelay
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    async def admin_only(request: Request) -> tuple[Claims | None, Response | None]:
        claims = workbench.claims(request)
        if claims is None:
            return None, workbench.to_sign_in(request)
        if claims.role != "admin":
            return claims, await workbench.forbidden(request, claims)
        return claims, None

    async def render_form(
        request: Request,
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
            FORMS[kind][1],
            {
                "nav_current": "admin",
                "directory": snapshot,
                "entry": entry,
                "is_new": is_new,
                "levels": LEVELS,
                "errors": errors or {},
            },
            status_code=status_code,
        )

    @router.get(ADMIN_PATH)
    async def overview(request: Request) -> Response:
        claims, refused = await admin_only(request)
        if refused is not None or claims is None:
            return refused or workbench.to_sign_in(request)
        saved = request.query_params.get("saved")
        return await workbench.render(
            request,
            claims,
            "admin.html",
            {
                "nav_current": "admin",
                "directory": await directory.load(),
                "notice": workbench.text(request, "saved", name=saved) if saved else None,
            },
        )

    @router.get(ADMIN_PATH + "/{kind}/{key}")
    async def edit_form(request: Request, kind: str, key: str) -> Response:
        claims, refused = await admin_only(request)
        if refused is not None or claims is None:
            return refused or workbench.to_sign_in(request)
        snapshot = await directory.load()
        if kind not in FORMS or snapshot is None:
            return await workbench.not_found(request, claims)
        if key == "new":
            return await render_form(request, claims, snapshot, kind, {"active": True}, is_new=True)
        field = "code"
        existing = next((e for e in getattr(snapshot, kind) if getattr(e, field) == key), None)
        if existing is None:
            return await workbench.not_found(request, claims)
        return await render_form(
            request, claims, snapshot, kind, existing.model_dump(mode="json"), is_new=False
        )

    @router.post(ADMIN_PATH + "/{kind}")
    async def save(request: Request, kind: str) -> Response:
        claims, refused = await admin_only(request)
        if refused is not None or claims is None:
            return refused or workbench.to_sign_in(request)
        form = await request.form()
        if not workbench.csrf_ok(request, form.get("csrf")):
            return await workbench.forbidden(request, claims, reason="csrf_failed")
        snapshot = await directory.load()
        if kind not in FORMS or snapshot is None:
            return await workbench.not_found(request, claims)
        entry = representative_entry(form) if kind == "representatives" else category_entry(form)
        is_new = form.get("is_new") == "1"
        try:
            await put_directory_entry(kind=FORMS[kind][0], entry=entry, directory=directory)
        except DirectoryNotLoaded:
            return await workbench.not_found(request, claims)
        except ValidationError as exc:
            errors = field_errors(exc, lambda k, **v: workbench.text(request, k, **v), skip=2)
            return await render_form(
                request,
                claims,
                snapshot,
                kind,
                entry,
                is_new=is_new,
                errors=errors,
                status_code=422,
            )
        relay.wake()
        return RedirectResponse(f"{ADMIN_PATH}?saved={entry['code']}", status_code=303)

    return router
