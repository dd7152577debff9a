"""The workbench's deliberation meeting (议事会) pages: the station's meetings, a new meeting
planned from the proposed agenda, a meeting or themed activity recorded once held (it counts in
its representatives' duty records), and one meeting with its participants, the form that
records it as held, and a decision form per agenda item.

Every form posts here, calls the same handler as the JSON API and redirects (POST → 303 → GET);
a refusal re-renders the page with the reasons at the form (form_post.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from services.routing.domain.directory import Directory
from services.routing.domain.meeting_agenda import ProposedItem
from services.routing.domain.meetings import (
    DecideItem,
    HoldMeeting,
    InvalidMeeting,
    Meeting,
    MeetingNotAllowed,
    NoSuchItem,
    NoSuchMeeting,
    PlanMeeting,
    RecordMeeting,
    can_see_meeting,
    meeting_scope,
)
from services.routing.domain.workflow import STATION_ROLES, Actor, NotPermitted
from services.routing.entrypoints.deps import (
    CorrelationId,
    Directories,
    LocalZone,
    Meetings,
    Pages,
    Relay,
    actor_from,
)
from services.routing.entrypoints.pages.form_post import (
    NOT_FOUND,
    FormPage,
    FormPoster,
    PostedForm,
    Refusal,
    form_poster,
)
from services.routing.handlers import meetings as handlers
from services.routing.handlers.directory import DirectoryNotLoaded
from services.routing.web.forms import Text, field_errors
from services.routing.web.meeting_forms import (
    decision_fields,
    hold_fields,
    plan_fields,
    problem_errors,
    record_fields,
)
from services.routing.web.views import place_name
from shared.auth import Claims
from shared.events.activity_events import MeetingKind

router = APIRouter(include_in_schema=False)

LIST_PATH = "/staff/meetings"
DONE = ("planned", "recorded", "held", "decided")
RECORD_PATH = f"{LIST_PATH}/record"
KINDS: tuple[str, ...] = get_args(MeetingKind)
PAGE_SIZE = 100


def _texts(form: FormData) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _station_points(directory: Directory | None, station: str | None) -> list[Any]:
    if directory is None or station is None:
        return []
    return [p for p in directory.liaison_points if p.station == station and p.active]


@router.get(LIST_PATH)
async def meeting_list(
    request: Request, workbench: Pages, meetings: Meetings, directory: Directories
) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    actor = actor_from(claims)
    try:
        scope = meeting_scope(actor)
    except NotPermitted:
        return await workbench.forbidden(request, claims)
    found = await meetings.list_meetings(station_id=scope, limit=PAGE_SIZE)
    snapshot = await directory.load()
    return await workbench.render(
        request,
        claims,
        "meetings.html",
        {
            "nav_current": "meetings",
            "meetings": found,
            "places": {
                m.meeting_id: place_name(snapshot, m.station_id, m.liaison_point_id) for m in found
            },
            "may_plan": _may_plan(claims),
        },
    )


async def _render_new(
    request: Request,
    claims: Claims,
    *,
    workbench: Pages,
    meetings: Meetings,
    directory: Directories,
    values: dict[str, str],
    picked: list[str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_from(claims)
    point = request.query_params.get("liaison_point_id") or None
    proposal: list[ProposedItem] = await handlers.agenda_proposal(
        actor=actor, meetings=meetings, directory=directory, liaison_point_id=point
    )
    snapshot = await directory.load()
    return await workbench.render(
        request,
        claims,
        "meeting_new.html",
        {
            "nav_current": "meetings",
            "proposal": proposal,
            "points": _station_points(snapshot, actor.station_id),
            "point_filter": point or "",
            "values": values,
            "picked": picked,
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _may_plan(claims: Claims) -> bool:
    actor = actor_from(claims)
    return actor.role in STATION_ROLES and actor.station_id is not None


async def _station_member(request: Request, workbench: Pages) -> Claims | Response:
    """The signed-in station member's claims, or the page that sends anyone else away."""
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    if not _may_plan(claims):
        return await workbench.forbidden(request, claims)
    return claims


async def _station_post(request: Request, workbench: Pages) -> tuple[Claims, FormData] | Response:
    """A station member's posted form with its CSRF token checked, or the page that refuses it."""
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    raw = await request.form()
    if not workbench.csrf_ok(request, _texts(raw).get("csrf")):
        return await workbench.forbidden(request, claims, reason="csrf_failed")
    if not _may_plan(claims):
        return await workbench.forbidden(request, claims)
    return claims, raw


