"""One case: what the resident wrote, why it is here, its history, and the allowed actions.

Actions post to the workbench, which calls the same handler as the JSON action endpoint and
redirects back (POST → 303 → GET); a refused action re-renders the page with the reason.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from services.routing.adapters.case_repository import RoutedCaseRepository, VersionConflict
from services.routing.adapters.directory_repository import DirectoryRepository
from services.routing.adapters.template_repository import TemplateRepository
from services.routing.domain.directory import Directory
from services.routing.domain.follow_up import FollowUpNotAllowed
from services.routing.domain.supervision import InvalidDeadline, SupervisionNotAllowed
from services.routing.domain.workflow import (
    RULES,
    ActionNotAllowed,
    Actor,
    Command,
    OutOfScope,
    can_see,
)
from services.routing.entrypoints.deps import (
    Cases,
    CorrelationId,
    Directories,
    Pages,
    Relay,
    Templates,
    actor_from,
)
from services.routing.entrypoints.pages.form_post import (
    NOT_FOUND,
    FormPage,
    Refusal,
    post_form,
)
from services.routing.entrypoints.schemas import CaseDetail
from services.routing.entrypoints.views import case_detail
from services.routing.entrypoints.workbench import Workbench
from services.routing.handlers.common import InvalidCommand, case_state
from services.routing.handlers.staff_actions import take_action
from services.routing.web.forms import (
    ACTION_FIELDS,
    CASE_FORM_FIELDS,
    Text,
    field_errors,
    parse_command,
    refusal_field,
)
from services.routing.web.views import audit_note, case_names, typed_representative
from shared.auth import Claims
from shared.mongo import Document
from shared.similarity import Place, Profile, best_matches
from shared.web.pages import CONTENT_SECURITY_POLICY

router = APIRouter(include_in_schema=False)


async def render_case(
    request: Request,
    claims: Claims,
    document: Document,
    *,
    workbench: Workbench,
    directory: DirectoryRepository,
    templates: TemplateRepository,
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
    cases: RoutedCaseRepository | None = None,
) -> Response:
    """The case page; with `cases`, and when the case may be merged, its candidate
    duplicates (each with a one-click merge into it)."""
    detail = CaseDetail.model_validate(case_detail(document, actor_from(claims)))
    loaded = await directory.load()
    duplicates = (
        await candidate_duplicates(document, cases=cases, directory=loaded)
        if cases is not None and "merge" in detail.allowed_actions
        else []
    )
    usable_templates = (
        await templates.usable(station_id=detail.station_id, category=detail.category)
        if "respond" in detail.allowed_actions
        else []
    )
    count = int(document.get("attachment_count") or 0)
    base = workbench.intake_web_url.rstrip("/")
    photos = [
        f"{base}/v1/staff/cases/{detail.case_id}/attachments/{n}" for n in range(1, count + 1)
    ]
    response = await workbench.render(
        request,
        claims,
        "case.html",
        {
            "nav_current": "queue",
            "case": detail,
            **case_names(
                loaded,
                category=detail.category,
                station_id=detail.station_id,
                representative_code=detail.representative_code,
                transferred_to=detail.transferred_to,
                zh=workbench.language(request) == "zh",
            ),
            "response_templates": usable_templates,
            "duplicates": duplicates,
            # (n, the photo, its thumbnail): the page loads the small one, links the full one.
            "attachments": [(n, url, f"{url}?size=thumb") for n, url in enumerate(photos, 1)],
            "action_fields": ACTION_FIELDS,
            "has_label": workbench.pages.catalog,
            "audit_notes": [
                audit_note(
                    entry.action,
                    entry.detail,
                    entry.note,
                    word=workbench.texts(request),
                    known=workbench.pages.catalog,
                    local=workbench.local_time,
                )
                for entry in detail.audit
            ],
            "form_errors": {},
            "form_values": {},
            "done": None,
            **(extra or {}),
        },
        status_code=status_code,
    )
    # Photos come from intake, another origin: the case page alone allows its images.
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "img-src 'self'", f"img-src 'self' {workbench.intake_web_url}"
    )
    return response


MAX_CANDIDATES = 200
"""How many of the station's newest open cases of the category are compared with the case."""


async def candidate_duplicates(
    document: Document, *, cases: RoutedCaseRepository, directory: Directory | None
) -> list[dict[str, Any]]:
    """Open cases of the same station alike to this one (shared.similarity, the function
    intake suggests cases to residents with), best first, at most five."""
    points = {p.id: p for p in directory.liaison_points} if directory else {}

    def profile(case: Document) -> Profile:
        point = points.get(case.get("liaison_point_id") or "")
        return Profile(
            category=str(case.get("category", "")),
            text=str(case.get("text", "")),
            place=Place(
                point_id=case.get("liaison_point_id"),
                lat=point.lat if point else None,
                lon=point.lon if point else None,
            ),
        )

    found = await cases.open_alike(
        station_id=document["station_id"], category=document["category"], limit=MAX_CANDIDATES
    )
    others = {d["_id"]: d for d in found if d["_id"] != document["_id"]}
    matches = best_matches(profile(document), [(k, profile(d)) for k, d in others.items()])
    return [{**others[k], "score": round(score, 2)} for k, score in matches]


