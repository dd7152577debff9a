"""Answers as GeoReport writes them: a JSON-ready body, and the same body as XML. Pure."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from services.intake.open311.errors import Open311Error
from services.intake.open311.schemas import (
    Discovery,
    PostedRequest,
    Service,
    ServiceDefinition,
    ServiceRequest,
    TokenAnswer,
)


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
