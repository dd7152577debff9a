"""Open311 GeoReport v2 under `/open311/v2/`: thin routes over the slice's pure modules.

Every resource answers in XML or JSON by its suffix; every error is the spec's `errors`
body, in the same format, mapped in one place (`Open311Route`).

Reading requests is public, but the public reads only what residents agreed to publish, and
that scrubbed (`from_case.public_service_request`); a partner sending a valid `api_key` reads
every case in full. Both are rate-limited per client address, like every public door.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import RootModel

from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.domain.errors import UnknownReference
from services.intake.entrypoints.deps import (
    RATE_LIMITED,
    Cases,
    Commands,
    Directory,
    Settings,
)
from services.intake.open311 import from_case, rendering, to_case
from services.intake.open311.errors import (
    Open311Error,
    check_api_key,
    check_jurisdiction,
    parse_format,
)
from services.intake.open311.rendering import Body
from services.intake.open311.schemas import (
    CONTENT_TYPES,
    FORMATS,
    Discovery,
    ErrorItem,
    Format,
    PostedRequest,
    Service,
    ServiceDefinition,
    ServiceRequest,
    TokenAnswer,
)
from shared.logging import get_logger

log = get_logger(__name__)

PREFIX = "/open311/v2"


def render(body: Body, *, fmt: Format, status_code: int = 200) -> Response:
    if fmt == "json":
        return JSONResponse(body.data, status_code=status_code)
    return Response(
        rendering.to_xml(body), status_code=status_code, media_type=CONTENT_TYPES["xml"]
    )


class Open311Route(APIRoute):
    """Refuses an unknown format suffix and answers every `Open311Error` in one place."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            suffix = str(request.path_params.get("fmt", "xml"))
            fmt: Format = "json" if suffix == "json" else "xml"
            try:
                parse_format(suffix)
                return await handler(request)
            except Open311Error as exc:
                log.info("open311.refused", status=exc.status, path=request.url.path)
                return render(rendering.errors_body(exc), fmt=fmt, status_code=exc.status)
            except HTTPException as exc:
                # The rate limit's 429, in the spec's errors body like every other refusal.
                if exc.status_code != status.HTTP_429_TOO_MANY_REQUESTS:
                    raise
                log.info("open311.rate_limited", path=request.url.path)
                error = Open311Error(exc.status_code, str(exc.detail))
                response = render(rendering.errors_body(error), fmt=fmt, status_code=429)
                response.headers.update(exc.headers or {})
                return response

        return route


_TEXT = {"type": "string"}
_POST_FORM: dict[str, Any] = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["api_key", "service_code", "description"],
                "properties": {
                    **dict.fromkeys(
                        (
                            "api_key",
                            "jurisdiction_id",
                            "service_code",
                            "description",
                            "address_string",
                            "address_id",
                            "first_name",
                            "last_name",
                            "phone",
                            "email",
                            "device_id",
                            "account_id",
                            "media_url",
                            "attribute[liaison_point]",
                            "attribute[representative_code]",
                        ),
                        _TEXT,
                    ),
                    "lat": {"type": "number"},
                    "long": {"type": "number"},
                },
            }
        }
    },
}


# The suffix is declared as the two formats, but any other is answered (404, in the errors
# body), not refused by validation.
Suffix = Annotated[
    str,
    Path(
        description="The answer's format: json or xml.",
        json_schema_extra={"enum": list(FORMATS)},
    ),
]


class Open311Errors(RootModel[list[ErrorItem]]):
    """GeoReport's `errors` body: one entry per problem, its `code` the HTTP status."""


_XML: dict[str, Any] = {CONTENT_TYPES["xml"]: {"schema": {"type": "string"}}}
_REFUSALS = {
    400: "A malformed request: not a UTF-8 url-encoded form, a date window backwards or too "
    "long, an unknown service_code or liaison point.",
    403: "No api_key where one is needed, or an invalid one.",
    404: "Not found: the resource, the jurisdiction_id, or the format suffix (json or xml).",
    429: "Too many requests from this address: wait as long as `Retry-After` says.",
}