@router.get(f"{LIST_PATH}/new")
async def new_meeting(
    request: Request, workbench: Pages, meetings: Meetings, directory: Directories
) -> Response:
    claims = await _station_member(request, workbench)
    if isinstance(claims, Response):
        return claims
    try:
        return await _render_new(
            request,
            claims,
            workbench=workbench,
            meetings=meetings,
            directory=directory,
            values={},
            picked=[],
        )
    except DirectoryNotLoaded:
        return await workbench.forbidden(request, claims)


@router.post(LIST_PATH)
async def plan_meeting(
    request: Request,
    workbench: Pages,
    meetings: Meetings,
    directory: Directories,
    zone: LocalZone,
) -> Response:
    posted = await _station_post(request, workbench)
    if isinstance(posted, Response):
        return posted
    claims, raw = posted
    form = _texts(raw)
    picked = [str(v) for v in raw.getlist("pick")]

    async def again(errors: dict[str, str], status_code: int) -> Response:
        return await _render_new(
            request,
            claims,
            workbench=workbench,
            meetings=meetings,
            directory=directory,
            values=form,
            picked=picked,
            errors=errors,
            status_code=status_code,
        )

    text = workbench.texts(request)
    try:
        command = PlanMeeting.model_validate(plan_fields(form, picked))
    except ValidationError as exc:
        return await again(field_errors(exc, text), 422)
    now = datetime.now(UTC)
    try:
        meeting = await handlers.plan_station_meeting(
            command=command,
            actor=actor_from(claims),
            meetings=meetings,
            directory=directory,
            today=now.astimezone(zone).date(),
            now=now,
        )
    except InvalidMeeting as exc:
        return await again(problem_errors(exc.details, text), 422)
    except (NotPermitted, DirectoryNotLoaded):
        return await workbench.forbidden(request, claims)
    return RedirectResponse(f"{LIST_PATH}/{meeting.meeting_id}?done=planned", status_code=303)


