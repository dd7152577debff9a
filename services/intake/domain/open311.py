"""Open311 GeoReport v2 as intake speaks it. Pure: no I/O, data in, data out.

Categories are the services, cases are the service requests. A case is `open` until it is
closed, rejected or merged; `status_notes` says what the resident would read. Nothing here
ever carries the resident's contact data or tracking code: GeoReport's lists are public.

Spec: http://wiki.open311.org/GeoReport_v2 (and its Extensions page for `page`/`page_size`
and `extensions=true`).
"""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from services.intake.domain.cases import CaseCreate
from shared.events.case_events import CLOSED_STATUSES, CaseStatus

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime(2025, 6, 1, tzinfo=UTC)
"""When this endpoint's behaviour last changed (discovery's `changeset`)."""

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")
CONTENT_TYPES: dict[Format, str] = {"json": "application/json", "xml": "text/xml"}

MAX_WINDOW = timedelta(days=90)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

Open311Status = Literal["open", "closed"]
Timestamp = datetime

SERVICE_NOTICE = "已转人大代表联络站，代表受理后会在处理过程中公开进展。"
SERVICE_GROUP = "意见建议"

STATUS_LABELS: dict[CaseStatus, str] = {
    "submitted": "已提交，等待分派给人大代表",
    "assigned": "已分派给人大代表",
    "accepted": "代表已受理",
    "in_review": "正在审核",
    "handling": "正在办理",
    "responded": "已答复",
    "closed": "已办结",
    "declined": "正在重新分派",
    "rejected": "不予受理",
    "merged": "已与反映同一事项的意见建议合并办理",
    "transferred": "已转交相关部门办理",
    "reopened": "重新办理",
    "escalated": "正在办理",
}

# Where the address a client sent lives: a last paragraph of the case text, so that the
# representative reads it with the description and GeoReport can give it back.
_ADDRESS = "地址："
_ADDRESS_ID = "地址编号："
_ADDRESS_MAX = 250


# --- errors -----------------------------------------------------------------------------


class ErrorItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: int
    description: str


class Open311Error(Exception):
    """Answered with the spec's `errors` body and the same HTTP status."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.errors = [ErrorItem(code=status, description=d) for d in descriptions]


def parse_format(value: str) -> Format:
    """The format named by the path suffix; any other suffix is not a resource (404)."""
    for known in FORMATS:
        if value == known:
            return known
    raise Open311Error(404, f"format {value!r} is not supported; use json or xml")


def check_jurisdiction(given: str | None, *, expected: str) -> None:
    """`jurisdiction_id` is optional (one jurisdiction), but a wrong one is not found."""
    if given and given != expected:
        raise Open311Error(404, f"jurisdiction_id {given!r} was not found")


def check_api_key(given: str | None, *, keys: Collection[str]) -> None:
    if not given:
        raise Open311Error(403, "api_key was not provided")
    if not any(secrets.compare_digest(given.encode(), key.encode()) for key in keys):
        raise Open311Error(403, "api_key is invalid")


def unknown_reference(field: str, value: object) -> Open311Error:
    """A submission that names what the directory lacks, in GeoReport's terms."""
    return Open311Error(400, f"{_FIELD_NAMES.get(field, field)} {value!r} was not found")


# --- statuses -----------------------------------------------------------------------------


def open311_status(status: CaseStatus) -> Open311Status:
    return "closed" if status in CLOSED_STATUSES else "open"


def case_statuses(wanted: Collection[Open311Status]) -> list[CaseStatus]:
    """The case statuses that GeoReport shows as one of `wanted`."""
    return [s for s in get_args(CaseStatus) if open311_status(s) in wanted]


def status_notes(
    *, status: CaseStatus, timeline: Sequence[Mapping[str, Any]], response: str | None
) -> str:
    """What the resident reads about the current status: the answer once there is one,
    else the latest public step's note, else the status's label."""
    if status in ("responded", "closed") and response:
        return response
    for step in reversed(timeline):
        if step.get("note"):
            return str(step["note"])
        if step.get("status") != status:
            break
    return STATUS_LABELS[status]


# --- resources ----------------------------------------------------------------------------


class Service(BaseModel):
    model_config = ConfigDict(frozen=True)

    service_code: str
    service_name: str
    description: str
    metadata: bool = True
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: str
    group: str = SERVICE_GROUP


