"""What every workbench page shares: who is signed in, the nav with the unread count, CSRF, the
page's language, rendering in the shared layout."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from services.routing.adapters.inbox_client import InboxClient
from services.routing.settings import RoutingSettings
from services.routing.web.catalog import CATALOG
from services.routing.web.views import SIGN_IN_PATH, WEB, local_time
from shared.auth import Claims
from shared.inbox import recipients_for
from shared.web.i18n import Language, pick_language
from shared.web.pages import Pages
from shared.web.session import csrf_token, csrf_valid, session_claims, session_token


@dataclass(frozen=True)
class Workbench:
    pages: Pages
    secret: str  # keys the forms' CSRF tokens
    timezone: ZoneInfo
    inbox: InboxClient
    intake_web_url: str

    @classmethod
    def of(cls, settings: RoutingSettings) -> Workbench:
        return cls(
            pages=Pages(templates=WEB / "templates", catalog=CATALOG),
            secret=settings.jwt_secret.get_secret_value(),
            timezone=settings.zone,
            inbox=InboxClient(base_url=settings.notify_web_url),
            intake_web_url=settings.intake_web_url,
        )

    async def claims(self, request: Request) -> Claims | None:
        """The signed-in user, or None: not signed in, expired or revoked (shared.auth)."""
        return await session_claims(request)

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

    def texts(self, request: Request) -> Callable[..., str]:
        """`text` bound to one request: the lookup the form helpers take (web.forms.Text)."""
        return partial(self.text, request)

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
        return local_time(value, timezone=self.timezone)
