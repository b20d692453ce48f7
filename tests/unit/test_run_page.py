"""The run page builders on fixture runs: params groups and search, stat cards, charts, text safety."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import plotly.graph_objects as go
from dash import dcc, html

from dashboard import ids
from dashboard.analysis.curves import DISPLAY_POINTS
from dashboard.components.run_charts import chart_order, loss_figure, plot_text, series_figure
from dashboard.components.run_page import (
    RunView,
    count_text,
    duration_text,
    metrics_table,
    page_body,
    run_page,
    section_children,
)
from dashboard.components.run_params import group_params, param_text, params_table
from dashboard.ingest.base import Problem, Run, Series

NESTED = {
    "seed": 42,
    "max_steps": 200,
    "ttt.enable": True,
    "ttt.base_lr": 0.01,
    "ttt.layers": "29,30,31",
    "lora.enable": False,
    "lora.rank": 64,
    "optim.lr": 5e-05,
    "optim.weight_decay": 0.1,
    "data.train_data": "/data/lab/train.jsonl",
    "tags": ["a", "b"],
    "resume_from": None,
}


def _walk(component: Any) -> Iterator[Any]:
    if isinstance(component, (list, tuple)):
        for item in component:
            yield from _walk(item)
        return
    yield component
    children = getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        for child in children:
            yield from _walk(child)
    elif children is not None:
        yield from _walk(children)


def _text(component: Any) -> str:
    return " ".join(str(c) for c in _walk(component) if isinstance(c, (str, int, float)))


def _fixture_run(name: str = "tiny-hf", steps: int = 100) -> tuple[Run, dict[str, Series]]:
    x = np.arange(10.0, steps + 1, 10.0)
    series = {
        "loss": Series("loss", x, 2.0 - x / 100),
        "eval_loss": Series("eval_loss", np.array([50.0, 100.0]), np.array([1.6, 1.1])),
        "learning_rate": Series("learning_rate", x, np.full(x.shape[0], 1e-4)),
        "train_runtime": Series("train_runtime", np.array([100.0]), np.array([12.5])),
    }
    run = Run(
        key="",
        name=name,
        source="hf_trainer",
        path="/lab/runs/tiny-hf",
        experiment="tiny-hf",
        status="unknown",
        step=steps,
        updated_at=1_700_000_000.0,
        params={"max_steps": 200, "model.n_layer": 2, "model.vocab_size": 50257},
        metrics={"eval_loss": 1.1, "loss": 1.0, "learning_rate": 1e-4, "train_runtime": 12.5},
        files=["/lab/runs/tiny-hf/trainer_state.json", "/lab/runs/tiny-hf/all_results.json"],
        notes=["best_metric matches eval_loss at step 100 (the file does not name the metric)."],
    )
    return run, series


def _view(**kwargs: Any) -> RunView:
    run, series = _fixture_run(**kwargs)
    return RunView(run_id="tiny-hf", run=run, status="running", series=series, now=1_700_000_600.0)


# ---------------------------------------------------------------- params


def test_params_are_grouped_by_first_dotted_part_general_first() -> None:
    groups = dict(group_params(NESTED))
    assert list(groups) == ["general", "data", "lora", "optim", "ttt"]
    assert groups["general"] == [
        ("max_steps", "200"),
        ("resume_from", "null"),
        ("seed", "42"),
        ("tags", '["a", "b"]'),
    ]
    assert groups["ttt"] == [("ttt.base_lr", "0.01"), ("ttt.enable", "true"), ("ttt.layers", "29,30,31")]
    assert groups["optim"] == [("optim.lr", "5e-05"), ("optim.weight_decay", "0.1")]


def test_params_search_matches_keys_and_values_case_insensitively() -> None:
    assert group_params(NESTED, "LR") == [
        ("optim", [("optim.lr", "5e-05")]),
        ("ttt", [("ttt.base_lr", "0.01")]),
    ]
    # Every word must match, in the key or the value.
    assert group_params(NESTED, "enable false") == [("lora", [("lora.enable", "false")])]
    assert group_params(NESTED, "train.jsonl") == [("data", [("data.train_data", "/data/lab/train.jsonl")])]
    assert group_params(NESTED, "nothing-like-this") == []
    assert group_params(NESTED, "   ") == group_params(NESTED)


def test_param_values_are_shown_as_written() -> None:
    assert param_text(5e-05) == "5e-05"  # not rounded: configs are copied from here
    assert param_text(0.1 + 0.2) == "0.30000000000000004"
    assert param_text(True) == "true" and param_text(None) == "null"
    assert param_text("") == '""'
    assert param_text([1, "x"]) == '[1, "x"]'


def test_params_table_rows_and_messages() -> None:
    table = params_table(NESTED, "lora")
    text = _text(table)
    assert "lora.*" in text and "rank" in text and "64" in text
    assert "ttt" not in text
    assert "No param matches" in _text(params_table(NESTED, "zzz"))
    assert "no params" in _text(params_table({}))


# ---------------------------------------------------------------- stat cards and sections


def test_stat_cards_of_a_training_run() -> None:
    stats = _text(section_children(_view())["stats"])
    assert "Step 100  / 200" in stats  # step of max_steps
    assert "50.0% of max_steps" in stats
    assert "Best eval_loss 1.1 at step 100" in stats  # the eval loss, not the train loss
    assert "Latest loss 1 last logged value" in stats  # 10 points: not smoothed
    assert "Elapsed 12s from train_runtime" in stats
    assert "Tokens" not in stats  # not logged: no card


def test_elapsed_is_a_dash_without_timestamps_or_runtime() -> None:
    view = _view()
    del view.run.metrics["train_runtime"]
    assert "Elapsed — no timestamps logged" in _text(section_children(view)["stats"])


def test_elapsed_comes_from_train_runtime_when_no_timestamps() -> None:
    view = _view()
    view.run.metrics["train_runtime"] = 4537.0
    stats = _text(section_children(view)["stats"])
    assert "1h 15m" in stats and "from train_runtime" in stats


def test_a_run_without_a_loss_curve_has_no_stat_cards() -> None:
    view = _view()
    view.series = {
        "librilight_loss": Series("librilight_loss", np.array([1.0, 2.0]), np.array([5.0, 6.0]), "position")
    }
    assert section_children(view)["stats"] == []


def test_header_shows_name_status_source_path_and_copy() -> None:
    header = section_children(_view(name="<img src=x onerror=alert(1)>"))["header"]
    text = _text(header)
    assert "<img src=x onerror=alert(1)>" in text  # a plain string child: React renders it as text
    assert "running" in text and "hf_trainer" in text and "/lab/runs/tiny-hf" in text
    assert "10 min ago" in text
    copies = [c for c in _walk(html.Div(header)) if isinstance(c, dcc.Clipboard)]
    assert copies and copies[0].content == "/lab/runs/tiny-hf"


def test_info_section_lists_notes_files_and_problems() -> None:
    view = _view()
    view.problems = [Problem("/lab/runs/tiny-hf/eval_results.json", "hf_trainer", "truncated JSON")]
    text = _text(section_children(view)["info"])
    assert "best_metric matches eval_loss" in text
    assert "trainer_state.json" in text and "all_results.json" in text
    assert "Problems (1)" in text and "truncated JSON" in text and "eval_results.json" in text


def test_metrics_are_formatted_to_four_significant_digits() -> None:
    view = _view()
    view.run.metrics = {"acc": 0.54123, "ppl": 700.0, "slope": 7.3e-05, "tiny": 1.23456e-7}
    text = _text(section_children(view)["metrics"])
    assert "0.5412" in text and "700" in text and "7.3e-5" in text and "1.235e-7" in text


def test_metrics_search_filters_names_and_many_metrics_get_a_search_box() -> None:
    metrics = {
        f"{task}/{m}": 0.5 for task in ("arc_easy", "arc_challenge", "piqa") for m in ("acc", "acc_stderr")
    }
    table = metrics_table(metrics, "arc acc_stderr")
    names = [c.children for c in _walk(table) if isinstance(c, html.Td) and "metric-name" in c.className]
    assert names == ["arc_challenge/acc_stderr", "arc_easy/acc_stderr"]
    assert "No metric matches" in _text(metrics_table(metrics, "bleu"))
    view = _view()
    view.run.metrics = {f"m{i:02d}": float(i) for i in range(30)}
    body, _ = page_body(view, metrics_query="m1")
    searches = [
        c
        for c in _walk(html.Div(body))
        if getattr(c, "id", None) == {"type": ids.RUN_METRICS_SEARCH, "index": 0}
    ]
    assert searches and searches[0].value == "m1"
    assert "m29" not in _text(section_children(view, "m1")["metrics"])


def test_count_and_duration_text() -> None:
    assert count_text(11_400_000) == "11.4M" and count_text(2.5e9) == "2.5B" and count_text(512) == "512"
    assert duration_text(42) == "42s" and duration_text(756.6) == "12m 37s"
    assert duration_text(54_660) == "15h 11m" and duration_text(200_000) == "2d 7h"


# ---------------------------------------------------------------- charts and the page


def test_page_has_one_chart_per_drawable_series_loss_first() -> None:
    view = _view()
    body, state = page_body(view)
    graphs = [c for c in _walk(html.Div(body)) if isinstance(c, dcc.Graph)]
    # train_runtime was logged once: a number under Metrics, not a chart.
    assert state["charts"] == ["loss", "eval_loss", "learning_rate"]
    assert [g.id for g in graphs] == [{"type": ids.RUN_CHART, "index": i} for i in range(3)]
    assert "Logged once" in _text(section_children(view)["singles"])
    loss_names = [t.name for t in graphs[0].figure.data]
    assert loss_names == ["raw", "eval_loss"]  # 10 points: no EMA; the eval loss overlaid


def test_page_state_and_not_found_page() -> None:
    page = run_page(_view(), "tiny-hf")
    stores = [c for c in _walk(page) if isinstance(c, dcc.Store) and c.id == ids.RUN_PAGE_STATE]
    assert stores[0].data["run_id"] == "tiny-hf" and stores[0].data["stamp"][0] == "running"
    missing = run_page(None, "gone/run")
    assert "Run not found" in _text(missing) and "gone/run" in _text(missing)
    stores = [c for c in _walk(missing) if isinstance(c, dcc.Store)]
    assert stores[0].data == {"run_id": "gone/run", "stamp": None, "charts": []}


def test_no_html_rendering_components_anywhere() -> None:
    body, _ = page_body(_view(name="<b>bold</b>"))
    for component in _walk(html.Div(body)):
        assert not isinstance(component, dcc.Markdown)
        assert not getattr(component, "dangerously_allow_html", False)


def test_long_curves_are_downsampled_and_drawn_with_webgl() -> None:
    n = 20_000
    x = np.arange(n, dtype=float)
    y = 3 + np.exp(-x / 2000) + np.random.default_rng(0).normal(0, 0.05, n)
    fig = loss_figure(Series("train_loss", x, y), Series("val_loss", x[::500], y[::500]))
    assert all(isinstance(t, go.Scattergl) for t in fig.data)  # one trace type: gl draws above svg
    assert all(len(t.x) <= DISPLAY_POINTS for t in fig.data)
    assert [t.name for t in fig.data][:4] == ["raw", "EMA 10", "EMA 50", "EMA 200"]
    short = series_figure(Series("grad_norm", x[:100], y[:100]))
    assert isinstance(short.data[0], go.Scatter) and not isinstance(short.data[0], go.Scattergl)


def test_progression_series_show_mean_and_samples() -> None:
    series = Series(
        "librilight_loss",
        np.array([1000.0, 2000.0]),
        np.array([5.5, 5.7]),
        x_kind="position",
        samples_x=np.array([1000.0, 1000.0, 2000.0, 2000.0]),
        samples_y=np.array([5.4, 5.6, 5.6, 5.8]),
    )
    fig = series_figure(series)
    assert [t.name for t in fig.data] == ["samples (4)", "mean"]
    assert list(fig.data[0].y) == [5.4, 5.6, 5.6, 5.8]
    assert fig.layout.xaxis.title.text == "token position"


def test_names_reach_plotly_escaped_and_hover_text_names_values_only() -> None:
    assert plot_text("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;"
    fig = series_figure(Series("<b>acc</b>", np.array([1.0, 2.0]), np.array([0.1, 0.2])))
    assert fig.data[0].name == "&lt;b&gt;acc&lt;/b&gt;"
    assert "acc" not in fig.data[0].hovertemplate  # the name comes in as data: %{fullData.name}


def test_chart_order() -> None:
    names = [
        "epoch",
        "grad_norm",
        "eval_accuracy",
        "eval_runtime",
        "loss",
        "learning_rate",
        "eval_loss",
        "wer",
    ]
    assert chart_order(names) == [
        "loss",
        "eval_loss",
        "eval_accuracy",
        "grad_norm",
        "learning_rate",
        "wer",
        "epoch",
        "eval_runtime",
    ]
