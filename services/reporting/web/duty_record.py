"""A duty record put into words for its page, in the reader's language. Pure."""

from __future__ import annotations

from typing import Any

from services.reporting.domain.duty_record import DutyRecord, PublicDutyRecord
from services.reporting.web import views
from services.reporting.web.catalog import CATALOG
from shared.web.i18n import Language


def record_context(record: DutyRecord | PublicDutyRecord, lang: Language) -> dict[str, Any]:
    """The page's rows: (id, label key, text) per figure, in the order the page lists them."""
    rows: list[tuple[str, str, str]] = [
        ("received", "record_received", str(record.received)),
        ("accepted", "record_accepted", str(record.accepted)),
    ]
    if isinstance(record, DutyRecord):
        rows.append(("declined", "record_declined", str(record.declined)))
    rows.append(("answered", "record_answered", str(record.answered)))
    if isinstance(record, DutyRecord):
        times = record.time_to_respond
        rows.append(
            (
                "time-to-respond",
                "record_time_to_respond",
                CATALOG.text(
                    "record_times_words",
                    lang,
                    median=views.duration(times.median_seconds, lang),
                    p90=views.duration(times.p90_seconds, lang),
                    n=times.count,
                ),
            )
        )
    rows.append(("rated", "kpi_rated", str(record.rated)))
    if isinstance(record, PublicDutyRecord) and record.satisfaction_rate is None:
        satisfaction = CATALOG.text("record_withheld", lang, n=record.min_rated)
    else:
        assert record.satisfaction_rate is not None  # withheld on the public record only
        satisfaction = views.rate_words(record.satisfaction_rate, lang)
    rows.append(("satisfaction", "kpi_satisfaction", satisfaction))
    if isinstance(record, DutyRecord):
        rows.append(("followed-up", "record_followed_up", str(record.followed_up)))
        rows.append(
            (
                "follow-up-satisfaction",
                "kpi_follow_up_satisfaction",
                views.rate_words(record.follow_up_satisfaction_rate, lang),
            )
        )
    rows += [
        ("meetings", "record_meetings", str(record.meetings_attended)),
        ("activities", "record_activities", str(record.activities_attended)),
        ("suggestions", "record_suggestions", str(record.suggestions)),
        ("cosigned-suggestions", "record_cosigned", str(record.cosigned_suggestions)),
    ]
    return {"record": record, "rows": rows}