class AttributeValue(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    name: str


class ServiceAttribute(BaseModel):
    model_config = ConfigDict(frozen=True)

    variable: bool = True
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool = False
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValue] = []


class ServiceDefinition(BaseModel):
    model_config = ConfigDict(frozen=True)

    service_code: str
    attributes: list[ServiceAttribute]


class Endpoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    specification: str = SPECIFICATION
    url: str
    changeset: datetime = CHANGESET
    type: Literal["production", "test"] = "production"
    formats: list[str] = [CONTENT_TYPES["xml"], CONTENT_TYPES["json"]]


class Discovery(BaseModel):
    model_config = ConfigDict(frozen=True)

    changeset: datetime = CHANGESET
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class PostedRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    service_request_id: str
    service_notice: str = SERVICE_NOTICE
    account_id: str | None = None


class TokenAnswer(BaseModel):
    model_config = ConfigDict(frozen=True)

    service_request_id: str
    token: str


class Step(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: CaseStatus
    datetime: Timestamp
    note: str | None = None


class ExtendedAttributes(BaseModel):
    """`extensions=true`: the case's own status and its public timeline."""

    model_config = ConfigDict(frozen=True)

    case_status: CaseStatus
    channel: str
    liaison_point: str | None = None
    representative: str | None = None
    merged_into: str | None = None
    timeline: list[Step]


class ServiceRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    service_request_id: str
    status: Open311Status
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str | None = None
    service_notice: str = SERVICE_NOTICE
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None
    extended_attributes: ExtendedAttributes | None = None


def service_of(category: Mapping[str, Any]) -> Service:
    """A directory category as a GeoReport service."""
    name = str(category["name"])
    name_en = str(category.get("name_en") or "")
    return Service(
        service_code=str(category["code"]),
        service_name=name,
        description=f"{name} · {name_en}" if name_en else name,
        keywords=",".join(k for k in (name, name_en.lower()) if k),
    )


def service_definition(code: str, *, points: Sequence[Mapping[str, Any]]) -> ServiceDefinition:
    """Every category takes the same attributes: where, and which representative."""
    attributes: list[ServiceAttribute] = []
    active = [p for p in points if p.get("active", True)]
    if active:
        attributes.append(
            ServiceAttribute(
                code="liaison_point",
                datatype="singlevaluelist",
                datatype_description="选择离您最近的人大代表联络点 (the nearest liaison point)",
                order=1,
                description="联络点 Liaison point",
                values=[AttributeValue(key=str(p["id"]), name=str(p["name"])) for p in active],
            )
        )
    attributes.append(
        ServiceAttribute(
            code="representative_code",
            datatype="string",
            datatype_description="代表二维码上的编号，例如 0412 "
            "(the code on a representative's QR code)",
            order=len(attributes) + 1,
            description="代表编号 Representative code",
        )
    )
    return ServiceDefinition(service_code=code, attributes=attributes)


def discovery(*, url: str) -> Discovery:
    return Discovery(
        contact="龙泉市人大代表联络站民意平台 Minyi, Longquan representative liaison stations",
        key_service="向联络站管理员申请 api_key (ask the liaison station administrator)",
        endpoints=[Endpoint(url=url)],
    )


def service_request(
    document: Mapping[str, Any], *, service_names: Mapping[str, str], extensions: bool
) -> ServiceRequest:
    """A stored case (public fields only) as a GeoReport service request."""
    status: CaseStatus = document["status"]
    timeline: list[Mapping[str, Any]] = list(document.get("timeline") or [])
    text = str(document["text"])
    description, address, address_id = (
        split_text(text) if document.get("channel") == "open311" else (text, None, None)
    )
    location = document.get("location") or {}
    station = document.get("station") or {}
    representative = document.get("representative") or {}
    extended = None
    if extensions:
        extended = ExtendedAttributes(
            case_status=status,
            channel=str(document.get("channel") or ""),
            liaison_point=document.get("liaison_point_id"),
            representative=representative.get("name"),
            merged_into=document.get("merged_into_case_id"),
            timeline=[
                Step(status=s["status"], datetime=s["at"], note=s.get("note")) for s in timeline
            ],
        )
    return ServiceRequest(
        service_request_id=str(document["_id"]),
        status=open311_status(status),
        status_notes=status_notes(
            status=status, timeline=timeline, response=document.get("response")
        ),
        service_name=service_names.get(document["category"], document["category"]),
        service_code=document["category"],
        description=description,
        agency_responsible=station.get("name"),
        requested_datetime=document["submitted_at"],
        updated_datetime=document.get("updated_at") or document["submitted_at"],
        address=address,
        address_id=address_id,
        lat=location.get("lat"),
        long=location.get("lon"),
        extended_attributes=extended,
    )


# --- GET requests ------------------------------------------------------------------------


class RequestsQuery(BaseModel):
    """GET requests, parsed. None means no filter on that field."""

    model_config = ConfigDict(frozen=True)

    ids: list[str] | None = None
    start: datetime | None = None
    end: datetime | None = None
    statuses: list[CaseStatus] | None = None
    service_codes: list[str] | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    extensions: bool = False

    @property
    def skip(self) -> int:
        return (self.page - 1) * self.page_size


def request_window(
    *, start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The requested_datetime range: the last 90 days unless asked, never more than 90."""
    if start is None and end is None:
        return now - MAX_WINDOW, now
    if start is None:
        assert end is not None
        return end - MAX_WINDOW, end
    if end is None:
        return start, start + MAX_WINDOW
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return start, end


def requests_query(params: Mapping[str, str], *, now: datetime) -> RequestsQuery:
    """The spec's filters: a `service_request_id` list overrides every other one."""
    extensions = (params.get("extensions") or "").strip().lower() == "true"
    ids = _comma_list(params.get("service_request_id"))
    if ids:
        return RequestsQuery(ids=ids, page_size=min(len(ids), MAX_PAGE_SIZE), extensions=extensions)
    problems: list[str] = []
    start = _datetime_param(params, "start_date", problems)
    end = _datetime_param(params, "end_date", problems)
    statuses: list[CaseStatus] | None = None
    wanted = _comma_list(params.get("status"))
    if wanted:
        unknown = [s for s in wanted if s not in ("open", "closed")]
        if unknown:
            problems.append(f"status {','.join(unknown)!r} is not one of open, closed")
        elif set(wanted) != {"open", "closed"}:
            statuses = case_statuses({s for s in ("open", "closed") if s in wanted})
    page = _int_param(params, "page", default=1, problems=problems)
    page_size = _int_param(params, "page_size", default=DEFAULT_PAGE_SIZE, problems=problems)
    if problems:
        raise Open311Error(400, *problems)
    window_start, window_end = request_window(start=start, end=end, now=now)
    return RequestsQuery(
        start=window_start,
        end=window_end,
        statuses=statuses,
        service_codes=_comma_list(params.get("service_code")) or None,
        page=page,
        page_size=min(page_size, MAX_PAGE_SIZE),
        extensions=extensions,
    )


def _comma_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _datetime_param(params: Mapping[str, str], name: str, problems: list[str]) -> datetime | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        problems.append(f"{name} must be a W3C datetime, e.g. 2010-01-01T00:00:00Z")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int_param(params: Mapping[str, str], name: str, *, default: int, problems: list[str]) -> int:
    value = (params.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        problems.append(f"{name} must be a whole number of at least 1")
        return default
    return int(value)


# --- POST requests ------------------------------------------------------------------------

_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_\-]+)\]$")
_ATTRIBUTE_FIELDS = {
    "liaison_point": "liaison_point_id",
    "representative_code": "representative_code",
}
_FIELD_NAMES = {
    "category": "service_code",
    "text": "description",
    "location.lat": "lat",
    "location.lon": "long",
    "location": "lat/long",
    "contact.name": "first_name/last_name",
    "contact.phone": "phone",
    "contact.email": "email",
    "contact": "email/phone",
    "liaison_point_id": "attribute[liaison_point]",
    "representative_code": "attribute[representative_code]",
}


