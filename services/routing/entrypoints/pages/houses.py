"""The workbench's dilapidated-house (危旧房) pages: the station's houses with their stage
counts, paged and searched by the start of the address, a form to register one; and one house
with its households' consent, its stage and history, its cases, and the forms that change them.

Every form posts here, calls the same handlers as the JSON API and redirects (POST → 303 →
GET); a refusal re-renders the page with the reasons at the form (form_post.py).
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import TypeAdapter, ValidationError
from starlette.responses import RedirectResponse, Response

from services.routing.adapters.house_repository import HouseChanged, house_key
from services.routing.domain.house_repair import FollowsHouse, StageChangeNotAllowed
from services.routing.domain.houses import (
    CaseOfAnotherHouse,
    House,
    InvalidHouse,
    LinkCase,
    RecordConsent,
    RegisterHouse,
    can_see_house,
    house_scope,
)
from services.routing.domain.workflow import STATION_ROLES, Actor, NotPermitted, OutOfScope
from services.routing.entrypoints.deps import (
    Cases,
    CorrelationId,
    Directories,
    Houses,
    Pages,
    Relay,
    actor_from,
)
from services.routing.entrypoints.house_repair_http import house_detail, listed_stations
from services.routing.entrypoints.pages.form_post import (
    NOT_FOUND,
    FormPage,
    FormPoster,
    Refusal,
    form_poster,
)
from services.routing.entrypoints.schemas import ChangeStage
from services.routing.handlers import house_repair as handlers
from services.routing.handlers.directory import DirectoryNotLoaded
from services.routing.web.forms import Text, field_errors
from services.routing.web.views import place_name
from shared.auth import Claims
from shared.pagination import BadCursor, cursor_key, page_of

router = APIRouter(include_in_schema=False)

LIST_PATH = "/staff/houses"
PAGE_SIZE = 50
DONE = ("registered", "consent", "stage", "link")
_HOUSE_KEY: TypeAdapter[tuple[str, str, str]] = TypeAdapter(tuple[str, str, str])
# Households typed as one field: flats separated by spaces, commas (either width) or lines.
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def household_labels(typed: str) -> list[str]:
    """The flats of the households field, in the order typed."""
    return [label for label in _SEPARATORS.split(typed) if label]


def register_fields(form: dict[str, str]) -> dict[str, Any]:
    """The register form as the API's command; an empty field counts as not given."""
    fields: dict[str, Any] = {
        name: form[name]
        for name in ("address", "floor_area_m2", "liaison_point_id")
        if form.get(name)
    }
    fields["households"] = household_labels(form.get("households", ""))
    return fields


def _may_write(actor: Actor, house: House | None = None) -> bool:
    if actor.role not in STATION_ROLES or actor.station_id is None:
        return False
    return house is None or house.station_id == actor.station_id


@router.get(LIST_PATH)
async def house_list(
    request: Request, workbench: Pages, houses: Houses, directory: Directories
) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    return await _render_list(
        request, claims, workbench=workbench, houses=houses, directory=directory
    )