async def _render_record(
    request: Request,
    claims: Claims,
    *,
    workbench: Pages,
    directory: Directories,
    values: dict[str, str],
    today: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    snapshot = await directory.load()
    return await workbench.render(
        request,
        claims,
        "meeting_record.html",
        {
            "nav_current": "meetings",
            "kinds": KINDS,
            "points": _station_points(snapshot, actor_from(claims).station_id),
            "today": today,
            "values": values,
            "errors": errors or {},
        },
        status_code=status_code,
    )


# Before LIST_PATH/{meeting_id}: "record" is no meeting id.
@router.get(RECORD_PATH)
async def record_form(
    request: Request, workbench: Pages, directory: Directories, zone: LocalZone
) -> Response:
    claims = await _station_member(request, workbench)
    if isinstance(claims, Response):
        return claims
    today = datetime.now(UTC).astimezone(zone).date().isoformat()
    return await _render_record(
        request,
        claims,
        workbench=workbench,
        directory=directory,
        values={"held_on": today},
        today=today,
    )


@router.post(RECORD_PATH)
async def record_held(
    request: Request,
    workbench: Pages,
    meetings: Meetings,
    directory: Directories,
    relay: Relay,
    zone: LocalZone,
    correlation_id: CorrelationId,
) -> Response:
    posted = await _station_post(request, workbench)
    if isinstance(posted, Response):
        return posted
    claims, raw = posted
    form = _texts(raw)
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()

    async def again(errors: dict[str, str]) -> Response:
        return await _render_record(
            request,
            claims,
            workbench=workbench,
            directory=directory,
            values=form,
            today=today.isoformat(),
            errors=errors,
            status_code=422,
        )

    text = workbench.texts(request)
    try:
        command = RecordMeeting.model_validate(record_fields(form))
    except ValidationError as exc:
        return await again(field_errors(exc, text))
    try:
        meeting = await handlers.record_station_meeting(
            command=command,
            actor=actor_from(claims),
            meetings=meetings,
            directory=directory,
            correlation_id=correlation_id,
            today=today,
            now=now,
        )
    except InvalidMeeting as exc:
        return await again(problem_errors(exc.details, text))
    except (NotPermitted, DirectoryNotLoaded):
        return await workbench.forbidden(request, claims)
    relay.wake()
    return RedirectResponse(f"{LIST_PATH}/{meeting.meeting_id}?done=recorded", status_code=303)


async def _render_meeting(
    request: Request,
    claims: Claims,
    meeting: Meeting,
    *,
    workbench: Pages,
    directory: Directories,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    done = request.query_params.get("done")
    snapshot = await directory.load()
    actor = actor_from(claims)
    point = (
        snapshot.point(meeting.liaison_point_id) if snapshot and meeting.liaison_point_id else None
    )
    representatives = [
        (code, found.name if snapshot and (found := snapshot.representative(code)) else code)
        for code in meeting.representatives
    ]
    return await workbench.render(
        request,
        claims,
        "meeting.html",
        {
            "nav_current": "meetings",
            "m": meeting,
            "point_name": point.name if point else None,
            "representatives": representatives,
            "may_manage": actor.role in STATION_ROLES and actor.station_id == meeting.station_id,
            "notice": workbench.text(request, f"meeting_done_{done}") if done in DONE else None,
            "form_values": {},
            "form_errors": {},
            **(extra or {}),
        },
        status_code=status_code,
    )


@router.get(LIST_PATH + "/{meeting_id}")
async def meeting_page(
    request: Request,
    meeting_id: str,
    workbench: Pages,
    meetings: Meetings,
    directory: Directories,
) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    found = await meetings.get(meeting_id)
    if found is None or not can_see_meeting(found, actor_from(claims)):
        return await workbench.not_found(request, claims)
    return await _render_meeting(request, claims, found, workbench=workbench, directory=directory)


def refusal(exc: Exception, text: Text) -> Refusal | None:
    """How the meeting page shows a handler's refusal."""
    if isinstance(exc, NoSuchMeeting | NoSuchItem):
        return NOT_FOUND
    if isinstance(exc, InvalidMeeting):
        return Refusal(422, errors=problem_errors(exc.details, text))
    if isinstance(exc, MeetingNotAllowed):
        return Refusal(409, problem=str(exc))
    return None


async def _meeting_form(
    request: Request,
    meeting_id: str,
    workbench: Pages,
    meetings: Meetings,
    directory: Directories,
    relay: Relay,
) -> FormPoster[Meeting]:
    """A form on the meeting page. Not stripped: the form shown again keeps what was typed, and
    meeting_forms strips what it reads."""

    async def render(
        claims: Claims, meeting: Meeting, status_code: int, extra: dict[str, Any]
    ) -> Response:
        return await _render_meeting(
            request,
            claims,
            meeting,
            workbench=workbench,
            directory=directory,
            extra=extra,
            status_code=status_code,
        )

    page = FormPage(
        url=f"{LIST_PATH}/{meeting_id}",
        load=lambda: meetings.get(meeting_id),
        visible=can_see_meeting,
        render=render,
    )
    return form_poster(
        request, page, refusal=refusal, workbench=workbench, relay=relay, strip=False
    )


MeetingForm = Annotated[FormPoster[Meeting], Depends(_meeting_form)]


@router.post(LIST_PATH + "/{meeting_id}/held")
async def hold(
    meeting_id: str,
    post: MeetingForm,
    meetings: Meetings,
    zone: LocalZone,
    correlation_id: CorrelationId,
) -> Response:
    async def parse(form: PostedForm, _: Meeting) -> HoldMeeting:
        return HoldMeeting.model_validate(hold_fields(form))

    async def run(command: HoldMeeting, actor: Actor) -> Meeting:
        now = datetime.now(UTC)
        return await handlers.hold_station_meeting(
            meeting_id=meeting_id,
            command=command,
            actor=actor,
            meetings=meetings,
            correlation_id=correlation_id,
            today=now.astimezone(zone).date(),
            now=now,
        )

    return await post(form_name="held", parse=parse, run=run)


@router.post(LIST_PATH + "/{meeting_id}/items/{item_id}/decision")
async def decide(
    meeting_id: str,
    item_id: str,
    post: MeetingForm,
    meetings: Meetings,
    correlation_id: CorrelationId,
) -> Response:
    async def parse(form: PostedForm, _: Meeting) -> DecideItem:
        return DecideItem.model_validate(decision_fields(form, form.getlist("case_id")))

    async def run(command: DecideItem, actor: Actor) -> Meeting:
        return await handlers.decide_agenda_item(
            meeting_id=meeting_id,
            item_id=item_id,
            command=command,
            actor=actor,
            meetings=meetings,
            correlation_id=correlation_id,
            now=datetime.now(UTC),
        )

    return await post(form_name=f"decision-{item_id}", parse=parse, run=run, done="decided")
