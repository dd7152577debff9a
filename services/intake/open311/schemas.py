"""GeoReport v2's resources as intake answers them, and the constants of the endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.events.case_events import CaseStatus

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = datetime(2025, 6, 1, tzinfo=UTC)
"""When this endpoint's behaviour last changed (discovery's `changeset`)."""

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")
CONTENT_TYPES: dict[Format, str] = {"json": "application/json", "xml": "text/xml"}

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

Open311Status = Literal["open", "closed"]
Timestamp = datetime

SERVICE_NOTICE = "已转人大代表联络站，代表受理后会在处理过程中公开进展。"
SERVICE_GROUP = "意见建议"


class ErrorItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: int
    description: str


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
