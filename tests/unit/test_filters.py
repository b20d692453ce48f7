"""Facets built from the data, the URL filter state, chips, and the seed's example queries on data/."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.filters import (
    MISSING,
    Chip,
    Facet,
    active_chips,
    apply_filters,
    build_facets,
    clean_state,
    format_number,
    option_text,
    remove_chip,
    varying_columns,
)
from dashboard.store import Store

PROJECT = Path(__file__).resolve().parents[2]
DATA = PROJECT / "data"


def small() -> pd.DataFrame:
    """Five runs shaped like the store's frame: missing values, mixed types, a baseline."""
    return pd.DataFrame(
        {
            "run_id": ["exp_a/ckpt_500", "exp_a/ckpt_1000", "exp_b/ckpt_2000", "hf/LoRA-run", "base"],
            "name": ["exp_a @ 500", "exp_a @ 1000", "exp_b @ 2000", "LoRA run", "baseline"],
            "experiment": ["exp_a", "exp_a", "exp_b", "lora", None],
            "source": ["paper_metrics"] * 5,
            "status": ["completed", "running", "completed", "failed", "completed"],
            "step": pd.array([500, 1000, 2000, 1200, None], dtype="Int64"),
            "updated_at": ["2025-01-01T00:00:00Z"] * 5,
            "path": ["/r/exp_a/1", "/r/exp_a/2", "/r/exp_b/3", "/r/hf/4", "/r/base.json"],
            "baseline": [False, False, False, False, True],
            "params.ttt.enable": [True, True, False, None, None],
            "params.ttt.layers": ["29,30,31", "31", "29,30,31", None, None],
            "params.ttt.base_lr": [0.001, 0.01, 0.1, 1.0, None],
            "params.seed": [1.0, 2.0, 1.0, 2.0, None],
            "params.const": [5, 5, 5, 5, 5],
            "params.only_some": [64.0, 64.0, None, None, None],
            "params.mixed": [1, "x", 2.5, 1.0, None],
            "params.all_missing": [None] * 5,
            "metrics.acc": [0.5, 0.6, np.nan, 0.7, 0.4],
        }
    )


# ---------------------------------------------------------------- facets


def test_build_facets_exact() -> None:
    assert build_facets(small()) == [
        Facet("status", "status", "choice", options=("completed", "failed", "running"), coverage=5),
        Facet("experiment", "experiment", "choice", options=("exp_a", "exp_b", "lora", MISSING), coverage=4),
        Facet("step", "step", "range", ("500", "1000", "1200", "2000"), 500.0, 2000.0, False, 4),
        # params: coverage desc, then fewer distinct values, then name; only_some (64 where present)
        # and const are not offered: the runs that have them agree
        Facet("params.seed", "seed", "choice", options=("1", "2", MISSING), coverage=4),
        Facet("params.mixed", "mixed", "choice", options=("1", "2.5", "x", MISSING), coverage=4),
        Facet(
            "params.ttt.base_lr", "ttt.base_lr", "range", ("0.001", "0.01", "0.1", "1"), 0.001, 1.0, True, 4
        ),
        Facet("params.ttt.enable", "ttt.enable", "bool", coverage=3),
        Facet("params.ttt.layers", "ttt.layers", "choice", options=("29,30,31", "31", MISSING), coverage=3),
    ]


def test_facet_order_puts_bigger_coverage_first() -> None:
    columns = [f.column for f in build_facets(small())]
    assert columns.index("params.seed") < columns.index("params.ttt.layers")


@pytest.mark.parametrize(
    ("values", "kind", "log"),
    [
        (list(range(1, 14)), "range", False),  # 13 distinct numbers
        (list(range(1, 13)), "choice", False),  # 12: still a list
        ([0.5, 5.0, 50.0], "range", True),  # two decades, all positive
        ([0.5, 5.0, 49.0], "choice", False),  # just under two decades
        ([-1.0, 0.0, 100.0], "range", False),  # two decades of magnitude, not all positive
        ([0.0, 10.0, 20.0], "choice", False),
    ],
)
def test_numeric_facet_kinds(values: list[float], kind: str, log: bool) -> None:
    frame = pd.DataFrame({"params.x": values})
    (facet,) = build_facets(frame)
    assert facet.kind == kind
    assert facet.log is log
    if kind == "range":
        assert (facet.low, facet.high) == (min(values), max(values))
        assert facet.options == tuple(option_text(v) for v in sorted(values))  # stops for the slider
    else:
        assert facet.options == tuple(option_text(v) for v in sorted(values))


