"""reporting's pages: the dashboard (city-wide or one station) and the public figures.

Both read the same figures as the JSON API, through `web/figures.py`. The dashboard is open to
read, like `/v1/reports/*`; a signed-in staff member's station is the default filter. The
public page carries only what `/v1/public/transparency` carries and may be cached.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from services.reporting.adapters.read_models import ReadModels
from services.reporting.domain.summaries import StationSummary
from services.reporting.settings import ReportingSettings
from services.reporting.web import figures, views
from services.reporting.web.catalog import CATALOG
from services.reporting.web.filters import (
    PRESETS,
    FilterForm,
    Filters,
    parse_filters,
    preset_period,
)
from shared.web.i18n import Language, pick_language
from shared.web.pages import Pages, mount_static
from shared.web.session import session_claims

WEB = Path(__file__).resolve().parent.parent / "web"
PUBLIC_CACHE = "public, max-age=300"


def _today() -> date:
    return datetime.now(UTC).date()


def _url(path: str, **params: str) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _presets(
    path: str, *, filters: Filters | None, station: str | None, today: date
) -> list[dict[str, Any]]:
    current = filters.preset(today=today) if filters else None
    links = []
    for preset in PRESETS:
        since, until = preset_period(preset, today=today)
        params = {"since": since.isoformat(), "until": until.isoformat()}
        if station is not None:
            params["station"] = station
        links.append(
            {"key": f"preset_{preset}", "url": _url(path, **params), "current": preset == current}
        )
    return links


def _errors(form: FilterForm, lang: Language) -> list[dict[str, str]]:
    return [
        {"field": name, "message": CATALOG.text(key, lang)} for name, key in form.errors.items()
    ]


def _station_label(board: figures.Dashboard, station: StationSummary, lang: Language) -> str:
    return views.directory_label(
        board.station_directory, station.station_id, lang, station.station_name
    )


def _dashboard_context(board: figures.Dashboard, lang: Language) -> dict[str, Any]:
    selected = board.selected
    shown = selected or board.city
    period = {"since": board.since.isoformat(), "until": board.until.isoformat()}
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
            views.duration(shown.time_to_respond.mean_seconds, lang),
            CATALOG.text(
                "p90_words",
                lang,
                p90=views.duration(shown.time_to_respond.p90_seconds, lang),
                n=shown.time_to_respond.count,
            )
            if shown.time_to_respond.count
            else None,
        ),
    ]
    labels = {s.station_id: _station_label(board, s, lang) for s in board.stations}

    def rate_lines(metric: str) -> list[views.RateLine]:
        return [
            views.RateLine(
                label=labels[s.station_id],
                estimate=s.completion_rate if metric == "completion" else s.satisfaction_rate,
                highlight=s.station_id == board.station_id,
            )
            for s in board.stations
        ]

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
        "kpis": [
            {
                "id": "received" if name == "assigned" else name,
                "label": CATALOG.text(f"kpi_{name}", lang),
                "value": value,
                "words": words,
            }
            for name, value, words in kpis
        ],
        "stations": board.stations,
        "station_labels": labels,
        "rate_words": lambda e: views.rate_words(e, lang),
        "duration": lambda seconds: views.duration(seconds, lang),
        "percent": lambda v: views.percent(v, lang),
        "completion_chart": views.rate_chart(
            rate_lines("completion"),
            chart_id="chart-completion",
            title_key="chart_completion",
            desc_key="chart_completion_desc",
            lang=lang,
        ),
        "satisfaction_chart": views.rate_chart(
            rate_lines("satisfaction"),
            chart_id="chart-satisfaction",
            title_key="chart_satisfaction",
            desc_key="chart_satisfaction_desc",
            lang=lang,
        ),
        "categories": categories,
        "categories_chart": views.count_chart(
            categories,
            chart_id="chart-categories",
            title_key="chart_categories",
            desc_key="chart_categories_desc",
            lang=lang,
        )
        if categories
        else None,
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
        "stages_chart": views.count_chart(
            stages,
            chart_id="chart-stages",
            title_key="chart_stages",
            desc_key="chart_stages_desc",
            lang=lang,
        )
        if any(line.count for line in stages)
        else None,
        "activities": board.shown_activities,
        "station_activities": [
            (labels.get(station, station), figures_)
            for station, figures_ in board.activities.items()
            if figures_.deliberation_meetings or figures_.themed_activities
        ],
        "rankings": [
            ("ranking_completion", board.completion_ranking),
            ("ranking_satisfaction", board.satisfaction_ranking),
        ],
        "min_sample": figures.MIN_SAMPLE,
        "exports": {
            "csv": _url("/v1/reports/stations.csv", **period),
            "xlsx": _url("/v1/reports/stations.xlsx", **period),
        },
    }


def build_pages_router(*, read_models: ReadModels, settings: ReportingSettings) -> APIRouter:
    pages = Pages(templates=WEB / "templates", catalog=CATALOG)
    secret = settings.jwt_secret.get_secret_value()
    intake_url = settings.intake_web_url.rstrip("/")
    router = APIRouter(include_in_schema=False)

    @router.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(
        request: Request,
        since: str | None = None,
        until: str | None = None,
        station: str | None = None,
    ) -> HTMLResponse:
        lang = pick_language(request)
        today = _today()
        claims = session_claims(request, secret=secret)
        own_station = claims.station if claims else None
        filters, form = parse_filters(
            since=since, until=until, station=station, today=today, default_station=own_station
        )
        board = None
        if filters is not None:
            # The inputs show the period in force, typed or by default.
            form.since, form.until = filters.since.isoformat(), filters.until.isoformat()
            board = await figures.dashboard(
                read_models, since=filters.since, until=filters.until, station_id=filters.station
            )
            wanted = filters.station
            known = set(board.station_directory) | {s.station_id for s in board.stations}
            if wanted and wanted != own_station and wanted not in known:
                form.errors["station"] = "error_unknown_station"
                board = None
        directory = (
            board.station_directory if board else await figures.station_directory(read_models)
        )
        options = {key: views.directory_label(directory, key, lang, key) for key in directory}
        if board is not None:
            for summary in board.stations:
                options.setdefault(summary.station_id, _station_label(board, summary, lang))
            if board.station_id:
                options.setdefault(board.station_id, board.station_id)
        if own_station:
            options.setdefault(own_station, own_station)
        context: dict[str, Any] = {
            "form": form,
            "errors": _errors(form, lang),
            "station_options": sorted(options.items()),
            "presets": _presets(
                "/dashboard",
                filters=filters,
                station=None if "station" in form.errors else form.station,
                today=today,
            ),
            "board": board,
            "public_url": "/transparency",
        }
        if board is not None:
            context.update(_dashboard_context(board, lang))
        return pages.render(request, "dashboard.html", context, status_code=200 if board else 422)

    @router.get("/transparency", response_class=HTMLResponse)
    async def transparency(
        request: Request, since: str | None = None, until: str | None = None
    ) -> HTMLResponse:
        lang = pick_language(request)
        today = _today()
        filters, form = parse_filters(since=since, until=until, station="", today=today)
        context: dict[str, Any] = {
            "form": form,
            "errors": _errors(form, lang),
            "presets": _presets("/transparency", filters=filters, station=None, today=today),
            "intake_url": intake_url,
            "figures": None,
        }
        if filters is not None:
            form.since, form.until = filters.since.isoformat(), filters.until.isoformat()
            public, sentence, directory = await figures.public(
                read_models, since=filters.since, until=filters.until
            )
            labels = {
                s.station_id: views.directory_label(directory, s.station_id, lang, s.station_name)
                for s in public.stations
            }

            def lines(metric: str) -> list[views.RateLine]:
                return [
                    views.RateLine(
                        label=labels[s.station_id],
                        estimate=s.completion_rate
                        if metric == "completion"
                        else s.satisfaction_rate,
                    )
                    for s in public.stations
                ]

            context.update(
                {
                    "figures": public,
                    "station_labels": labels,
                    "sentence": getattr(sentence, lang),
                    "rate_words": lambda e: views.rate_words(e, lang),
                    "percent": lambda v: views.percent(v, lang),
                    "stage_names": {
                        stage: CATALOG.text(f"stage_{stage}", lang)
                        for stage in public.city.house_repair_stages
                    },
                    "completion_chart": views.rate_chart(
                        lines("completion"),
                        chart_id="chart-completion",
                        title_key="chart_completion",
                        desc_key="chart_completion_desc",
                        lang=lang,
                    ),
                    "satisfaction_chart": views.rate_chart(
                        lines("satisfaction"),
                        chart_id="chart-satisfaction",
                        title_key="chart_satisfaction",
                        desc_key="chart_satisfaction_desc",
                        lang=lang,
                    ),
                }
            )
        response = pages.render(
            request,
            "transparency.html",
            context,
            status_code=200 if filters else 422,
            private=False,
        )
        # A response that sets the language cookie is one person's, not for shared caches.
        if filters is not None and "set-cookie" not in response.headers:
            response.headers["Cache-Control"] = PUBLIC_CACHE
            # The language comes from ?lang= or a cookie, so caches must keep them apart.
            response.headers["Vary"] = "Cookie"
        return response

    return router


def install_pages(app: FastAPI, *, read_models: ReadModels, settings: ReportingSettings) -> None:
    """The pages' routes and their static files, in one call from app.py."""
    app.include_router(build_pages_router(read_models=read_models, settings=settings))
    mount_static(app, service="reporting", directory=WEB / "static")
