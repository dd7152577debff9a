"""Every query the four services send to the store is served from an index, unless its
collection stays small: the queries are captured from the wire while the services run a closed
loop in-process, and each distinct shape is classified against the collection's real indexes by
`tests/query_shapes.py` (rules measured by `benchmarks/query_shapes.py`, not `explain`, which
SecantusDB gets wrong).

The capture is a `pymongo.monitoring.CommandListener` registered before any client of the test
exists (clients copy the registered listeners when they are made). It records only commands on
this test's namespace's databases and is taken out of pymongo's list again at the end, so
clients of later tests do not carry it.

Run with `-s` to see the table of every shape checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from bson import ObjectId
from pymongo import AsyncMongoClient, monitoring
from pymongo.errors import OperationFailure

from services.intake.app import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.reporting.app import create_app as reporting_app
from services.reporting.settings import ReportingSettings
from services.routing.adapters.directory_repository import (
    DEMO_DIRECTORY,
    DirectoryRepository,
    read_directory_file,
)
from services.routing.adapters.user_repository import UserRepository, read_users_file
from services.routing.app import create_app as routing_app
from services.routing.settings import RoutingSettings
from shared.auth import SESSION_COOKIE
from shared.mongo import Document, create_client, service_database
from shared.pagination import encode_cursor
from tests.conftest import PlumbingSettings
from tests.infra import free_port
from tests.integration.gateway_receiver import GatewayReceiver
from tests.integration.in_process import serving
from tests.integration.test_intake_attachments import photo, tiny_png
from tests.query_shapes import Decision, classify
from tests.tokens import bearer, publish_test_accounts

T = TypeVar("T")
SERVICES = ("intake", "routing", "notify", "reporting")
SECRET = b"gateway-secret-for-query-shapes-0123456789"
PASSWORD = "minyi-demo"
AT_REST_S = 2.0
# The accounts signed in with: the station's staff, the QR's representative, 河星村's drainage
# specialist and 西新's house-repair specialists (who get the other two cases).
ACCOUNTS = frozenset({"xijie-staff", "rep-0412", "rep-0415", "rep-0416", "rep-0417"})

# Collections that stay small whatever the number of cases: a scan of them is allowed.
SMALL: dict[tuple[str, str], str] = {
    ("intake", "directory"): "intake's copy of the directory: a city's is about 1,200 entries",
    ("intake", "revisions"): "one revision counter per mirrored data set",
    ("routing", "categories"): "the directory's categories",
    ("routing", "departments"): "the directory's departments",
    ("routing", "stations"): "the directory's stations",
    ("routing", "liaison_points"): "the directory's liaison points",
    ("routing", "representatives"): "the directory's representatives: a city's 1,027",
    ("routing", "directory_settings"): "one settings document",
    ("routing", "revisions"): "one revision counter per mirrored data set",
    ("routing", "users"): "staff accounts",
    ("routing", "response_templates"): "a few response templates per station",
    ("routing", "open_loads"): "one counter per representative",
    ("notify", "preferences"): "one document per staff inbox address that set preferences",
    ("reporting", "names"): "display names of directory entries",
    ("reporting", "control"): "the rebuild lock: one document",
    ("reporting", "now"): "open-now counters: the city, and per station its stations, "
    "representatives, categories and points",
    **{
        (service, "token_versions"): "one token state per staff account"
        for service in ("intake", "routing", "notify", "reporting")
    },
    **{
        (service, "revisions"): "one revision counter per mirrored data set"
        for service in ("notify", "reporting")
    },
}

# Commands that carry no filter to plan (writes of new documents, cursors, administration).
_IGNORED = frozenset(
    {
        "insert",
        "getMore",
        "killCursors",
        "createIndexes",
        "listIndexes",
        "dropIndexes",
        "listCollections",
        "create",
        "drop",
        "dropDatabase",
        "ping",
        "hello",
        "isMaster",
        "ismaster",
        "endSessions",
        "buildInfo",
        "serverStatus",
    }
)


@dataclass(frozen=True)
class Query:
    """One filter a service sent: an update or delete command gives one per statement."""

    service: str
    collection: str
    command: str
    filter: Document | None
    sort: Document | None


@dataclass
class StoreCommands(monitoring.CommandListener):
    """Records the queries on databases named `<prefix><service>` while `recording`."""

    prefix: str
    recording: bool = False
    queries: list[Query] = field(default_factory=list)
    unknown: Counter[str] = field(default_factory=Counter)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.recording or not event.database_name.startswith(self.prefix):
            return
        service = event.database_name[len(self.prefix) :]
        self.queries.extend(queries_of(service, event.command_name, event.command, self.unknown))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def queries_of(
    service: str, name: str, command: Mapping[str, Any], unknown: Counter[str]
) -> list[Query]:
    def one(collection_key: str, filter_: Any, sort: Any = None) -> Query:
        return Query(service, str(command[collection_key]), name, filter_, sort)

    if name in _IGNORED:
        return []
    if name == "find":
        return [one("find", dict(command.get("filter") or {}), command.get("sort"))]
    if name in ("count", "distinct"):
        return [one(name, dict(command.get("query") or {}))]
    if name == "findAndModify":
        return [one(name, dict(command.get("query") or {}), command.get("sort"))]
    if name == "aggregate":
        if not isinstance(command["aggregate"], str):
            return []  # a database-level pipeline ($currentOp …), not a collection's
        pipeline = list(command.get("pipeline") or [])
        first = pipeline[0] if pipeline else {}
        match = first.get("$match") if len(first) == 1 else None
        return [one(name, dict(match) if match is not None else None)]
    if name == "update":
        return [one(name, dict(s["q"])) for s in command.get("updates", [])]
    if name == "delete":
        return [one(name, dict(s["q"])) for s in command.get("deletes", [])]
    unknown[name] += 1
    return []


@contextlib.contextmanager
def listening(namespace: str) -> Iterator[StoreCommands]:
    listener = StoreCommands(prefix=f"{namespace}_minyi_")
    monitoring.register(listener)
    try:
        yield listener
    finally:
        listener.recording = False
        # pymongo has no `unregister`; clients made later copy this list, so leave it clean.
        with contextlib.suppress(ValueError):
            monitoring._LISTENERS.command_listeners.remove(listener)


# --- shapes: values replaced by their types, so that one line stands for many queries ---

_ID_LIKE = re.compile(r"(?<=\.)e[0-9a-f]{16,}|[0-9a-f]{24,}")


def shape(value: Any) -> str:
    if isinstance(value, Mapping):
        parts = []
        for key, inner in value.items():
            name = _ID_LIKE.sub("<id>", str(key))
            parts.append(f"{name}: {repr(inner) if key == '$exists' else shape(inner)}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list | tuple):
        kinds = sorted({shape(v) for v in value})
        return "[" + "|".join(kinds) + ("…" if value else "") + "]"
    if value is None:
        return "null"
    if isinstance(value, ObjectId):
        return "oid"
    return type(value).__name__


@dataclass
class Row:
    service: str
    collection: str
    command: str
    shape: str
    sort: str
    count: int
    decision: Decision
    note: str

    @property
    def allowed(self) -> str | None:
        return SMALL.get((self.service, self.collection))


def note_on(query: Query, decision: Decision, indexes: Document) -> str:
    """What an index-served query still reads in proportion to its key's history: not a
    failure (the key bounds it), but worth a look."""
    if decision.verdict != "index" or decision.index in (None, "_id_"):
        return ""
    key = [str(field) for field, _ in indexes[decision.index]["key"]]
    notes = []
    unused = [f for f in decision.residual if f in key]
    if unused:
        notes.append(f"{', '.join(unused)} in {decision.index} but applied after the walk")
    # A sparse index holds only due work: reading all of it before the limit is the point.
    if query.sort and not indexes[decision.index].get("sparse"):
        sort = list(query.sort)
        served_by_walk = list(query.filter or {}) == sort[:1] and len(sort) == 1
        if not served_by_walk:
            notes.append("sorted in memory: every match is read before the limit")
    return "; ".join(notes)


def rows_of(queries: list[Query], indexes: dict[tuple[str, str], Document]) -> list[Row]:
    grouped: dict[tuple[str, str, str, str, str], list[Query]] = defaultdict(list)
    for q in queries:
        sort = shape(q.sort) if q.sort else ""
        the_shape = "(no $match)" if q.filter is None else shape(q.filter)
        grouped[(q.service, q.collection, q.command, the_shape, sort)].append(q)
    rows = []
    for (service, collection, command, the_shape, sort), members in sorted(grouped.items()):
        decisions = [
            classify(
                indexes=indexes[(service, collection)],
                command=q.command,
                filter=q.filter,
                sort=q.sort,
            )
            for q in members
        ]
        # One instance that scans (a null where others had a value, say) is enough.
        at = next((i for i, d in enumerate(decisions) if d.verdict == "scan"), 0)
        note = note_on(members[at], decisions[at], indexes[(service, collection)])
        worst = Decision(decisions[at].verdict, _ID_LIKE.sub("<id>", decisions[at].reason))
        rows.append(Row(service, collection, command, the_shape, sort, len(members), worst, note))
    return rows


def table(rows: list[Row], indexes: dict[tuple[str, str], Document]) -> str:
    header = "| collection | command | shape | sort | n | verdict | why | note |"
    lines = ["", header, "|---" * 8 + "|"]
    for row in rows:
        verdict: str = row.decision.verdict
        if verdict == "scan":
            verdict = "scan (small)" if row.allowed else "**SCAN**"
        lines.append(
            f"| {row.service}.{row.collection} | {row.command} | `{row.shape}` | "
            f"{f'`{row.sort}`' if row.sort else ''} | {row.count} | {verdict} | "
            f"{row.decision.reason} | {row.note} |"
        )
    lines.append("")
    lines.append("Indexes read from the store:")
    for (service, collection), info in sorted(indexes.items()):
        names = ", ".join(
            f"{name}{' (sparse)' if spec.get('sparse') else ''}" for name, spec in info.items()
        )
        lines.append(f"  {service}.{collection}: {names or '(collection absent)'}")
    return "\n".join(lines)


# --- the services and the loop they run ---


@dataclass
class Services:
    intake: httpx.AsyncClient
    routing: httpx.AsyncClient
    notify: httpx.AsyncClient
    reporting: httpx.AsyncClient


def service_settings(
    settings: PlumbingSettings, gateway_url: str
) -> tuple[IntakeSettings, RoutingSettings, NotifySettings, ReportingSettings]:
    common: dict[str, Any] = {
        "kafka_bootstrap": settings.kafka_bootstrap,
        "mongo_url": settings.mongo_url,
        "namespace": settings.namespace,
        "outbox_poll_seconds": 0.2,
        "consumer_retry_max_seconds": 0.5,
    }
    return (
        IntakeSettings(**common, rate_limit_per_minute=100000, rate_limit_burst=100000),
        RoutingSettings(**common, sla_check_seconds=0.5, load_recount_seconds=1.0),
        NotifySettings(
            **common,
            sms_gateway_url=gateway_url,
            im_gateway_url=gateway_url,
            gateway_secret=SECRET.decode(),
            gateway_timeout_s=1,
            smtp_timeout_s=1,
            delivery_lease_s=5,
            delivery_poll_s=0.2,
            sms_numbers={"representative:0412": "+86 138 0000 0412"},
            im_accounts={"station:xijie": "im-xijie"},
        ),
        ReportingSettings(**common),
    )


@contextlib.asynccontextmanager
async def four_services(
    settings: PlumbingSettings, gateway: GatewayReceiver
) -> AsyncIterator[Services]:
    intake, routing, notify, reporting = service_settings(settings, gateway.url)
    await publish_test_accounts(settings)
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(serving(app, name, ready=False))
            for app, name in (
                (intake_app(intake), "intake"),
                (routing_app(routing), "routing"),
                (notify_app(notify), "notify"),
                (reporting_app(reporting), "reporting"),
            )
        ]
        await asyncio.gather(*(until(functools.partial(ready, c), "ready") for c in clients))
        yield Services(*clients)


async def ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200


async def seed_demo(settings: RoutingSettings) -> None:
    """The demo's directory and the accounts this test signs in with, as `seed-demo` stores
    them (only those accounts: hashing all of them takes seconds)."""
    client = create_client(settings)
    try:
        db = service_database(client, settings)
        await DirectoryRepository(db).save(read_directory_file(DEMO_DIRECTORY))
        users = [u for u in read_users_file(DEMO_DIRECTORY) if u.username in ACCOUNTS]
        await UserRepository(db).save(users)
    finally:
        await client.close()


async def until(probe: Callable[[], Awaitable[T | None]], what: str, timeout_s: float = 20) -> T:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def ok(response: httpx.Response, code: int = 200) -> Any:
    assert response.status_code == code, f"{response.request.url}: {response.text}"
    return response.json() if "json" in response.headers.get("content-type", "") else None


async def sign_in(services: Services, username: str) -> dict[str, str]:
    body = {"username": username, "password": PASSWORD}
    token = ok(await services.routing.post("/v1/auth/token", json=body))["access_token"]
    return {"Authorization": f"Bearer {token}"}


async def submit(services: Services, body: Document, **headers: str) -> Document:
    """Retried while intake's copy of the directory is still arriving (it consumes the
    directory's events after it is ready)."""

    async def accepted() -> Document | None:
        response = await services.intake.post("/v1/cases", json=body, headers=headers)
        if response.status_code == 422 and "unknown_reference" in response.text:
            return None
        receipt: Document = ok(response, 202)
        return receipt

    return await until(accepted, "intake knowing the directory")


