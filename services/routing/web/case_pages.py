"""One case: what the resident wrote, why it is here, its history, and the allowed actions.

Actions post to the workbench, which calls the same handler as the JSON action endpoint and
redirects back (POST → 303 → GET); a refused action re-renders the page with the reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import TypeAdapter, ValidationError
from starlette.responses import RedirectResponse, Response

from services.routing.adapters.case_repository import RoutedCaseRepository, VersionConflict
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.template_repository import TemplateRepository
from services.routing.domain.workflow import (
    RULES,
    ActionNotAllowed,
    Command,
    NotPermitted,
    OutOfScope,
    can_see,
)
from services.routing.entrypoints.staff_http import CaseDetail, actor_from, case_detail
from services.routing.handlers import InvalidCommand, case_state, take_action
from services.routing.web.common import Workbench, field_errors
from shared.auth import Claims
from shared.logging import current_correlation_id, new_correlation_id
from shared.mongo import Document
from shared.outbox import OutboxRelay
from shared.web.pages import CONTENT_SECURITY_POLICY

# The form fields each action takes, in the order the form shows them.
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "decline": ("reason",),
    "reject": ("reason",),
    "merge": ("into_case_id",),
    "transfer": ("department_id", "note"),
    "progress": ("note",),
    "respond": ("template_id", "response"),
    "reassign": ("representative_code", "reason"),
}
# Where a handler's refusal (an unknown department, a bad merge target) belongs on the form.
REFUSAL_FIELD = {
    "merge": "into_case_id",
    "transfer": "department_id",
    "respond": "template_id",
    "reassign": "representative_code",
}
_COMMAND: TypeAdapter[Command] = TypeAdapter(Command)


def parse_command(action: str, form: dict[str, str]) -> Command:
    """The form as the API's command; an empty field counts as not given."""
    fields = {name: form[name] for name in ACTION_FIELDS.get(action, ()) if form.get(name)}
    return _COMMAND.validate_python({"action": action, **fields})


def build_router(
    *,
    workbench: Workbench,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    templates: TemplateRepository,
    relay: OutboxRelay,
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    # Photos come from intake, another origin: the case page alone allows its images.
    csp = CONTENT_SECURITY_POLICY.replace(
        "img-src 'self'", f"img-src 'self' {workbench.intake_web_url}"
    )

    async def render_case(
        request: Request,
        claims: Claims,
        document: Document,
        *,
        status_code: int = 200,
        extra: dict[str, Any] | None = None,
    ) -> Response:
        actor = actor_from(claims)
        detail = CaseDetail.model_validate(case_detail(document, actor))
        snapshot = await directory.load()
        zh = workbench.language(request) == "zh"

        def named(entry: Any) -> str:
            return str(entry.name if zh or not hasattr(entry, "name_en") else entry.name_en)

        category = next(
            (c for c in (snapshot.categories if snapshot else ()) if c.code == detail.category),
            None,
        )
        station = snapshot.station(detail.station_id) if snapshot else None
        holder = (
            snapshot.representative(detail.representative_code)
            if snapshot and detail.representative_code
            else None
        )
        department = (
            next((d for d in snapshot.departments if d.id == detail.transferred_to), None)
            if snapshot and detail.transferred_to
            else None
        )
        usable_templates = (
            await templates.usable(station_id=detail.station_id, category=detail.category)
            if "respond" in detail.allowed_actions
            else []
        )
        count = int(document.get("attachment_count") or 0)
        base = workbench.intake_web_url.rstrip("/")
        response = await workbench.render(
            request,
            claims,
            "case.html",
            {
                "nav_current": "queue",
                "case": detail,
                "category_name": named(category) if category else detail.category,
                "station_name": named(station) if station else detail.station_id,
                "holder_name": holder.name if holder else None,
                "department_name": named(department) if department else detail.transferred_to,
                "departments": [d for d in snapshot.departments if d.active] if snapshot else [],
                "station_reps": [
                    r
                    for r in (snapshot.representatives if snapshot else ())
                    if r.active and r.station == detail.station_id
                ],
                "response_templates": usable_templates,
                "attachments": [
                    (n, f"{base}/v1/staff/cases/{detail.case_id}/attachments/{n}")
                    for n in range(1, count + 1)
                ],
                "action_fields": ACTION_FIELDS,
                "has_label": workbench.pages.catalog,
                "form_errors": {},
                "form_values": {},
                "done": None,
                **(extra or {}),
            },
            status_code=status_code,
        )
        response.headers["Content-Security-Policy"] = csp
        return response

    @router.get("/staff/cases/{case_id}")
    async def case_page(request: Request, case_id: str) -> Response:
        claims = workbench.claims(request)
        if claims is None:
            return workbench.to_sign_in(request)
        document = await cases.get(case_id)
        if document is None or not can_see(case_state(document), actor_from(claims)):
            return await workbench.not_found(request, claims)
        done = request.query_params.get("done")
        return await render_case(
            request, claims, document, extra={"done": done if done in RULES else None}
        )

    @router.post("/staff/cases/{case_id}/actions/{action}")
    async def act(request: Request, case_id: str, action: str) -> Response:
        claims = workbench.claims(request)
        if claims is None:
            return workbench.to_sign_in(request)
        form = {k: str(v).strip() for k, v in (await request.form()).items()}
        if not workbench.csrf_ok(request, form.get("csrf")):
            return await workbench.forbidden(request, claims, reason="csrf_failed")
        document = await cases.get(case_id)
        actor = actor_from(claims)
        if document is None or action not in RULES or not can_see(case_state(document), actor):
            return await workbench.not_found(request, claims)

        async def again(status_code: int, **extra: Any) -> Response:
            current = await cases.get(case_id) or document
            values = {action: form}
            return await render_case(
                request,
                claims,
                current,
                status_code=status_code,
                extra={"form_values": values, **extra},
            )

        try:
            command = parse_command(action, form)
        except ValidationError as exc:
            errors = field_errors(exc, lambda k, **v: workbench.text(request, k, **v), skip=1)
            if "" in errors:
                # The one command-wide rule: respond needs a text (or a template).
                del errors[""]
                errors.setdefault(
                    ACTION_FIELDS[action][-1], workbench.text(request, "err_required")
                )
            return await again(422, form_errors={action: errors}, problem=None)
        version = int(form["version"]) if form.get("version", "").isdigit() else None
        try:
            await take_action(
                case_id=case_id,
                command=command,
                actor=actor,
                cases=cases,
                directory=directory,
                expected_version=version,
                templates=templates,
                correlation_id=current_correlation_id() or new_correlation_id(),
            )
        except OutOfScope:
            return await workbench.not_found(request, claims)
        except NotPermitted:
            return await workbench.forbidden(request, claims)
        except ActionNotAllowed as exc:
            label = workbench.text(request, f"status_{exc.status}")
            return await again(
                409, problem=workbench.text(request, "action_conflict", status=label)
            )
        except VersionConflict:
            return await again(409, problem=workbench.text(request, "action_stale"))
        except InvalidCommand as exc:
            field = REFUSAL_FIELD.get(action, ACTION_FIELDS.get(action, ("",))[0])
            message = workbench.text(request, "err_other", msg=str(exc))
            return await again(422, form_errors={action: {field: message}}, problem=None)
        relay.wake()
        return RedirectResponse(f"/staff/cases/{case_id}?done={action}", status_code=303)

    return router
