"""The workbench's formal suggestion (代表建议) pages: the list with its filters, the form a
representative submits (pre-linked from a case page), one suggestion with its answer and
evaluation forms.

Every form posts here, calls the same handler as the JSON API and redirects (POST → 303 → GET);
a refusal re-renders the page with the reason at the form.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol, TypeVar, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import RedirectResponse, Response

from services.routing.adapters.suggestion_repository import SuggestionChanged
from services.routing.domain.suggestions import (
    AnswerSuggestion,
    EvaluateSuggestion,
    InvalidSuggestion,
    SubmitSuggestion,
    Suggestion,
    SuggestionNotAllowed,
    SuggestionOutOfScope,
    SuggestionStatus,
    allowed_actions,
    can_see,
    suggestion_scope,
)
from services.routing.domain.workflow import Actor, NotPermitted
from services.routing.entrypoints.deps import (
    CorrelationId,
    Directories,
    LocalZone,
    Pages,
    Relay,
    Settings,
    Suggestions,
    actor_from,
)
from services.routing.entrypoints.pages.form_post import (
    NOT_FOUND,
    FormPage,
    Refusal,
    post_form,
)
from services.routing.handlers import suggestions as handlers
from services.routing.handlers.directory import DirectoryNotLoaded
from services.routing.handlers.suggestions import SuggestionStep
from services.routing.web.forms import (
    SUGGESTION_FORM_FIELDS,
    Text,
    field_errors,
    suggestion_fields,
)
from shared.auth import Claims

router = APIRouter(include_in_schema=False)

LIST_PATH = "/staff/suggestions"
FILTERS = ("status", "department", "representative", "overdue", "year")
STATUSES: tuple[SuggestionStatus, ...] = get_args(SuggestionStatus)
PAGE_SIZE = 200
M = TypeVar("M", bound=BaseModel)


def _filters(request: Request) -> dict[str, str]:
    return {k: v for k in FILTERS if (v := request.query_params.get(k, "").strip())}


@router.get(LIST_PATH)
async def suggestion_list(
    request: Request,
    workbench: Pages,
    suggestions: Suggestions,
    directory: Directories,
    zone: LocalZone,
) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    actor = actor_from(claims)
    try:
        scope = suggestion_scope(actor)
    except NotPermitted:
        return await workbench.forbidden(request, claims)
    filters = _filters(request)
    today = datetime.now(UTC).astimezone(zone).date()
    status = filters.get("status")
    year = filters.get("year", "")
    found = await suggestions.list_suggestions(
        scope=scope,
        status=next((s for s in STATUSES if s == status), None),
        department_id=filters.get("department"),
        representative=filters.get("representative"),
        year=int(year) if year.isdigit() else None,
        overdue_on=today if filters.get("overdue") else None,
        limit=PAGE_SIZE,
    )
    snapshot = await directory.load()
    return await workbench.render(
        request,
        claims,
        "suggestions.html",
        {
            "nav_current": "suggestions",
            "suggestions": found,
            "today": today,
            "filters": filters,
            "statuses": STATUSES,
            "departments": snapshot.departments if snapshot else (),
            "export_query": urlencode(filters),
            "may_submit": actor.role == "representative",
        },
    )


async def _render_form(
    request: Request,
    claims: Claims,
    *,
    workbench: Pages,
    directory: Directories,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    snapshot = await directory.load()
    return await workbench.render(
        request,
        claims,
        "suggestion_new.html",
        {
            "nav_current": "suggestions",
            "values": values,
            "errors": errors or {},
            "departments": snapshot.departments if snapshot else (),
        },
        status_code=status_code,
    )


@router.get(f"{LIST_PATH}/new")
async def new_suggestion(request: Request, workbench: Pages, directory: Directories) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    if claims.role != "representative":
        return await workbench.forbidden(request, claims)
    # From a case page: that case is linked already; nothing of its text is copied.
    values = {"case_ids": request.query_params.get("case_id", "")}
    return await _render_form(
        request, claims, workbench=workbench, directory=directory, values=values
    )


@router.post(LIST_PATH)
async def submit_suggestion(
    request: Request,
    workbench: Pages,
    suggestions: Suggestions,
    directory: Directories,
    settings: Settings,
    relay: Relay,
    zone: LocalZone,
    correlation_id: CorrelationId,
) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    if not workbench.csrf_ok(request, form.get("csrf")):
        return await workbench.forbidden(request, claims, reason="csrf_failed")
    if claims.role != "representative":
        return await workbench.forbidden(request, claims)

    async def again(errors: dict[str, str], status_code: int) -> Response:
        return await _render_form(
            request,
            claims,
            workbench=workbench,
            directory=directory,
            values=form,
            errors=errors,
            status_code=status_code,
        )

    try:
        command = SubmitSuggestion.model_validate(suggestion_fields("submitted", form))
    except ValidationError as exc:
        return await again(field_errors(exc, workbench.texts(request)), 422)
    now = datetime.now(UTC)
    try:
        suggestion = await handlers.submit(
            command=command,
            actor=actor_from(claims),
            suggestions=suggestions,
            directory=directory,
            answer_days=settings.suggestion_answer_days,
            correlation_id=correlation_id,
            today=now.astimezone(zone).date(),
            now=now,
        )
    except InvalidSuggestion as exc:
        message = workbench.text(request, "err_other", msg="; ".join(exc.problems))
        return await again({"": message}, 422)
    except (NotPermitted, DirectoryNotLoaded):
        return await workbench.forbidden(request, claims)
    relay.wake()
    return RedirectResponse(
        f"{LIST_PATH}/{suggestion.suggestion_id}?done=submitted", status_code=303
    )


async def _render_suggestion(
    request: Request,
    claims: Claims,
    suggestion: Suggestion,
    *,
    workbench: Pages,
    zone: LocalZone,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    done = request.query_params.get("done")
    notice = (
        workbench.text(request, f"suggestion_done_{done}")
        if done in SUGGESTION_FORM_FIELDS
        else None
    )
    return await workbench.render(
        request,
        claims,
        "suggestion.html",
        {
            "nav_current": "suggestions",
            "s": suggestion,
            "overdue": suggestion.overdue_on(datetime.now(UTC).astimezone(zone).date()),
            "actions": allowed_actions(suggestion, actor_from(claims)),
            "notice": notice,
            "form_values": {},
            "form_errors": {},
            **(extra or {}),
        },
        status_code=status_code,
    )


@router.get(LIST_PATH + "/{suggestion_id}")
async def suggestion_page(
    request: Request,
    suggestion_id: str,
    workbench: Pages,
    suggestions: Suggestions,
    zone: LocalZone,
) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    found = await suggestions.get(suggestion_id)
    if found is None or not can_see(found, actor_from(claims)):
        return await workbench.not_found(request, claims)
    return await _render_suggestion(request, claims, found, workbench=workbench, zone=zone)


def _refusal(exc: Exception, text: Text) -> Refusal | None:
    if isinstance(exc, SuggestionOutOfScope):
        return NOT_FOUND
    if isinstance(exc, SuggestionNotAllowed):
        label = text(f"suggestion_status_{exc.status}")
        return Refusal(409, problem=text("suggestion_conflict", status=label))
    if isinstance(exc, SuggestionChanged):
        return Refusal(409, problem=text("action_stale"))
    return None


class StepForm(Protocol):
    """The post of a step's form (`answer`, `evaluation`): the form as the command `model`, taken
    by the handler `step`."""

    def __call__(
        self, suggestion_id: str, *, form_name: str, model: type[M], step: SuggestionStep[M]
    ) -> Awaitable[Response]: ...


async def _step_form(
    request: Request,
    workbench: Pages,
    suggestions: Suggestions,
    relay: Relay,
    zone: LocalZone,
    correlation_id: CorrelationId,
) -> StepForm:
    async def post(
        suggestion_id: str, *, form_name: str, model: type[M], step: SuggestionStep[M]
    ) -> Response:
        async def render(
            claims: Claims, suggestion: Suggestion, status_code: int, extra: dict[str, Any]
        ) -> Response:
            return await _render_suggestion(
                request,
                claims,
                suggestion,
                workbench=workbench,
                zone=zone,
                extra=extra,
                status_code=status_code,
            )

        async def parse(form: dict[str, str], _: Suggestion) -> M:
            return model.model_validate(suggestion_fields(form_name, form))

        async def run(command: M, actor: Actor) -> Suggestion:
            return await step(
                suggestion_id=suggestion_id,
                command=command,
                actor=actor,
                suggestions=suggestions,
                correlation_id=correlation_id,
                now=datetime.now(UTC),
            )

        page = FormPage(
            url=f"{LIST_PATH}/{suggestion_id}",
            load=lambda: suggestions.get(suggestion_id),
            visible=can_see,
            render=render,
        )
        return await post_form(
            request,
            page,
            form_name=form_name,
            parse=parse,
            run=run,
            refusal=_refusal,
            workbench=workbench,
            relay=relay,
            # The form shown again keeps what was typed; suggestion_fields strips what it reads.
            strip=False,
        )

    return post


PostStep = Annotated[StepForm, Depends(_step_form)]


@router.post(LIST_PATH + "/{suggestion_id}/answer")
async def answer(suggestion_id: str, post: PostStep) -> Response:
    return await post(
        suggestion_id, form_name="answer", model=AnswerSuggestion, step=handlers.answer
    )


@router.post(LIST_PATH + "/{suggestion_id}/evaluation")
async def evaluation(suggestion_id: str, post: PostStep) -> Response:
    return await post(
        suggestion_id, form_name="evaluation", model=EvaluateSuggestion, step=handlers.evaluate
    )