async def resident_status(services: Services, code: str, *expected: str) -> Document | None:
    view: Document = ok(await services.intake.get(f"/v1/cases/{code}"))
    return view if view["status"] in expected else None


async def assigned(services: Services, code: str) -> Document:
    return await until(
        lambda: resident_status(services, code, "assigned"), f"{code} assigned", timeout_s=30
    )


async def act(
    services: Services, who: dict[str, str], case_id: str, action: str, **fields: Any
) -> Document:
    response = await services.routing.post(
        f"/v1/staff/cases/{case_id}/actions", json={"action": action, **fields}, headers=who
    )
    detail: Document = ok(response)
    return detail


QR_CASE = {
    "category": "parking",
    "text": "小区里要增加一些停车位，晚上车停不下",
    "channel": "qr",
    "representative_code": "0412",
    "contact": {"name": "王女士", "phone": "+86 138 0000 0000", "email": "w@example.cn"},
    "attachments": [photo(tiny_png())],
}
POINT_CASE = {"category": "drainage", "text": "河星村下雨天排水不畅", "liaison_point_id": "hexing"}
HOUSE_CASE = {
    "category": "house_repair",
    "text": "西新社区老房子墙体开裂，下雨漏水，存在安全隐患",
    "liaison_point_id": "xixin",
}


