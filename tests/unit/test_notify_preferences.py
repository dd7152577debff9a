"""Recipients' preferences: quiet hours that delay what is not urgent, and who may set them."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.notify.domain.preferences import (
    Channels,
    Preferences,
    QuietHours,
    may_edit,
    own_recipients,
    quiet_until,
    send_at,
)

NIGHT = QuietHours(start=time(22), end=time(7))  # Asia/Shanghai, UTC+8
LUNCH = QuietHours(start=time(12), end=time(13, 30))


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time on 2025-03-<day>, as the UTC instant it is."""
    return datetime(2025, 3, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (shanghai(14, 21, 59), None),
        (shanghai(14, 22, 0), shanghai(15, 7)),
        (shanghai(14, 23, 30), shanghai(15, 7)),
        (shanghai(15, 0, 10), shanghai(15, 7)),
        (shanghai(15, 6, 59), shanghai(15, 7)),
        (shanghai(15, 7, 0), None),
        (shanghai(15, 12, 0), None),
    ],
)
def test_quiet_hours_across_midnight_end_the_next_morning(
    now: datetime, until: datetime | None
) -> None:
    assert quiet_until(now, NIGHT) == until


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (shanghai(14, 11, 59), None),
        (shanghai(14, 12, 0), shanghai(14, 13, 30)),
        (shanghai(14, 13, 29), shanghai(14, 13, 30)),
        (shanghai(14, 13, 30), None),
    ],
)
def test_quiet_hours_within_a_day(now: datetime, until: datetime | None) -> None:
    assert quiet_until(now, LUNCH) == until


def test_quiet_hours_are_counted_in_the_recipients_time_zone() -> None:
    london = QuietHours(start=time(22), end=time(7), timezone="Europe/London")
    now = datetime(2025, 1, 15, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai, 23:00 in London

    assert quiet_until(now, NIGHT) is None
    assert quiet_until(now, london) == datetime(2025, 1, 16, 7, 0, tzinfo=UTC)


def test_a_quiet_night_delays_what_is_not_urgent_and_only_that() -> None:
    night = Preferences(quiet_hours=NIGHT)
    late = shanghai(14, 23)

    assert send_at(late, night, urgent=False) == shanghai(15, 7)
    assert send_at(late, night, urgent=True) == late
    assert send_at(late, Preferences(), urgent=False) == late
    assert send_at(shanghai(15, 9), night, urgent=False) == shanghai(15, 9)


def test_the_defaults_are_every_channel_in_chinese_at_any_hour() -> None:
    defaults = Preferences()
    assert defaults.language == "zh"
    assert defaults.quiet_hours is None
    assert all(defaults.channels.allows(c) for c in ("email", "sms", "im"))
    assert not Channels(sms=False).allows("sms")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "fr"}, "language"),
        ({"channels": {"fax": True}}, "channels.fax"),
        ({"channels": {"sms": "sometimes"}}, "channels.sms"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours.start"),
        ({"quiet_hours": {"start": "22:00"}}, "quiet_hours.end"),
        (
            {"quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Mars/Base"}},
            "quiet_hours.timezone",
        ),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00+08:00", "end": "07:00"}}, "quiet_hours.start"),
        ({"volume": "loud"}, "volume"),
    ],
)
def test_invalid_preferences_name_the_field(body: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Preferences.model_validate(body)
    assert [".".join(str(p) for p in e["loc"]) for e in caught.value.errors()] == [field]


def test_people_may_set_the_preferences_of_the_inboxes_they_answer_for() -> None:
    head = own_recipients(
        username="wang",
        role="station_head",
        station="xijie",
        representative_code=None,
        department=None,
    )
    representative = own_recipients(
        username="zhang",
        role="representative",
        station="xijie",
        representative_code="0412",
        department=None,
    )
    handler = own_recipients(
        username="liu",
        role="department",
        station=None,
        representative_code=None,
        department="transport",
    )

    assert head == {"staff:wang", "station:xijie", "station_head:xijie"}
    assert representative == {"staff:zhang", "representative:0412"}
    assert handler == {"staff:liu", "department:transport"}
    assert may_edit("station_head:xijie", is_admin=False, own=head)
    assert not may_edit("station_head:dongcheng", is_admin=False, own=head)
    assert not may_edit("representative:0412", is_admin=False, own=head)
    assert may_edit("representative:0412", is_admin=True, own=frozenset({"staff:admin"}))
