"""The OpenAPI document declares the error answers the shared shell really gives, in their real
shape (shared.openapi): a marked dependency's answer reaches every operation that uses it, the
422 is the project's field-level body, and the bodies the shell sends fit what it declares."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel

from shared.access import AdminOnly
from shared.auth import install_token_check
from shared.http import ReadinessCheck, create_service_app, no_lifespan
from shared.metrics import Metrics
from shared.openapi import ErrorBody, ValidationProblem
from shared.rate_limit import RateLimiter, rate_limited
from shared.settings import DEV_JWT_PUBLIC_KEY
from tests.tokens import FixedTokenStates


class Note(BaseModel):
    text: str


def app() -> FastAPI:
    def readiness() -> Sequence[ReadinessCheck]:
        return []

    made = create_service_app(
        title="probe",
        description="probe",
        version="0",
        metrics=Metrics("probe"),
        max_body_bytes=1000,
        lifespan=asynccontextmanager(no_lifespan),
        readiness=readiness,
    )
    install_token_check(made, verify_key=DEV_JWT_PUBLIC_KEY, states=FixedTokenStates())
    limited = rate_limited(RateLimiter(per_minute=60, burst=1), trust_forwarded_for=False)
    router = APIRouter(prefix="/v1")

    @router.post("/notes", dependencies=[Depends(limited)])
    async def add_note(note: Note) -> Note:
        return note

    @router.get("/admin/notes/{key}", responses={404: {"description": "No such note."}})
    async def admin_note(key: str, _: AdminOnly) -> Note:
        return Note(text=key)

    made.include_router(router)
    return made


def responses(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method]["responses"]
    return found


def test_fastapis_default_422_is_replaced_by_the_field_level_body() -> None:
    document = app().openapi()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert set(schemas["FieldError"]["required"]) == {"loc", "field", "msg", "type"}
    answer = responses(document, "post", "/v1/notes")["422"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ValidationProblem")


def test_a_marked_dependency_declares_its_answer_on_every_operation_using_it() -> None:
    document = app().openapi()
    admin = responses(document, "get", "/v1/admin/notes/{key}")
    assert admin["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert "403" in admin  # shared.access.admin_only, two dependencies down
    assert admin["404"]["description"] == "No such note."  # the route's own words kept
    assert admin["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    posted = responses(document, "post", "/v1/notes")
    assert posted["429"]["headers"]["Retry-After"]["required"] is True
    assert "413" in posted  # a body, so a body over the limit
    assert "401" not in posted and "403" not in posted


def test_every_operation_may_be_unavailable_but_the_probes_that_need_no_store() -> None:
    document = app().openapi()
    assert "503" in responses(document, "post", "/v1/notes")
    assert "503" in responses(document, "get", "/readyz")
    for path in ("/healthz", "/metrics"):
        assert "503" not in responses(document, "get", path), path
    metrics = responses(document, "get", "/metrics")["200"]["content"]
    assert list(metrics) == ["text/plain"]


async def test_the_bodies_the_shell_sends_fit_the_declared_models() -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app()), base_url="http://probe"
    ) as http:
        invalid = await http.post("/v1/notes", json={"text": 5})
        assert invalid.status_code == 422
        assert ValidationProblem.model_validate(invalid.json()).detail[0].field == "text"
        not_utf8 = await http.post(
            "/v1/notes", content=b'{"text": "\xff"}', headers={"Content-Type": "application/json"}
        )
        assert not_utf8.status_code == 422, not_utf8.text
        problem = ValidationProblem.model_validate(not_utf8.json()).detail[0]
        assert (problem.loc, problem.type) == (["body"], "json_invalid")
        too_large = await http.post("/v1/notes", json={"text": "x" * 2000})
        assert too_large.status_code == 413
        ErrorBody.model_validate(too_large.json())
        limited = await http.post("/v1/notes", json={"text": "again"})
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        ErrorBody.model_validate(limited.json())
        unsigned = await http.get("/v1/admin/notes/a")
        assert unsigned.status_code == 401
        assert unsigned.headers["WWW-Authenticate"] == "Bearer"
        ErrorBody.model_validate(unsigned.json())
