"""What the dashboard and the public page render: their figures put into labels, words and
charts in the reader's language, and the filter form's presets, options and errors. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from services.reporting.domain.dashboard import Dashboard, Directory
from services.reporting.domain.kpis import DEFAULT_MIN_SAMPLE
from services.reporting.domain.periods import PRESETS, Preset, preset_period
from services.reporting.domain.summaries import Sentence, StationSummary
from services.reporting.domain.transparency import PublicStation, Transparency
from services.reporting.web import views
from services.reporting.web.catalog import CATALOG
from shared.web.i18n import Language


def url(path: str, **params: str) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def preset_links(
    path: str, *, current: Preset | None, station: str | None, today: date
) -> list[dict[str, Any]]:
    links = []
    for preset in PRESETS:
        since, until = preset_period(preset, today=today)
        params = {"since": since.isoformat(), "until": until.isoformat()}
        if station is not None:
            params["station"] = station
        links.append(
            {"key": f"preset_{preset}", "url": url(path, **params), "current": preset == current}
        )
    return links


def field_errors(errors: Mapping[str, str], lang: Language) -> list[dict[str, str]]:
    """The form's message key per field, in words."""
    return [{"field": name, "message": CATALOG.text(key, lang)} for name, key in errors.items()]


def _station_label(board: Dashboard, station: StationSummary, lang: Language) -> str:
    return views.directory_label(
        board.station_directory, station.station_id, lang, station.station_name
    )


def station_options(
    directory: Directory, *, board: Dashboard | None, own_station: str | None, lang: Language
) -> list[tuple[str, str]]:
    """(id, label) of every station the filter can pick, by id: the directory's, those with
    figures, the chosen one and the reader's own."""
    options = {key: views.directory_label(directory, key, lang, key) for key in directory}
    if board is not None:
        for summary in board.stations:
            options.setdefault(summary.station_id, _station_label(board, summary, lang))
        if board.station_id:
            options.setdefault(board.station_id, board.station_id)
    if own_station:
        options.setdefault(own_station, own_station)
    return sorted(options.items())


def _rate_charts(
    stations: Sequence[StationSummary | PublicStation],
    labels: Mapping[str, str],
    lang: Language,
    *,
    highlight: str | None = None,
) -> dict[str, Any]:
    """`completion_chart` and `satisfaction_chart`: each station's rate, one bar each."""
    return {
        f"{metric}_chart": views.rate_chart(
            [
                views.RateLine(
                    label=labels[s.station_id],
                    estimate=s.completion_rate if metric == "completion" else s.satisfaction_rate,
                    highlight=s.station_id == highlight,
                )
                for s in stations
            ],
            chart_id=f"chart-{metric}",
            title_key=f"chart_{metric}",
            desc_key=f"chart_{metric}_desc",
            lang=lang,
        )
        for metric in ("completion", "satisfaction")
    }


def _count_chart(name: str, lines: Sequence[views.CountLine], lang: Language) -> Markup:
    """The `chart-<name>` bars, titled and described by `chart_<name>`/`chart_<name>_desc`."""
    return views.count_chart(
        lines,
        chart_id=f"chart-{name}",
        title_key=f"chart_{name}",
        desc_key=f"chart_{name}_desc",
        lang=lang,
    )


def _kpis(board: Dashboard, lang: Language) -> list[dict[str, Any]]:
    selected = board.selected
    shown = selected or board.city
    respond = shown.time_to_respond
    # A station's "received" is the cases first assigned to it, hence its label.
    kpis: list[tuple[str, object, str | None]] = [
        ("received" if selected is None else "assigned", shown.received, None),
        ("accepted", shown.accepted, None),
        ("closed", shown.closed, None),
        (
            "completion",
            views.percent(shown.completion_rate.rate, lang),
            views.rate_words(shown.completion_rate, lang),
        ),
        (
            "satisfaction",
            views.percent(shown.satisfaction_rate.rate, lang),
            views.rate_words(shown.satisfaction_rate, lang),
        ),
        ("open_now", shown.open_now, None),
        ("overdue_now", shown.overdue_now, None),
        ("escalated", shown.escalated, None),
        (
            "mean_respond",
            views.duration(respond.mean_seconds, lang),
            CATALOG.text(
                "p90_words", lang, p90=views.duration(respond.p90_seconds, lang), n=respond.count
            )
            if respond.count
            else None,
        ),
    ]
    return [
        {
            "id": "received" if name == "assigned" else name,
            "label": CATALOG.text(f"kpi_{name}", lang),
            "value": value,
            "words": words,
        }
        for name, value, words in kpis
    ]


