"""The AsyncAPI document (shared.asyncapi) is the events' contract: it names every event model,
its schemas are valid JSON Schema, every reference in it resolves, and real events of every type
fit the payload their message declares.

The official AsyncAPI 3.0.0 JSON Schema is in no installed package, so the document's structure
is checked here against the rules of the specification it relies on (required fields, where
each `$ref` may point, what an operation may name), not by that schema."""

from __future__ import annotations

import importlib
import pkgutil
import re
import types
import typing
from datetime import UTC, date, datetime
from typing import Any, Literal, get_args, get_origin

import jsonschema_rs
import orjson
import pytest
from pydantic import BaseModel

import shared.events
from shared.asyncapi import ASYNCAPI_VERSION, CATALOGUE, all_event_models, asyncapi_document
from shared.events.envelope import CONTENT_TYPE, Envelope, EventData
from shared.producer import event_headers
from shared.topics import platform_topics
from tests.infra import ROOT

DOCUMENT = asyncapi_document(version="1.2.3")
# AsyncAPI 3.0.0: keys of components and of a channel's messages.
COMPONENT_KEY = re.compile(r"^[\w\d.\-_]+$")


def registered_event_models() -> set[type[EventData]]:
    """Every concrete event model in shared/events, found by walking the package, not a list."""
    for module in pkgutil.iter_modules(shared.events.__path__):
        importlib.import_module(f"shared.events.{module.name}")
    found: set[type[EventData]] = set()
    pending: list[type[EventData]] = [EventData]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        # Tests define event models of their own; only the contract's count.
        if "TYPE" in vars(model) and model.__module__.startswith("shared.events."):
            found.add(model)
    return found


def resolve(pointer: str) -> Any:
    assert pointer.startswith("#/"), pointer
    node: Any = DOCUMENT
    for part in pointer[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def sample_value(annotation: Any, name: str) -> Any:
    """A plausible value of a field's type; the model's own validation judges it."""
    origin = get_origin(annotation)
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (typing.Union, types.UnionType):
        return sample_value(next(a for a in get_args(annotation) if a is not type(None)), name)
    if origin is list:
        return [sample_value(get_args(annotation)[0], name)]
    if origin is dict:
        return {"code": "0412", "active": True}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return sample_data(annotation)
    simple: dict[Any, Any] = {
        str: f"sample {name}",
        int: 1,
        float: 1.5,
        bool: True,
        datetime: datetime(2026, 11, 25, 21, 29, 8, tzinfo=UTC),
        date: date(2026, 11, 25),
    }
    return simple[annotation]


def sample_data(model: type[BaseModel]) -> dict[str, Any]:
    return {name: sample_value(f.annotation, name) for name, f in model.model_fields.items()}


def sample_event(model: type[EventData]) -> dict[str, Any]:
    data = model.model_validate(sample_data(model))
    envelope = Envelope.wrap(data, source="minyi/test", subject="s-1", correlation_id="c-1")
    parsed: dict[str, Any] = orjson.loads(envelope.to_bytes())
    return parsed


def payload_validator(model: type[EventData]) -> jsonschema_rs.Validator:
    # The payload's `$ref`s point into `#/components/schemas`: carry them along at the root.
    payload = DOCUMENT["components"]["messages"][model.__name__]["payload"]
    schema = {**payload, "components": {"schemas": DOCUMENT["components"]["schemas"]}}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def test_every_event_model_in_shared_events_is_a_message_on_its_topic() -> None:
    registered = registered_event_models()
    assert registered == set(all_event_models())
    messages = DOCUMENT["components"]["messages"]
    for model in registered:
        assert messages[model.__name__]["name"] == model.TYPE
    assert len({m.TYPE for m in registered}) == len(registered), "an event type used twice"


def test_the_document_has_the_asyncapi_3_shape() -> None:
    assert DOCUMENT["asyncapi"] == ASYNCAPI_VERSION == "3.0.0"
    assert DOCUMENT["info"]["title"] and DOCUMENT["info"]["version"] == "1.2.3"
    assert DOCUMENT["defaultContentType"] == CONTENT_TYPE
    for server in DOCUMENT["servers"].values():
        assert server["protocol"] == "kafka" and server["host"]
    for section in ("schemas", "messages"):
        assert all(COMPONENT_KEY.match(key) for key in DOCUMENT["components"][section])
    for channel in DOCUMENT["channels"].values():
        # Every `{parameter}` of an address is declared, and nothing else is.
        assert set(re.findall(r"\{(\w+)\}", channel["address"])) == set(channel["parameters"])
        assert all(COMPONENT_KEY.match(key) for key in channel["messages"])
    for operation in DOCUMENT["operations"].values():
        assert operation["action"] in ("send", "receive")
        channel_ref = operation["channel"]["$ref"]
        assert channel_ref.startswith("#/channels/")
        # AsyncAPI 3.0: an operation names messages of its own channel, by the channel's refs.
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel_ref + "/messages/"), message


