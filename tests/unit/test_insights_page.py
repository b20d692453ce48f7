"""The insights page's pieces: URL choices (``ins``), defaults, tables and figures built from a hand-made frame."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qs

import pandas as pd
import pytest
from dash.development.base_component import Component

from dashboard.analysis.insights import Ablation
from dashboard.analysis.insights_view import (
    Choices,
    choices_ins,
    defaults,
    label_params,
    options_for,
    read_ins,
    resolve,
    with_ins,
)
from dashboard.components.header import nav_targets
from dashboard.components.insights_cards import (
    ablation_table,
    ablations_section,
    best_section,
    pareto_section,
)
from dashboard.components.insights_charts import label_positions, pareto_figure, staircase


def texts(node: Any) -> list[str]:
    """Every string in a component tree, depth first."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, Component):
        return texts(getattr(node, "children", None))
    if isinstance(node, (list, tuple)):
        return [t for child in node for t in texts(child)]
    return []


def find(node: Any, kind: str) -> list[Component]:
    found: list[Component] = []
    if isinstance(node, Component):
        if type(node).__name__ == kind:
            found.append(node)
        found.extend(find(getattr(node, "children", None), kind))
    elif isinstance(node, (list, tuple)):
        for child in node:
            found.extend(find(child, kind))
    return found


LAB = pd.DataFrame(
    {
        "run_id": ["a", "b", "c", "d"],
        "name": ["A", "B", "C", "D"],
        "experiment": ["ea", "eb", "ec", "ed"],
        "step": [1000, 1000, 1000, 2000],
        "params.lr": [0.01, 0.1, 0.1, 0.1],
        "params.lora.enable": [False, False, False, True],
        "params.run_dir": ["/r/ea", "/r/eb", "/r/ec", "/r/ed"],
        "metrics.acc": [0.56, 0.55, 0.54, 0.5],
        "metrics.loss": [3.0, 2.0, 1.0, 2.5],
        "metrics.acc_samples": [100, 100, 100, 100],
        "metrics.widget": [1.0, 2.0, 3.0, 4.0],
    }
)


def test_read_ins_ignores_junk() -> None:
    assert read_ins('?ins={"group":"params.lr"}') == {"group": "params.lr"}
    assert read_ins("?ins=[1,2]") == {}
    assert read_ins("?ins={bad") == {}
    assert read_ins("?f=x") == {} and read_ins(None) == {}


def test_with_ins_keeps_the_runs_view_parameters() -> None:
    search = with_ins('?f={"q":"x"}&sel=["a"]', {"group": "params.lr"})
    values = parse_qs(search[1:])
    assert values["f"] == ['{"q":"x"}'] and values["sel"] == ['["a"]']
    assert json.loads(values["ins"][0]) == {"group": "params.lr"}
    assert with_ins(search, {}) == "?f=%7B%22q%22%3A%22x%22%7D&sel=%5B%22a%22%5D"
    assert with_ins("", {}) == ""


def test_options_and_defaults_from_the_data() -> None:
    options = options_for(LAB, {})
    assert options.metrics == ("metrics.acc", "metrics.loss", "metrics.widget")  # samples are bookkeeping
    assert options.directional == ("metrics.acc", "metrics.loss")
    assert options.x_axes == ("step", "params.lr")
    assert "params.run_dir" not in options.categories  # one value per experiment: a label, not a group
    base = defaults(options, {})
    assert base.pareto == ("metrics.acc", "metrics.loss")  # higher-is-better against lower-is-better
    assert base.group == "params.lora.enable"  # a method switch first
    assert base.metrics == ("metrics.acc", "metrics.loss") and base.trend_x == "step"


def test_resolve_keeps_valid_choices_and_drops_junk() -> None:
    options = options_for(LAB, {})
    raw = {
        "pareto": ["metrics.loss", "metrics.nope"],
        "trend_x": "params.lr",
        "trend_colour": "params.lora.enable",
        "group": 7,
        "metrics": ["metrics.widget", "junk", "metrics.widget"],
        "params": [],
    }
    chosen = resolve(raw, options, {})
    assert chosen.pareto == ("metrics.loss", "metrics.loss")  # the bad y falls back to its default
    assert chosen.trend_x == "params.lr" and chosen.trend_colour == "params.lora.enable"
    assert chosen.group == "params.lora.enable"  # not a string: the default
    assert chosen.metrics == ("metrics.widget",)
    assert chosen.params == ()  # an explicit empty list is a choice
    assert resolve({"metrics": ["junk"]}, options, {}).metrics == defaults(options, {}).metrics


