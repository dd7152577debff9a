"""Renders a service's pages inside the shared layout, with language, security and cache headers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from shared.web.i18n import LANGUAGE_COOKIE, LANGUAGES, Catalog, Language, pick_language

SHARED_TEMPLATES = Path(__file__).parent / "templates"
SHARED_STATIC = Path(__file__).parent / "static"
SHARED_STATIC_MOUNT = "/static/minyi"

# Pages load nothing from elsewhere and run no inline script: a closed city network must not
# break them, and an injected string cannot run. `blob:`/`data:` let the camera preview show.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def security_headers(*, private: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        # Tracking codes and case ids live in URLs; they must not leak to other sites.
        "Referrer-Policy": "same-origin",
    }
    if private:
        headers["Cache-Control"] = "no-store"
    return headers


def mount_static(app: FastAPI, *, service: str, directory: Path | None = None) -> None:
    """The shared stylesheet and script at /static/minyi, the service's own at /static/<service>."""
    app.mount(SHARED_STATIC_MOUNT, StaticFiles(directory=SHARED_STATIC), name="static-minyi")
    if directory is not None:
        app.mount(f"/static/{service}", StaticFiles(directory=directory), name=f"static-{service}")


class Pages:
    """One per service: its templates (falling back to the shared layout) and its strings."""

    def __init__(self, *, templates: Path, catalog: Catalog) -> None:
        self.catalog = catalog
        self._env = Environment(
            loader=ChoiceLoader([FileSystemLoader(templates), FileSystemLoader(SHARED_TEMPLATES)]),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def text(self, key: str, language: Language, **values: object) -> str:
        return self.catalog.text(key, language, **values)

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        private: bool = True,
    ) -> HTMLResponse:
        language = pick_language(request)
        other = next(candidate for candidate in LANGUAGES if candidate != language)

        def t(key: str, **values: object) -> str:
            return self.catalog.text(key, language, **values)

        def lang_url(target: Language) -> str:
            url = request.url.include_query_params(lang=target)
            return f"{url.path}?{url.query}"

        html = self._env.get_template(template).render(
            {
                "request": request,
                "lang": language,
                "other_lang": other,
                "t": t,
                "lang_url": lang_url,
                "static_minyi": SHARED_STATIC_MOUNT,
                **(context or {}),
            }
        )
        response = HTMLResponse(
            html, status_code=status_code, headers=security_headers(private=private)
        )
        chosen = request.query_params.get("lang")
        if chosen in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != chosen:
            response.set_cookie(
                LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax", httponly=True
            )
        return response
