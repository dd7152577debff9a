"""What each recipient wants: which push channels, which language, and quiet hours. Pure.

Quiet hours delay non-urgent pushes (email, SMS, IM) to the end of the window; urgent ones
(an escalation) go at once, and the in-app inbox is never delayed: it does not disturb.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.notify.domain.delivery import PushChannel
from services.notify.domain.templates import DEFAULT_LANGUAGE, Language
from shared.zones import known_time_zone

DEFAULT_TIMEZONE = "Asia/Shanghai"


class Channels(BaseModel):
    """Each push channel on or off; the inbox is always on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: bool = True
    sms: bool = True
    im: bool = True

    def allows(self, channel: PushChannel) -> bool:
        allowed: bool = getattr(self, channel)
        return allowed


class QuietHours(BaseModel):
    """A daily window, local time; `start` after `end` wraps midnight (22:00–07:00)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time = Field(examples=["22:00"])
    end: time = Field(examples=["07:00"])
    timezone: str = Field(default=DEFAULT_TIMEZONE, examples=[DEFAULT_TIMEZONE])

    @field_validator("start", "end")
    @classmethod
    def _minutes(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("give a local time without offset; the zone is `timezone`")
        return value.replace(second=0, microsecond=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_time_zone(value)

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours must not start and end at the same time")
        return self


class Preferences(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    channels: Channels = Channels()
    language: Language = DEFAULT_LANGUAGE
    quiet_hours: QuietHours | None = None


DEFAULT_PREFERENCES = Preferences()


def quiet_until(now: datetime, quiet: QuietHours) -> datetime | None:
    """When the quiet window `now` falls in ends, or None if `now` is not in it."""
    zone = ZoneInfo(quiet.timezone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    today_end = datetime.combine(local.date(), quiet.end, tzinfo=zone)
    if quiet.start < quiet.end:
        return today_end if quiet.start <= clock < quiet.end else None
    if clock >= quiet.start:
        return today_end + timedelta(days=1)
    if clock < quiet.end:
        return today_end
    return None


def send_at(now: datetime, preferences: Preferences, *, urgent: bool) -> datetime:
    """When a push may go out: now, unless it is not urgent and the recipient is in quiet hours."""
    if urgent or preferences.quiet_hours is None:
        return now
    return quiet_until(now, preferences.quiet_hours) or now


def own_recipients(
    *,
    username: str,
    role: str,
    station: str | None,
    representative_code: str | None,
    department: str | None,
) -> frozenset[str]:
    """The inboxes a signed-in user answers for, whose preferences they may set."""
    own = {f"staff:{username}"}
    if role == "representative" and representative_code:
        own.add(f"representative:{representative_code}")
    if role in ("staff", "station_head") and station:
        own.add(f"station:{station}")
    if role == "station_head" and station:
        own.add(f"station_head:{station}")
    if role == "department" and department:
        own.add(f"department:{department}")
    return frozenset(own)


def may_edit(recipient: str, *, is_admin: bool, own: frozenset[str]) -> bool:
    return is_admin or recipient in own