def test_choices_ins_holds_only_what_differs() -> None:
    options = options_for(LAB, {})
    base = defaults(options, {})
    assert choices_ins(base, base) == {}
    changed = Choices(**{**base.__dict__, "trend_x": "params.lr", "metrics": ("metrics.widget",)})
    assert choices_ins(changed, base) == {"trend_x": "params.lr", "metrics": ["metrics.widget"]}


def test_best_section_values_margins_and_undirected() -> None:
    body = best_section(LAB, options_for(LAB, {}), {})
    rows = find(body, "Tr")[1:]
    assert [texts(r) for r in rows] == [
        ["acc", " ↑", "A", "0.56", "0.01"],
        ["loss", " ↓", "C", "1", "1"],
    ]
    assert find(rows[0], "Link")[0].href == "/run/a"
    assert "widget" in " ".join(texts(body))  # listed as having no direction


def test_pareto_section_labels_the_front_and_links_the_filter() -> None:
    choices = defaults(options_for(LAB, {}), {})
    body = pareto_section(LAB, choices, {}, '?q=x&ins={"a":1}')
    (link,) = find(body, "Link")
    query = parse_qs(link.href.split("?", 1)[1])
    assert json.loads(query["f"][0]) == {"pareto": ["metrics.acc", "metrics.loss"]} and query["q"] == ["x"]
    assert "ins" not in query
    figure = find(body, "Graph")[0].figure
    front = next(t for t in figure.data if t.name == "non-dominated")
    assert list(front.text) == ["A", "B", "C"]  # D (0.5, 2.5) is beaten by B (0.55, 2.0)
    dominated = next(t for t in figure.data if t.name == "dominated")
    assert list(dominated.text) == ["D"]


def test_pareto_figure_escapes_names() -> None:
    points = pd.DataFrame({"run_id": ["x"], "name": ["<b>bold</b>"], "x": [1.0], "y": [1.0]})
    figure = pareto_figure(points, {"x"}, "metrics.acc", "metrics.loss", {})
    assert list(figure.data[-1].text) == ["&lt;b&gt;bold&lt;/b&gt;"]


def test_staircase_goes_through_the_worse_corner() -> None:
    front = pd.DataFrame({"x": [0.56, 0.55, 0.54], "y": [3.0, 2.0, 1.0]})
    # acc max, loss min: from (0.54, 1) to (0.55, 2) through (0.54, 2), then (0.55, 3).
    assert staircase(front, x_max=True, y_max=False) == (
        [0.54, 0.54, 0.55, 0.55, 0.56],
        [1.0, 2.0, 2.0, 3.0, 3.0],
    )
    assert label_positions([3.0, 1.0, 2.0]) == ["top center", "top center", "bottom center"]


def test_label_params_are_one_value_per_experiment() -> None:
    assert label_params(LAB, ["params.run_dir", "params.lr", "params.lora.enable"]) == ["params.run_dir"]


def test_ablation_section_ignores_labels_and_finds_single_changes() -> None:
    choices = Choices(metrics=("metrics.acc", "metrics.loss"))
    body = ablations_section(LAB, choices, {})
    rows = [texts(r) for r in find(body, "Tr")[1:]]
    # a–b and a–c differ in lr only (b and c only in the run label): Δacc -0.01 and -0.02, Δloss -1 and -2.
    # d differs in step and lora.enable from everyone.
    assert rows == [["lr", "0.01 → 0.1", "2", "-0.015", "-1.5"]]
    assert "Ignored as run labels (one value per experiment): run_dir" in texts(body)


