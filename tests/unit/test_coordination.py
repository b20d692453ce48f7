"""Several workers over one cache: one scans, all serve the same snapshot, another takes over.

Each "worker" here is a Store + Scanner + ScanLease in this process: flock locks belong to
an open file, so two leases in one process exclude each other exactly as two processes do.
The real multi-process drills (gunicorn, killed workers) are in tests/integration/test_serving.py.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from dashboard.coordination import ScanLease
from dashboard.scanner import Scanner
from dashboard.store import Store
from tests.fixtures.trees import age_tree, seed_metrics, write_hf_run, write_seed_run


class Worker:
    def __init__(self, root: Path, cache: Path) -> None:
        self.store = Store([root], cache_dir=cache)
        self.scanner = Scanner(self.store, 30, ScanLease(self.store.lock_path))

    def tick(self) -> None:
        self.scanner.tick()

    def run_ids(self) -> list[str]:
        return list(self.store.snapshot.runs["run_id"])


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    write_seed_run(root, "exp_a", 1000)
    write_seed_run(root, "exp_a", 2000, metrics=seed_metrics(sblimp=0.556))
    write_seed_run(root, "exp_b", 1000)
    age_tree(root)
    return root


@pytest.fixture
def workers(tree: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    made = [Worker(tree, tmp_path / "cache") for _ in range(3)]
    yield made
    for worker in made:
        worker.scanner.stop()
        worker.store.close()


EXPECTED = [
    "exp_a/checkpoints/checkpoint_001000/consolidated",
    "exp_a/checkpoints/checkpoint_002000/consolidated",
    "exp_b/checkpoints/checkpoint_001000/consolidated",
]
NEW_RUN = "exp_c/checkpoints/checkpoint_000500/consolidated"


def test_one_worker_scans_and_the_others_serve_its_snapshot(workers: list[Worker]) -> None:
    for worker in workers:
        worker.tick()
    scanner, *readers = workers
    assert scanner.scanner.scanning_here and scanner.store.parse_count == 3
    for reader in readers:
        assert not reader.scanner.scanning_here
        assert reader.store.parse_count == 0 and reader.store.folders_listed == 0  # no walk, no parse
        assert reader.scanner.first_scan_done.is_set()
        pd.testing.assert_frame_equal(reader.store.snapshot.runs, scanner.store.snapshot.runs)
        assert reader.store.snapshot.version == scanner.store.snapshot.version
        assert reader.store.snapshot.scanned_at == scanner.store.snapshot.scanned_at
    # Run pages and curves work on a reading worker too.
    run = readers[0].store.run(EXPECTED[1])
    assert run is not None and run.metrics["sblimp_accuracy"] == 0.556
    assert readers[0].store.series(EXPECTED[0]) == scanner.store.series(EXPECTED[0])


def test_readers_pick_up_what_the_scanner_found_next(workers: list[Worker], tree: Path) -> None:
    for worker in workers:
        worker.tick()
    write_seed_run(tree, "exp_c", 500)
    age_tree(tree / "exp_c")
    workers[0].tick()
    workers[1].tick()
    assert workers[1].run_ids() == [*EXPECTED, NEW_RUN]
    assert workers[1].store.snapshot.version == workers[0].store.snapshot.version
    assert workers[1].store.parse_count == 0


def test_unchanged_rescan_only_moves_the_scan_time(workers: list[Worker]) -> None:
    for worker in workers:
        worker.tick()
    frame = workers[1].store.snapshot.runs
    version = workers[1].store.snapshot.version
    workers[0].tick()
    workers[1].tick()
    assert workers[1].store.snapshot.runs is frame  # nothing re-read, nothing rebuilt
    assert workers[1].store.snapshot.version == version
    assert workers[1].store.snapshot.scanned_at == workers[0].store.snapshot.scanned_at


def test_another_worker_takes_over_when_the_scanner_stops(workers: list[Worker], tree: Path) -> None:
    for worker in workers:
        worker.tick()
    before = workers[0].store.snapshot.version
    workers[0].scanner.stop()  # releases the lease, as the kernel does for a dead process
    workers[1].tick()
    workers[2].tick()
    assert workers[1].scanner.scanning_here and not workers[2].scanner.scanning_here
    assert workers[1].run_ids() == EXPECTED
    assert workers[1].store.parse_count == 0  # the index came from the cache, not the files
    assert workers[1].store.snapshot.version > before
    write_seed_run(tree, "exp_c", 500)
    age_tree(tree / "exp_c")
    workers[1].tick()
    workers[2].tick()
    assert workers[2].run_ids() == [*EXPECTED, NEW_RUN]
    assert workers[1].store.parse_count == 1


def test_a_lock_in_a_wiped_cache_folder_is_taken_anew(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    first, second = ScanLease(cache / "scan.lock"), ScanLease(cache / "scan.lock")
    assert first.try_acquire() and not second.try_acquire()
    (cache / "scan.lock").unlink()
    assert not first.still_valid()
    first.release()
    assert second.try_acquire() and second.still_valid()
    assert not first.try_acquire()
    second.release()


def test_cache_folder_deleted_while_serving_is_rebuilt_and_nothing_is_lost(
    workers: list[Worker], tree: Path, tmp_path: Path
) -> None:
    for worker in workers:
        worker.tick()
    shutil.rmtree(tmp_path / "cache")
    workers[0].tick()  # scanner: heals, keeps its runs, saves the whole index again
    workers[1].tick()
    assert workers[0].run_ids() == EXPECTED and workers[1].run_ids() == EXPECTED
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700
    restarted = Store([tree], cache_dir=tmp_path / "cache")
    restarted.rescan()
    assert list(restarted.snapshot.runs["run_id"]) == EXPECTED
    assert restarted.parse_count == 0  # everything was saved again after the wipe
    restarted.close()


def test_corrupted_cache_is_replaced_and_the_scan_goes_on(tree: Path, tmp_path: Path) -> None:
    store = Store([tree], cache_dir=tmp_path / "cache")
    store.rescan()
    store.close()
    (tmp_path / "cache" / "index" / "cache.db").write_bytes(b"this is not a database" * 100)
    for name in ("cache.db-wal", "cache.db-shm"):
        (tmp_path / "cache" / "index" / name).unlink(missing_ok=True)
    damaged = Store([tree], cache_dir=tmp_path / "cache")  # opening fails: works from the files
    damaged.rescan()
    assert list(damaged.snapshot.runs["run_id"]) == EXPECTED
    damaged.close()
    again = Store([tree], cache_dir=tmp_path / "cache")
    again.rescan()
    assert list(again.snapshot.runs["run_id"]) == EXPECTED
    assert again.parse_count == 0  # the rebuilt cache held the index
    again.close()


def test_failing_scans_keep_the_last_snapshot_and_turn_health_unhealthy(
    workers: list[Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.context import AppContext
    from dashboard.settings import Settings

    scanner, reader = workers[0], workers[1]
    scanner.tick()
    reader.tick()
    contexts = [AppContext(Settings(refresh_seconds=30), w.store, w.scanner) for w in (scanner, reader)]
    assert [c.health()["status"] for c in contexts] == ["ok", "ok"]

    def broken() -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(scanner.store, "rescan", broken)
    waits = [scanner.scanner.tick() for _ in range(3)]
    assert waits == [2.0, 4.0, 8.0]  # retried sooner than the 30 s interval, backing off
    reader.tick()
    for context in contexts:
        health = context.health()
        assert health["status"] == "unhealthy"
        assert health["failures"] == 3 and health["last_error"] == "RuntimeError: disk on fire"
        assert health["runs"] == 3  # the last good snapshot is still served
    assert contexts[0].health()["scanner"] == "this worker"
    assert contexts[1].health()["scanner"] == f"worker pid {os.getpid()}"
    monkeypatch.undo()
    time.sleep(0.01)
    scanner.tick()
    reader.tick()
    assert [c.health()["status"] for c in contexts] == ["ok", "ok"]


def test_two_hosts_with_their_own_caches_give_the_same_answers(tree: Path, tmp_path: Path) -> None:
    """Beyond one machine: two app hosts over the same roots, each with its own cache, agree —
    even when one watched the tree grow and the other saw it whole at once."""
    early = Store([tree], cache_dir=tmp_path / "host-a")
    early.rescan()
    write_seed_run(tree, "a_first", 500, metrics={"extra_metric": 1.5, **seed_metrics(sblimp=0.6)})
    write_hf_run(tree, "hf_late")
    age_tree(tree)
    early.rescan()
    late = Store([tree], cache_dir=tmp_path / "host-b")
    late.rescan()
    pd.testing.assert_frame_equal(early.snapshot.runs, late.snapshot.runs)
    assert [p.as_dict() for p in early.snapshot.problems] == [p.as_dict() for p in late.snapshot.problems]
    early.close()
    late.close()


class SlowReader:
    """The seed reader on a slow network disk: every read takes a while."""

    def __init__(self, delay: float) -> None:
        from dashboard.ingest import paper_metrics

        self._inner = paper_metrics.READER
        self.name, self.version, self.delay = self._inner.name, self._inner.version, delay

    def claim(self, folder):  # type: ignore[no-untyped-def]
        return self._inner.claim(folder)

    def read(self, claim):  # type: ignore[no-untyped-def]
        time.sleep(self.delay)
        return self._inner.read(claim)


def test_first_scan_progress_is_shown_by_every_worker(tmp_path: Path) -> None:
    from dashboard.callbacks.refresh import progress_text

    root = tmp_path / "results"
    for step in range(1, 9):
        write_seed_run(root, "exp", step * 100)
    age_tree(root)
    scanning = Store([root], cache_dir=tmp_path / "cache", readers=[SlowReader(0.25)])
    reading = Store([root], cache_dir=tmp_path / "cache", readers=[SlowReader(0.25)])
    scanner = Scanner(scanning, 30, ScanLease(scanning.lock_path))
    follower = Scanner(reading, 30, ScanLease(reading.lock_path))
    assert progress_text(scanning.progress) == "Scanning…"  # nothing under way yet
    scanner.start()
    time.sleep(1.2)
    follower.tick()
    mine, shared = scanning.progress, reading.progress
    assert 0 < mine["runs"] < 8 and mine["root"] == "results"
    assert 0 < shared["runs"] <= mine["runs"]  # saved every half second for the other workers
    assert progress_text(shared).startswith("Scanning in results… ")
    assert progress_text({"root": "results", "folders": 12400, "runs": 3100}) == (
        "Scanning in results… 12,400 folders, 3,100 runs so far"
    )
    scanner.first_scan_done.wait(10)
    follower.tick()
    assert len(reading.snapshot.runs) == 8 and reading.progress == {} and scanning.progress == {}
    scanner.stop()
    scanning.close()
    reading.close()


def test_a_new_worker_that_wins_the_lease_numbers_versions_on(
    workers: list[Worker], tree: Path, tmp_path: Path
) -> None:
    for worker in workers[:2]:
        worker.tick()
    write_seed_run(tree, "exp_c", 500)
    age_tree(tree / "exp_c")
    workers[0].tick()
    workers[1].tick()
    published = workers[1].store.snapshot.version
    workers[0].scanner.stop()
    newcomer = workers[2]  # never ticked: a worker gunicorn just started, winning the lease first
    newcomer.tick()
    workers[1].tick()
    assert newcomer.scanner.scanning_here
    assert newcomer.store.snapshot.version > published  # never a number another worker already used
    assert workers[1].store.snapshot.version == newcomer.store.snapshot.version
    assert workers[1].run_ids() == [*EXPECTED, NEW_RUN]


def test_a_takeover_keeps_the_runs_of_a_root_that_is_gone(workers: list[Worker], tree: Path) -> None:
    for worker in workers[:2]:
        worker.tick()
    tree.rename(tree.with_name("aside"))
    workers[0].tick()
    workers[0].scanner.stop()
    workers[1].tick()  # takes over while the root is missing
    assert workers[1].scanner.scanning_here
    assert workers[1].run_ids() == EXPECTED
    assert [p.reason for p in workers[1].store.snapshot.problems] == ["results folder does not exist"]


def test_run_pages_keep_working_while_a_takeover_rescans(
    workers: list[Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    for worker in workers[:2]:
        worker.tick()
    workers[0].scanner.stop()
    follower = workers[1].store
    seen: list[object] = []
    real_parse_frame = follower._patch_frame

    def looking_mid_scan(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(follower.run(EXPECTED[1]))  # a page asks while the takeover scan is under way
        return real_parse_frame(*args, **kwargs)

    monkeypatch.setattr(follower, "_patch_frame", looking_mid_scan)
    workers[1].tick()
    assert seen and seen[0] is not None and seen[0].metrics["sblimp_accuracy"] == 0.556  # type: ignore[attr-defined]
    assert follower.run(EXPECTED[1]) is not None


def test_after_the_cache_folder_is_wiped_one_worker_scans(workers: list[Worker], tmp_path: Path) -> None:
    for worker in workers:
        worker.tick()
    shutil.rmtree(tmp_path / "cache")
    for _ in range(2):
        for worker in workers:
            worker.tick()
    assert [w.scanner.scanning_here for w in workers] == [True, False, False]
    assert {w.store.snapshot.version for w in workers} == {workers[0].store.snapshot.version}
    assert all(w.run_ids() == EXPECTED for w in workers)