def test_every_reference_in_the_document_resolves() -> None:
    found = refs(DOCUMENT)
    assert found
    for ref in found:
        resolve(ref)
    assert not [r for r in found if "$defs" in r], "a model's own $defs escaped"


def test_every_topic_of_the_catalogue_is_a_platform_topic_with_its_shape() -> None:
    specs = {spec.name: spec for spec in platform_topics()}
    for topic in CATALOGUE:
        channel = DOCUMENT["channels"][topic.name]
        assert channel["address"] == "{namespace}" + topic.name
        assert channel["bindings"]["kafka"]["partitions"] == specs[topic.name].partitions


def test_each_message_declares_the_headers_the_producer_sets() -> None:
    envelope = sample_event(all_event_models()[0])
    produced = {name for name, _ in event_headers(Envelope.model_validate(envelope))}
    for message in DOCUMENT["components"]["messages"].values():
        assert set(message["headers"]["required"]) == produced
        assert message["contentType"] == CONTENT_TYPE
        assert message["bindings"]["kafka"]["key"]["type"] == "string"


@pytest.mark.parametrize("name", sorted(DOCUMENT["components"]["schemas"]))
def test_every_component_schema_is_valid_json_schema(name: str) -> None:
    jsonschema_rs.meta.validate(DOCUMENT["components"]["schemas"][name])


@pytest.mark.parametrize("model", all_event_models(), ids=lambda m: m.TYPE)
def test_an_event_of_each_type_fits_its_message_payload(model: type[EventData]) -> None:
    payload = DOCUMENT["components"]["messages"][model.__name__]["payload"]
    jsonschema_rs.meta.validate(payload)
    validator = payload_validator(model)
    event = sample_event(model)
    validator.validate(event)
    # The payload is specific: another type's name, or data of the wrong shape, does not fit.
    assert not validator.is_valid({**event, "type": "case.unknown"})
    assert not validator.is_valid(
        {**event, "data": {**event["data"], next(iter(event["data"])): []}}
    )
    assert not validator.is_valid({**event, "schemaversion": model.VERSION + 1})


def test_the_document_is_json_and_the_same_each_time() -> None:
    assert orjson.loads(orjson.dumps(DOCUMENT)) == asyncapi_document(version="1.2.3")


OFFICIAL_SCHEMA = ROOT / "tests" / "data" / "asyncapi-3.0.0.schema.json"


def test_the_document_is_valid_against_the_official_asyncapi_3_schema() -> None:
    validator = jsonschema_rs.validator_for(orjson.loads(OFFICIAL_SCHEMA.read_bytes()))
    document = asyncapi_document(version="1.2.3")
    assert [str(e)[:200] for e in validator.iter_errors(document)] == []
    # The schema is strict enough to notice a broken document.
    broken = asyncapi_document(version="1.2.3")
    first = next(iter(broken["operations"]))
    broken["operations"][first]["action"] = "publish"  # AsyncAPI 2's verb, gone in 3.0
    assert list(validator.iter_errors(broken))