def test_text_facets_stop_at_thirty_values() -> None:
    frame = pd.DataFrame(
        {
            "params.thirty": [f"v{i}" for i in range(30)] + ["v0"],
            "params.free": [f"/path/{i}" for i in range(31)],
        }
    )
    facets = build_facets(frame)
    assert [f.column for f in facets] == ["params.thirty"]
    assert facets[0].options[:3] == ("v0", "v1", "v2")  # natural order: v2 before v10
    assert facets[0].options[10] == "v10"


def test_range_facets_list_stops_only_when_few() -> None:
    frame = pd.DataFrame(
        {"params.x": [float(i) for i in range(31)], "params.y": [float(i) for i in range(30)] + [1]}
    )
    facets = {f.column: f for f in build_facets(frame)}
    assert facets["params.x"].kind == "range" and facets["params.x"].options == ()
    assert facets["params.y"].kind == "range" and len(facets["params.y"].options) == 30


def test_identity_facets_only_when_they_vary() -> None:
    frame = small().iloc[[0, 1]]  # one experiment, one source
    assert [f.column for f in build_facets(frame)][:2] == ["status", "step"]
    assert build_facets(pd.DataFrame()) == []


def test_varying_columns() -> None:
    assert varying_columns(small()) == [
        "params.ttt.enable",
        "params.ttt.layers",
        "params.ttt.base_lr",
        "params.seed",
        "params.mixed",
    ]


# ---------------------------------------------------------------- applying


def names(state: object, frame: pd.DataFrame | None = None) -> list[str]:
    result = apply_filters(small() if frame is None else frame, state)
    assert result.error is None
    return list(result.frame["name"])


def test_empty_and_junk_states_keep_everything() -> None:
    everyone = list(small()["name"])
    blanks: list[object] = [None, {}, "junk", {"q": "  "}, {"choice": {"params.seed": []}}]
    for state in [*blanks, {"range": {"step": [None, None]}}]:
        assert names(state) == everyone
    junk = {"choice": "x", "bool": {"params.ttt.enable": "maybe"}, "range": {"step": [1], "x": "1-2"}}
    assert names(junk) == everyone


def test_search_is_a_case_insensitive_substring_of_name_run_id_and_path() -> None:
    assert names({"q": "LORA"}) == ["LoRA run"]
    assert names({"q": "exp_a"}) == ["exp_a @ 500", "exp_a @ 1000"]
    assert names({"q": "base.json"}) == ["baseline"]  # path
    assert names({"q": "ckpt_2000"}) == ["exp_b @ 2000"]  # run_id
    assert names({"q": "nothing"}) == []


def test_search_as_regular_expression() -> None:
    assert names({"q": "/^exp_a @ \\d{3}$/"}) == ["exp_a @ 500"]
    assert names({"q": "/lora|BASE/"}) == ["LoRA run", "baseline"]
    assert names({"q": "/exp_(a|b)/ckpt_[12]/"}) == ["exp_a @ 1000", "exp_b @ 2000"]
    assert names({"q": "/exp_a/2"}) == ["exp_a @ 1000"]  # not /.../: a plain substring of a path


def test_invalid_regex_returns_the_input_and_says_why() -> None:
    frame = small()
    result = apply_filters(frame, {"q": "/lora(/", "bool": {"params.ttt.enable": "yes"}})
    assert result.frame is frame
    assert result.error == "Invalid regular expression: missing ), unterminated subpattern at position 4"


def test_choice_is_or_within_and_matches_missing_with_dash() -> None:
    assert names({"choice": {"params.ttt.layers": ["29,30,31"]}}) == ["exp_a @ 500", "exp_b @ 2000"]
    assert names({"choice": {"params.ttt.layers": ["31", MISSING]}}) == [
        "exp_a @ 1000",
        "LoRA run",
        "baseline",
    ]
    assert names({"choice": {"experiment": [MISSING]}}) == ["baseline"]
    assert names({"choice": {"params.ttt.layers": ["nope"]}}) == []


