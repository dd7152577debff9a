"""Open311 GeoReport v2 under `/open311/v2/`: thin routes over the pure `domain.open311`.

Every resource answers in XML or JSON by its suffix; every error is the spec's `errors`
body, in the same format, mapped in one place (`Open311Route`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from services.intake.adapters.case_repository import CaseRepository, request_fingerprint
from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.domain import open311
from services.intake.domain.open311 import Body, Format, Open311Error
from services.intake.handlers import UnknownReference, submit_case
from services.intake.settings import IntakeSettings
from shared.logging import current_correlation_id, get_logger, new_correlation_id
from shared.outbox import OutboxRelay

log = get_logger(__name__)

PREFIX = "/open311/v2"


def render(body: Body, *, fmt: Format, status_code: int = 200) -> Response:
    if fmt == "json":
        return JSONResponse(body.data, status_code=status_code)
    return Response(
        open311.to_xml(body), status_code=status_code, media_type=open311.CONTENT_TYPES["xml"]
    )


class Open311Route(APIRoute):
    """Refuses an unknown format suffix and answers every `Open311Error` in one place."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            suffix = str(request.path_params.get("fmt", "xml"))
            fmt: Format = "json" if suffix == "json" else "xml"
            try:
                open311.parse_format(suffix)
                return await handler(request)
            except Open311Error as exc:
                log.info("open311.refused", status=exc.status, path=request.url.path)
                return render(open311.errors_body(exc), fmt=fmt, status_code=exc.status)

        return route


def build_open311_router(
    *,
    cases: CaseRepository,
    directory: DirectoryCopy,
    relay: OutboxRelay,
    settings: IntakeSettings,
    limit: Callable[[Request], Awaitable[None]] | None = None,
) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=Open311Route)
    jurisdiction = settings.open311_jurisdiction_id

    def checked(request: Request, fmt: str) -> Format:
        open311.check_jurisdiction(
            request.query_params.get("jurisdiction_id"), expected=jurisdiction
        )
        return open311.parse_format(fmt)

    @router.get("/discovery.{fmt}", summary="Service discovery.")
    async def get_discovery(request: Request, fmt: str) -> Response:
        url = str(request.url_for("get_services", fmt="xml")).removesuffix("services.xml")
        return render(open311.discovery_body(open311.discovery(url=url)), fmt=checked(request, fmt))

    @router.get("/services.{fmt}", summary="Service list: the active categories.")
    async def get_services(request: Request, fmt: str) -> Response:
        found = checked(request, fmt)
        categories = await directory.entries("category")
        services = [open311.service_of(c) for c in categories if c.get("active", True)]
        return render(open311.services_body(services), fmt=found)

    @router.get("/services/{service_code}.{fmt}", summary="Service definition: its attributes.")
    async def get_service_definition(request: Request, service_code: str, fmt: str) -> Response:
        found = checked(request, fmt)
        category = await directory.entry("category", service_code)
        if category is None or not category.get("active", True):
            raise Open311Error(404, f"service_code {service_code!r} was not found")
        points = await directory.entries("liaison_point")
        definition = open311.service_definition(service_code, points=points)
        return render(open311.definition_body(definition), fmt=found)

    @router.post(
        "/requests.{fmt}",
        dependencies=[Depends(limit)] if limit else [],
        summary="Create a service request (form-encoded, with api_key).",
        openapi_extra={"requestBody": _POST_FORM},
    )
    async def post_request(request: Request, fmt: str) -> Response:
        found = open311.parse_format(fmt)
        form = await _form(request)
        open311.check_api_key(form.get("api_key"), keys=settings.open311_api_keys)
        open311.check_jurisdiction(
            form.get("jurisdiction_id") or request.query_params.get("jurisdiction_id"),
            expected=jurisdiction,
        )
        command = open311.command_from_form(form)
        category = await directory.entry("category", command.category)
        if category is None or not category.get("active", True):
            raise open311.unknown_reference("category", command.category)
        try:
            stored = await submit_case(
                command=command,
                cases=cases,
                directory=directory,
                correlation_id=current_correlation_id() or new_correlation_id(),
                idempotency_key=None,
                fingerprint=request_fingerprint(command),
            )
        except UnknownReference as exc:
            raise open311.unknown_reference(exc.field, getattr(command, exc.field)) from None
        relay.wake()
        posted = open311.PostedRequest(service_request_id=stored["_id"])
        return render(open311.requests_body([posted]), fmt=found)

    @router.get("/tokens/{token}.{fmt}", summary="The request id for a token.")
    async def get_token(request: Request, token: str, fmt: str) -> Response:
        # Ids are given at once, so a token is the request's id.
        found = checked(request, fmt)
        if await cases.by_id(token) is None:
            raise Open311Error(404, f"token {token!r} was not found")
        answer = open311.TokenAnswer(service_request_id=token, token=token)
        return render(open311.requests_body([answer]), fmt=found)

    @router.get("/requests.{fmt}", summary="Service requests: filters, paging, extensions.")
    async def get_requests(request: Request, fmt: str) -> Response:
        found = checked(request, fmt)
        query = open311.requests_query(dict(request.query_params), now=datetime.now(UTC))
        documents = await cases.search(
            ids=query.ids,
            submitted_from=query.start,
            submitted_until=query.end,
            statuses=query.statuses,
            categories=query.service_codes,
            skip=query.skip,
            limit=query.page_size,
        )
        names = await _service_names(directory)
        requests = [
            open311.service_request(d, service_names=names, extensions=query.extensions)
            for d in documents
        ]
        return render(open311.requests_body(requests), fmt=found)

    @router.get("/requests/{service_request_id}.{fmt}", summary="One service request.")
    async def get_request(request: Request, service_request_id: str, fmt: str) -> Response:
        found = checked(request, fmt)
        document = await cases.by_id(service_request_id)
        if document is None:
            raise Open311Error(404, f"service_request_id {service_request_id!r} was not found")
        extensions = request.query_params.get("extensions", "").lower() == "true"
        one = open311.service_request(
            document, service_names=await _service_names(directory), extensions=extensions
        )
        return render(open311.requests_body([one]), fmt=found)

    return router


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
