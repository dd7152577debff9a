"""Fuzzing the four OpenAPI documents with schemathesis: no 5xx, no answer off its contract.

Each service runs in-process: schemathesis' ASGI transport runs the app's lifespan on its own
event-loop thread, so its consumers and relay work on the real broker and store of the test's
namespace. Every operation of the service's `/openapi.json` gets a bounded, derandomized number
of generated requests, valid and invalid:

- signed in as an admin;
- where the service holds a seeded directory and case (intake, routing), again with their real
  ids, codes and keys put into the generated requests, so that those reach the handlers instead
  of stopping at "not found" (on routing as the head of the case's station, who may act on it);
- without a token (valid requests only), for the 401s;
- routing also as deployed before its directory is imported.

Every answer must be no server error, of a declared status code and content type, with the
declared headers, and a JSON body that fits the declared schema (the shared error bodies of
shared.openapi included). Photos, QR codes, the QR sheet (HTML) and the CSV/XLSX exports are held
to their statuses and media types; their bodies are not JSON, so no schema applies. The pages are
not in the documents.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from pymongo import AsyncMongoClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from services.intake.adapters.directory_copy import DirectoryCopy
from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.reporting.app import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from services.routing.adapters.case_repository import RoutedCaseRepository
from services.routing.adapters.directory_repository import read_directory_file
from services.routing.app import create_app as routing_app
from services.routing.entrypoints.cli import seed
from services.routing.settings import RoutingSettings
from shared.events.directory_events import DirectoryKind
from shared.mongo import Document, service_database
from tests.conftest import PlumbingSettings
from tests.integration.test_house_repair_and_meetings_store import add_case
from tests.integration.test_intake_attachments import tiny_png
from tests.tokens import bearer, publish_test_accounts

# schemathesis' own strategies use `random` inside hypothesis; nothing this test can change.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")

DEMO_DIRECTORY = Path(__file__).resolve().parents[2] / "services/routing/demo_directory.yaml"

# Bounded: every operation gets this many requests per pass and mode (fewer when it has fewer
# distinct inputs), so the run takes the same short time in CI every time.
EXAMPLES_PER_OPERATION = 10
FUZZING = hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,  # the same requests on every run: a failure in CI is reproducible
    deadline=None,  # a request's time depends on the machine, not on the input
    database=None,
    # No shrinking: the first failing request of each operation is reported as it was sent.
    phases=[Phase.explicit, Phase.generate],
    # Many operations take few distinct inputs (a path parameter, no body): hypothesis would
    # warn that it filters or repeats many of them; that is expected here.
    suppress_health_check=list(HealthCheck),
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Limits raised so that the fuzzer's hundreds of requests from one address are not refused
# (the limits themselves are tested in test_intake_api and test_sign_in_throttling).
UNLIMITED = 1_000_000
OPEN311_KEY = "fuzz-partner-key"
ADMIN = bearer("admin", username="fuzz-admin")

Operation = schemathesis.APIOperation[Any, Any, Any, Any]
Case = schemathesis.Case[Operation]


@dataclass(frozen=True)
class Served:
    """A service's app, the real values (ids, codes, keys) its seeded store holds, and who
    uses them: an admin, or on routing the head of the station that holds the seeded case
    (an admin may take few actions on a case, its station's head most)."""

    name: str
    app: FastAPI
    known: dict[str, str]
    known_by: dict[str, str] = field(default_factory=lambda: ADMIN)


async def seed_intake(settings: IntakeSettings, client: AsyncMongoClient[Document]) -> None:
    """intake's copy of the demo directory, as its consumer would have stored it."""
    directory = DirectoryCopy(service_database(client, settings))
    demo = read_directory_file(DEMO_DIRECTORY).model_dump(mode="json")
    at = datetime.now(UTC)
    kinds: dict[DirectoryKind, tuple[str, str]] = {
        "category": ("categories", "code"),
        "station": ("stations", "id"),
        "liaison_point": ("liaison_points", "id"),
        "representative": ("representatives", "code"),
        "department": ("departments", "id"),
    }
    for kind, (section, key) in kinds.items():
        for entry in demo[section]:
            await directory.apply(kind=kind, key=str(entry[key]), entry=entry, at=at)


async def seed_routing(settings: RoutingSettings, client: AsyncMongoClient[Document]) -> str:
    """The demo directory and accounts, as `seed-demo` loads them, and one case at xijie."""
    await seed(DEMO_DIRECTORY, settings)
    cases = RoutedCaseRepository(service_database(client, settings))
    await cases.ensure_indexes()
    return await add_case(cases, station="xijie", category="parking", status="assigned")


# routing twice: as deployed before its directory is imported (the routes that need one answer
# so), and with the demo directory and a case.
@pytest.fixture(params=["intake", "routing-unseeded", "routing", "notify", "reporting"])
async def served(
    request: pytest.FixtureRequest, settings: PlumbingSettings, mongo: AsyncMongoClient[Document]
) -> AsyncIterator[Served]:
    common: dict[str, Any] = {
        "kafka_bootstrap": settings.kafka_bootstrap,
        "mongo_url": settings.mongo_url,
        "namespace": settings.namespace,
    }
    name: str = request.param
    await publish_test_accounts(settings)
    if name == "intake":
        intake = IntakeSettings(
            **common,
            rate_limit_per_minute=UNLIMITED,
            rate_limit_burst=UNLIMITED,
            open311_api_keys=[OPEN311_KEY],
        )
        await seed_intake(intake, mongo)
        known = {
            "representative_code": "0412",
            "station_id": "xijie",
            "service_code": "parking",
            "category": "parking",
            "api_key": OPEN311_KEY,
            "n": "1",
        }
        yield Served(name, intake_app(intake), known)
    elif name.startswith("routing"):
        routing = RoutingSettings(
            **common, sign_in_account_failures=UNLIMITED, sign_in_address_failures=UNLIMITED
        )
        if name == "routing-unseeded":
            yield Served(name, routing_app(routing), {})
            return
        case_id = await seed_routing(routing, mongo)
        known = {
            "case_id": case_id,
            "code": "0412",
            "kind": "stations",
            "key": "xijie",
            "username": "xijie-staff",
        }
        head = bearer("station_head", username="xijie-head", station="xijie")
        yield Served(name, routing_app(routing), known, known_by=head)
    elif name == "notify":
        # Any recipient's inbox and preferences are an admin's to read: generated ones do.
        yield Served(name, notify_app(NotifySettings(**common)), {})
    else:
        # Figures of no cases; a generated station id reads the same (empty) read models.
        yield Served(name, reporting_app(ReportingSettings(**common)), {})


def submitted_case(client: asgi.ASGIClient) -> dict[str, str]:
    """A case with a photo, submitted through intake's API: its tracking code and id."""
    photo = base64.b64encode(tiny_png()).decode()
    answer = client.post(
        "/v1/cases",
        json={
            "category": "parking",
            "text": "小区门口的停车位不够用，晚上车辆停到了消防通道上。",
            "liaison_point_id": "baiyun",
            "attachments": [{"filename": "lot.png", "content_type": "image/png", "data": photo}],
        },
    )
    assert answer.status_code == 202, answer.text
    receipt = answer.json()
    return {"tracking_code": receipt["tracking_code"], "case_id": receipt["case_id"]}


@dataclass(frozen=True)
class Pass:
    """One round of requests to an operation: whose, of which modes, changed how."""

    headers: dict[str, str]
    modes: tuple[GenerationMode, ...]
    prepare: Callable[[Case], None]


def as_generated(case: Case) -> None:
    """Sends the request as schemathesis generated it."""


def with_known(case: Case, known: dict[str, str]) -> None:
    """Puts the seeded values into the request wherever a parameter or body field has their
    name, so the request reaches past the lookup of what it names."""
    for part in (case.path_parameters, case.query):
        for name in list(part or {}):
            if name in known and part is not None:
                part[name] = known[name]
    if isinstance(case.body, dict):
        for name in list(case.body):
            if name in known:
                case.body[name] = known[name]


def inputs(operation: Operation) -> set[str]:
    """The names of an operation's path and query parameters and top-level body fields."""
    names = {p.name for p in operation.path_parameters} | {p.name for p in operation.query}
    for body in operation.body:
        if isinstance(body.resolved_schema, dict):
            names |= set(body.resolved_schema.get("properties", {}))
    return names


def fuzz_operation(
    operation: Operation,
    *,
    mode: GenerationMode,
    headers: dict[str, str],
    prepare: Callable[[Case], None],
) -> str | None:
    """The first failure of this operation's generated requests in `mode`, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @FUZZING
    def fuzz(case: Case) -> None:
        prepare(case)
        # A generous timeout: the store is shared with other test runs and may pause; a
        # request that hangs for a minute still fails.
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)

    try:
        fuzz()
    except Unsatisfiable:
        return None  # nothing in the operation can be made invalid (it takes no input)
    except (Exception, BaseExceptionGroup) as exc:
        return f"{operation.label} [{mode.value}]: {exc}"
    return None


def test_no_operation_answers_a_server_error_or_off_its_declared_contract(
    served: Served,
) -> None:
    try:
        # Loading the document starts the app's lifespan on schemathesis' event-loop thread;
        # it runs until shutdown_lifespans below.
        schema = schemathesis.openapi.from_asgi("/openapi.json", served.app)
        # FastAPI's ASGI signature says MutableMapping where schemathesis' alias says dict.
        client = asgi.get_client(cast(asgi.ASGIApp, served.app))
        for _ in range(200):
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"{served.name} never became ready: {client.get('/readyz').text}")
        # The document itself is valid OpenAPI 3.1 (as its error answers were added to it).
        document = client.get("/openapi.json").json()
        assert document["openapi"].startswith("3.1")
        problems = [str(e) for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
        assert not problems, problems[:5]
        known = dict(served.known)
        if served.name == "intake":
            known |= submitted_case(client)
        failures: list[str] = []
        for result in schema.get_all_operations():
            if not isinstance(result, Ok):
                failures.append(f"an operation schemathesis cannot read: {result.err()}")
                continue
            operation = result.ok()
            names = inputs(operation)
            both = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            passes: list[Pass] = [Pass(ADMIN, both, as_generated)]
            if names & set(known):
                passes.append(Pass(served.known_by, both, lambda case: with_known(case, known)))
            if operation.definition.raw.get("security"):
                # Without a token: the 401 and its WWW-Authenticate header (valid inputs suffice).
                passes.append(Pass({}, (GenerationMode.POSITIVE,), as_generated))
            for each in passes:
                for mode in each.modes:
                    failure = fuzz_operation(
                        operation, mode=mode, headers=each.headers, prepare=each.prepare
                    )
                    if failure is not None:
                        failures.append(failure)
        assert not failures, "\n\n".join(failures)
    finally:
        asgi.shutdown_lifespans()
