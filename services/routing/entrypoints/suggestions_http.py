"""Formal suggestions (代表建议): representatives submit and evaluate, departments answer,
station staff, supervisors and admins read; a list with filters and cursor pages, and exports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Protocol, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import ConfigDict, Field, TypeAdapter

from services.routing.adapters.suggestion_repository import (
    SuggestionChanged,
    SuggestionRepository,
    suggestion_key,
)
from services.routing.domain.suggestions import (
    EXPORT_COLUMNS,
    AnswerSuggestion,
    EvaluateSuggestion,
    InvalidSuggestion,
    SubmitSuggestion,
    Suggestion,
    SuggestionAction,
    SuggestionNotAllowed,
    SuggestionOutOfScope,
    SuggestionStatus,
    allowed_actions,
    can_see,
    export_row,
    suggestion_scope,
)
from services.routing.domain.workflow import Actor
from services.routing.entrypoints.deps import (
    CorrelationId,
    CurrentActor,
    Directories,
    LocalZone,
    Relay,
    Settings,
    Suggestions,
)
from services.routing.handlers import suggestions as handlers
from services.routing.handlers.suggestions import SuggestionStep
from shared.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx
from shared.pagination import PAGED_RESPONSE, CursorParam, cursor_key, page_of

router = APIRouter(prefix="/v1/suggestions", tags=["suggestions"])

# A list's cursor: the last suggestion's (submitted_at, suggestion id).
_KEY: TypeAdapter[tuple[datetime, str]] = TypeAdapter(tuple[datetime, str])
EXPORT_LIMIT = 20_000
T = TypeVar("T")
C = TypeVar("C")


class SuggestionView(Suggestion):
    """A suggestion as its reader sees it: with the overdue flag and what they may do now."""

    model_config = ConfigDict(frozen=True)

    overdue: bool
    allowed_actions: list[SuggestionAction] = Field(default_factory=list)


def view_of(suggestion: Suggestion, *, actor: Actor, today: date) -> SuggestionView:
    return SuggestionView(
        **suggestion.model_dump(),
        overdue=suggestion.overdue_on(today),
        allowed_actions=allowed_actions(suggestion, actor),
    )


@asynccontextmanager
async def domain_errors() -> AsyncIterator[None]:
    """The suggestions' own refusals as HTTP answers (NotPermitted is routing's 403)."""
    try:
        yield
    except SuggestionOutOfScope as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such suggestion") from exc
    except InvalidSuggestion as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=exc.problems) from exc
    except SuggestionNotAllowed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    except SuggestionChanged as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail="the suggestion changed meanwhile; read it again"
        ) from exc


async def guarded(step: Awaitable[T]) -> T:
    async with domain_errors():
        return await step


def today_in(zone: LocalZone) -> date:
    return datetime.now(UTC).astimezone(zone).date()


@router.post(
    "",
    response_model=SuggestionView,
    status_code=status.HTTP_201_CREATED,
    summary="Submit a formal suggestion that takes up one or more cases (representatives).",
    responses={
        403: {"description": "Only representatives of the directory submit suggestions."},
        409: {"description": "No directory has been imported yet."},
        422: {
            "description": "A case not of the author's station nor held by them, an unknown "
            "co-signer or department, or a deadline not in the future."
        },
    },
)
async def submit(
    body: SubmitSuggestion,
    actor: CurrentActor,
    suggestions: Suggestions,
    directory: Directories,
    settings: Settings,
    relay: Relay,
    zone: LocalZone,
    correlation_id: CorrelationId,
) -> SuggestionView:
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()
    suggestion = await guarded(
        handlers.submit(
            command=body,
            actor=actor,
            suggestions=suggestions,
            directory=directory,
            answer_days=settings.suggestion_answer_days,
            correlation_id=correlation_id,
            today=today,
            now=now,
        )
    )
    relay.wake()
    return view_of(suggestion, actor=actor, today=today)


Status = Annotated[SuggestionStatus | None, Query(description="Only suggestions in this status.")]
Department = Annotated[str | None, Query(max_length=64, description="The answering department.")]
Representative = Annotated[
    str | None, Query(max_length=32, description="A representative who leads or co-signs.")
]
Overdue = Annotated[
    bool, Query(description="Only those still unanswered after their deadline day.")
]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="The session year.")]


async def _listed(
    *,
    actor: Actor,
    suggestions: SuggestionRepository,
    today: date,
    status_: SuggestionStatus | None,
    department: str | None,
    representative: str | None,
    overdue: bool,
    year: int | None,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[Suggestion]:
    return await suggestions.list_suggestions(
        scope=suggestion_scope(actor),
        status=status_,
        department_id=department,
        representative=representative,
        year=year,
        overdue_on=today if overdue else None,
        limit=limit,
        after=after,
    )


@router.get(
    "",
    response_model=list[SuggestionView],
    summary="Suggestions in the caller's scope, newest first, filtered; the next page's cursor "
    "is in the `Next-Cursor` header.",
    responses={**PAGED_RESPONSE, 403: {"description": "An account without a scope."}},
)
async def list_suggestions(
    actor: CurrentActor,
    suggestions: Suggestions,
    zone: LocalZone,
    response: Response,
    cursor: CursorParam = None,
    status_: Annotated[Status, Query(alias="status")] = None,
    department: Department = None,
    representative: Representative = None,
    overdue: Overdue = False,
    year: Year = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SuggestionView]:
    today = today_in(zone)
    found = await _listed(
        actor=actor,
        suggestions=suggestions,
        today=today,
        status_=status_,
        department=department,
        representative=representative,
        overdue=overdue,
        year=year,
        limit=limit + 1,
        after=cursor_key(cursor, _KEY),
    )
    page = page_of(found, limit=limit, key=suggestion_key)
    page.announce(response)
    return [view_of(s, actor=actor, today=today) for s in page.items]


async def _export_rows(
    actor: CurrentActor,
    suggestions: Suggestions,
    zone: LocalZone,
    status_: Annotated[Status, Query(alias="status")] = None,
    department: Department = None,
    representative: Representative = None,
    overdue: Overdue = False,
    year: Year = None,
) -> list[list[str]]:
    """The filtered list as rows, the header first: what either export file holds."""
    today = today_in(zone)
    found = await _listed(
        actor=actor,
        suggestions=suggestions,
        today=today,
        status_=status_,
        department=department,
        representative=representative,
        overdue=overdue,
        year=year,
        limit=EXPORT_LIMIT,
        after=None,
    )
    return [list(EXPORT_COLUMNS), *(export_row(s, today=today) for s in found)]


ExportRows = Annotated[list[list[str]], Depends(_export_rows)]


def _attachment(content: bytes, *, media_type: str, extension: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="suggestions.{extension}"'},
    )


@router.get(
    "/export.csv",
    response_class=Response,
    summary="The filtered list as CSV (UTF-8 with BOM, for spreadsheets), newest first.",
    responses={
        200: {"content": {"text/csv": {}}},
        403: {"description": "An account without a scope."},
    },
)
async def export_csv(rows: ExportRows) -> Response:
    return _attachment(to_csv(rows), media_type=CSV_MEDIA_TYPE, extension="csv")


@router.get(
    "/export.xlsx",
    response_class=Response,
    summary="The filtered list as an Excel workbook, newest first.",
    responses={
        200: {"content": {XLSX_MEDIA_TYPE: {}}},
        403: {"description": "An account without a scope."},
    },
)
async def export_xlsx(rows: ExportRows) -> Response:
    content = to_xlsx(rows, title="suggestions")
    return _attachment(content, media_type=XLSX_MEDIA_TYPE, extension="xlsx")


@router.get(
    "/{suggestion_id}",
    response_model=SuggestionView,
    summary="One suggestion.",
    responses={404: {"description": "No such suggestion in the caller's scope."}},
)
async def get_suggestion(
    suggestion_id: str, actor: CurrentActor, suggestions: Suggestions, zone: LocalZone
) -> SuggestionView:
    found = await suggestions.get(suggestion_id)
    if found is None or not can_see(found, actor):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such suggestion")
    return view_of(found, actor=actor, today=today_in(zone))


class StepTaker(Protocol):
    """A step on a suggestion (`handlers.answer`, `handlers.evaluate`) taken for the caller: its
    refusals as HTTP answers, the outbox woken, the suggestion as the caller sees it now."""

    def __call__(
        self, step: SuggestionStep[C], *, suggestion_id: str, command: C
    ) -> Awaitable[SuggestionView]: ...


async def _step_taker(
    actor: CurrentActor,
    suggestions: Suggestions,
    relay: Relay,
    zone: LocalZone,
    correlation_id: CorrelationId,
) -> StepTaker:
    async def take(step: SuggestionStep[C], *, suggestion_id: str, command: C) -> SuggestionView:
        taken = await guarded(
            step(
                suggestion_id=suggestion_id,
                command=command,
                actor=actor,
                suggestions=suggestions,
                correlation_id=correlation_id,
                now=datetime.now(UTC),
            )
        )
        relay.wake()
        return view_of(taken, actor=actor, today=today_in(zone))

    return take


TakeStep = Annotated[StepTaker, Depends(_step_taker)]


@router.post(
    "/{suggestion_id}/answer",
    response_model=SuggestionView,
    summary="The responsible department's answer (or its station's staff on its behalf).",
    responses={
        403: {"description": "Not the answering department or the suggestion's station."},
        404: {"description": "No such suggestion in the caller's scope."},
        409: {"description": "Already answered (and not sent back), or changed meanwhile."},
    },
)
async def answer(suggestion_id: str, body: AnswerSuggestion, take: TakeStep) -> SuggestionView:
    return await take(handlers.answer, suggestion_id=suggestion_id, command=body)


@router.post(
    "/{suggestion_id}/evaluation",
    response_model=SuggestionView,
    summary="The lead representative's evaluation of the answer; dissatisfied with a first "
    "answer, the department answers again.",
    responses={
        403: {"description": "Only the lead representative evaluates."},
        404: {"description": "No such suggestion in the caller's scope."},
        409: {"description": "Not answered (or already evaluated), or changed meanwhile."},
    },
)
async def evaluation(
    suggestion_id: str, body: EvaluateSuggestion, take: TakeStep
) -> SuggestionView:
    return await take(handlers.evaluate, suggestion_id=suggestion_id, command=body)
