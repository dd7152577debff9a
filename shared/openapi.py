"""The error answers every service's OpenAPI document declares, with the bodies they really have.

FastAPI documents a 422 in its own default shape and nothing of what the shared shell, the
access rules or the rate limit answer. Here, once for the four services:

- one body for every error but 422 (`ErrorBody`: `{"detail": "..."}`, `request_id` on a 503),
  and the field-level 422 body the validation handler builds (`ValidationProblem`), in place of
  FastAPI's `HTTPValidationError`;
- a dependency (or an endpoint) that refuses a request says so with `@answers(status, why)`,
  and every operation that uses it, however deep, declares that answer: 401 (with
  `WWW-Authenticate`) from the token check, 403 from the access rules, 429 (with `Retry-After`)
  from the rate limit;
- what the shell answers for any operation: 413 for a body over the limit and 422 for one that
  does not validate (operations that take a body or parameters), 503 when the store or broker is
  unreachable (every operation but the few marked `@offline`);
- an error status a route declares by description only (`responses={404: {"description":
  ...}}`) gets the shared body; a route that declares its own body (a 409 with the allowed
  actions, Open311's `errors`) keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import BaseRoute

F = TypeVar("F", bound=Callable[..., Any])

_ANSWERS = "__minyi_answers__"
_OFFLINE = "__minyi_offline__"
_REF = "#/components/schemas/{model}"
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")


class FieldError(BaseModel):
    """One problem with one input, as the validation handler (shared.http) reports it."""

    loc: list[str] = Field(
        description='Where: `["body", "contact", "phone"]`, `["query", "limit"]`.'
    )
    field: str = Field(
        description="The field's dotted name within its part (empty: the whole body)."
    )
    msg: str = Field(description="What is wrong, for a person.")
    type: str = Field(description="What is wrong, for a program: pydantic's error type or ours.")


class ValidationProblem(BaseModel):
    """422: the request is well-formed HTTP, but these inputs are not acceptable."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": [
                        {
                            "loc": ["body", "text"],
                            "field": "text",
                            "msg": "String should have at least 5 characters",
                            "type": "string_too_short",
                        }
                    ]
                }
            ]
        }
    )

    detail: list[FieldError]


class ErrorBody(BaseModel):
    """Every error answer but 422 (and Open311's, which the spec shapes).

    A refusal that tells more (a 409 with the actions allowed now) extends this model with its
    own fields, as RFC 9457 problem details add extension members; `detail` is always there.
    Not `application/problem+json` itself: its `detail` cannot be the 422's list, and the pages
    and clients read this shape."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"detail": "no case has this tracking code"}]}
    )

    detail: str = Field(description="What went wrong, for a person.")
    request_id: str | None = Field(
        default=None, description="On a 503: the request's correlation id, to quote to operators."
    )


@dataclass(frozen=True)
class Answer:
    status: int
    description: str


def answers(status: int, description: str) -> Callable[[F], F]:
    """Marks a dependency (or an endpoint) that may answer `status`: every operation using it
    declares that answer in its OpenAPI document."""

    def mark(call: F) -> F:
        marks: list[Answer] = vars(call).setdefault(_ANSWERS, [])
        marks.append(Answer(status, description))
        return call

    return mark


def offline(endpoint: F) -> F:
    """Marks an endpoint that touches neither the store nor the broker: it never answers 503."""
    vars(endpoint)[_OFFLINE] = True
    return endpoint


# What the shell (shared.http) answers for any operation; the rest comes from `@answers`.
_SHELL: dict[int, str] = {
    413: "The body is larger than the service accepts.",
    422: "Invalid input: one entry per field, with where, what and why.",
    503: "The store or the broker is unreachable: retry after `Retry-After` seconds.",
}
# An example of the shared body for each status, on every operation that declares it.
_EXAMPLES: dict[int, str] = {
    401: "sign in first",
    403: "a representative may not close this case",
    404: "no such case",
    409: "import a directory first",
    412: "the case changed meanwhile; reload and try again",
    413: "request body larger than 1048576 bytes",
    429: "too many requests from this address; please wait and retry",
    503: "the service is temporarily unavailable; please retry shortly",
}
# The headers that come with a status, whoever answers it.
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "The scheme to sign in with: `Bearer`.",
            "required": True,
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    503: {
        "Retry-After": {
            "description": "Seconds to wait before trying again (when the store is down).",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


class ServiceApp(FastAPI):
    """A FastAPI app whose OpenAPI document declares the error answers it really gives."""

    def openapi(self) -> dict[str, Any]:
        # FastAPI caches the document and rebuilds it when routes change; declaring is
        # idempotent, so it is simply applied to whichever document FastAPI hands back.
        return declare_error_answers(super().openapi(), routes=self.routes)


def declare_error_answers(
    document: dict[str, Any], *, routes: Sequence[BaseRoute]
) -> dict[str, Any]:
    """Adds the error answers of each operation to `document` (in place, and returns it)."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorBody, ValidationProblem):
        found = model.model_json_schema(ref_template=_REF)
        schemas.update(found.pop("$defs", {}))
        schemas[model.__name__] = found
    for name in _FASTAPI_422:
        schemas.pop(name, None)
    # FastAPI includes routers lazily: a route's context is what it is at its place in the app
    # (prefix and dependencies of every router it was included through).
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        marked = list(_marks(route.dependant))
        offline = bool(getattr(route.endpoint, _OFFLINE, False))
        for method in route.methods or ():
            operation = document["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _declare(operation, marked=marked, offline=offline)
    return document


def _declare(operation: dict[str, Any], *, marked: list[Answer], offline: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    expected = [(a.status, a.description) for a in marked]
    if "requestBody" in operation:
        expected.append((413, _SHELL[413]))
    if "requestBody" in operation or operation.get("parameters"):
        expected.append((422, _SHELL[422]))
    if not offline:
        expected.append((503, _SHELL[503]))
    for status, description in expected:
        responses.setdefault(str(status), {"description": description})
    for key, response in responses.items():
        if not key.isdigit() or int(key) < 400:
            continue
        status = int(key)
        model = "ValidationProblem" if status == 422 else "ErrorBody"
        content = response.setdefault("content", {})
        json_body = content.get("application/json")
        if json_body is None or not json_body.get("schema") or _is_fastapi_422(json_body):
            json_body = content["application/json"] = {"schema": {"$ref": _REF.format(model=model)}}
            if status in _EXAMPLES:
                json_body["example"] = {"detail": _EXAMPLES[status]}
        for name, header in _HEADERS.get(status, {}).items():
            response.setdefault("headers", {}).setdefault(name, header)


def _is_fastapi_422(media: dict[str, Any]) -> bool:
    ref = str(media.get("schema", {}).get("$ref", ""))
    return ref.rsplit("/", 1)[-1] in _FASTAPI_422


def _marks(dependant: Dependant) -> Iterator[Answer]:
    """The answers marked on the endpoint and on every dependency below it."""
    if dependant.call is not None:
        yield from getattr(dependant.call, _ANSWERS, ())
    for sub in dependant.dependencies:
        yield from _marks(sub)