def command_from_form(form: Mapping[str, str]) -> CaseCreate:
    """A POSTed service request as a submission; every problem at once, as 400 errors.

    The address (`address_string`, `address_id`) becomes the text's last paragraph: the
    representative reads it with the description, and GET gives it back as `address`.
    `media_url`, `device_id` and `account_id` are accepted and not kept.
    """
    value = {k: v.strip() for k, v in form.items() if v and v.strip()}
    problems: list[str] = []
    if "service_code" not in value:
        problems.append("service_code is required")
    description = value.get("description")
    if description is None:
        problems.append("description is required")
    lat, lon = value.get("lat"), value.get("long")
    address = _one_line(value.get("address_string"))
    address_id = _one_line(value.get("address_id"))
    if (lat is None) != (lon is None):
        problems.append("lat and long must be given together")
    elif lat is None and address is None and address_id is None:
        problems.append("a location is required: lat and long, address_string or address_id")
    for name, text in (("address_string", address), ("address_id", address_id)):
        if text is not None and len(text) > _ADDRESS_MAX:
            problems.append(f"{name} is longer than {_ADDRESS_MAX} characters")
    if problems:
        raise Open311Error(400, *problems)
    assert description is not None
    fields: dict[str, Any] = {
        "category": value["service_code"],
        "text": description,
        "channel": "open311",
    }
    if lat is not None:
        fields["location"] = {"lat": lat, "lon": lon}
    for key, text in value.items():
        match = _ATTRIBUTE.match(key)
        if match and match.group(1) in _ATTRIBUTE_FIELDS:
            fields[_ATTRIBUTE_FIELDS[match.group(1)]] = text
    if "phone" in value or "email" in value:
        name = " ".join(value[k] for k in ("first_name", "last_name") if k in value)
        fields["contact"] = {
            "name": name or None,
            "phone": value.get("phone"),
            "email": value.get("email"),
        }
    # The description alone must be a valid text; then the text with its address.
    command = _validated(fields)
    composed = compose_text(description, address=address, address_id=address_id)
    return _validated({**fields, "text": composed}) if composed != description else command


