"""Hostile or odd trees and URLs found in review: each must stay a visible problem, never a crash
or stale data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import orjson

from dashboard.analysis.filters import apply_filters, natural_key
from dashboard.analysis.view import parse_view
from dashboard.ingest.base import Run
from dashboard.ingest.lightning_csv import READER as LIGHTNING
from dashboard.ingest.walk import Walker
from dashboard.rows import run_row
from dashboard.store import Store
from tests.fixtures.trees import age_tree, seed_metrics, write_seed_run


def store_for(root: Path, tmp_path: Path) -> Store:
    return Store([root], cache_dir=tmp_path / "cache")


def test_a_link_chain_re_pointed_outside_the_root_is_not_followed(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    write_seed_run(root / "inner", "run", 100)
    write_seed_run(outside / "secret", "run", 100, metrics=seed_metrics(sblimp=0.1))
    (root / "hop").symlink_to(root / "inner")  # hop -> inner (inside)
    (root / "a").mkdir()
    (root / "a" / "entry").symlink_to(root / "hop")  # a/entry -> hop -> inner
    age_tree(root)
    store = store_for(root, tmp_path)
    store.rescan()
    (root / "hop").unlink()
    (root / "hop").symlink_to(outside / "secret")  # only root/ changes; a/ does not
    snap = store.rescan()
    assert 0.1 not in set(snap.runs.get("metrics.sblimp_accuracy", []))
    assert any(p.reason == "link leads outside the root; not followed" for p in snap.problems)


def test_a_root_replaced_by_a_link_keeps_its_runs_and_says_so(tmp_path: Path) -> None:
    root = tmp_path / "results"
    write_seed_run(root, "exp", 100)
    store = store_for(root, tmp_path)
    first = store.rescan()
    elsewhere = tmp_path / "elsewhere_with_a_longer_name"
    root.rename(elsewhere)
    root.symlink_to(elsewhere)
    snap = store.rescan()
    assert list(snap.runs["run_id"]) == list(first.runs["run_id"])
    assert snap.problems[0].reason.startswith("results folder now leads to")


def test_a_name_that_is_not_utf8_is_a_problem_and_the_rest_is_served(tmp_path: Path) -> None:
    root = tmp_path / "r"
    write_seed_run(root, "ok_run", 100)
    bad = os.path.join(os.fsencode(root), b"caf\xe9")
    os.mkdir(bad)
    snap = store_for(root, tmp_path).rescan()
    assert list(snap.runs["experiment"]) == ["ok_run"]
    assert [(Path(p.path).name, p.reason) for p in snap.problems] == [
        ("caf\\xe9", "name is not valid UTF-8; not scanned")
    ]
    orjson.dumps([p.as_dict() for p in snap.problems])  # serialisable for the page and the CLI


def test_an_integer_param_beyond_64_bits_is_kept_as_its_digits() -> None:
    # YAML sources (hparams.yaml seeds) give Python ints of any size; JSON and the browser cannot.
    run = Run(key="", name="r", source="lightning_csv", path="/r", params={"seed": 2**64, "small": 7})
    row = run_row("r", run, "unknown", {})
    assert row["params.seed"] == "18446744073709551616"
    assert row["params.small"] == 7
    orjson.dumps(row)


def test_a_folder_replaced_under_the_same_mtime_is_read_again(tmp_path: Path) -> None:
    root = tmp_path / "r"
    write_seed_run(root / "a", "exp", 100, metrics=seed_metrics(sblimp=0.51))
    write_seed_run(root / "b", "exp", 100, metrics=seed_metrics(sblimp=0.59))
    age_tree(root)
    store = store_for(root, tmp_path)
    store.rescan()
    (root / "a").rename(tmp_path / "old_a")
    (root / "b").rename(root / "a")  # a/ now holds b's run; restore the parent's old mtime
    st = (tmp_path / "old_a").stat()
    os.utime(root, ns=(st.st_atime_ns, st.st_mtime_ns))
    snap = store.rescan()
    assert list(snap.runs["metrics.sblimp_accuracy"]) == [0.59]


def test_digits_that_are_not_ascii_sort_as_text() -> None:
    assert natural_key("area 10²") == ((1, "area "), (0, 10), (1, "²"))


def test_hand_edited_urls_are_cleaned_not_trusted() -> None:
    for junk in (
        '?f={"bool":5}',
        '?f={"range":[1,2]}',
        '?f={"range":{"params.x":[1e400,"a"]}}',
        "?sel=5&sort=3",
    ):
        view = parse_view(junk)
        assert view.filters == {} and view.selected == [] and view.sort == []


def test_a_catastrophic_regex_is_refused_with_a_reason(tmp_path: Path) -> None:
    root = tmp_path / "r"
    write_seed_run(root, "exp_" + "a" * 40, 100)
    frame = store_for(root, tmp_path).rescan().runs
    result = apply_filters(frame, {"q": "/(.*){6}z/"})
    assert result.error is not None and "repeats" in result.error
    assert result.frame is frame


def test_a_control_character_in_hparams_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    version = tmp_path / "lightning_logs" / "version_0"
    version.mkdir(parents=True)
    (version / "metrics.csv").write_text("step,loss\n0,1.0\n1,0.5\n")
    (version / "hparams.yaml").write_text("lr: 0.1\x07\n")
    (claim,) = Walker(str(tmp_path)).walk([LIGHTNING])
    result = LIGHTNING.read(claim)
    assert [r.metrics["loss"] for r in result.runs] == [0.5]
    assert [p.reason.split(" (")[0] for p in result.problems] == ["hparams not read: malformed YAML"]


def test_json_lines_with_numbers_beyond_float_range_keep_the_rest(tmp_path: Path) -> None:
    from dashboard.ingest.jsonl_metrics import READER as JSONL

    run = tmp_path / "run"
    run.mkdir()
    rows = [{"step": 1, "loss": 2.0}, {"step": 2, "loss": 10**400}, {"step": 3, "loss": 1.5}]
    (run / "metrics.train.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    (claim,) = Walker(str(tmp_path)).walk([JSONL])
    (result_run,) = JSONL.read(claim).runs
    assert result_run.metrics["loss"] == 1.5
