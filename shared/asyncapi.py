"""The AsyncAPI 3.0 document of Minyi's topics and events, generated from the event models.

Downstream systems read `/asyncapi.json` (served by every service) as the contract. Nothing in
it is written by hand but the catalogue below, which says which model travels on which topic,
who produces and who consumes it: the payload schemas come from `model_json_schema`, the topic
shapes from `shared.topics`, the headers from `shared.producer`, so the document cannot drift
from the code without a unit test noticing (`tests/unit/test_asyncapi.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic.json_schema import models_json_schema

from shared.events.activity_events import MeetingRecorded
from shared.events.case_events import CASE_EVENT_TYPES, CaseErased
from shared.events.case_key_events import CaseKeyIssued
from shared.events.directory_events import DirectoryEntryChanged
from shared.events.envelope import CONTENT_TYPE, Envelope, EventData
from shared.events.house_events import HOUSE_EVENT_TYPES
from shared.events.notification_events import NotificationFailed, NotificationSent
from shared.events.resident_events import ResidentContactGiven
from shared.events.staff_events import StaffTokenVersion
from shared.sealing import PERSONAL_FIELDS, SEALED
from shared.topics import (
    CASE_EVENTS,
    CASE_KEYS,
    DIRECTORY,
    HOUSES,
    NOTIFICATION_EVENTS,
    RESIDENT_CONTACTS,
    STAFF_SESSIONS,
    STATION_ACTIVITIES,
    TopicSpec,
    platform_topics,
)

ASYNCAPI_VERSION = "3.0.0"
# The Kafka bindings' version the `bindings` objects below follow.
KAFKA_BINDING_VERSION = "0.5.0"
SCHEMA_REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class TopicContract:
    """One event stream: what its key is and which services write and read it."""

    name: str
    key: str
    summary: str
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    events: tuple[type[EventData], ...]


# The one hand-kept part: which model goes where (docs/events.md says the same in prose).
# Dead-letter topics are left out: they carry copies of these records, not a contract of their own.
CATALOGUE: tuple[TopicContract, ...] = (
    TopicContract(
        name=CASE_EVENTS,
        key="the case id",
        summary="Every lifecycle event of a case, in order on the case's partition.",
        producers=("intake", "routing"),
        consumers=("intake", "routing", "notify", "reporting"),
        events=(*CASE_EVENT_TYPES.values(), CaseErased),
    ),
    TopicContract(
        name=DIRECTORY,
        key="`<kind>:<key>`, e.g. `representative:0412`",
        summary="The directory's reference data, each entry's whole current state (compacted).",
        producers=("routing",),
        consumers=("intake", "reporting"),
        events=(DirectoryEntryChanged,),
    ),
    TopicContract(
        name=NOTIFICATION_EVENTS,
        key="the notification id",
        summary="Messages delivered or given up on; no Minyi service reads it.",
        producers=("notify",),
        consumers=(),
        events=(NotificationSent, NotificationFailed),
    ),
    TopicContract(
        name=STATION_ACTIVITIES,
        key="the meeting id",
        summary="Deliberation meetings and themed activities recorded by stations.",
        producers=("routing",),
        consumers=("reporting",),
        events=(MeetingRecorded,),
    ),
    TopicContract(
        name=HOUSES,
        key="the house id",
        summary="Dilapidated houses under governance: registered, a household's consent, a "
        "repair stage, a case linked. Each event carries the house's figures after it and its "
        "version; no address, household or free text.",
        producers=("routing",),
        consumers=("reporting",),
        events=tuple(HOUSE_EVENT_TYPES.values()),
    ),
    TopicContract(
        name=RESIDENT_CONTACTS,
        key="the case id",
        summary="PRIVATE: the resident's phone, email and language, for notify only. Erased by "
        "a tombstone (the case id as key, no value, header `erased: erasure`). Downstream "
        "systems must not read it.",
        producers=("intake",),
        consumers=("notify",),
        events=(ResidentContactGiven,),
    ),
    TopicContract(
        name=STAFF_SESSIONS,
        key="the username",
        summary="Each staff account's token version and whether it is active (compacted).",
        producers=("routing",),
        consumers=("intake", "routing", "notify", "reporting"),
        events=(StaffTokenVersion,),
    ),
    TopicContract(
        name=CASE_KEYS,
        key="the case id",
        summary="SECRET: each case's key that seals the personal fields of its events "
        "(`SealedValue`), issued with its `case.submitted`; erased by a tombstone (the case id "
        "as key, no value, header `erased: erasure`), after which those fields read only as "
        "placeholders. Compacted, cleaned within about an hour of a tombstone. Only the four "
        "Minyi services may read it.",
        producers=("intake",),
        consumers=("intake", "routing", "notify", "reporting"),
        events=(CaseKeyIssued,),
    ),
)

_NAMESPACE_NOTE = (
    "`MINYI_NAMESPACE` followed by a dot when a namespace is set (`t1a2b.`), empty otherwise."
)


def asyncapi_document(*, version: str) -> dict[str, Any]:
    """The whole document; `version` is the platform's (`info.version`)."""
    models = [model for topic in CATALOGUE for model in topic.events]
    schemas = _model_schemas(models)
    specs = {spec.name: spec for spec in platform_topics()}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in CATALOGUE:
        for model in topic.events:
            messages[_message_id(model)] = _message(model, topic)
        channels[topic.name] = _channel(topic, specs[topic.name])
        for service in topic.producers:
            operations[_operation_id(service, "send", topic.name)] = _operation(
                "send", service, topic
            )
        for service in topic.consumers:
            operations[_operation_id(service, "receive", topic.name)] = _operation(
                "receive", service, topic
            )
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Minyi events",
            "version": version,
            "description": "The topics and events of the Minyi platform: the contract for "
            "downstream consumers. Every record's value is a CloudEvents 1.0 envelope in "
            "structured JSON mode; its `data` is the event type's model. Personal fields (each "
            "marked in its schema) may travel sealed, as a `SealedValue` only the case's key on "
            "the secret `case-keys` topic opens; once the case is erased the key is gone and "
            "the fields read as placeholders (docs/events.md#sealed-fields). Versioning rules: "
            "docs/events.md#versioning-rules.",
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The platform's Kafka broker (`MINYI_KAFKA_BOOTSTRAP`).",
                "variables": {"bootstrap": {"default": "localhost:9092"}},
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {"Envelope": _envelope_schema(), "SealedValue": _SEALED_VALUE, **schemas},
            "messages": messages,
        },
    }


