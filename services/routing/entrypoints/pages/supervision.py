"""The case page's supervision (督办) and follow-up call (回访) forms.

Each posts here, calls the same handler as the JSON API and redirects back to the case (POST →
303 → GET); a refusal re-renders the case page with the reason at the form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import RedirectResponse, Response

from services.routing.adapters.case_repository import VersionConflict
from services.routing.domain.follow_up import FollowUp, FollowUpNotAllowed
from services.routing.domain.supervision import InvalidDeadline, Supervise, SupervisionNotAllowed
from services.routing.domain.workflow import Actor, NotPermitted, OutOfScope, can_see
from services.routing.entrypoints.deps import (
    Cases,
    CorrelationId,
    Directories,
    LocalZone,
    Pages,
    Relay,
    Templates,
    actor_from,
)
from services.routing.entrypoints.pages.case import render_case
from services.routing.handlers.common import case_state
from services.routing.handlers.follow_up import record_follow_up
from services.routing.handlers.supervision import supervise_case
from services.routing.web.forms import CASE_FORM_FIELDS, field_errors

router = APIRouter(include_in_schema=False)


async def _post(
    request: Request,
    case_id: str,
    *,
    form_name: str,
    model: type[BaseModel],
    run: Callable[[Any, Actor], Awaitable[object]],
    workbench: Pages,
    cases: Cases,
    directory: Directories,
    templates: Templates,
    relay: Relay,
) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    if not workbench.csrf_ok(request, form.get("csrf")):
        return await workbench.forbidden(request, claims, reason="csrf_failed")
    document = await cases.get(case_id)
    actor = actor_from(claims)
    if document is None or not can_see(case_state(document), actor):
        return await workbench.not_found(request, claims)

    async def again(status_code: int, **extra: Any) -> Response:
        return await render_case(
            request,
            claims,
            await cases.get(case_id) or document,
            workbench=workbench,
            directory=directory,
            templates=templates,
            status_code=status_code,
            extra={"form_values": {form_name: form}, **extra},
        )

    fields = {name: form[name] for name in CASE_FORM_FIELDS[form_name] if form.get(name)}
    try:
        command = model.model_validate(fields)
    except ValidationError as exc:
        errors = field_errors(exc, lambda k, **v: workbench.text(request, k, **v))
        return await again(422, form_errors={form_name: errors})
    try:
        await run(command, actor)
    except OutOfScope:
        return await workbench.not_found(request, claims)
    except NotPermitted:
        return await workbench.forbidden(request, claims)
    except (SupervisionNotAllowed, FollowUpNotAllowed) as exc:
        label = workbench.text(request, f"status_{exc.status}")
        return await again(409, problem=workbench.text(request, "action_conflict", status=label))
    except InvalidDeadline as exc:
        message = workbench.text(request, "err_other", msg=str(exc))
        return await again(422, form_errors={form_name: {"deadline": message}})
    except VersionConflict:
        return await again(409, problem=workbench.text(request, "action_stale"))
    relay.wake()
    return RedirectResponse(f"/staff/cases/{case_id}?done={form_name}", status_code=303)


@router.post("/staff/cases/{case_id}/supervisions")
async def supervise(
    request: Request,
    case_id: str,
    workbench: Pages,
    cases: Cases,
    directory: Directories,
    templates: Templates,
    relay: Relay,
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

    return await _post(
        request,
        case_id,
        form_name="supervise",
        model=Supervise,
        run=run,
        workbench=workbench,
        cases=cases,
        directory=directory,
        templates=templates,
        relay=relay,
    )


@router.post("/staff/cases/{case_id}/follow-up")
async def follow_up(
    request: Request,
    case_id: str,
    workbench: Pages,
    cases: Cases,
    directory: Directories,
    templates: Templates,
    relay: Relay,
    correlation_id: CorrelationId,
) -> Response:
    async def run(command: FollowUp, actor: Actor) -> object:
        return await record_follow_up(
            case_id=case_id,
            command=command,
            actor=actor,
            cases=cases,
            correlation_id=correlation_id,
        )

    return await _post(
        request,
        case_id,
        form_name="follow_up",
        model=FollowUp,
        run=run,
        workbench=workbench,
        cases=cases,
        directory=directory,
        templates=templates,
        relay=relay,
    )