def dashboard_context(board: Dashboard, lang: Language) -> dict[str, Any]:
    selected = board.selected
    period = {"since": board.since.isoformat(), "until": board.until.isoformat()}
    labels = {s.station_id: _station_label(board, s, lang) for s in board.stations}
    category_labels = {
        c.key: views.directory_label(board.category_directory, c.key, lang, c.name)
        for c in board.categories
    }
    categories = [
        views.CountLine(label=category_labels[c.key], count=c.received)
        for c in sorted(board.categories, key=lambda c: (-c.received, c.key))
        if c.received
    ]
    answered = [s for s in board.stations if s.time_to_respond.count]
    stages = [
        views.CountLine(label=CATALOG.text(f"stage_{stage}", lang), count=n)
        for stage, n in board.stages.items()
    ]
    return {
        "selected": selected,
        "selected_label": _station_label(board, selected, lang) if selected else None,
        "sentence": getattr(board.sentence, lang),
        "kpis": _kpis(board, lang),
        "stations": board.stations,
        "station_labels": labels,
        "rate_words": lambda e: views.rate_words(e, lang),
        "duration": lambda seconds: views.duration(seconds, lang),
        "percent": lambda v: views.percent(v, lang),
        **_rate_charts(board.stations, labels, lang, highlight=board.station_id),
        "categories": categories,
        "categories_chart": _count_chart("categories", categories, lang) if categories else None,
        "series": board.series,
        "series_labels": category_labels,
        "series_chart": views.series_chart(
            board.series, category_labels, chart_id="chart-series", lang=lang
        )
        if board.series.counts
        else None,
        "answered": answered,
        "times_chart": views.time_chart(
            [
                views.TimeLine(
                    label=labels[s.station_id],
                    stats=s.time_to_respond,
                    highlight=s.station_id == board.station_id,
                )
                for s in answered
            ],
            chart_id="chart-times",
            lang=lang,
        )
        if answered
        else None,
        "stages": stages,
        "stages_chart": _count_chart("stages", stages, lang)
        if any(line.count for line in stages)
        else None,
        "activities": board.shown_activities,
        "station_activities": [
            (labels.get(station, station), figures)
            for station, figures in board.activities.items()
            if figures.held
        ],
        "rankings": [
            ("ranking_completion", board.completion_ranking),
            ("ranking_satisfaction", board.satisfaction_ranking),
        ],
        "min_sample": DEFAULT_MIN_SAMPLE,
        "exports": {
            "csv": url("/v1/reports/stations.csv", **period),
            "xlsx": url("/v1/reports/stations.xlsx", **period),
        },
    }


def transparency_context(
    public: Transparency, sentence: Sentence, directory: Directory, lang: Language
) -> dict[str, Any]:
    labels = {
        s.station_id: views.directory_label(directory, s.station_id, lang, s.station_name)
        for s in public.stations
    }
    return {
        "figures": public,
        "station_labels": labels,
        "sentence": getattr(sentence, lang),
        "rate_words": lambda e: views.rate_words(e, lang),
        "percent": lambda v: views.percent(v, lang),
        "stage_names": {
            stage: CATALOG.text(f"stage_{stage}", lang) for stage in public.city.house_repair_stages
        },
        **_rate_charts(public.stations, labels, lang),
    }