def all_event_models() -> list[type[EventData]]:
    """Every model the document describes, in catalogue order."""
    return [model for topic in CATALOGUE for model in topic.events]


def _model_schemas(models: list[type[EventData]]) -> dict[str, Any]:
    # One pass over every model, so shared sub-models (GeoPoint) are defined once and every
    # `$ref` already points into `components/schemas` instead of a per-model `$defs`.
    _, top = models_json_schema([(m, "serialization") for m in models], ref_template=SCHEMA_REF)
    defs: dict[str, Any] = top.get("$defs", {})
    for model in models:
        for field in PERSONAL_FIELDS.get(model.TYPE, ()):
            schema = defs[model.__name__]["properties"]
            schema[field.name] = _sealable(schema[field.name], placeholder=field.placeholder)
    return defs


_SEALED_VALUE: dict[str, Any] = {
    "type": "object",
    "title": "SealedValue",
    "description": "A personal field sealed with its case's key: AES-256-GCM over the field's "
    "JSON value, `v1.` then base64url of the 12-byte nonce and the ciphertext with its tag; the "
    "associated data is the event's `id`, a NUL byte and the field's name. The key is the "
    "`case.key_issued` record of the case on `case-keys`.",
    "properties": {
        SEALED: {"type": "string", "pattern": "^v1\\.[A-Za-z0-9_-]+={0,2}$"},
    },
    "required": [SEALED],
    "additionalProperties": False,
}