async def _render_list(
    request: Request,
    claims: Claims,
    *,
    workbench: Pages,
    houses: Houses,
    directory: Directories,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    actor = actor_from(claims)
    try:
        scope = house_scope(actor)
    except NotPermitted:
        return await workbench.forbidden(request, claims)
    address = request.query_params.get("address", "").strip()[:200] or None
    try:
        after = cursor_key(request.query_params.get("cursor") or None, _HOUSE_KEY)
    except BadCursor:
        after = None
    found = await houses.list_houses(
        station_ids=await listed_stations(scope, directory),
        address=address,
        limit=PAGE_SIZE,
        after=after,
    )
    page = page_of(found, limit=PAGE_SIZE, key=house_key)
    counts = await handlers.house_stage_counts(houses=houses, station_id=scope)
    snapshot = await directory.load()
    points = [
        p
        for p in (snapshot.liaison_points if snapshot else [])
        if p.station == actor.station_id and p.active
    ]
    query = {"cursor": page.next_cursor, **({"address": address} if address else {})}
    next_url = f"{LIST_PATH}?{urlencode(query)}" if page.next_cursor else None
    return await workbench.render(
        request,
        claims,
        "houses.html",
        {
            "nav_current": "houses",
            "houses": page.items,
            "places": {
                h.house_id: place_name(snapshot, h.station_id, h.liaison_point_id)
                for h in page.items
            },
            "counts": counts,
            "total": sum(counts.values()),
            "address": address or "",
            "paged": after is not None,
            "next_url": next_url,
            "may_register": _may_write(actor),
            "points": points,
            "values": values or {},
            "form_errors": errors or {},
        },
        status_code=status_code,
    )


@router.post(LIST_PATH)
async def register(
    request: Request,
    workbench: Pages,
    houses: Houses,
    directory: Directories,
    relay: Relay,
    correlation_id: CorrelationId,
) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    form = {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}
    if not workbench.csrf_ok(request, form.get("csrf")):
        return await workbench.forbidden(request, claims, reason="csrf_failed")
    actor = actor_from(claims)
    if not _may_write(actor):
        return await workbench.forbidden(request, claims)

    async def again(errors: dict[str, str]) -> Response:
        return await _render_list(
            request,
            claims,
            workbench=workbench,
            houses=houses,
            directory=directory,
            values=form,
            errors=errors,
            status_code=422,
        )

    try:
        command = RegisterHouse.model_validate(register_fields(form))
    except ValidationError as exc:
        return await again(field_errors(exc, workbench.texts(request)))
    try:
        house = await handlers.register_station_house(
            command=command,
            actor=actor,
            houses=houses,
            directory=directory,
            correlation_id=correlation_id,
        )
    except InvalidHouse as exc:
        message = workbench.text(request, "err_other", msg="; ".join(exc.problems))
        return await again({"liaison_point_id": message})
    except (NotPermitted, DirectoryNotLoaded):
        return await workbench.forbidden(request, claims)
    relay.wake()
    return RedirectResponse(f"{LIST_PATH}/{house.house_id}?done=registered", status_code=303)


def _house_page(
    request: Request, house_id: str, *, workbench: Pages, houses: Houses, directory: Directories
) -> FormPage[House]:
    async def render(
        claims: Claims, house: House, status_code: int, extra: dict[str, Any]
    ) -> Response:
        return await _render_house(
            request,
            claims,
            house,
            workbench=workbench,
            houses=houses,
            directory=directory,
            extra=extra,
            status_code=status_code,
        )

    return FormPage(
        url=f"{LIST_PATH}/{house_id}",
        load=lambda: houses.get(house_id),
        visible=can_see_house,
        render=render,
    )


async def _render_house(
    request: Request,
    claims: Claims,
    house: House,
    *,
    workbench: Pages,
    houses: Houses,
    directory: Directories,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    done = request.query_params.get("done")
    actor = actor_from(claims)
    detail = await house_detail(house_id=house.house_id, actor=actor, houses=houses)
    snapshot = await directory.load()
    return await workbench.render(
        request,
        claims,
        "house.html",
        {
            "nav_current": "houses",
            "h": detail,
            "place": place_name(snapshot, detail.station_id, detail.liaison_point_id),
            "may_manage": _may_write(actor, house),
            "notice": workbench.text(request, f"house_done_{done}") if done in DONE else None,
            "form_values": {},
            "form_errors": {},
            **(extra or {}),
        },
        status_code=status_code,
    )


@router.get(LIST_PATH + "/{house_id}")
async def house_page(
    request: Request, house_id: str, workbench: Pages, houses: Houses, directory: Directories
) -> Response:
    claims = await workbench.claims(request)
    if claims is None:
        return workbench.to_sign_in(request)
    found = await houses.get(house_id)
    if found is None or not can_see_house(found, actor_from(claims)):
        return await workbench.not_found(request, claims)
    return await _render_house(
        request, claims, found, workbench=workbench, houses=houses, directory=directory
    )


def refusal(exc: Exception, text: Text) -> Refusal | None:
    """How the house page shows a handler's refusal."""
    if isinstance(exc, handlers.NoSuchHouse):
        return NOT_FOUND
    if isinstance(exc, InvalidHouse):
        return Refusal(422, errors={"": text("err_other", msg="; ".join(exc.problems))})
    if isinstance(exc, StageChangeNotAllowed):
        return Refusal(409, errors={"stage": str(exc)})
    if isinstance(exc, HouseChanged):
        return Refusal(409, problem=text("house_changed"))
    if isinstance(exc, CaseOfAnotherHouse | FollowsHouse):
        return Refusal(409, errors={"case_id": str(exc)})
    if isinstance(exc, OutOfScope):
        return Refusal(422, errors={"case_id": text("err_other", msg="no such case")})
    return None


def _version(form: dict[str, str]) -> int | None:
    value = form.get("version", "")
    return int(value) if value.isdigit() else None


async def _house_form(
    request: Request,
    house_id: str,
    workbench: Pages,
    houses: Houses,
    directory: Directories,
    relay: Relay,
) -> FormPoster[House]:
    page = _house_page(request, house_id, workbench=workbench, houses=houses, directory=directory)
    return form_poster(request, page, refusal=refusal, workbench=workbench, relay=relay)


HouseForm = Annotated[FormPoster[House], Depends(_house_form)]


@router.post(LIST_PATH + "/{house_id}/stage")
async def change_stage(
    house_id: str, post: HouseForm, houses: Houses, cases: Cases, correlation_id: CorrelationId
) -> Response:
    async def parse(form: dict[str, str], house: House) -> tuple[ChangeStage, int | None]:
        fields = {k: form[k] for k in ("stage", "note") if form.get(k)}
        return ChangeStage.model_validate(fields), _version(form)

    async def run(command: tuple[ChangeStage, int | None], actor: Actor) -> object:
        body, version = command
        return await handlers.move_house_stage(
            house_id=house_id,
            stage=body.stage,
            note=body.note,
            actor=actor,
            houses=houses,
            cases=cases,
            correlation_id=correlation_id,
            expected_version=version,
        )

    return await post(form_name="stage", parse=parse, run=run)


@router.post(LIST_PATH + "/{house_id}/consents")
async def record_consent(
    house_id: str, post: HouseForm, houses: Houses, correlation_id: CorrelationId
) -> Response:
    async def parse(form: dict[str, str], house: House) -> RecordConsent:
        fields = {k: form[k] for k in ("household", "consent") if form.get(k)}
        return RecordConsent.model_validate(fields)

    async def run(command: RecordConsent, actor: Actor) -> object:
        return await handlers.record_household_consent(
            house_id=house_id,
            label=command.household,
            consent=command.consent,
            actor=actor,
            houses=houses,
            correlation_id=correlation_id,
        )

    return await post(form_name="consent", parse=parse, run=run)


@router.post(LIST_PATH + "/{house_id}/cases")
async def link_case(
    house_id: str, post: HouseForm, houses: Houses, cases: Cases, correlation_id: CorrelationId
) -> Response:
    async def parse(form: dict[str, str], house: House) -> LinkCase:
        return LinkCase.model_validate({k: form[k] for k in ("case_id",) if form.get(k)})

    async def run(command: LinkCase, actor: Actor) -> object:
        return await handlers.link_house_case(
            house_id=house_id,
            case_id=command.case_id,
            actor=actor,
            houses=houses,
            cases=cases,
            correlation_id=correlation_id,
        )

    return await post(form_name="link", parse=parse, run=run)
