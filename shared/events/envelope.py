"""The CloudEvents 1.0 envelope every Minyi event travels in (structured JSON mode).

Extension attributes: `schemaversion` (the version of `data`'s model), `correlationid`
(the request that caused the event), both lower-case as CloudEvents requires, and, while
tracing records, `traceparent` (CloudEvents' distributed-tracing extension: the W3C trace
context of the span that made the event, so consumers continue the same trace).
"""

from __future__ import annotations

import builtins
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.tracing import current_traceparent

CONTENT_TYPE = "application/cloudevents+json"


class EventDecodeError(ValueError):
    """A record that is not a valid Minyi event: it goes to the dead-letter topic."""


class EventData(BaseModel):
    """Base of every event payload. Subclasses declare TYPE and VERSION."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1


T = TypeVar("T", bound=EventData)


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=128)
    type: str = Field(min_length=1, max_length=128)
    source: str = Field(min_length=1, max_length=256)
    subject: str = Field(min_length=1, max_length=128, description="The aggregate id (the key).")
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    schemaversion: int = Field(ge=1)
    correlationid: str = Field(min_length=1, max_length=128)
    # Not validated beyond its length: a malformed trace context is ignored by the consumer,
    # never a reason to dead-letter the event.
    traceparent: str | None = Field(default=None, max_length=256)
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        data: EventData,
        *,
        source: str,
        subject: str,
        correlation_id: str,
        time: datetime | None = None,
        event_id: str | None = None,
    ) -> Self:
        return cls(
            id=event_id or str(uuid.uuid4()),
            type=data.TYPE,
            source=source,
            subject=subject,
            time=time or datetime.now(UTC),
            schemaversion=data.VERSION,
            correlationid=correlation_id,
            traceparent=current_traceparent(),
            data=data.model_dump(mode="json"),
        )

    def to_bytes(self) -> bytes:
        dumped = self.model_dump(mode="json")
        if dumped["traceparent"] is None:
            del dumped["traceparent"]  # CloudEvents: an unset extension attribute is absent
        return orjson.dumps(dumped)

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> Self:
        if not raw:
            raise EventDecodeError("empty record value")
        try:
            return cls.model_validate(orjson.loads(raw))
        except orjson.JSONDecodeError as exc:
            raise EventDecodeError(f"value is not JSON: {exc}") from exc
        except ValidationError as exc:
            raise EventDecodeError(f"not a CloudEvents envelope: {_short(exc)}") from exc

    def payload(self, model: builtins.type[T]) -> T:
        """The typed payload. Newer major versions than the reader knows are refused."""
        if self.type != model.TYPE:
            raise EventDecodeError(f"expected {model.TYPE}, got {self.type}")
        if self.schemaversion > model.VERSION:
            raise EventDecodeError(
                f"{self.type} schema version {self.schemaversion} is newer than this reader's "
                f"{model.VERSION}"
            )
        try:
            return model.model_validate(self.data)
        except ValidationError as exc:
            raise EventDecodeError(f"invalid {self.type} data: {_short(exc)}") from exc


def _short(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
    )