def _validated(fields: Mapping[str, Any]) -> CaseCreate:
    try:
        return CaseCreate.model_validate(fields)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            problems.append(f"{_FIELD_NAMES.get(loc, loc)}: {err['msg']}")
        raise Open311Error(400, *problems) from None


def _one_line(value: str | None) -> str | None:
    return " ".join(value.split()) if value else None


def compose_text(description: str, *, address: str | None, address_id: str | None) -> str:
    lines = [f"{_ADDRESS}{address}"] if address else []
    if address_id:
        lines.append(f"{_ADDRESS_ID}{address_id}")
    return "\n\n".join([description, "\n".join(lines)]) if lines else description


def split_text(text: str) -> tuple[str, str | None, str | None]:
    """(description, address, address_id) of a text made by `compose_text`."""
    description, separator, last = text.rpartition("\n\n")
    if not separator:
        return text, None, None
    address: str | None = None
    address_id: str | None = None
    for line in last.split("\n"):
        if line.startswith(_ADDRESS) and address is None:
            address = line.removeprefix(_ADDRESS)
        elif line.startswith(_ADDRESS_ID) and address_id is None:
            address_id = line.removeprefix(_ADDRESS_ID)
        else:
            return text, None, None
    return description, address, address_id


# --- bodies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """One answer, JSON-ready; `root` (and `item`, for a list) name its XML elements."""

    data: list[Any] | dict[str, Any]
    root: str
    item: str | None = None


# The element name of each member of a list, by the list's own element name.
_ITEM_NAMES = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "timeline": "step",
}


def _dump(model: BaseModel) -> dict[str, Any]:
    data = model.model_dump(mode="json")
    if data.get("extended_attributes", ...) is None:
        del data["extended_attributes"]
    return data


def services_body(services: Sequence[Service]) -> Body:
    return Body([_dump(s) for s in services], root="services", item="service")


def definition_body(definition: ServiceDefinition) -> Body:
    return Body(_dump(definition), root="service_definition")


def discovery_body(found: Discovery) -> Body:
    return Body(_dump(found), root="discovery")


def requests_body(
    requests: Sequence[ServiceRequest | PostedRequest | TokenAnswer],
) -> Body:
    return Body([_dump(r) for r in requests], root="service_requests", item="request")


def errors_body(error: Open311Error) -> Body:
    return Body([_dump(e) for e in error.errors], root="errors", item="error")


def to_xml(body: Body) -> bytes:
    """The body as a UTF-8 XML document, with the declaration the spec asks for."""
    root = ET.Element(body.root)
    if isinstance(body.data, list):
        for member in body.data:
            _fill(ET.SubElement(root, body.item or "item"), member)
    else:
        _fill(root, body.data)
    rendered: bytes = ET.tostring(root, encoding="utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + rendered


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, member in value.items():
            _fill(ET.SubElement(element, key), member)
    elif isinstance(value, list):
        for member in value:
            _fill(ET.SubElement(element, _ITEM_NAMES.get(element.tag, "item")), member)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
