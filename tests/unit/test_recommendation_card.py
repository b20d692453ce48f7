"""The recommendation card's content on a fixture whose scores are worked out by hand."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard import ids
from dashboard.analysis.recommend_view import SCORE_COLUMN, recommend
from dashboard.components.recommendation import (
    breakdown_table,
    footer,
    headline,
    name_tips,
    recommendation_card,
    run_href,
    why,
)
from dashboard.components.recommendation_controls import (
    constraint_chips,
    constraints_row,
    controls_key,
    toolbar,
    weights_table,
)
from dashboard.components.runs_table import column_defs
from tests.unit.dash_tree import of_type as _of_type
from tests.unit.dash_tree import text as _text
from tests.unit.dash_tree import walk as _walk
from tests.unit.test_recommend_view import PAPER, frame, paper_run

# x, y, z as in test_recommend_view; w would win but is still running; h has none of the paper metrics.
RUNS = pd.concat(
    [PAPER, frame([paper_run("w", 0.9, 100.0, status="running"), {"run_id": "h", "eval_loss": 1.0}])],
    ignore_index=True,
)
NAMES = {"x": "x @ 100", "y": "y @ 100", "z": "z @ 100", "w": "w @ 100", "h": "h-run"}


def _rows(table: Any) -> list[list[str]]:
    return [[_text(cell) for cell in row.children] for row in _of_type(table, "Tr")]


def test_headline_names_winner_runner_up_and_stability() -> None:
    found = recommend(RUNS, {}, {})
    parts = headline(found, NAMES)
    assert _text(parts) == "★z90.0runner-upx83.3Stable"
    links = _of_type(parts, "Link")
    assert [(link.children, link.href) for link in links] == [("z", "/run/z"), ("x", "/run/x")]
    assert run_href("exp/checkpoints/ckpt 1#a") == "/run/exp/checkpoints/ckpt%201%23a"


def test_breakdown_rows_are_shares_scores_and_points() -> None:
    rows = _rows(breakdown_table(recommend(RUNS, {}, {})))
    assert rows[0] == ["Share", "★ 0–1", "pts", "2nd 0–1", "pts"]
    # z: sBLIMP 0.4 of 1/6, perplexity best; x: sBLIMP best, perplexity worst; four constants score 1.
    assert rows[1:] == [
        ["17%", "0.40", "6.7", "1.00", "16.7"],
        ["17%", "1.00", "16.7", "1.00", "16.7"],
        ["17%", "1.00", "16.7", "1.00", "16.7"],
        ["17%", "1.00", "16.7", "1.00", "16.7"],
        ["17%", "1.00", "16.7", "0.00", "0.0"],
        ["17%", "1.00", "16.7", "1.00", "16.7"],
        ["100%", "", "90.0", "", "83.3"],
    ]


def test_weights_follow_the_url_and_line_up_with_the_breakdown() -> None:
    found = recommend(RUNS, {"weights": {"sblimp_accuracy": 100}}, {})
    table = weights_table(found.plan)
    sliders = _of_type(table, "Slider")
    assert [(s.id["metric"], s.value) for s in sliders] == [
        ("sblimp_accuracy", 100.0),
        ("swuggy_accuracy", 50.0),
        ("tstory_accuracy", 50.0),
        ("sstory_accuracy", 50.0),
        ("librilight_perplexity_8k", 50.0),
        ("librilight_slope", 50.0),
    ]
    assert all(
        s.id["type"] == ids.REC_WEIGHT and (s.min, s.max, s.updatemode) == (0, 100, "mouseup")
        for s in sliders
    )
    assert [r[0] for r in _rows(table)] == [
        "Metric",
        *(f"{s.id['metric']}{'↓' if 'libri' in s.id['metric'] else '↑'}" for s in sliders),
        "Total",
    ]
    # Same number of rows on both sides: header, one per criterion, total.
    assert len(_rows(table)) == len(_rows(breakdown_table(found)))
    # sBLIMP at 100 of 350: x 300/350 = 85.7 wins over z 290/350 = 82.9; at 80 z wins again (282 vs 280).
    assert _text(headline(found, NAMES)) == "★x85.7runner-upz82.9Fragile"
    assert ("sblimp_accuracy", "-20%", "z") in found.sensitivity.flips
    assert _rows(breakdown_table(found))[1] == ["29%", "1.00", "28.6", "0.40", "11.4"]


def test_reasons_and_sensitivity_in_words() -> None:
    text = _text(why(recommend(RUNS, {}, {}), NAMES))
    assert text == (
        "Why★z2nd on sblimp_accuracybest librilight_perplexity_8k (600)"
        "2ndxbest sblimp_accuracy (0.6)worst librilight_perplexity_8k (800)"
        "Stable: no weight moved ±20% changes the winner."
    )
    fragile = why(recommend(RUNS, {"weights": {"sblimp_accuracy": 80}}, {}), NAMES)
    assert _text(fragile).endswith(
        "Fragile: +20% on sblimp_accuracy → x wins; -20% on librilight_perplexity_8k → x wins."
    )
    assert _text(headline(recommend(RUNS, {"weights": {"sblimp_accuracy": 80}}, {}), NAMES)).endswith(
        "Fragile"
    )


def test_footer_states_rules_exclusions_and_notes() -> None:
    details = footer(recommend(RUNS, {}, {}), NAMES)
    assert [_text(d.children[0]) for d in details] == ["How it is scored", "Not ranked (2 runs)", "Notes (4)"]
    rules = [_text(li) for li in _of_type(details[0], "Li")]
    assert rules[1] == (
        "Normalisation: min-max across the ranked runs (best = 1, worst = 0); a constant metric scores 1 for every run."
    )
    assert rules[2] == "A run missing any chosen metric is not ranked (listed with the reason)."
    assert rules[3] == "Only completed runs are ranked."
    assert [_text(li) for li in _of_type(details[1], "Li")] == [
        "w @ 100 — not completed (status running)",
        "h-run — missing sblimp_accuracy, swuggy_accuracy, tstory_accuracy, sstory_accuracy, "
        "librilight_perplexity_8k, librilight_slope",
    ]
    # Run content is text: a name with markup stays a string child, never HTML.
    assert all(
        isinstance(c, str) for li in _of_type(details[1], "Li") for c in _of_type(li, "Span")[0].children
    )
    # Counting running runs in changes the winner: w is best on both metrics that vary.
    assert _text(headline(recommend(RUNS, {"completed": False}, {}), NAMES)).startswith("★w100.0runner-up")


def test_custom_with_nothing_chosen_asks_for_metrics() -> None:
    plain = frame([{"run_id": "a", "bleu": 30.0}, {"run_id": "b", "bleu": 20.0}])
    found = recommend(plain, {}, {})
    assert _text(headline(found, {})) == "Choose the metrics to score the runs on."
    assert weights_table(found.plan) == [] and breakdown_table(found) is None
    dropdown = _of_type(toolbar(found.plan), "Dropdown")[0]
    assert dropdown.options == [{"label": "bleu ↑", "value": "bleu"}] and dropdown.value == []
    chosen = recommend(plain, {"preset": "custom", "metrics": ["bleu"]}, {})
    assert _text(headline(chosen, {})) == "★a100.0runner-upb0.0Stable"
    assert controls_key(found.plan) != controls_key(chosen.plan)


def test_card_and_name_tips() -> None:
    found = recommend(RUNS, {}, {})
    card = recommendation_card(found, NAMES)
    assert card.id == ids.RECOMMENDATION
    found_ids = {n.id for n in _walk(card) if isinstance(getattr(n, "id", None), str)}
    assert {ids.REC_HEADLINE, ids.REC_TOOLBAR, ids.REC_WEIGHTS, ids.REC_RESULT, ids.REC_FOOTER} <= found_ids
    assert name_tips(found.result, {"z", "y", "w"}) == {
        "z": "★ Recommended: z (score 90.0): 2nd on sblimp_accuracy; best librilight_perplexity_8k (600)",
        "y": "y — #3 of 3 (score 75.0): worst sblimp_accuracy (0.5); 2nd on librilight_perplexity_8k",
    }


def test_score_column_only_when_scored() -> None:
    def run_group(defs: list[dict[str, Any]]) -> list[str]:
        return [c.get("colId", "") for c in defs[0]["children"]]

    assert SCORE_COLUMN not in run_group(column_defs(RUNS, ["name"], [], scored=False))
    scored = column_defs(RUNS, ["name"], [{"colId": SCORE_COLUMN, "sort": "desc"}], scored=True)
    assert run_group(scored)[:3] == ["_select", "name", SCORE_COLUMN]
    score = scored[0]["children"][2]
    assert (score["sort"], score["sortIndex"], score["cellRenderer"]) == ("desc", 0, "ScoreCell")


# ---------------------------------------------------------------- threshold constraints

FLOOR = {"constraints": [["sblimp_accuracy", ">=", 0.55], ["librilight_slope", "<=", 1e-4]]}


def test_constraint_chips_name_and_remove_each_constraint() -> None:
    chips = constraint_chips(recommend(RUNS, FLOOR, {}).plan)
    assert [_text(_of_type(chip, "Span")[1]) for chip in chips] == [
        "sblimp_accuracy ≥ 0.55",
        "librilight_slope ≤ 0.0001",
    ]
    buttons = _of_type(chips, "Button")
    assert [b.id for b in buttons] == [
        {"type": ids.REC_CONSTRAINT_REMOVE, "metric": "sblimp_accuracy", "op": ">="},
        {"type": ids.REC_CONSTRAINT_REMOVE, "metric": "librilight_slope", "op": "<="},
    ]
    assert buttons[0].title == "Remove constraint sblimp_accuracy ≥ 0.55"
    assert constraint_chips(recommend(RUNS, {}, {}).plan) == []
    # A whole threshold is written without a decimal point, any other as typed (no rounding).
    exact = recommend(
        RUNS, {"constraints": [["sblimp_accuracy", ">=", 0.123456789], ["eval_loss", "<=", 2]]}, {}
    )
    assert [_text(c.children[0]) for c in constraint_chips(exact.plan)] == [
        "sblimp_accuracy ≥ 0.123456789",
        "eval_loss ≤ 2",
    ]


def test_constraints_row_offers_the_shown_metrics() -> None:
    plan = recommend(RUNS, FLOOR, {}).plan
    row = constraints_row(plan)
    metric, op = _of_type(row, "Select")
    assert metric.id == ids.REC_CONSTRAINT_METRIC and op.id == ids.REC_CONSTRAINT_OP
    # Every metric with a number among the runs shown, direction or not; it starts on the first scored one.
    assert [o["value"] for o in metric.options] == [
        "sblimp_accuracy",
        "librilight_perplexity_8k",
        "swuggy_accuracy",
        "tstory_accuracy",
        "sstory_accuracy",
        "librilight_slope",
        "eval_loss",
    ]
    assert metric.value == "sblimp_accuracy"
    assert op.options == [{"label": "≥", "value": ">="}, {"label": "≤", "value": "<="}] and op.value == ">="
    value = _of_type(row, "Input")[0]
    assert (value.id, value.type, value.inputMode) == (ids.REC_CONSTRAINT_VALUE, "text", "decimal")
    chips = [n for n in _walk(row) if getattr(n, "id", None) == ids.REC_CONSTRAINT_CHIPS]
    assert len(_of_type(chips, "Button")) == 2
    assert _text(row).startswith("Only runs whereComparisonThresholdAdd")
    # The row sits in the toolbar; a new constraint must not rebuild the controls (only their chips).
    assert row.className in {getattr(n, "className", None) for n in _walk(toolbar(plan))}
    assert controls_key(plan) == controls_key(recommend(RUNS, {}, {}).plan)
    assert controls_key(plan) != controls_key(
        recommend(RUNS.drop(columns="metrics.eval_loss"), FLOOR, {}).plan
    )


def test_constraint_exclusions_in_the_card() -> None:
    # sBLIMP >= 0.55 leaves x (0.60) alone: y (0.50) and z (0.54) fail, h has no sBLIMP, w is running.
    found = recommend(RUNS, {"constraints": [["sblimp_accuracy", ">=", 0.55]]}, {})
    assert _text(headline(found, NAMES)) == "★x100.0Stable"
    details = footer(found, NAMES)
    assert [_text(d.children[0]) for d in details] == ["How it is scored", "Not ranked (4 runs)", "Notes (6)"]
    assert [_text(li) for li in _of_type(details[0], "Li")][-1] == "Constraint: sblimp_accuracy >= 0.55."
    assert [_text(li) for li in _of_type(details[1], "Li")] == [
        "w @ 100 — not completed (status running)",
        "y @ 100 — fails sblimp_accuracy >= 0.55 (0.5)",
        "z @ 100 — fails sblimp_accuracy >= 0.55 (0.54)",
        "h-run — no sblimp_accuracy to check sblimp_accuracy >= 0.55",
    ]


def test_not_ranked_names_the_first_fifty_and_counts_the_rest() -> None:
    running = [{**paper_run(f"r{i:02d}", 0.5, 700.0), "status": "running"} for i in range(62)]
    runs = frame([paper_run("x", 0.60, 800.0), paper_run("y", 0.50, 700.0), *running])
    details = footer(recommend(runs, {}, {}), {})
    assert _text(details[1].children[0]) == "Not ranked (62 runs)"
    lines = [_text(li) for li in _of_type(details[1], "Li")]
    assert len(lines) == 51
    assert lines[0] == "r00 — not completed (status running)" and lines[49].startswith("r49 — ")
    assert lines[50] == "… and 12 more (filter the table to narrow the contest)"