def test_choice_matches_numbers_by_their_option_text() -> None:
    # "1" matches the int 1 and the float 1.0 of a mixed column; a number in the URL works too
    assert names({"choice": {"params.mixed": ["1"]}}) == ["exp_a @ 500", "LoRA run"]
    assert names({"choice": {"params.mixed": ["x", "2.5"]}}) == ["exp_a @ 1000", "exp_b @ 2000"]
    assert names({"choice": {"params.seed": [2]}}) == ["exp_a @ 1000", "LoRA run"]


def test_bool_yes_no_excludes_missing() -> None:
    assert names({"bool": {"params.ttt.enable": "yes"}}) == ["exp_a @ 500", "exp_a @ 1000"]
    assert names({"bool": {"params.ttt.enable": "no"}}) == ["exp_b @ 2000"]
    assert names({"bool": {"baseline": "yes"}}) == ["baseline"]


def test_range_is_inclusive_open_ended_and_drops_missing() -> None:
    assert names({"range": {"params.ttt.base_lr": [0.01, 0.1]}}) == ["exp_a @ 1000", "exp_b @ 2000"]
    assert names({"range": {"step": [1001, None]}}) == ["exp_b @ 2000", "LoRA run"]
    assert names({"range": {"step": [None, 1000]}}) == ["exp_a @ 500", "exp_a @ 1000"]
    assert names({"range": {"step": ["1000", "1200"]}}) == ["exp_a @ 1000", "LoRA run"]  # text numbers
    assert names({"range": {"params.mixed": [0, 2]}}) == ["exp_a @ 500", "LoRA run"]  # "x" is no number


def test_fields_are_anded_and_unknown_columns_ignored() -> None:
    state = {
        "q": "exp",
        "bool": {"params.ttt.enable": "yes", "params.vanished": "yes"},
        "choice": {"params.ttt.layers": ["31", "29,30,31"], "params.gone": ["1"]},
        "range": {"step": [600, None], "params.gone": [0, 1]},
    }
    assert names(state) == ["exp_a @ 1000"]


def test_filtering_keeps_the_index() -> None:
    result = apply_filters(small(), {"q": "exp_b"})
    assert list(result.frame.index) == [2]


# ---------------------------------------------------------------- state, chips


def test_clean_state_drops_empty_parts() -> None:
    state = {
        "q": " lora ",
        "choice": {"params.a": [], "params.b": ["x", "x", 2.0, None]},
        "bool": {"params.c": "yes", "params.d": "", "params.e": True},
        "range": {"step": [None, None], "params.f": [1000.0, None], "params.g": [0.001, "bad"]},
        "other": 1,
    }
    assert clean_state(state) == {
        "q": "lora",
        "choice": {"params.b": ["x", "2", MISSING]},
        "bool": {"params.c": "yes"},
        "range": {"params.f": [1000, None], "params.g": [0.001, None]},
    }
    assert clean_state({"q": "", "choice": {}, "range": {"x": [None, None]}}) == {}
    json.dumps(clean_state(state))


def test_chips_exact_labels() -> None:
    facets = build_facets(small())
    state = {
        "q": "/lora/",
        "choice": {"params.ttt.layers": ["29,30,31", "31"], "params.vanished": ["a"]},
        "bool": {"params.ttt.enable": "yes"},
        "range": {
            "params.ttt.base_lr": [0.001, 0.1],
            "step": [1000, None],
            "params.seed": [None, 1e-05],
            "params.x": [2, 2],
        },
    }
    assert active_chips(state, facets) == [
        Chip("q", "search: /lora/"),
        Chip("choice:params.ttt.layers", "ttt.layers: 29,30,31 or 31"),
        Chip("choice:params.vanished", "vanished: a"),
        Chip("bool:params.ttt.enable", "ttt.enable: yes"),
        Chip("range:params.ttt.base_lr", "ttt.base_lr: 0.001 – 0.1"),
        Chip("range:step", "step ≥ 1000"),
        Chip("range:params.seed", "seed ≤ 1e-05"),
        Chip("range:params.x", "x = 2"),
    ]
    assert active_chips({}, facets) == []
    assert active_chips({"q": "lora"}, []) == [Chip("q", "search: lora")]


def test_remove_chip_clears_one_part() -> None:
    state = {
        "q": "x",
        "choice": {"params.a": ["1"], "params.b": ["2"]},
        "bool": {"params.c": "no"},
        "range": {"step": [1, None]},
    }
    assert remove_chip(state, "q") == {k: v for k, v in state.items() if k != "q"}
    assert remove_chip(state, "choice:params.a")["choice"] == {"params.b": ["2"]}
    assert "bool" not in remove_chip(state, "bool:params.c")
    assert "range" not in remove_chip(state, "range:step")
    assert remove_chip(state, "range:nothing") == state
    assert state["choice"] == {"params.a": ["1"], "params.b": ["2"]}  # the input is not modified


