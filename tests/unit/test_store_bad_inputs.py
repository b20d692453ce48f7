"""Bad files never stop a scan: each becomes a visible problem and every other run loads."""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import pytest

from dashboard.ingest import default_readers
from dashboard.store import Store
from tests.fixtures.trees import seed_metrics, write_hf_run, write_seed_run

GOOD_RUNS = {
    "good/checkpoints/checkpoint_001000/consolidated",
    "hf_good",
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "results"
    write_seed_run(base, "good", 1000)
    write_hf_run(base, "hf_good")
    return base


def scan(root: Path, tmp_path: Path, readers=None):  # type: ignore[no-untyped-def]
    return Store([root], cache_dir=tmp_path / "cache", readers=readers).rescan()


def broken_results(root: Path, content: bytes) -> Path:
    folder = write_seed_run(root, "bad", 1000)
    path = folder / "paper_metrics_results.json"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"sblimp_accuracy": 0.5, "swuggy', "truncated JSON"),
        (b'{"sblimp_accuracy": 0.5,, }', "malformed JSON at line 1"),
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file, not text"),
        (
            b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 1234\n",
            "Git LFS pointer, not the real file",
        ),
        (b"[1, 2, 3]", "expected a JSON object"),
    ],
)
def test_unreadable_results_file_is_a_problem(
    root: Path, tmp_path: Path, content: bytes, reason: str
) -> None:
    path = broken_results(root, content)
    snap = scan(root, tmp_path)
    assert set(snap.runs["run_id"]) == GOOD_RUNS
    matching = [p for p in snap.problems if p.path == str(path)]
    assert len(matching) == 1, snap.problems
    assert reason in matching[0].reason
    assert matching[0].reader == "paper_metrics"


def test_nan_and_infinity_fall_back_and_are_missing(root: Path, tmp_path: Path) -> None:
    metrics = seed_metrics()
    text = json.dumps(metrics).replace('"sblimp_accuracy": 0.54', '"sblimp_accuracy": NaN')
    text = text.replace('"librilight_slope": 7.3e-05', '"librilight_slope": Infinity')
    broken_results(root, text.encode())
    snap = scan(root, tmp_path)
    row = snap.runs.set_index("run_id").loc["bad/checkpoints/checkpoint_001000/consolidated"]
    assert row.isna()["metrics.sblimp_accuracy"]
    assert row.isna()["metrics.librilight_slope"]
    assert row["metrics.swuggy_accuracy"] == 0.632


def test_utf8_bom_is_accepted(root: Path, tmp_path: Path) -> None:
    broken_results(root, b"\xef\xbb\xbf" + json.dumps(seed_metrics(sblimp=0.55)).encode())
    snap = scan(root, tmp_path)
    assert (
        snap.runs.set_index("run_id").loc["bad/checkpoints/checkpoint_001000/consolidated"][
            "metrics.sblimp_accuracy"
        ]
        == 0.55
    )