def _sealable(schema: dict[str, Any], *, placeholder: object) -> dict[str, Any]:
    """A personal field's schema: its value, or that value sealed."""
    clear = {k: v for k, v in schema.items() if k not in ("title", "description", "default")}
    erased = "null" if placeholder is None else f"`{placeholder}`"
    note = (
        "Personal: may travel sealed with the case's key (`SealedValue`); once the case is "
        f"erased it reads {erased}."
    )
    described = schema.get("description")
    return {
        **{k: v for k, v in schema.items() if k in ("title", "default")},
        "anyOf": [clear, {"$ref": SCHEMA_REF.format(model="SealedValue")}],
        "description": f"{described} {note}" if described else note,
    }


def _message_id(model: type[EventData]) -> str:
    return model.__name__


def _operation_id(service: str, action: str, topic: str) -> str:
    return f"{service}.{action}.{topic}"


def _envelope_schema() -> dict[str, Any]:
    schema = Envelope.model_json_schema(mode="serialization")
    schema["description"] = (
        "The CloudEvents 1.0 envelope of every event; `schemaversion` and `correlationid` are "
        "extension attributes."
    )
    return schema


def _payload(model: type[EventData]) -> dict[str, Any]:
    """The envelope narrowed to one event type: its `type`, its `data` model."""
    envelope = _envelope_schema()
    properties = dict(envelope["properties"])
    properties["type"] = {"const": model.TYPE, "type": "string"}
    properties["schemaversion"] = {
        "type": "integer",
        "minimum": 1,
        "maximum": model.VERSION,
        "description": f"Producers set {model.VERSION}; older versions may remain on the "
        "topic and are still valid.",
    }
    properties["data"] = {"$ref": SCHEMA_REF.format(model=model.__name__)}
    return {
        "type": "object",
        "properties": properties,
        "required": envelope["required"],
        "title": f"{model.TYPE} envelope",
    }


def _headers() -> dict[str, Any]:
    # As `shared.producer.event_headers` sets them on every record.
    text = {"type": "string"}
    return {
        "type": "object",
        "properties": {
            "content-type": {"const": CONTENT_TYPE, "type": "string"},
            "ce_id": {**text, "description": "The envelope's `id`."},
            "ce_type": {**text, "description": "The envelope's `type`."},
            "ce_source": {**text, "description": "The envelope's `source`."},
            "correlation-id": {**text, "description": "The envelope's `correlationid`."},
        },
        "required": ["content-type", "ce_id", "ce_type", "ce_source", "correlation-id"],
    }


def _message(model: type[EventData], topic: TopicContract) -> dict[str, Any]:
    doc = (model.__doc__ or "").strip()
    return {
        "name": model.TYPE,
        "title": f"{model.TYPE} (v{model.VERSION})",
        "summary": doc.splitlines()[0] if doc else f"{model.TYPE} on {topic.name}",
        "contentType": CONTENT_TYPE,
        "headers": _headers(),
        "payload": _payload(model),
        "correlationId": {
            "description": "The request that caused the event, carried through follow-ups.",
            "location": "$message.header#/correlation-id",
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"The envelope's `subject`: {topic.key}."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _channel(topic: TopicContract, spec: TopicSpec) -> dict[str, Any]:
    configuration: dict[str, Any] = {}
    if "cleanup.policy" in spec.config:
        configuration["cleanup.policy"] = [spec.config["cleanup.policy"]]
    if "retention.ms" in spec.config:
        configuration["retention.ms"] = int(spec.config["retention.ms"])
    return {
        "address": "{namespace}" + topic.name,
        "title": topic.name,
        "description": f"{topic.summary} Key: {topic.key}.",
        "parameters": {"namespace": {"description": _NAMESPACE_NOTE, "default": ""}},
        "messages": {
            _message_id(model): {"$ref": f"#/components/messages/{_message_id(model)}"}
            for model in topic.events
        },
        "bindings": {
            "kafka": {
                "topic": topic.name,
                "partitions": spec.partitions,
                "replicas": 1,
                "topicConfiguration": configuration,
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _operation(action: str, service: str, topic: TopicContract) -> dict[str, Any]:
    # An operation may only name messages of its own channel (AsyncAPI 3.0 rule).
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{topic.name}"},
        "summary": f"{service} {'publishes to' if action == 'send' else 'reads'} {topic.name}.",
        "messages": [
            {"$ref": f"#/channels/{topic.name}/messages/{_message_id(model)}"}
            for model in topic.events
        ],
    }