def _answers(body: Any, *refusals: int) -> dict[int | str, dict[str, Any]]:
    """What an operation answers, in the format its suffix asks for: `body` (as JSON or XML),
    or GeoReport's `errors` with one of `refusals` (and 404 for a wrong format or
    jurisdiction, which every operation may answer)."""
    return {
        200: {"model": body, "content": _XML},
        **{
            status: {"description": _REFUSALS[status], "model": Open311Errors, "content": _XML}
            for status in (*refusals, 404)
        },
    }


router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=Open311Route)


def _checked(request: Request, fmt: str, *, jurisdiction: str) -> Format:
    check_jurisdiction(request.query_params.get("jurisdiction_id"), expected=jurisdiction)
    return parse_format(fmt)


def _is_partner(request: Request, *, keys: list[str]) -> bool:
    """True for a partner's valid `api_key` (query); False without one (the public); a wrong
    key is refused (403) rather than quietly answered as the public."""
    given = request.query_params.get("api_key")
    if not given:
        return False
    check_api_key(given, keys=keys)
    return True


@router.get("/discovery.{fmt}", summary="Service discovery.", responses=_answers(Discovery))
async def get_discovery(request: Request, fmt: Suffix, settings: Settings) -> Response:
    url = str(request.url_for("get_services", fmt="xml")).removesuffix("services.xml")
    found = _checked(request, fmt, jurisdiction=settings.open311_jurisdiction_id)
    return render(rendering.discovery_body(from_case.discovery(url=url)), fmt=found)


@router.get(
    "/services.{fmt}",
    summary="Service list: the active categories.",
    responses=_answers(list[Service]),
)
async def get_services(
    request: Request, fmt: Suffix, directory: Directory, settings: Settings
) -> Response:
    found = _checked(request, fmt, jurisdiction=settings.open311_jurisdiction_id)
    categories = await directory.entries("category")
    services = [from_case.service_of(c) for c in categories if c.get("active", True)]
    return render(rendering.services_body(services), fmt=found)


@router.get(
    "/services/{service_code}.{fmt}",
    summary="Service definition: its attributes.",
    responses=_answers(ServiceDefinition),
)
async def get_service_definition(
    request: Request, service_code: str, fmt: Suffix, directory: Directory, settings: Settings
) -> Response:
    found = _checked(request, fmt, jurisdiction=settings.open311_jurisdiction_id)
    category = await directory.entry("category", service_code)
    if category is None or not category.get("active", True):
        raise Open311Error(404, f"service_code {service_code!r} was not found")
    points = await directory.entries("liaison_point")
    definition = from_case.service_definition(service_code, points=points)
    return render(rendering.definition_body(definition), fmt=found)


@router.post(
    "/requests.{fmt}",
    dependencies=[RATE_LIMITED],
    summary="Create a service request (form-encoded, with api_key).",
    openapi_extra={"requestBody": _POST_FORM},
    responses=_answers(list[PostedRequest], 400, 403, 429),
)
async def post_request(
    request: Request,
    fmt: Suffix,
    commands: Commands,
    directory: Directory,
    settings: Settings,
) -> Response:
    found = parse_format(fmt)
    form = await _form(request)
    check_api_key(form.get("api_key"), keys=settings.open311_api_keys)
    check_jurisdiction(
        form.get("jurisdiction_id") or request.query_params.get("jurisdiction_id"),
        expected=settings.open311_jurisdiction_id,
    )
    command = to_case.command_from_form(form)
    category = await directory.entry("category", command.category)
    if category is None or not category.get("active", True):
        raise to_case.unknown_reference("category", command.category)
    try:
        stored = await commands.submit(command)
    except UnknownReference as exc:
        raise to_case.unknown_reference(exc.field, getattr(command, exc.field)) from None
    posted = PostedRequest(service_request_id=stored["_id"])
    return render(rendering.requests_body([posted]), fmt=found)