async def closed_loop(services: Services) -> None:
    """Cases through intake, routed, handled by staff and representatives, answered, rated and
    reopened by the resident; then every read people make, on each service."""
    first = await submit(services, QR_CASE, **{"Idempotency-Key": "query-shapes-1"})
    again = await submit(services, QR_CASE, **{"Idempotency-Key": "query-shapes-1"})
    assert again["case_id"] == first["case_id"]
    point = await submit(services, POINT_CASE)
    house = await submit(services, HOUSE_CASE)
    views = [await assigned(services, r["tracking_code"]) for r in (first, point, house)]
    code, case_id = first["tracking_code"], first["case_id"]
    who = {
        name: await sign_in(services, name)
        for name in (
            "rep-0412",
            "xijie-staff",
            *(f"rep-{v['representative']['code']}" for v in views[1:]),
        )
    }
    rep, staff = who["rep-0412"], who["xijie-staff"]
    point_rep = who[f"rep-{views[1]['representative']['code']}"]
    house_rep = who[f"rep-{views[2]['representative']['code']}"]

    # The first case accepted, approved and a question asked; while intake hears of it, the
    # point's case is declined (re-routed) and the house-repair case staged and met about.
    await act(services, rep, case_id, "accept")
    await act(services, staff, case_id, "approve")
    question = {"text": "请问具体是哪栋楼？"}
    ok(
        await services.routing.post(
            f"/v1/staff/cases/{case_id}/messages", json=question, headers=staff
        )
    )
    await act(services, point_rep, point["case_id"], "decline", reason="不在我的联系片区")
    await act(services, house_rep, house["case_id"], "accept")
    await act(services, staff, house["case_id"], "approve")
    # The case's building as a house: registered, the case linked, the house moved on.
    building = {"address": "西新社区 解放街 12 号", "floor_area_m2": 300, "households": ["1-101"]}
    house_id = ok(
        await services.routing.post("/v1/staff/houses", json=building, headers=staff), 201
    )["house_id"]
    houses = f"/v1/staff/houses/{house_id}"
    linked = {"case_id": house["case_id"]}
    ok(await services.routing.post(f"{houses}/cases", json=linked, headers=staff))
    answer = {"household": "1-101", "consent": "consented"}
    ok(await services.routing.post(f"{houses}/consents", json=answer, headers=staff))
    ok(await services.routing.post(f"{houses}/stage", json={"stage": "design"}, headers=staff))
    meeting = {
        "kind": "deliberation_meeting",
        "liaison_point_id": "xixin",
        "held_on": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
        "topic": "西新社区危旧房治理议事会",
        "attendance": 23,
        "case_ids": [house["case_id"]],
        "outcome": "修缮方案已确定。",
    }
    recorded = ok(
        await services.routing.post("/v1/staff/meetings", json=meeting, headers=staff), 201
    )

    async def replied() -> bool:
        answer = {"text": "3号楼东侧"}
        return (
            await services.intake.post(f"/v1/cases/{code}/messages", json=answer)
        ).status_code == 202

    await until(replied, "the resident's answer accepted")
    await act(services, staff, case_id, "respond", response="已协调增设20个停车位。")
    await act(services, staff, case_id, "close")
    await until(lambda: resident_status(services, code, "closed"), "closed reaches intake")
    ok(await services.intake.post(f"/v1/cases/{code}/rating", json={"rating": "dissatisfied"}), 202)
    reopen = {"reason": "一个月过去了还是没有新车位"}
    ok(await services.intake.post(f"/v1/cases/{code}/reopen", json=reopen), 202)

    await reads(services, who, code=code, case_id=case_id, meeting_id=recorded["meeting_id"])

    async def reopened() -> bool:
        found = ok(await services.routing.get(f"/v1/staff/cases/{case_id}", headers=staff))
        return bool(found["status"] == "reopened")

    await until(reopened, "the reopening reaches routing")


