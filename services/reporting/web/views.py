"""Figures put into words and charts for a reader, in their language. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from services.reporting.domain.figures import DurationStats
from services.reporting.domain.kpis import RateEstimate
from services.reporting.domain.series import CategorySeries
from services.reporting.web.catalog import CATALOG
from services.reporting.web.charts import BarRow, Series, bar_chart, line_chart
from shared.web.i18n import Language

HOUR = 3600.0
DAY = 24 * HOUR


def percent(value: float | None, lang: Language, *, digits: int = 1) -> str:
    return CATALOG.text("na", lang) if value is None else f"{value * 100:.{digits}f}%"


def rate_words(estimate: RateEstimate, lang: Language) -> str:
    """ "92.1% (n=140, 95% CI 86–96%)": the rate, its sample and its Wilson interval."""
    if estimate.rate is None or estimate.low is None or estimate.high is None:
        return CATALOG.text("rate_none", lang)
    return CATALOG.text(
        "rate_words",
        lang,
        rate=percent(estimate.rate, lang),
        n=estimate.sample,
        low=f"{estimate.low * 100:.0f}",
        high=percent(estimate.high, lang, digits=0),
    )


def rate_short(estimate: RateEstimate, lang: Language) -> str:
    return CATALOG.text("rate_short", lang, rate=percent(estimate.rate, lang), n=estimate.sample)


def duration(seconds: float | None, lang: Language) -> str:
    """A time a person reads: minutes under an hour, hours under two days, then days."""
    if seconds is None:
        return CATALOG.text("na", lang)
    if seconds < HOUR:
        return CATALOG.text("minutes", lang, n=f"{seconds / 60:.0f}")
    if seconds < 2 * DAY:
        return CATALOG.text("hours", lang, n=f"{seconds / HOUR:.1f}")
    return CATALOG.text("days", lang, n=f"{seconds / DAY:.1f}")


def directory_label(
    directory: Mapping[str, Mapping[str, Any]], key: str, lang: Language, fallback: str
) -> str:
    """A directory entry's name in the reader's language (English when the directory has it)."""
    entry = directory.get(key, {})
    if lang == "en" and entry.get("name_en"):
        return str(entry["name_en"])
    return str(entry.get("name") or fallback)


@dataclass(frozen=True)
class RateLine:
    """A station's rate for a chart and its table."""

    label: str
    estimate: RateEstimate
    highlight: bool = False


@dataclass(frozen=True)
class CountLine:
    label: str
    count: int


@dataclass(frozen=True)
class TimeLine:
    label: str
    stats: DurationStats
    highlight: bool = False


def _described(rows: Sequence[BarRow], desc_key: str, lang: Language, **values: str) -> str:
    listed = "".join(CATALOG.text("chart_row", lang, label=r.label, text=r.text) for r in rows)
    return CATALOG.text(desc_key, lang, rows=listed, **values).strip()


def rate_chart(
    lines: Sequence[RateLine], *, chart_id: str, title_key: str, desc_key: str, lang: Language
) -> Markup:
    """Bars for the rate, whiskers for its 95% interval; a station without a sample has an
    empty track and "n/a (n=0)"."""
    rows = [
        BarRow(
            label=line.label,
            value=line.estimate.rate,
            text=rate_short(line.estimate, lang),
            low=line.estimate.low,
            high=line.estimate.high,
            highlight=line.highlight,
        )
        for line in lines
    ]
    return bar_chart(
        rows,
        chart_id=chart_id,
        title=CATALOG.text(title_key, lang),
        desc=_described(rows, desc_key, lang),
        percent=True,
    )


def count_chart(
    lines: Sequence[CountLine], *, chart_id: str, title_key: str, desc_key: str, lang: Language
) -> Markup:
    rows = [BarRow(label=line.label, value=line.count, text=str(line.count)) for line in lines]
    return bar_chart(
        rows,
        chart_id=chart_id,
        title=CATALOG.text(title_key, lang),
        desc=_described(rows, desc_key, lang),
    )


def time_chart(lines: Sequence[TimeLine], *, chart_id: str, lang: Language) -> Markup:
    """Mean time as the bar, the p90 as a tick; in hours, or days when a p90 reaches two."""
    longest = max((line.stats.p90_seconds or 0.0 for line in lines), default=0.0)
    unit, unit_key = (DAY, "unit_days") if longest >= 2 * DAY else (HOUR, "unit_hours")
    rows = [
        BarRow(
            label=line.label,
            value=None if line.stats.mean_seconds is None else line.stats.mean_seconds / unit,
            mark=None if line.stats.p90_seconds is None else line.stats.p90_seconds / unit,
            text=CATALOG.text(
                "mean_slash_p90",
                lang,
                mean=duration(line.stats.mean_seconds, lang),
                p90=duration(line.stats.p90_seconds, lang),
            ),
            highlight=line.highlight,
        )
        for line in lines
    ]
    return bar_chart(
        rows,
        chart_id=chart_id,
        title=CATALOG.text("chart_times", lang),
        desc=_described(rows, "chart_times_desc", lang, unit=CATALOG.text(unit_key, lang)),
    )


def series_chart(
    series: CategorySeries, labels: Mapping[str, str], *, chart_id: str, lang: Language
) -> Markup:
    """One line per category over the period's slices."""
    periods = [start.isoformat() for start, _ in series.slices]
    lines = [Series(label=labels.get(k, k), values=v) for k, v in series.counts.items()]
    rows = "".join(
        CATALOG.text(
            "series_row", lang, label=line.label, values=", ".join(str(v) for v in line.values)
        )
        for line in lines
    )
    return line_chart(
        periods,
        lines,
        chart_id=chart_id,
        title=CATALOG.text("chart_series", lang),
        desc=CATALOG.text(
            "chart_series_desc",
            lang,
            group=CATALOG.text(f"group_{series.group_by}", lang),
            first=periods[0] if periods else "",
            last=periods[-1] if periods else "",
            rows=rows,
        ).strip(),
    )
