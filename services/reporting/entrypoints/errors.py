"""Errors to responses, registered once for the whole app: routes raise, never catch."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.reporting.domain.errors import InvalidQuery


async def invalid_query(request: Request, exc: Exception) -> JSONResponse:
    """422 naming the query parameter, in the shape of FastAPI's own validation errors."""
    assert isinstance(exc, InvalidQuery)
    return JSONResponse(
        {
            "detail": [
                {
                    "loc": ["query", exc.field],
                    "field": exc.field,
                    "msg": exc.message,
                    "type": "value_error",
                }
            ]
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InvalidQuery, invalid_query)