def test_column_names_with_colons_round_trip_through_chips() -> None:
    state = {"bool": {"params.a:b": "yes"}}
    (chip,) = active_chips(state, [])
    assert chip.key == "bool:params.a:b"
    assert remove_chip(state, chip.key) == {}


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.001, "0.001"), (1e-05, "1e-05"), (2000, "2000"), (2000.0, "2000"), (0.123456, "0.1235"), (-3, "-3")],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


# ---------------------------------------------------------------- the seed's queries on data/


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return Store([DATA], cache_dir=tmp_path_factory.mktemp("cache")).rescan().runs


def _configs() -> dict[str, dict]:
    """run_id -> training_config.json, read straight from the files."""
    out = {}
    for path in sorted(DATA.glob("*/checkpoints/checkpoint_*/consolidated/training_config.json")):
        out[path.parent.relative_to(DATA).as_posix()] = json.loads(path.read_text())
    return out


def _steps() -> dict[str, int]:
    """run_id -> step: the checkpoint folder's number, or the HF trainer_state's global_step."""
    steps = {run_id: int(run_id.split("/")[2].split("_")[1]) for run_id in _configs()}
    for state in sorted(DATA.glob("hf/*/trainer_state.json")):
        steps[state.parent.relative_to(DATA).as_posix()] = json.loads(state.read_text())["global_step"]
    return steps


def ids(frame: pd.DataFrame, state: dict) -> list[str]:
    result = apply_filters(frame, state)
    assert result.error is None
    return sorted(result.frame["run_id"])


def test_seed_query_ttt_runs_with_layers_29_30_31(sample: pd.DataFrame) -> None:
    state = {"bool": {"params.ttt.enable": "yes"}, "choice": {"params.ttt.layers": ["29,30,31"]}}
    expected = sorted(
        k for k, c in _configs().items() if c["ttt"]["enable"] and c["ttt"]["layers"] == "29,30,31"
    )
    assert len(expected) == 15
    assert ids(sample, state) == expected


def test_seed_query_more_than_1000_steps(sample: pd.DataFrame) -> None:
    expected = sorted(k for k, step in _steps().items() if step > 1000)
    assert len(expected) == 15
    assert ids(sample, {"range": {"step": [1001, None]}}) == expected


def test_seed_query_base_lr_between_1e3_and_1e1(sample: pd.DataFrame) -> None:
    expected = sorted(k for k, c in _configs().items() if 1e-3 <= c["ttt"]["base_lr"] <= 1e-1)
    assert len(expected) == 30
    assert ids(sample, {"range": {"params.ttt.base_lr": [0.001, 0.1]}}) == expected


def test_seed_query_lora_vs_ttt(sample: pd.DataFrame) -> None:
    configs = _configs()
    lora = sorted(k for k, c in configs.items() if c["lora"]["enable"])
    ttt = sorted(k for k, c in configs.items() if c["ttt"]["enable"])
    assert ids(sample, {"bool": {"params.lora.enable": "yes"}}) == lora
    assert ids(sample, {"bool": {"params.ttt.enable": "yes"}}) == ttt
    assert sorted(sample.set_index("run_id").loc[lora, "experiment"].unique()) == [
        "dailytalk_lora_r16",
        "dailytalk_lora_r64",
    ]
    assert len(ttt) == 21 and not set(lora) & set(ttt)


def test_sample_facets_offer_the_seed_filters(sample: pd.DataFrame) -> None:
    facets = {f.column: f for f in build_facets(sample)}
    assert facets["params.ttt.enable"].kind == "bool"
    assert facets["params.lora.enable"].kind == "bool"
    assert facets["params.ttt.layers"].options == ("25,27,29,31", "29,30,31", "31", MISSING)
    lr = facets["params.ttt.base_lr"]
    assert (lr.kind, lr.low, lr.high, lr.log, lr.coverage) == ("range", 0.001, 1.0, True, len(_configs()))
    step = facets["step"]
    assert (step.kind, step.low, step.high) == ("range", 500.0, 5000.0)
    assert step.options == ("500", "1000", "1200", "1500", "2000", "2500", "5000")
    assert facets["params.max_steps"].options == ("1000", "1200", "1500", "2000", "5000", MISSING)
    assert "status" not in facets  # every sample run is completed
    chips = active_chips({"range": {"params.ttt.base_lr": [0.001, 0.1]}}, list(facets.values()))
    assert chips == [Chip("range:params.ttt.base_lr", "ttt.base_lr: 0.001 – 0.1")]


