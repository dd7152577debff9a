"""The dashboard's server-drawn SVG charts: accessible, escaped, and to scale."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from services.reporting.web.charts import WIDTH, BarRow, Series, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    # Inline SVG in HTML has no namespace declaration; add it so the XML parser can check it.
    return ET.fromstring(
        str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def rects(root: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == cls]


def test_a_bar_chart_is_an_image_labelled_by_its_title_and_description() -> None:
    root = parse(
        bar_chart(
            [BarRow(label="西街", value=0.5, text="50.0%")],
            chart_id="chart-x",
            title="各站办结率",
            desc="西街：50.0%。",
            percent=True,
        )
    )
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-x-title chart-x-desc"
    assert root.find(f"{SVG}title") is not None
    assert root.find(f"{SVG}title").text == "各站办结率"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").get("id") == "chart-x-desc"  # type: ignore[union-attr]


def test_rate_bars_are_drawn_to_scale_with_their_interval_whisker() -> None:
    root = parse(
        bar_chart(
            [
                BarRow(label="A", value=0.25, text="25%", low=0.1, high=0.5),
                BarRow(label="B", value=1.0, text="100%", low=0.8, high=1.0),
            ],
            chart_id="c",
            title="t",
            desc="d",
            percent=True,
        )
    )
    widths = [float(r.get("width", "")) for r in rects(root, "bar")]
    assert widths == [WIDTH * 0.25, WIDTH * 1.0]
    whisker = next(p for p in root.iter(f"{SVG}path") if p.get("class") == "whisker")
    assert whisker.get("d", "").startswith(f"M{WIDTH * 0.1} ")
    assert f"H{WIDTH * 0.5}" in whisker.get("d", "")
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks == ["0%", "25%", "50%", "75%", "100%"]


def test_a_row_without_a_value_has_a_track_but_no_bar() -> None:
    root = parse(
        bar_chart(
            [BarRow(label="空", value=None, text="暂无（样本 0）")],
            chart_id="c",
            title="t",
            desc="d",
            percent=True,
        )
    )
    assert rects(root, "bar") == []
    assert len(rects(root, "track")) == 1


def test_counts_scale_to_the_largest_value_and_marks_to_it_too() -> None:
    root = parse(
        bar_chart(
            [BarRow(label="a", value=2, text="2", mark=8), BarRow(label="b", value=4, text="4")],
            chart_id="c",
            title="t",
            desc="d",
        )
    )
    assert [float(r.get("width", "")) for r in rects(root, "bar")] == [WIDTH / 4, WIDTH / 2]
    mark = next(p for p in root.iter(f"{SVG}path") if p.get("class") == "mark")
    assert mark.get("d", "").startswith(f"M{float(WIDTH)} ")


def test_the_highlighted_row_is_marked_for_the_stylesheet() -> None:
    root = parse(
        bar_chart(
            [
                BarRow(label="a", value=1, text="1"),
                BarRow(label="b", value=1, text="1", highlight=True),
            ],
            chart_id="c",
            title="t",
            desc="d",
        )
    )
    assert [g.get("class") for g in root.iter(f"{SVG}g")] == ["row", "row highlight"]


def test_text_in_a_chart_is_escaped() -> None:
    markup = bar_chart(
        [BarRow(label="<script>alert(1)</script>", value=1, text="&")],
        chart_id='x"onload="y',
        title="<b>",
        desc="d",
    )
    assert "<script>" not in markup and "<b>" not in markup
    assert 'onload="y"' not in markup
    parse(markup)  # still well-formed


def test_a_line_chart_draws_one_line_per_series_through_every_period() -> None:
    root = parse(
        line_chart(
            ["2026-01", "2026-02", "2026-03"],
            [Series(label="停车位", values=[0, 5, 10]), Series(label="排水", values=[10, 0, 0])],
            chart_id="s",
            title="t",
            desc="d",
        )
    )
    lines = list(root.iter(f"{SVG}polyline"))
    assert [line.get("class") for line in lines] == ["line s0", "line s1"]
    first = [tuple(map(float, p.split(","))) for p in lines[0].get("points", "").split()]
    assert len(first) == 3
    assert first[0][0] < first[1][0] < first[2][0] == WIDTH
    # Zero sits on the baseline, the maximum at the top of the plot.
    assert first[0][1] > first[1][1] > first[2][1]
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "label"]
    assert labels == ["停车位", "排水"]
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert "2026-01" in ticks and "2026-03" in ticks


def test_a_chart_draws_no_inline_style() -> None:
    markup = bar_chart([BarRow(label="a", value=1, text="1")], chart_id="c", title="t", desc="d")
    markup += line_chart(["a"], [Series(label="x", values=[1])], chart_id="l", title="t", desc="d")
    assert not re.search(r"\sstyle=", markup)


def test_a_count_scale_has_whole_ticks() -> None:
    root = parse(
        bar_chart([BarRow(label="a", value=3, text="3")], chart_id="c", title="t", desc="d")
    )
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick"]
    assert ticks == ["0", "1", "2", "3", "4"]
    assert [float(r.get("width", "")) for r in rects(root, "bar")] == [WIDTH * 3 / 4]
