"""GeoReport's requests as intake's: a posted service request as a submission, a search as
a query over cases. Pure; every problem is one of the spec's 400 errors, all at once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from services.intake.domain.cases import CaseCreate
from services.intake.open311.address import ADDRESS_MAX, compose_text
from services.intake.open311.errors import Open311Error
from services.intake.open311.from_case import case_statuses
from services.intake.open311.schemas import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, RequestsQuery
from shared.events.case_events import CaseStatus

MAX_WINDOW = timedelta(days=90)
MAY_PUBLISH = "may_publish"
"""The attribute a partner sets to `true` when the resident agreed to publishing."""

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
    "may_publish": f"attribute[{MAY_PUBLISH}]",
}


def unknown_reference(field: str, value: object) -> Open311Error:
    """A submission that names what the directory lacks, in GeoReport's terms."""
    return Open311Error(400, f"{_FIELD_NAMES.get(field, field)} {value!r} was not found")


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


def command_from_form(form: Mapping[str, str]) -> CaseCreate:
    """A POSTed service request as a submission; every problem at once, as 400 errors.

    The address (`address_string`, `address_id`) becomes the text's last paragraph: the
    representative reads it with the description, and GET gives it back as `address`.
    `attribute[may_publish]` (`true` or `false`, default `false`) is the resident's consent
    to publishing, which the partner asked for.
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
        if text is not None and len(text) > ADDRESS_MAX:
            problems.append(f"{name} is longer than {ADDRESS_MAX} characters")
    consent = value.get(f"attribute[{MAY_PUBLISH}]", "false").lower()
    if consent not in ("true", "false"):
        problems.append(f"attribute[{MAY_PUBLISH}] must be true or false")
    if problems:
        raise Open311Error(400, *problems)
    assert description is not None
    fields: dict[str, Any] = {
        "category": value["service_code"],
        "text": description,
        "channel": "open311",
        # Only an explicit `true`: the partner asked the resident, as the form does.
        "may_publish": consent == "true",
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
