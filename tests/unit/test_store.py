"""The store: incremental rescans (proved by counters), several roots, series on demand."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from dashboard.cache import UnsafeCacheDir
from dashboard.ingest import default_readers
from dashboard.store import Store
from tests.fixtures.trees import age_tree, seed_metrics, write_hf_run, write_seed_run


def touch_later(path: Path) -> None:
    """Rewrite a file so its mtime_ns surely differs, whatever the filesystem's resolution."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    write_seed_run(root, "exp_a", 1000)
    write_seed_run(root, "exp_a", 2000, metrics=seed_metrics(sblimp=0.556))
    write_seed_run(root, "exp_b", 1000)
    write_hf_run(root, "hf_run")
    age_tree(root)
    return root


def make_store(root: Path | list[Path], tmp_path: Path) -> Store:
    roots = root if isinstance(root, list) else [root]
    return Store(roots, cache_dir=tmp_path / "cache")


def test_cold_scan_reads_every_run_with_contract_columns(tree: Path, tmp_path: Path) -> None:
    store = make_store(tree, tmp_path)
    snap = store.rescan()
    assert sorted(snap.runs["run_id"]) == [
        "exp_a/checkpoints/checkpoint_001000/consolidated",
        "exp_a/checkpoints/checkpoint_002000/consolidated",
        "exp_b/checkpoints/checkpoint_001000/consolidated",
        "hf_run",
    ]
    assert list(snap.runs.columns[:9]) == [
        "run_id",
        "name",
        "experiment",
        "source",
        "status",
        "step",
        "updated_at",
        "path",
        "baseline",
    ]
    row = snap.runs.set_index("run_id").loc["exp_a/checkpoints/checkpoint_002000/consolidated"]
    assert row["metrics.sblimp_accuracy"] == 0.556
    assert row["params.ttt.base_lr"] == 0.01
    assert row["step"] == 2000
    assert row["experiment"] == "exp_a"
    assert snap.problems == []
    assert store.parse_count == 4


def test_warm_rescan_parses_nothing(tree: Path, tmp_path: Path) -> None:
    store = make_store(tree, tmp_path)
    first = store.rescan()
    second = store.rescan()
    assert store.parse_count == 4
    assert second.parsed == 0
    assert second.runs is first.runs  # unchanged tree: the same frame, not a rebuilt one
    assert second.version == first.version
    assert second.generation == first.generation + 1


def test_changed_file_reparses_only_its_run(tree: Path, tmp_path: Path) -> None:
    store = make_store(tree, tmp_path)
    store.rescan()
    results = tree / "exp_b/checkpoints/checkpoint_001000/consolidated/paper_metrics_results.json"
    results.write_text(json.dumps(seed_metrics(sblimp=0.6)))
    touch_later(results)
    snap = store.rescan()
    assert snap.parsed == 1
    assert store.parse_count == 5
    value = snap.runs.set_index("run_id").loc["exp_b/checkpoints/checkpoint_001000/consolidated"]
    assert value["metrics.sblimp_accuracy"] == 0.6


def test_new_run_is_parsed_alone_and_deleted_run_disappears(tree: Path, tmp_path: Path) -> None:
    store = make_store(tree, tmp_path)
    store.rescan()
    write_seed_run(tree, "exp_c", 500)
    age_tree(tree / "exp_c")
    snap = store.rescan()
    assert snap.parsed == 1
    assert "exp_c/checkpoints/checkpoint_000500/consolidated" in set(snap.runs["run_id"])
    shutil.rmtree(tree / "exp_a")
    snap = store.rescan()
    assert snap.parsed == 0
    assert sorted(snap.runs["run_id"]) == [
        "exp_b/checkpoints/checkpoint_001000/consolidated",
        "exp_c/checkpoints/checkpoint_000500/consolidated",
        "hf_run",
    ]


def test_restart_reuses_the_disk_cache(tree: Path, tmp_path: Path) -> None:
    first = make_store(tree, tmp_path)
    expected = first.rescan().runs
    first.close()
    second = make_store(tree, tmp_path)
    snap = second.rescan()
    assert second.parse_count == 0
    assert sorted(snap.runs["run_id"]) == sorted(expected["run_id"])


