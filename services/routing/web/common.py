"""What every workbench page shares: who is signed in, the nav, CSRF, times, form errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from services.routing.web.catalog import CATALOG
from services.routing.web.inbox_client import InboxClient, recipients_for
from shared.auth import Claims
from shared.web.i18n import Language, pick_language
from shared.web.pages import Pages
from shared.web.session import csrf_token, csrf_valid, session_claims, session_token

WEB = Path(__file__).parent
SIGN_IN_PATH = "/staff/sign-in"
HOME_PATH = "/staff"


def safe_next(value: str | None) -> str:
    """Only a workbench path: a crafted `next=` must not send people to another site."""
    if not value:
        return HOME_PATH
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME_PATH):
        return HOME_PATH
    return value


@dataclass(frozen=True)
class Workbench:
    pages: Pages
    secret: str
    timezone: ZoneInfo
    inbox: InboxClient
    intake_web_url: str

    def claims(self, request: Request) -> Claims | None:
        return session_claims(request, secret=self.secret)

    def token(self, request: Request) -> str:
        return session_token(request) or ""

    def to_sign_in(self, request: Request) -> RedirectResponse:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{SIGN_IN_PATH}?next={quote(here, safe='')}", status_code=303)

    def csrf_ok(self, request: Request, submitted: object) -> bool:
        return csrf_valid(
            request, submitted if isinstance(submitted, str) else None, secret=self.secret
        )

    def language(self, request: Request) -> Language:
        return pick_language(request)

    def text(self, request: Request, key: str, **values: object) -> str:
        return CATALOG.text(key, self.language(request), **values)

    async def render(
        self,
        request: Request,
        claims: Claims | None,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        unread: int | None = None
        if claims is not None and recipients_for(claims):
            unread = await self.inbox.unread(recipients_for(claims), token=self.token(request))
        return self.pages.render(
            request,
            template,
            {
                "user": claims,
                "unread": unread,
                "csrf": csrf_token(request, secret=self.secret) if claims else "",
                "local": self.local_time,
                "static_routing": "/static/routing",
                "errors": {},
                "nav_current": None,
                "notice": None,
                "problem": None,
                **(context or {}),
            },
            status_code=status_code,
        )

    async def not_found(self, request: Request, claims: Claims | None) -> HTMLResponse:
        return await self.render(request, claims, "not_found.html", status_code=404)

    async def forbidden(
        self, request: Request, claims: Claims | None, *, reason: str = "forbidden_body"
    ) -> HTMLResponse:
        return await self.render(
            request, claims, "forbidden.html", {"reason": reason}, status_code=403
        )

    def local_time(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return value.astimezone(self.timezone).strftime("%Y-%m-%d %H:%M")


def field_errors(exc: ValidationError, text: Any, *, skip: int = 0) -> dict[str, str]:
    """pydantic's errors as one message per form field, in the page's language.

    `skip` drops leading location parts that are not field names (a union tag, a list index).
    Errors not tied to a field go under "".
    """
    found: dict[str, str] = {}
    for error in exc.errors():
        location = [str(part) for part in error["loc"][skip:]]
        field = location[0] if location else ""
        found.setdefault(field, _message(error, text))
    return found


def _message(error: Mapping[str, Any], text: Any) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing":
        return str(text("err_required"))
    if kind == "string_too_short":
        return str(
            text("err_required")
            if context.get("min_length") == 1
            else text("err_too_short", n=context.get("min_length"))
        )
    if kind == "string_too_long":
        return str(text("err_too_long", n=context.get("max_length")))
    if kind == "string_pattern_mismatch":
        return str(text("err_pattern"))
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return str(text("err_number"))
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return str(text("err_range"))
    if kind in ("literal_error", "enum"):
        return str(text("err_choice"))
    return str(text("err_other", msg=str(error["msg"]).removeprefix("Value error, ")))