@router.get("/staff/cases/{case_id}")
async def case_page(
    request: Request,
    case_id: str,
    workbench: Pages,
    cases: Cases,
    directory: Directories,
    templates: Templates,
) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    document = await cases.get(case_id)
    if document is None or not can_see(case_state(document), actor_from(claims)):
        return await workbench.not_found(request, claims)
    done = request.query_params.get("done")
    return await render_case(
        request,
        claims,
        document,
        workbench=workbench,
        directory=directory,
        templates=templates,
        cases=cases,
        # The page's own forms (supervise, follow_up) come back here too.
        extra={"done": done if done in RULES or done in CASE_FORM_FIELDS else None},
    )


def case_form_page(
    request: Request,
    case_id: str,
    *,
    workbench: Workbench,
    cases: RoutedCaseRepository,
    directory: DirectoryRepository,
    templates: TemplateRepository,
    duplicates: bool,
) -> FormPage[Document]:
    """The case page as its forms post back to it; with `duplicates`, a refused post shows the
    case's candidate duplicates again too."""

    async def render(
        claims: Claims, document: Document, status_code: int, extra: dict[str, Any]
    ) -> Response:
        return await render_case(
            request,
            claims,
            document,
            workbench=workbench,
            directory=directory,
            templates=templates,
            status_code=status_code,
            extra=extra,
            cases=cases if duplicates else None,
        )

    return FormPage(
        url=f"/staff/cases/{case_id}",
        load=lambda: cases.get(case_id),
        visible=lambda document, actor: can_see(case_state(document), actor),
        render=render,
    )


def case_refusal(exc: Exception, text: Text, *, field: str) -> Refusal | None:
    """How the case page shows a refused action, supervision or follow-up call; a handler's
    refusal of what the form says is shown at `field`."""
    if isinstance(exc, OutOfScope):
        return NOT_FOUND
    if isinstance(exc, ActionNotAllowed | SupervisionNotAllowed | FollowUpNotAllowed):
        return Refusal(409, problem=text("action_conflict", status=text(f"status_{exc.status}")))
    if isinstance(exc, VersionConflict):
        return Refusal(409, problem=text("action_stale"))
    if isinstance(exc, InvalidCommand | InvalidDeadline):
        return Refusal(422, errors={field: text("err_other", msg=str(exc))})
    return None


@router.post("/staff/cases/{case_id}/actions/{action}")
async def act(
    request: Request,
    case_id: str,
    action: str,
    workbench: Pages,
    cases: Cases,
    directory: Directories,
    templates: Templates,
    relay: Relay,
    correlation_id: CorrelationId,
) -> Response:
    page = case_form_page(
        request,
        case_id,
        workbench=workbench,
        cases=cases,
        directory=directory,
        templates=templates,
        duplicates=True,
    )

    async def parse(form: dict[str, str], document: Document) -> tuple[Command, int | None]:
        if action == "reassign" and form.get("representative_code"):
            # The picker searches by name too: a name that is one representative's stands for them.
            form["representative_code"] = typed_representative(
                await directory.load(), form["representative_code"], station=document["station_id"]
            )
        version = int(form["version"]) if form.get("version", "").isdigit() else None
        return parse_command(action, form), version

    def invalid(exc: ValidationError, text: Text) -> dict[str, str]:
        errors = field_errors(exc, text, skip=1)
        if "" in errors:
            # The one command-wide rule: respond needs a text (or a template).
            del errors[""]
            errors.setdefault(ACTION_FIELDS[action][-1], text("err_required"))
        return errors

    async def run(parsed: tuple[Command, int | None], actor: Actor) -> object:
        command, version = parsed
        return await take_action(
            case_id=case_id,
            command=command,
            actor=actor,
            cases=cases,
            directory=directory,
            expected_version=version,
            templates=templates,
            correlation_id=correlation_id,
        )

    return await post_form(
        request,
        # An action the workflow does not know has no page either.
        replace(page, visible=lambda d, actor: action in RULES and page.visible(d, actor)),
        form_name=action,
        parse=parse,
        run=run,
        refusal=partial(case_refusal, field=refusal_field(action)),
        workbench=workbench,
        relay=relay,
        invalid=invalid,
    )