def test_reader_version_change_reparses(tree: Path, tmp_path: Path) -> None:
    store = make_store(tree, tmp_path)
    store.rescan()

    class Bumped:
        def __init__(self, inner):  # type: ignore[no-untyped-def]
            self.inner, self.name, self.version = inner, inner.name, inner.version + 1

        def claim(self, folder):  # type: ignore[no-untyped-def]
            return self.inner.claim(folder)

        def read(self, claim):  # type: ignore[no-untyped-def]
            return self.inner.read(claim)

    readers = tuple(Bumped(r) if r.name == "paper_metrics" else r for r in default_readers())
    again = Store([tree], cache_dir=tmp_path / "cache", readers=readers)
    again.rescan()
    assert again.parse_count == 3  # the three paper-metrics runs, not the HF one


def test_several_roots_get_labels_and_unique_ids(tmp_path: Path) -> None:
    one = tmp_path / "a" / "results"
    two = tmp_path / "b" / "results"
    write_seed_run(one, "exp", 1000)
    write_seed_run(two, "exp", 1000)
    snap = make_store([one, two], tmp_path).rescan()
    assert sorted(snap.runs["run_id"]) == [
        "results-2/exp/checkpoints/checkpoint_001000/consolidated",
        "results/exp/checkpoints/checkpoint_001000/consolidated",
    ]


def test_a_root_that_is_the_run_itself(tmp_path: Path) -> None:
    run = write_hf_run(tmp_path, "lonely_run")
    snap = make_store(run, tmp_path).rescan()
    assert list(snap.runs["run_id"]) == ["lonely_run"]


