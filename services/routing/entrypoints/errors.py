"""Domain errors that mean the same HTTP answer on every routing route, mapped once."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.routing.domain.workflow import NotPermitted, OutOfScope


async def _out_of_scope(request: Request, exc: Exception) -> JSONResponse:
    # 404, not 403: a case outside the caller's scope is not even confirmed to exist.
    return JSONResponse({"detail": "no such case"}, status_code=status.HTTP_404_NOT_FOUND)


async def _not_permitted(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_403_FORBIDDEN)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OutOfScope, _out_of_scope)
    app.add_exception_handler(NotPermitted, _not_permitted)