def test_permission_denied_file(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = broken_results(root, json.dumps(seed_metrics()).encode())
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.fspath(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    snap = scan(root, tmp_path)
    assert set(snap.runs["run_id"]) == GOOD_RUNS
    assert [(p.path, p.reason) for p in snap.problems] == [(str(path), "permission denied")]


def test_permission_denied_folder(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = root / "locked"
    write_seed_run(locked, "x", 1000)
    real_scandir = os.scandir

    def guarded_scandir(path="."):  # type: ignore[no-untyped-def]
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", guarded_scandir)
    snap = scan(root, tmp_path)
    assert set(snap.runs["run_id"]) == GOOD_RUNS
    assert [(p.path, p.reason) for p in snap.problems] == [
        (str(locked), "permission denied: folder not listed")
    ]


def test_file_vanishing_between_listing_and_reading(root: Path, tmp_path: Path) -> None:
    victim = write_seed_run(root, "vanishing", 1000) / "paper_metrics_results.json"

    class DeletesFirst:
        def __init__(self, inner):  # type: ignore[no-untyped-def]
            self.inner, self.name, self.version = inner, inner.name, inner.version

        def claim(self, folder):  # type: ignore[no-untyped-def]
            return self.inner.claim(folder)

        def read(self, claim):  # type: ignore[no-untyped-def]
            if str(victim) in claim.files and victim.exists():
                victim.unlink()
            return self.inner.read(claim)

    readers = tuple(DeletesFirst(r) if r.name == "paper_metrics" else r for r in default_readers())
    snap = scan(root, tmp_path, readers)
    assert set(snap.runs["run_id"]) == GOOD_RUNS
    assert [(p.path, p.reason) for p in snap.problems] == [(str(victim), "file vanished while scanning")]


def test_symlink_loop_is_a_problem(root: Path, tmp_path: Path) -> None:
    (root / "loop").symlink_to(root)
    (root / "self").symlink_to(root / "self")
    snap = scan(root, tmp_path)
    assert set(snap.runs["run_id"]) == GOOD_RUNS
    reasons = {Path(p.path).name: p.reason for p in snap.problems}
    assert reasons["self"] == "symlink loop; not followed"
    assert reasons["loop"] == f"symlink loop: leads back to {root}; not followed"


def test_link_out_of_the_root_is_not_followed(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    write_seed_run(outside, "secret", 1000)
    (root / "escape").symlink_to(outside)
    (root / "good/checkpoints/checkpoint_001000/consolidated/stolen.json").symlink_to(
        outside / "secret/checkpoints/checkpoint_001000/consolidated/paper_metrics_results.json"
    )
    snap = scan(root, tmp_path)
    assert set(snap.runs["run_id"]) == GOOD_RUNS
    assert sorted((Path(p.path).name, p.reason) for p in snap.problems) == [
        ("escape", "link leads outside the root; not followed"),
        ("stolen.json", "link leads outside the root; not followed"),
    ]


def test_link_inside_the_root_is_followed(root: Path, tmp_path: Path) -> None:
    (root / "alias").symlink_to(root / "good")
    snap = scan(root, tmp_path)
    # The same folder reached twice is scanned once, under its real path; the link is reported.
    assert set(snap.runs["run_id"]) == GOOD_RUNS
    assert [(Path(p.path).name, p.reason) for p in snap.problems] == [
        ("alias", f"same folder as {root / 'good'} (linked); scanned once")
    ]


def test_a_fixed_file_is_read_again(root: Path, tmp_path: Path) -> None:
    path = broken_results(root, b'{"sblimp_accuracy": 0.5, "sw')
    store = Store([root], cache_dir=tmp_path / "cache")
    first = store.rescan()
    assert any(p.path == str(path) for p in first.problems)
    path.write_text(json.dumps(seed_metrics(sblimp=0.57)))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    second = store.rescan()
    assert second.problems == []
    assert second.version > first.version
    row = second.runs.set_index("run_id").loc["bad/checkpoints/checkpoint_001000/consolidated"]
    assert row["metrics.sblimp_accuracy"] == 0.57


def test_a_reader_crash_is_a_problem_not_a_failed_scan(root: Path, tmp_path: Path) -> None:
    class Explodes:
        def __init__(self, inner):  # type: ignore[no-untyped-def]
            self.inner, self.name, self.version = inner, inner.name, inner.version

        def claim(self, folder):  # type: ignore[no-untyped-def]
            return self.inner.claim(folder)

        def read(self, claim):  # type: ignore[no-untyped-def]
            raise ZeroDivisionError("boom")

    readers = tuple(Explodes(r) if r.name == "hf_trainer" else r for r in default_readers())
    snap = scan(root, tmp_path, readers)
    assert set(snap.runs["run_id"]) == {"good/checkpoints/checkpoint_001000/consolidated"}
    assert [(Path(p.path).name, p.reason) for p in snap.problems] == [
        ("hf_good", "unexpected error: ZeroDivisionError('boom')")
    ]
