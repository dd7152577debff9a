"""What the resident's pages share: the renderer, the friendly 404 and 429 pages, form fields.

The pages are plain forms that work without JavaScript (POST → 303 → GET) and call the same
handlers and domain models as the JSON API; a refused form comes back with field-level
messages (422), an unknown representative or tracking code is a friendly 404 page. The form is
in pages_form.py, tracking (and rating, reopening, replying) in pages_tracking.py.
"""

from __future__ import annotations

from fastapi import HTTPException, Request, status
from fastapi.responses import Response
from starlette.datastructures import FormData

from services.intake.entrypoints.deps import RateLimit
from services.intake.web import TEMPLATES
from services.intake.web.catalog import CATALOG
from shared.web.pages import Pages

PAGES = Pages(templates=TEMPLATES, catalog=CATALOG)


async def over_rate(request: Request, limit: RateLimit) -> Response | None:
    """The JSON API's limit, answered as a page; None when the request may go ahead."""
    try:
        await limit(request)
    except HTTPException as exc:
        if exc.status_code != status.HTTP_429_TOO_MANY_REQUESTS:
            raise
        seconds = (exc.headers or {}).get("Retry-After", "1")
        response = PAGES.render(
            request, "busy.html", {"seconds": seconds}, status_code=exc.status_code
        )
        response.headers["Retry-After"] = seconds
        return response
    return None


def not_found(request: Request, *, about: str, code: str = "") -> Response:
    return PAGES.render(
        request,
        "not_found.html",
        {"about": about, "code": code, "errors": {}},
        status_code=status.HTTP_404_NOT_FOUND,
    )


def form_text(data: FormData, name: str) -> str:
    """A text field of a posted form ("" when absent or a file)."""
    value = data.get(name)
    return value if isinstance(value, str) else ""
