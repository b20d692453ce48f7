"""The comparison page's builders: summary table, params diff, URL, exports' file names, figures."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from dashboard.analysis.compare import build_summary
from dashboard.analysis.curves import DISPLAY_POINTS
from dashboard.analysis.hparam_diff import diff_params
from dashboard.analysis.intervals import wilson
from dashboard.components.compare import (
    compare_search,
    curve_names,
    curves_card,
    export_filename,
    hparam_diff,
    image_config,
    parse_compare,
    radar_card,
    smoothing_span,
    styles_for,
    summary_table,
)
from dashboard.components.compare_charts import (
    RADAR_FLOOR,
    RunStyle,
    bar_figure,
    curve_figure,
    normalised,
    radar_figure,
    shorten,
)
from dashboard.components.runs_page import RUN_COLOURS, selection_tray
from dashboard.ingest.base import Series
from dashboard.rows import build_frame
from tests.unit.dash_tree import of_type as _of_type
from tests.unit.dash_tree import text as _text
from tests.unit.dash_tree import walk as _walk

HOSTILE = "<img src=x onerror=alert(1)>"


def _row(
    run_id: str, name: str, params: dict[str, Any], metrics: dict[str, float], **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {"run_id": run_id, "name": name, "status": "completed", "source": "test", **extra}
    row.update({"params." + k: v for k, v in params.items()})
    row.update({"metrics." + k: v for k, v in metrics.items()})
    return row


def _frame() -> Any:
    common = {"seed": 42, "optim.weight_decay": 0.1}
    return build_frame(
        [
            _row(
                "a",
                "ttt_a",
                {**common, "ttt.enable": True, "ttt.base_lr": 0.01, "lr": 5e-5},
                {"sblimp_accuracy": 0.556, "sblimp_samples": 1000, "eval_loss": 0.30, "loss": 0.25},
            ),
            _row(
                "b",
                HOSTILE,
                {**common, "ttt.enable": True, "ttt.base_lr": 1.0, "lr": 5e-5},
                {"sblimp_accuracy": 0.529, "sblimp_samples": 1000, "eval_loss": 0.40, "loss": 0.2},
            ),
            _row(
                "base",
                "baseline",
                {**common, "ttt.enable": False, "lr": 5e-5},
                {"sblimp_accuracy": 0.538, "sblimp_samples": 1000, "eval_loss": 0.35},
                baseline=True,
            ),
        ]
    )


def test_summary_table_has_one_column_per_run_and_a_row_per_metric() -> None:
    summary = build_summary(_frame(), ["a", "b", "base"])
    tree = summary_table(summary)
    head, body = _of_type(tree, "Thead")[0], _of_type(tree, "Tbody")[0]
    headers = _of_type(head, "Th")
    assert len(headers) == 4  # "Metric" + three runs
    assert [_text(h) for h in headers[1:]] == ["ttt_a", HOSTILE, "baselinereference"]
    rows = _of_type(body, "Tr")
    labels = [_text(_of_type(r, "Th")[0]) for r in rows]
    # directional metrics first (natural order), the sample count folded in, then the overfitting rows
    assert labels == [
        "eval_loss ↓",
        "loss ↓",
        "sblimp_accuracy ↑",
        "overfitting gap (eval − train loss)",
    ]
    sblimp = rows[2]
    cells = _of_type(sblimp, "Td")
    assert _text(cells[0]) == "0.556[0.525, 0.5865]+0.018 (+3.346%)≈"  # 556/1000 vs 538/1000
    assert "is-ref" in cells[2].className
    assert "best" in _of_type(cells[0], "Span")[0].className  # 0.556 is the best accuracy
    # the test marker says how it was decided (tooltip)
    markers = [s for s in _of_type(cells[1], "Span") if "delta-test" in (s.className or "")]
    assert markers and "two-proportion" in markers[0].title


def test_the_diff_lists_exactly_the_differing_params() -> None:
    frame = _frame()
    summary = build_summary(frame, ["a", "b", "base"])
    card = hparam_diff(diff_params(frame, summary.run_ids), summary)
    assert card.id == "hparam-diff"
    assert "2 differ / 3 same" in _text(card)
    table = _of_type(card, "Table")[0]
    keys = [_text(r.children[0]) for r in _of_type(_of_type(table, "Tbody")[0], "Tr")]
    assert keys == ["ttt.base_lr", "ttt.enable"]
    cells = _of_type(_of_type(table, "Tbody")[0], "Td")
    assert [_text(c) for c in cells] == ["0.01", "1", "—", "true", "true", "false"]
    same = _of_type(card, "Details")[0]
    assert "3 params are the same in all runs" in _text(same)


def test_two_runs_get_the_describe_pair_sentence() -> None:
    frame = _frame()
    summary = build_summary(frame, ["a", "b"])
    text = _text(hparam_diff(diff_params(frame, summary.run_ids), summary))
    assert "differs only in ttt.base_lr (0.01 → 1)" in text


def test_the_url_round_trips_and_junk_is_no_runs() -> None:
    search = compare_search(["x/1,2", "y"], "y")
    query = parse_compare(search)
    assert query.runs == ["x/1,2", "y"] and query.ref == "y"
    assert parse_compare("?runs=notjson").runs == []
    assert parse_compare("?runs=" + json.dumps(["a", 3, "a", "b"])).runs == ["a", "b"]
    many = parse_compare(compare_search([str(i) for i in range(7)]))
    assert many.runs == ["0", "1", "2", "3", "4"] and many.dropped == 2


def test_the_tray_links_to_the_comparison_of_the_selection_in_order() -> None:
    tray = selection_tray([("r2", "two"), ("r1", "one")])
    link = next(n for n in _walk(tray) if type(n).__name__ == "Link")
    url = urlparse(link.href)
    assert url.path == "/compare"
    assert json.loads(parse_qs(url.query)["runs"][0]) == ["r2", "r1"]
    assert not [n for n in _walk(selection_tray([("r1", "one")])) if type(n).__name__ == "Link"]


def test_export_file_names_are_safe() -> None:
    name = export_filename(["ttt/a @ 2000", HOSTILE, "..", ""], "tex")
    assert name.endswith(".tex") and name.startswith("compare_ttt_a_2000_vs_img_src_x_onerror_alert_1")
    assert all(c.isalnum() or c in "._-" for c in name)


def test_the_modebar_saves_png_named_after_the_runs_and_the_chart() -> None:
    config = image_config(["ttt/a @ 2000", HOSTILE], "eval/loss")
    options = config["toImageButtonOptions"]
    assert options["format"] == "png"
    assert options["filename"] == "compare_ttt_a_2000_vs_img_src_x_onerror_alert_1_eval_loss"
    assert config["displaylogo"] is False  # the shared config is kept
    x = np.arange(5.0)
    styles = [RunStyle("a", "run a", RUN_COLOURS[0]), RunStyle("b", "run b", RUN_COLOURS[1])]
    card = curves_card(["loss"], styles, {"a": {"loss": Series("loss", x, x)}})
    (graph,) = _of_type(card, "Graph")
    assert graph.config["toImageButtonOptions"]["filename"] == "compare_run_a_vs_run_b_loss"
    radar = _of_type(radar_card(build_summary(_frame(), ["a", "b", "base"])), "Graph")
    assert radar[0].config["toImageButtonOptions"]["filename"] == (
        "compare_ttt_a_vs_img_src_x_onerror_alert_1_vs_baseline_profile"
    )


def test_run_styles_follow_the_selection_colours() -> None:
    summary = build_summary(_frame(), ["base", "a"])
    assert [s.colour for s in styles_for(summary)] == list(RUN_COLOURS[:2])


def _styles(n: int) -> list[RunStyle]:
    return [RunStyle(f"r{i}", f"run {i} " + "x" * 40, RUN_COLOURS[i]) for i in range(n)]


def test_curves_one_trace_per_run_downsampled_and_escaped() -> None:
    x = np.arange(10_000, dtype=np.float64)
    long = Series("loss", x, np.sin(x / 100.0) + 2.0)
    short = Series("loss", np.arange(10, dtype=np.float64), np.linspace(3, 2, 10))
    styles = [RunStyle("a", HOSTILE, RUN_COLOURS[0]), *_styles(3)[1:]]
    fig = curve_figure("loss", [(styles[0], short), (styles[1], long), (styles[2], None)], span=0)
    assert len(fig.data) == 2
    assert fig.data[0].name == "&lt;img src=x onerror=alert(1)&gt;"
    assert len(fig.data[1].x) <= DISPLAY_POINTS and fig.data[1].type == "scattergl"
    assert [t.line.color for t in fig.data] == list(RUN_COLOURS[:2])
    # smoothing: the long run gets its faint raw curve and the EMA; the short one is drawn as logged
    smooth = curve_figure("loss", [(styles[0], short), (styles[1], long)], span=50)
    assert len(smooth.data) == 3 and smooth.data[1].opacity < 1 and not smooth.data[1].showlegend
    lr = curve_figure("learning_rate", [(styles[1], Series("learning_rate", x, x))], span=50)
    assert len(lr.data) == 1  # a schedule is not smoothed
    # a zoom re-reads the window at full detail
    zoomed = curve_figure("loss", [(styles[1], long)], window=(1000.0, 1500.0))
    assert zoomed.data[0].x[0] == 999 and zoomed.data[0].x[-1] == 1501 and len(zoomed.data[0].x) == 503
    assert list(zoomed.layout.xaxis.range) == [1000.0, 1500.0]
    assert curve_figure("loss", [(styles[1], long)], log_y=True).layout.yaxis.type == "log"


def test_bars_radar_and_legend_names() -> None:
    summary = build_summary(_frame(), ["a", "b", "base"])
    styles = styles_for(summary)
    sblimp = next(r for r in summary.rows if r.metric == "sblimp_accuracy")
    bars = bar_figure(sblimp, styles)
    assert [b.marker.color for b in bars.data] == list(RUN_COLOURS[:3])
    low, high = wilson(556, 1000)
    assert bars.data[0].error_y.array[0] == pytest.approx(high - 0.556)
    assert bars.data[0].error_y.arrayminus[0] == pytest.approx(0.556 - low)
    eval_loss = next(r for r in summary.rows if r.metric == "eval_loss")
    assert normalised(eval_loss) == pytest.approx([1.0, RADAR_FLOOR, 0.2 + 0.8 * 0.5])  # lower is better
    radar = radar_figure(summary, styles)
    assert radar is not None and len(radar.data) == 3  # axes: eval_loss, loss, sblimp_accuracy
    assert list(radar.data[0].theta) == ["eval_loss ↓", "loss ↓", "sblimp_accuracy ↑", "eval_loss ↓"]
    assert radar_figure(build_summary(_frame(), ["a", "base"]), styles[:2]) is None  # two axes only
    assert shorten("abcdefghijklmnopqrstuvwxyz", 10) == "abc…uvwxyz"


def test_curve_names_in_run_page_order() -> None:
    s = Series("x", np.arange(3.0), np.arange(3.0))
    one = Series("x", np.arange(1.0), np.arange(1.0))
    series = {"a": {"grad_norm": s, "loss": s}, "b": {"eval_loss": s, "single": one}}
    assert curve_names(series) == ["loss", "eval_loss", "grad_norm"]
    assert smoothing_span(0) == 0 and smoothing_span(99) == 200


def test_curves_by_relative_time_use_hours_since_each_runs_start() -> None:
    from dashboard.components.compare_charts import TIME_KIND, has_time, in_relative_time

    x = np.array([10.0, 20.0, 30.0])
    timed = Series("loss", x, np.array([3.0, 2.0, 1.0]), time=np.array([1000.0, 4600.0, 8200.0]))
    untimed = Series("loss", x, np.array([3.5, 2.5, 1.5]))
    shifted = in_relative_time(timed)
    assert shifted is not None and shifted.x_kind == TIME_KIND
    assert list(shifted.x) == [0.0, 1.0, 2.0]
    assert in_relative_time(untimed) is None
    styles = [RunStyle("a", "run a", RUN_COLOURS[0]), RunStyle("b", "run b", RUN_COLOURS[1])]
    runs = [(styles[0], timed), (styles[1], untimed)]
    assert has_time(runs)
    fig = curve_figure("loss", runs, x_mode="time")
    assert [list(t.x) for t in fig.data] == [[0.0, 1.0, 2.0]]  # the run without timestamps is left out
    assert fig.layout.xaxis.title.text == TIME_KIND
    assert len(curve_figure("loss", runs).data) == 2  # by step, both runs
