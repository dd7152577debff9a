"""Domain and handler errors as HTTP answers, mapped once for every routing route (the pages
render their own answers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.routing.adapters.case_repository import VersionConflict
from services.routing.adapters.house_repository import HouseChanged
from services.routing.domain.house_repair import (
    FollowsHouse,
    NotHouseRepair,
    StageChangeNotAllowed,
)
from services.routing.domain.houses import CaseOfAnotherHouse, InvalidHouse
from services.routing.domain.meetings import InvalidMeeting
from services.routing.domain.workflow import ActionNotAllowed, NotPermitted, OutOfScope
from services.routing.entrypoints.schemas import Conflict, StageConflict
from services.routing.handlers.common import InvalidCommand
from services.routing.handlers.directory import (
    DirectoryNotLoaded,
    InvalidEntry,
    NoSuchEntry,
)
from services.routing.handlers.house_repair import NoSuchHouse, StageChanged
from services.routing.handlers.sign_in import SignInThrottled
from services.routing.handlers.staff_actions import CaseChanged

STALE = "the case changed meanwhile; reload and try again"


def _detail(code: int, detail: Any) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=code)


def _body_problems(messages: list[str]) -> JSONResponse:
    """422 with the field-level shape of request validation, for problems of the whole body."""
    return _detail(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"loc": ["body"], "field": "", "msg": m, "type": "value_error"} for m in messages],
    )


def _out_of_scope(exc: OutOfScope) -> JSONResponse:
    # 404, not 403: a case outside the caller's scope is not even confirmed to exist.
    return _detail(status.HTTP_404_NOT_FOUND, "no such case")


def _not_permitted(exc: NotPermitted) -> JSONResponse:
    return _detail(status.HTTP_403_FORBIDDEN, str(exc))


def _invalid(exc: InvalidCommand | NotHouseRepair) -> JSONResponse:
    return _body_problems([str(exc)])


def _invalid_meeting(exc: InvalidMeeting) -> JSONResponse:
    return _body_problems(list(exc.problems))


def _not_allowed(exc: ActionNotAllowed) -> JSONResponse:
    body = Conflict(detail=str(exc), status=exc.status, allowed_actions=list(exc.allowed))
    return JSONResponse(body.model_dump(exclude_unset=True), status_code=status.HTTP_409_CONFLICT)


def _stale_status(exc: VersionConflict) -> int:
    """412 when the caller's If-Match named a version that is no longer the case's; 409 when
    the case kept changing under a command that named none."""
    if exc.precondition_failed:
        return status.HTTP_412_PRECONDITION_FAILED
    return status.HTTP_409_CONFLICT


def _case_changed(exc: CaseChanged) -> JSONResponse:
    body = Conflict(detail=STALE, status=exc.status, allowed_actions=list(exc.allowed))
    return JSONResponse(body.model_dump(exclude_unset=True), status_code=_stale_status(exc))


def _stage_not_allowed(exc: StageChangeNotAllowed) -> JSONResponse:
    body = StageConflict(detail=str(exc), stage=exc.current, allowed_stages=list(exc.allowed))
    return JSONResponse(body.model_dump(exclude_unset=True), status_code=status.HTTP_409_CONFLICT)


def _stage_changed(exc: StageChanged) -> JSONResponse:
    body = StageConflict(detail=STALE, stage=exc.stage, allowed_stages=list(exc.allowed))
    return JSONResponse(body.model_dump(exclude_unset=True), status_code=_stale_status(exc))


def _follows_house(exc: FollowsHouse) -> JSONResponse:
    body = StageConflict(detail=str(exc), stage=exc.current, allowed_stages=[])
    return JSONResponse(body.model_dump(exclude_unset=True), status_code=status.HTTP_409_CONFLICT)


def _invalid_house(exc: InvalidHouse) -> JSONResponse:
    return _body_problems(list(exc.problems))


def _no_house(exc: NoSuchHouse) -> JSONResponse:
    return _detail(status.HTTP_404_NOT_FOUND, "no such house")


def _house_changed(exc: HouseChanged) -> JSONResponse:
    stage = exc.current.stage if exc.current else None
    allowed = list(exc.current.allowed_stages) if exc.current else []
    body = StageConflict(detail=str(exc), stage=stage, allowed_stages=allowed)
    code = (
        status.HTTP_412_PRECONDITION_FAILED if exc.precondition_failed else status.HTTP_409_CONFLICT
    )
    return JSONResponse(body.model_dump(exclude_unset=True), status_code=code)


def _other_house(exc: CaseOfAnotherHouse) -> JSONResponse:
    return _detail(status.HTTP_409_CONFLICT, str(exc))


def _version_conflict(exc: VersionConflict) -> JSONResponse:
    return _detail(_stale_status(exc), "the case changed meanwhile; try again")


def _not_loaded(exc: DirectoryNotLoaded) -> JSONResponse:
    return _detail(status.HTTP_409_CONFLICT, "import a directory first")


def _no_entry(exc: NoSuchEntry) -> JSONResponse:
    return _detail(status.HTTP_404_NOT_FOUND, str(exc))


def _invalid_entry(exc: InvalidEntry) -> JSONResponse:
    # The location inside the whole directory (kind, index) is left out: the body is the entry.
    return _detail(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [
            {
                "loc": ["body", *map(str, e["loc"][2:])],
                "field": ".".join(map(str, e["loc"][2:])),
                "msg": e["msg"],
                "type": e["type"],
            }
            for e in exc.error.errors()
        ],
    )


def _throttled(exc: SignInThrottled) -> JSONResponse:
    return JSONResponse(
        {"detail": str(exc)},
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(exc.retry_after_s)},
    )


def _handler(answer: Callable[[Any], JSONResponse]) -> Callable[..., Awaitable[JSONResponse]]:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return answer(exc)

    return handle


# A subclass finds its own entry before its base's (CaseChanged before VersionConflict).
ANSWERS: dict[type[Exception], Callable[[Any], JSONResponse]] = {
    OutOfScope: _out_of_scope,
    NotPermitted: _not_permitted,
    InvalidCommand: _invalid,
    NotHouseRepair: _invalid,
    InvalidMeeting: _invalid_meeting,
    ActionNotAllowed: _not_allowed,
    CaseChanged: _case_changed,
    StageChangeNotAllowed: _stage_not_allowed,
    FollowsHouse: _follows_house,
    InvalidHouse: _invalid_house,
    NoSuchHouse: _no_house,
    HouseChanged: _house_changed,
    CaseOfAnotherHouse: _other_house,
    StageChanged: _stage_changed,
    VersionConflict: _version_conflict,
    DirectoryNotLoaded: _not_loaded,
    NoSuchEntry: _no_entry,
    InvalidEntry: _invalid_entry,
    SignInThrottled: _throttled,
}


def install_error_handlers(app: FastAPI) -> None:
    for error, answer in ANSWERS.items():
        app.add_exception_handler(error, _handler(answer))
