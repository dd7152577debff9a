"""How notify's domain and handler errors answer over HTTP, registered once per app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.notify.domain.templates import MissingTemplateData, UnknownTemplate
from services.notify.handlers.inbox import MessageNotFound
from services.notify.handlers.preferences import NotYourPreferences


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MessageNotFound)
    async def message_not_found(_: Request, exc: MessageNotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(NotYourPreferences)
    async def not_yours(_: Request, exc: NotYourPreferences) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_403_FORBIDDEN)

    # Only the template preview renders on request: its body names the template and its data.
    @app.exception_handler(UnknownTemplate)
    async def unknown_template(_: Request, exc: UnknownTemplate) -> JSONResponse:
        return _unprocessable([(["body", "audience"], str(exc), "unknown_template")])

    @app.exception_handler(MissingTemplateData)
    async def missing_data(_: Request, exc: MissingTemplateData) -> JSONResponse:
        return _unprocessable(
            [
                (["body", "data", name], f"{exc.template_key} needs {name}", "missing")
                for name in exc.missing
            ]
        )


def _unprocessable(errors: list[tuple[list[str], str, str]]) -> JSONResponse:
    detail: list[dict[str, Any]] = [
        {"loc": loc, "field": ".".join(loc[1:]), "msg": msg, "type": kind}
        for loc, msg, kind in errors
    ]
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