# ---------------------------------------------------------------- the Pareto ("non-dominated") filter


def pareto_runs() -> pd.DataFrame:
    """acc (max) and loss (min): a, b, c trade off; d is beaten by b; e is c's equal; f has no loss."""
    return pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d", "e", "f"],
            "name": ["A", "B", "C", "D", "E", "F"],
            "path": ["/a", "/b", "/c", "/d", "/e", "/f"],
            "params.kind": ["x", "x", "y", "y", "y", "x"],
            "metrics.acc": [0.9, 0.8, 0.7, 0.75, 0.7, 0.99],
            "metrics.loss": [3.0, 2.0, 1.0, 2.5, 1.0, np.nan],
            "metrics.widget": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )


def test_clean_state_keeps_a_well_formed_pareto_pair() -> None:
    assert clean_state({"pareto": ["acc", "metrics.loss"]}) == {"pareto": ["metrics.acc", "metrics.loss"]}
    for junk in (["acc"], ["acc", "acc"], ["acc", 3], "acc,loss", ["acc", "loss", "x"], ["", "loss"], None):
        assert clean_state({"pareto": junk}) == {}


def test_pareto_filter_keeps_the_non_dominated_runs() -> None:
    result = apply_filters(pareto_runs(), {"pareto": ["metrics.acc", "metrics.loss"]})
    assert result.error is None
    assert result.frame["run_id"].tolist() == ["a", "b", "c", "e"]  # ties (c, e) both stay; f lacks loss


def test_pareto_filter_takes_the_front_among_the_other_filters_rows() -> None:
    # Among kind = y only (c, d, e): b, which beats d overall, is filtered out, so d is on this front.
    state = {"choice": {"params.kind": ["y"]}, "pareto": ["metrics.acc", "metrics.loss"]}
    assert apply_filters(pareto_runs(), state).frame["run_id"].tolist() == ["c", "d", "e"]
    # Among kind = x (a, b, f): f has no loss, so a and b.
    state = {"choice": {"params.kind": ["x"]}, "pareto": ["metrics.acc", "metrics.loss"]}
    assert apply_filters(pareto_runs(), state).frame["run_id"].tolist() == ["a", "b"]


def test_pareto_filter_honours_direction_overrides() -> None:
    state = {"pareto": ["metrics.acc", "metrics.widget"]}
    off = apply_filters(pareto_runs(), state)
    assert off.error == "widget has no direction (set one in the settings): the non-dominated filter is off"
    assert len(off.frame) == 6
    # widget max: f (0.99, 6) beats everyone.
    assert apply_filters(pareto_runs(), state, {"widget": "max"}).frame["run_id"].tolist() == ["f"]
    # loss as max: a (0.9, 3) beats b and c; d (0.75, 2.5) is beaten by a; f has no loss.
    flipped = apply_filters(pareto_runs(), {"pareto": ["acc", "loss"]}, {"loss": "max"})
    assert flipped.frame["run_id"].tolist() == ["a"]


def test_pareto_chip_and_its_removal() -> None:
    state = {"q": "a", "pareto": ["metrics.acc", "metrics.loss"]}
    assert active_chips(state, []) == [Chip("q", "search: a"), Chip("pareto", "non-dominated on acc, loss")]
    assert remove_chip(state, "pareto") == {"q": "a"}


def test_pareto_filter_counts_the_runs_the_insights_card_draws() -> None:
    # A text value ("0.9") is no number for the filter either: the table shows the card's front.
    frame = pd.DataFrame(
        {
            "run_id": ["a", "b", "c"],
            "metrics.acc": pd.Series(["0.9", 0.5, 0.4], dtype=object),
            "metrics.loss": [2.0, 1.0, 0.5],
        }
    )
    result = apply_filters(frame, {"pareto": ["metrics.acc", "metrics.loss"]})
    assert result.frame["run_id"].tolist() == ["b", "c"]