async def reads(
    services: Services, who: dict[str, dict[str, str]], *, code: str, case_id: str, meeting_id: str
) -> None:
    rep, staff, city = who["rep-0412"], who["xijie-staff"], bearer("supervisor")
    # routing: the staff queue and case, as JSON and as the workbench page.
    # A page after a cursor (shared.pagination): the same index, bounded by the cursor's key.
    now = datetime.now(UTC)
    after = {"cursor": encode_cursor((now, "~")), "limit": "1"}
    for params in ({}, {"status": "handling"}, {"mine": "true"}, after):
        ok(await services.routing.get("/v1/staff/cases", params=params, headers=rep))
    ok(await services.routing.get("/v1/staff/cases", headers=staff))
    ok(await services.routing.get("/v1/staff/cases", params=after, headers=staff))
    # The city's queue (a supervisor sees every station): all of it, and its open cases.
    for params in ({}, {"status": "assigned"}, {"status": "closed"}, after):
        ok(await services.routing.get("/v1/staff/cases", params=params, headers=city))
    ok(await services.routing.get(f"/v1/staff/cases/{case_id}", headers=staff))
    ok(await services.routing.get("/v1/staff/templates", headers=staff))
    ok(await services.routing.get("/v1/staff/house-repair/stages", headers=staff))
    ok(await services.routing.get("/v1/staff/house-repair/stages", headers=city))
    houses_after = {"cursor": encode_cursor(("xijie", "西新", "~")), "limit": "1"}
    for params in ({}, {"address": "西新社区"}, houses_after):
        found = ok(await services.routing.get("/v1/staff/houses", params=params, headers=staff))
        ok(await services.routing.get("/v1/staff/houses", params=params, headers=city))
    for item in found:
        ok(await services.routing.get(f"/v1/staff/houses/{item['house_id']}", headers=staff))
    ok(await services.routing.get("/v1/staff/meetings", headers=staff))
    week = {"since": (datetime.now(UTC) - timedelta(days=7)).date().isoformat()}
    ok(await services.routing.get("/v1/staff/meetings", params=week, headers=staff))
    meetings_after = {"cursor": encode_cursor((now.date(), now, "~")), "limit": "1"}
    ok(await services.routing.get("/v1/staff/meetings", params=meetings_after, headers=staff))
    ok(await services.routing.get("/v1/staff/meetings", params=meetings_after, headers=city))
    ok(await services.routing.get(f"/v1/staff/meetings/{meeting_id}", headers=staff))
    ok(await services.routing.get("/v1/directory"))
    services.routing.cookies.set(SESSION_COOKIE, staff["Authorization"].removeprefix("Bearer "))
    # The case page lists candidate duplicates: the station's newest open cases of the category.
    for page in (
        "/staff",
        "/staff?status=any",
        "/staff?category=parking",
        f"/staff/cases/{case_id}",
    ):
        assert (await services.routing.get(page)).status_code == 200, page
    services.routing.cookies.clear()
    # intake: the resident's view, page and photo; the photo as staff; Open311.
    ok(await services.intake.get(f"/v1/cases/{code}"))
    # Suggestions for a draft, and "me too" (409 once the case is no longer open).
    draft = {
        "category": "parking",
        "text": "小区停车位不够，晚上停不下",
        "representative_code": "0412",
    }
    ok(await services.intake.post("/v1/cases/similar", json=draft))
    supported = await services.intake.post(f"/v1/cases/{case_id}/supporters", json={})
    assert supported.status_code in (202, 409), supported.text
    assert (await services.intake.get(f"/v1/cases/{code}/attachments/1")).status_code == 200
    assert (await services.intake.get(f"/t/{code}")).status_code == 200
    as_staff = await services.intake.get(f"/v1/staff/cases/{case_id}/attachments/1", headers=staff)
    assert as_staff.status_code == 200
    thumb = {"size": "thumb"}
    photo_url = f"/v1/staff/cases/{case_id}/attachments/1"
    assert (await services.intake.get(photo_url, params=thumb, headers=staff)).status_code == 200
    # Open311: the public list and case (the sparse index of published cases), and a partner's.
    partner = {"api_key": "demo-open311-key"}
    ok(await services.intake.get("/open311/v2/requests.json"))
    assert (await services.intake.get(f"/open311/v2/requests/{case_id}.json")).status_code == 404
    ok(await services.intake.get("/open311/v2/requests.json", params=partner))
    ok(await services.intake.get(f"/open311/v2/requests/{case_id}.json", params=partner))
    # notify: inboxes, a message read, preferences.
    inbox = await until(
        lambda: inbox_with_messages(services, "representative:0412", rep),
        "the representative's inbox",
    )
    read = await services.notify.post(
        f"/v1/inbox/representative:0412/{inbox['messages'][0]['id']}/read", headers=rep
    )
    assert read.status_code == 204
    unread = {"unread_only": "true"}
    ok(await services.notify.get("/v1/inbox/station:xijie", params=unread, headers=staff))
    ok(await services.notify.get("/v1/inbox/station:xijie", params=after, headers=staff))
    mine = "/v1/preferences/representative:0412"
    preferences = ok(await services.notify.get(mine, headers=rep))["preferences"]
    ok(await services.notify.put(mine, json=preferences, headers=rep))
    # reporting: every figure, the dashboard and the public page.
    for path in (
        "/v1/reports/stations",
        "/v1/reports/city",
        "/v1/reports/series",
        "/v1/reports/house-repair",
        "/v1/reports/activities",
        "/v1/reports/rankings",
        "/v1/reports/summary",
        "/v1/public/transparency",
    ):
        ok(await services.reporting.get(path, headers=staff))  # station-scoped figures
        ok(await services.reporting.get(path, headers=city))  # and city-wide
    # A representative's duty record: their directory entry and their own buckets.
    record = "/v1/reports/representatives/0412/record"

    async def record_known() -> bool:  # once reporting has read the directory's entry
        return (await services.reporting.get(record, headers=staff)).status_code == 200

    await until(record_known, "reporting to know representative 0412")
    ok(await services.reporting.get(record, headers=rep))
    ok(await services.reporting.get("/v1/public/representatives/0412/record"))
    station_series = {"dimension": "station", "key": "xijie"}
    ok(await services.reporting.get("/v1/reports/series", params=station_series, headers=staff))
    session = {"minyi_session": staff["Authorization"].removeprefix("Bearer ")}
    for page in (
        "/v1/reports/stations.csv",
        "/dashboard",
        "/transparency",
        f"{record}.csv",
        "/representatives/0412/record",
        "/transparency/representatives/0412",
    ):
        answer = await services.reporting.get(page, cookies=session)
        assert answer.status_code == 200, page