def test_ablation_table_colours_by_direction() -> None:
    effect = Ablation("lr", 0.1, 1.0, 2, {"acc": 0.02, "loss": 0.5, "widget": math.nan})
    table = ablation_table([effect], ["metrics.acc", "metrics.loss", "metrics.widget"], {})
    cells = find(table, "Td")[3:]
    assert [c.className for c in cells] == ["num delta-better", "num delta-worse", "num delta-neutral"]
    assert [c.children for c in cells] == ["+0.02", "+0.5", "—"]


@pytest.mark.parametrize(
    ("path", "search", "remembered", "runs", "insights"),
    [
        ("/", '?f={"q":"x"}', {}, '/?f={"q":"x"}', '/insights?f={"q":"x"}'),
        ("/insights", '?f=1&ins={"group":"p"}', {}, "/?f=1", '/insights?f=1&ins={"group":"p"}'),
        ("/run/a", "", {"view": "?f=1", "ins": {"group": "p"}}, "/?f=1", '/insights?f=1&ins={"group":"p"}'),
        ("/", "", {"view": "?f=1", "ins": {"group": "p"}}, "/", '/insights?ins={"group":"p"}'),
    ],
)
def test_nav_links_carry_the_runs_view(
    path: str, search: str, remembered: dict[str, Any], runs: str, insights: str
) -> None:
    from urllib.parse import unquote

    targets = nav_targets(path, search, remembered)
    assert unquote(targets.runs_href) == runs
    assert unquote(targets.insights_href) == insights
    assert ("active" in targets.runs_class) == (path == "/")
    assert ("active" in targets.insights_class) == (path == "/insights")


def test_best_run_links_encode_the_run_id() -> None:
    from urllib.parse import unquote

    from dashboard.components.links import run_href

    odd = "exp #1/ckpt?x=1&y=50%"
    assert run_href(odd) == "/run/exp%20%231/ckpt%3Fx%3D1%26y%3D50%25"
    assert unquote(run_href(odd)[len("/run/") :]) == odd  # what the router reads back
    rows = LAB.assign(run_id=["a#b?c", "b", "c", "d"])
    (link, *_) = find(best_section(rows, options_for(rows, {}), {}), "Link")
    assert link.href == "/run/a%23b%3Fc" and link.title == "a#b?c"


def test_pareto_caption_counts_the_runs_the_front_is_taken_among() -> None:
    rows = pd.DataFrame(
        {
            "run_id": ["a", "b", "c"],
            "name": ["A", "B", "C"],
            "metrics.acc": pd.Series(["0.9", 0.5, 0.4], dtype=object),  # a's value is text, not a number
            "metrics.loss": [2.0, 1.0, 0.5],
        }
    )
    body = pareto_section(rows, Choices(pareto=("metrics.acc", "metrics.loss")), {}, "")
    # Reading "0.9" as a number would put all three on the front: "3 of 2".
    assert texts(body)[0].startswith("2 of 2 runs with both metrics are non-dominated")
    figure = find(body, "Graph")[0].figure
    assert list(next(t for t in figure.data if t.name == "non-dominated").text) == ["B", "C"]


def test_differing_params_keep_booleans_apart_and_count_missing() -> None:
    from dashboard.analysis.insights_view import differing_params

    rows = pd.DataFrame(
        {
            "step": [100, 100, 100],
            "params.flag": [True, 1, 1.0],  # True is not 1
            "params.same": [8, 8.0, 8],  # 8 is 8.0
            "params.gappy": [1, None, 1],  # missing is a value of its own
        }
    )
    assert differing_params(rows) == ["params.flag", "params.gappy"]


def test_search_for_compares_resolved_choices() -> None:
    from dashboard.analysis.insights_view import search_for

    options = options_for(LAB, {})
    base = defaults(options, {})
    stale = '?f=1&ins={"group": "params.gone",  "trend_x":"step"}'
    assert search_for(stale, base, options, {}) is None  # resolves to the defaults already
    wanted = Choices(**{**base.__dict__, "trend_x": "params.lr"})
    new = search_for(stale, wanted, options, {})
    assert new is not None and read_ins(new) == {"trend_x": "params.lr"} and new.startswith("?f=1&")
    assert search_for(new, wanted, options, {}) is None
