"""Intake's cases and directory as GeoReport resources: statuses, services, requests. Pure."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, get_args

from services.intake.domain import pii, publication
from services.intake.open311.address import split_text
from services.intake.open311.schemas import (
    AttributeValue,
    Discovery,
    Endpoint,
    ExtendedAttributes,
    Open311Status,
    Service,
    ServiceAttribute,
    ServiceDefinition,
    ServiceRequest,
    Step,
)
from shared.events.case_events import CLOSED_STATUSES, CaseStatus

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


def open311_status(status: CaseStatus) -> Open311Status:
    return "closed" if status in CLOSED_STATUSES else "open"


def case_statuses(wanted: Collection[Open311Status]) -> list[CaseStatus]:
    """The case statuses that GeoReport shows as one of `wanted`."""
    return [s for s in get_args(CaseStatus) if open311_status(s) in wanted]


PUBLISHING_CHOICES = (
    AttributeValue(key="false", name="不公开 Do not publish"),
    AttributeValue(key="true", name="同意公开 May be published"),
)


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
    attributes.append(
        ServiceAttribute(
            code="may_publish",
            datatype="singlevaluelist",
            datatype_description="居民是否同意公开：文字去掉电话、身份证号、邮箱和车牌号，"
            "位置约 100 米；默认不公开 (the resident agrees that the request is shown publicly, "
            "scrubbed of personal data and with its location rounded to about 100 m; "
            "default false)",
            order=len(attributes) + 1,
            description="同意公开 May be published",
            values=list(PUBLISHING_CHOICES),
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


def public_service_request(
    document: Mapping[str, Any], *, service_names: Mapping[str, str], extensions: bool
) -> ServiceRequest | None:
    """What a reader without a partner key may see of a case, or None when it may see nothing.

    Only a case its resident agreed to publish and submitted themself (publication.is_public);
    of it, the text without the appended place or address line and with personal data
    scrubbed, the address scrubbed, the location rounded to about 100 m, and as status notes
    the station's answer (scrubbed) or the status's label — never a timeline note, which may
    hold a reopen reason or a representative's name. `extensions=true` keeps the statuses and
    times of the timeline and leaves out its notes and the representative.
    """
    if not publication.is_public(
        channel=document.get("channel"), may_publish=document.get("may_publish")
    ):
        return None
    full = service_request(document, service_names=service_names, extensions=extensions)
    name = publication.resident_name(document)
    status: CaseStatus = document["status"]
    response = document.get("response")
    lat, lon = publication.approximate(document.get("location"))
    extended = full.extended_attributes
    if extended is not None:
        extended = extended.model_copy(
            update={
                "representative": None,
                "timeline": [s.model_copy(update={"note": None}) for s in extended.timeline],
            }
        )
    return full.model_copy(
        update={
            "status_notes": pii.scrub(response, names=[name])
            if status in ("responded", "closed") and response
            else STATUS_LABELS[status],
            "description": publication.public_text(full.description, resident_name=name),
            "address": _scrubbed(full.address, name),
            "address_id": _scrubbed(full.address_id, name),
            "lat": lat,
            "long": lon,
            "extended_attributes": extended,
        }
    )


def public_service_requests(
    documents: Sequence[Mapping[str, Any]], *, service_names: Mapping[str, str], extensions: bool
) -> list[ServiceRequest]:
    """The public view of each document the public may read; the others are left out."""
    found = (
        public_service_request(d, service_names=service_names, extensions=extensions)
        for d in documents
    )
    return [r for r in found if r is not None]


def _scrubbed(text: str | None, name: str | None) -> str | None:
    return pii.scrub(text, names=[name]) if text else text