@router.get(
    "/tokens/{token}.{fmt}",
    dependencies=[RATE_LIMITED],
    summary="The request id for a token.",
    responses=_answers(list[TokenAnswer], 403, 429),
)
async def get_token(
    request: Request, token: str, fmt: Suffix, cases: Cases, settings: Settings
) -> Response:
    # Ids are given at once, so a token is the request's id. The public learns only of the
    # cases it may read: any other is as unknown as a made-up one.
    found = _checked(request, fmt, jurisdiction=settings.open311_jurisdiction_id)
    public_only = not _is_partner(request, keys=settings.open311_api_keys)
    if await cases.by_id(token, public_only=public_only) is None:
        raise Open311Error(404, f"token {token!r} was not found")
    answer = TokenAnswer(service_request_id=token, token=token)
    return render(rendering.requests_body([answer]), fmt=found)


@router.get(
    "/requests.{fmt}",
    dependencies=[RATE_LIMITED],
    summary="Service requests: filters, paging, extensions (all cases in full with api_key).",
    responses=_answers(list[ServiceRequest], 400, 403, 429),
)
async def get_requests(
    request: Request, fmt: Suffix, cases: Cases, directory: Directory, settings: Settings
) -> Response:
    found = _checked(request, fmt, jurisdiction=settings.open311_jurisdiction_id)
    partner = _is_partner(request, keys=settings.open311_api_keys)
    query = to_case.requests_query(dict(request.query_params), now=datetime.now(UTC))
    documents = await cases.search(
        public_only=not partner,
        ids=query.ids,
        submitted_from=query.start,
        submitted_until=query.end,
        statuses=query.statuses,
        categories=query.service_codes,
        skip=query.skip,
        limit=query.page_size,
    )
    names = await _service_names(directory)
    if partner:
        requests = [
            from_case.service_request(d, service_names=names, extensions=query.extensions)
            for d in documents
        ]
    else:
        requests = from_case.public_service_requests(
            documents, service_names=names, extensions=query.extensions
        )
    return render(rendering.requests_body(requests), fmt=found)


@router.get(
    "/requests/{service_request_id}.{fmt}",
    dependencies=[RATE_LIMITED],
    summary="One service request (in full with api_key).",
    responses=_answers(list[ServiceRequest], 403, 429),
)
async def get_request(
    request: Request,
    service_request_id: str,
    fmt: Suffix,
    cases: Cases,
    directory: Directory,
    settings: Settings,
) -> Response:
    found = _checked(request, fmt, jurisdiction=settings.open311_jurisdiction_id)
    partner = _is_partner(request, keys=settings.open311_api_keys)
    document = await cases.by_id(service_request_id, public_only=not partner)
    extensions = request.query_params.get("extensions", "").lower() == "true"
    one: ServiceRequest | None = None
    if document is not None and partner:
        names = await _service_names(directory)
        one = from_case.service_request(document, service_names=names, extensions=extensions)
    elif document is not None:
        names = await _service_names(directory)
        one = from_case.public_service_request(document, service_names=names, extensions=extensions)
    if one is None:
        # A case the public may not read answers exactly as one that does not exist.
        raise Open311Error(404, f"service_request_id {service_request_id!r} was not found")
    return render(rendering.requests_body([one]), fmt=found)


async def _form(request: Request) -> dict[str, str]:
    """The url-encoded form the spec asks for (the last value of a repeated key wins)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/"):
        raise Open311Error(400, "send the request as application/x-www-form-urlencoded")
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise Open311Error(400, "the form must be UTF-8") from None
    return dict(parse_qsl(text, keep_blank_values=True))


async def _service_names(directory: DirectoryCopy) -> dict[str, str]:
    return {str(c["code"]): str(c["name"]) for c in await directory.entries("category")}
