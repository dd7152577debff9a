"""The case page's supervision (督办) and follow-up call (回访) forms.

Each posts here, calls the same handler as the JSON API and redirects back to the case (POST →
303 → GET); a refusal re-renders the case page with the reason at the form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Protocol, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.responses import Response

from services.routing.domain.follow_up import FollowUp
from services.routing.domain.supervision import Supervise
from services.routing.domain.workflow import Actor
from services.routing.entrypoints.deps import (
    Cases,
    CorrelationId,
    Directories,
    LocalZone,
    Pages,
    Relay,
    Templates,
)
from services.routing.entrypoints.pages.case import case_form_page, case_refusal
from services.routing.entrypoints.pages.form_post import post_form
from services.routing.handlers.follow_up import record_follow_up
from services.routing.handlers.supervision import supervise_case
from services.routing.web.forms import CASE_FORM_FIELDS
from shared.mongo import Document

router = APIRouter(include_in_schema=False)

M = TypeVar("M", bound=BaseModel)


class CaseForm(Protocol):
    """The post of one of the case page's own forms: the form as the command `model`, run as the
    signed-in actor by `run`."""

    def __call__(
        self,
        case_id: str,
        *,
        form_name: str,
        model: type[M],
        run: Callable[[M, Actor], Awaitable[object]],
    ) -> Awaitable[Response]: ...


async def _case_form(
    request: Request,
    workbench: Pages,
    cases: Cases,
    directory: Directories,
    templates: Templates,
    relay: Relay,
) -> CaseForm:
    async def post(
        case_id: str,
        *,
        form_name: str,
        model: type[M],
        run: Callable[[M, Actor], Awaitable[object]],
    ) -> Response:
        async def parse(form: dict[str, str], _: Document) -> M:
            fields = {name: form[name] for name in CASE_FORM_FIELDS[form_name] if form.get(name)}
            return model.model_validate(fields)

        page = case_form_page(
            request,
            case_id,
            workbench=workbench,
            cases=cases,
            directory=directory,
            templates=templates,
            duplicates=False,
        )
        return await post_form(
            request,
            page,
            form_name=form_name,
            parse=parse,
            run=run,
            # Of these forms' fields, only a supervision's deadline is refused for what it says.
            refusal=partial(case_refusal, field="deadline"),
            workbench=workbench,
            relay=relay,
        )

    return post


PostCaseForm = Annotated[CaseForm, Depends(_case_form)]


@router.post("/staff/cases/{case_id}/supervisions")
async def supervise(
    case_id: str,
    post: PostCaseForm,
    cases: Cases,
    timezone: LocalZone,
    correlation_id: CorrelationId,
) -> Response:
    async def run(command: Supervise, actor: Actor) -> object:
        return await supervise_case(
            case_id=case_id,
            command=command,
            actor=actor,
            cases=cases,
            timezone=timezone,
            correlation_id=correlation_id,
        )

    return await post(case_id, form_name="supervise", model=Supervise, run=run)


@router.post("/staff/cases/{case_id}/follow-up")
async def follow_up(
    case_id: str, post: PostCaseForm, cases: Cases, correlation_id: CorrelationId
) -> Response:
    async def run(command: FollowUp, actor: Actor) -> object:
        return await record_follow_up(
            case_id=case_id,
            command=command,
            actor=actor,
            cases=cases,
            correlation_id=correlation_id,
        )

    return await post(case_id, form_name="follow_up", model=FollowUp, run=run)