def test_missing_root_is_a_problem_and_other_roots_load(tree: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    snap = make_store([tree, missing], tmp_path).rescan()
    assert len(snap.runs) == 4
    assert [(p.path, p.reason) for p in snap.problems] == [(str(missing), "results folder does not exist")]


def test_root_that_is_a_file(tree: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "file.json"
    a_file.write_text("{}")
    snap = make_store([tree, a_file], tmp_path).rescan()
    assert [p.reason for p in snap.problems] == ["results folder is a file, not a folder"]
    assert len(snap.runs) == 4


def test_series_load_on_demand_and_are_cached(tree: Path, tmp_path: Path) -> None:
    store = make_store(tree, tmp_path)
    snap = store.rescan()
    hf = snap.runs.set_index("run_id").loc["hf_run"]
    assert hf["_series"]["loss"] == 10
    series = store.series("hf_run")
    assert list(series["loss"].x[:3]) == [10.0, 20.0, 30.0]
    assert list(series["eval_loss"].x) == [50.0, 100.0]
    assert store.series("hf_run") is series  # second look comes from memory
    assert store.series("no/such/run") == {}


def test_status_running_when_recent_and_unfinished(tmp_path: Path) -> None:
    root = tmp_path / "r"
    write_hf_run(root, "training", steps=50, max_steps=100, finished=False)
    store = make_store(root, tmp_path)
    assert list(store.rescan().runs["status"]) == ["running"]
    old = time.time() - 3600
    for path in (root / "training").iterdir():
        os.utime(path, (old, old))
    assert list(store.rescan().runs["status"]) == ["unknown"]


def test_cache_folder_is_private(tmp_path: Path) -> None:
    cache = tmp_path / "new-cache"
    Store([tmp_path], cache_dir=cache)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def test_world_writable_cache_folder_is_refused(tmp_path: Path) -> None:
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    os.chmod(cache, 0o777)
    with pytest.raises(UnsafeCacheDir, match="writable by other users"):
        Store([tmp_path], cache_dir=cache)


def test_realdata_scan_reads_every_paper_metrics_and_trainer_folder(realdata: Path, tmp_path: Path) -> None:
    snap = make_store(realdata, tmp_path).rescan()
    by_source = snap.runs.groupby("source")["run_id"].apply(sorted).to_dict()
    assert by_source["hf_trainer"] == [
        "A-10844110-t5-summarization-demo",
        "A-AguLeon-LoRA_RoBERTa_AGNews-checkpoints",
        "A-Dheena731-tinyLlama-finetune",
        "A-Fujump-qlora-output",
        "A-P4P4N1CK-whisper-large-v2-japanese-5k-steps",
        "A-aigoncharov-trainer_state_viz",
        "A-rnpcs-philschmid-bart-large-cnn-samsum-root",
    ]
    assert by_source["paper_metrics"] == [
        "D-AlufRon-claude-web-paper-metrics/baseline_paper_metrics_results",
        "D-AlufRon-claude-web-paper-metrics/data/baseline_paper_metrics_results",
        "S-AlufRon-seed-layout/dailytalk_finetune_from_librilight11/checkpoints/checkpoint_000200/consolidated",
        "S-AlufRon-seed-layout/dailytalk_finetune_from_librilight3/checkpoints/checkpoint_002000/consolidated",
        "S-AlufRon-seed-layout/dailytalk_finetune_from_librilight5/checkpoints/checkpoint_002000/consolidated",
        "S-AlufRon-seed-layout/dailytalk_finetune_from_librilight6/checkpoints/checkpoint_002000/consolidated",
        "S-AlufRon-seed-layout/moshi-finetune/baseline_paper_metrics_results",
    ]
    runs = snap.runs.set_index("run_id")
    seed = runs.loc[
        "S-AlufRon-seed-layout/dailytalk_finetune_from_librilight5/checkpoints/checkpoint_002000/consolidated"
    ]
    assert seed["metrics.sblimp_accuracy"] == 0.538
    assert seed["metrics.librilight_perplexity_8k"] == 149481.29230970054
    assert seed["params.ttt.layers"] == "29,30,31"
    sentinel = runs.loc["D-AlufRon-claude-web-paper-metrics/data/baseline_paper_metrics_results"]
    assert sentinel["metrics.librilight_perplexity_8k"] == 3.8483760080133944
    assert sentinel.isna()["metrics.librilight_perplexity_16k"]  # 0.0 sentinel: missing, not zero
    assert bool(sentinel["baseline"]) is True


def test_unchanged_tree_is_not_listed_again(tree: Path, tmp_path: Path) -> None:
    store = make_store(tree, tmp_path)
    store.rescan()
    listed = store.folders_listed
    assert listed == 12  # root; exp_a: 6 folders; exp_b: 4; hf_run
    store.rescan()
    assert store.folders_listed == listed  # every folder's mtime unchanged: stat only


def test_a_change_in_a_folder_a_claim_looked_into_is_seen(tmp_path: Path) -> None:
    root = tmp_path / "r"
    checkpoint = root / "exp" / "checkpoints" / "checkpoint_000100"
    checkpoint.mkdir(parents=True)
    (checkpoint / "paper_metrics_results.json").write_text(json.dumps(seed_metrics()))
    (checkpoint / "consolidated").mkdir()
    age_tree(root)
    store = make_store(root, tmp_path)
    first = store.rescan()
    assert "params.ttt.base_lr" not in first.runs.columns
    config = checkpoint / "consolidated" / "training_config.json"
    config.write_text(json.dumps({"ttt": {"base_lr": 0.5}}))
    age_tree(root)  # only consolidated/ changed, and its mtime moved back an hour: still a different value
    second = store.rescan()
    assert second.runs.loc[0, "params.ttt.base_lr"] == 0.5


def test_restart_lists_no_folder_of_an_unchanged_tree(tree: Path, tmp_path: Path) -> None:
    make_store(tree, tmp_path).rescan()
    again = make_store(tree, tmp_path)
    again.rescan()
    assert again.folders_listed == 0
    assert again.parse_count == 0


def test_unchanged_tree_takes_the_fast_path_and_any_change_leaves_it(tree: Path, tmp_path: Path) -> None:
    store = make_store(tree, tmp_path)
    first = store.rescan()
    second = store.rescan()
    assert store.unchanged_rescans == 1
    assert second.runs is first.runs and second.generation == first.generation + 1
    results = tree / "exp_b/checkpoints/checkpoint_001000/consolidated/paper_metrics_results.json"
    os.chmod(results, 0o600)  # metadata only: ctime moves, so the file is looked at again
    third = store.rescan()
    assert store.unchanged_rescans == 1
    assert third.parsed == 1


def test_a_broken_link_is_looked_at_again_until_its_target_appears(tree: Path, tmp_path: Path) -> None:
    (tree / "links").mkdir()
    (tree / "later").mkdir()
    (tree / "links" / "pending").symlink_to(tree / "later" / "run")
    age_tree(tree)
    store = make_store(tree, tmp_path)
    assert [p.reason for p in store.rescan().problems] == ["broken symlink; not followed"]
    write_seed_run(tree / "later" / "run", "late", 100)  # links/ itself does not change
    snap = store.rescan()
    assert store.unchanged_rescans == 0
    assert [p.reason for p in snap.problems] == [
        f"same folder as {tree / 'later' / 'run'} (linked); scanned once"
    ]
    assert "later/run/late/checkpoints/checkpoint_000100/consolidated" in set(snap.runs["run_id"])