async def inbox_with_messages(
    services: Services, recipient: str, owner: dict[str, str]
) -> Document | None:
    inbox: Document = ok(await services.notify.get(f"/v1/inbox/{recipient}", headers=owner))
    return inbox if inbox["messages"] else None


async def read_indexes(
    settings: PlumbingSettings, collections: set[tuple[str, str]]
) -> dict[tuple[str, str], Document]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(settings.mongo_url)
    found: dict[tuple[str, str], Document] = {}
    try:
        for service, collection in sorted(collections):
            database = client[f"{settings.namespace}_minyi_{service}"]
            try:
                found[(service, collection)] = dict(await database[collection].index_information())
            except OperationFailure:
                found[(service, collection)] = {}
    finally:
        await client.close()
    return found


async def test_every_query_on_a_growing_collection_is_served_by_an_index(
    settings: PlumbingSettings,
) -> None:
    print(f"namespace {settings.namespace}")
    with listening(settings.namespace) as listener:
        gateway = GatewayReceiver(port=free_port(), secret=SECRET)
        await seed_demo(service_settings(settings, gateway.url)[1])  # not recorded
        await gateway.start()
        listener.recording = True
        try:
            async with four_services(settings, gateway) as services:
                await closed_loop(services)
                await until(
                    lambda: _sent(gateway), "an SMS or IM sent through the gateway", timeout_s=10
                )
                # At rest: relays, the SLA scheduler, load recount and delivery workers poll.
                await asyncio.sleep(AT_REST_S)
        finally:
            listener.recording = False
            await gateway.stop()

    assert listener not in monitoring._LISTENERS.command_listeners, "the listener leaked"
    queries = listener.queries
    assert {q.service for q in queries} == set(SERVICES), "the capture missed a service"
    indexes = await read_indexes(settings, {(q.service, q.collection) for q in queries})
    rows = rows_of(queries, indexes)
    print(table(rows, indexes))
    if listener.unknown:
        print(f"commands not classified: {dict(listener.unknown)}")
    violations = [
        f"{r.service}.{r.collection} {r.command} `{r.shape}`"
        + (f" sort `{r.sort}`" if r.sort else "")
        + f" (x{r.count}): {r.decision.reason}"
        for r in rows
        if r.decision.verdict == "scan" and not r.allowed
    ]
    assert not violations, "queries that scan a growing collection:\n" + "\n".join(violations)


async def _sent(gateway: GatewayReceiver) -> bool:
    return bool(gateway.requests)
