"""How the JSON API answers what intake refuses: one mapping per exception, registered once.

The pages answer the same exceptions with pages of their own and Open311 with its `errors`
body; they catch them where they happen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse, Response

from services.intake.adapters.case_documents import IdempotencyConflict
from services.intake.domain.errors import (
    CaseNotFound,
    PhotoNotFound,
    PhotoRefused,
    UnknownReference,
)
from services.intake.domain.resident_actions import ActionRefused
from services.intake.domain.supporters import CaseClosedToSupport
from services.intake.entrypoints.schemas import ActionRefusedBody

E = TypeVar("E", bound=Exception)


def _detail(status_code: int, detail: str) -> JSONResponse:
    """The body an `HTTPException` has: `{"detail": ...}`."""
    return JSONResponse({"detail": detail}, status_code=status_code)


def action_refused(exc: ActionRefused) -> JSONResponse:
    """409 with what the resident may do instead."""
    body = ActionRefusedBody(
        detail=exc.detail, status=exc.status, allowed_actions=exc.allowed_actions
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_unset=True), status_code=status.HTTP_409_CONFLICT
    )


def unknown_reference(exc: UnknownReference) -> JSONResponse:
    """422 in the shape of a validation error of the field that names it."""
    return JSONResponse(
        {
            "detail": [
                {
                    "loc": ["body", exc.field],
                    "field": exc.field,
                    "msg": str(exc),
                    "type": "unknown_reference",
                }
            ]
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def photo_refused(exc: PhotoRefused) -> JSONResponse:
    """422 on the photo's `data`, in the shape of a validation error: the bytes were valid
    base64 of the right kind, but do not decode, or have too many pixels."""
    return JSONResponse(
        {
            "detail": [
                {
                    "loc": ["body", "attachments", str(exc.index), "data"],
                    "field": exc.field,
                    "msg": str(exc),
                    "type": f"photo_{exc.reason}",
                }
            ]
        },
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def case_not_found(exc: CaseNotFound) -> JSONResponse:
    return _detail(status.HTTP_404_NOT_FOUND, exc.detail)


def closed_to_support(exc: CaseClosedToSupport) -> JSONResponse:
    return _detail(status.HTTP_409_CONFLICT, str(exc))


def photo_not_found(exc: PhotoNotFound) -> JSONResponse:
    return _detail(status.HTTP_404_NOT_FOUND, str(exc))


def idempotency_conflict(exc: IdempotencyConflict) -> JSONResponse:
    return _detail(
        status.HTTP_409_CONFLICT, "Idempotency-Key was already used for a different submission"
    )


def install_error_handlers(app: FastAPI) -> None:
    _answer(app, ActionRefused, action_refused)
    _answer(app, UnknownReference, unknown_reference)
    _answer(app, PhotoRefused, photo_refused)
    _answer(app, CaseNotFound, case_not_found)
    _answer(app, PhotoNotFound, photo_not_found)
    _answer(app, CaseClosedToSupport, closed_to_support)
    _answer(app, IdempotencyConflict, idempotency_conflict)


def _answer(app: FastAPI, kind: type[E], answer: Callable[[E], JSONResponse]) -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, kind)
        return answer(exc)

    app.add_exception_handler(kind, handler)
