"""The command line as a user types it: ``runboard scan`` / ``python -m dashboard scan``."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard import __version__
from tests.fixtures.trees import seed_config, seed_metrics, write_hf_run, write_seed_run


def runboard(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args]
        + (["--cache-dir", str(cache)] if args[0] == "scan" else []),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "lab"
    write_seed_run(root, "ttt_run", 1000, config=seed_config(base_lr=0.1), metrics=seed_metrics(sblimp=0.551))
    write_seed_run(root, "lora_run", 2000, config=seed_config(ttt=False, lora=True))
    write_hf_run(root, "hf_run")
    return root


def test_scan_csv_has_contract_columns_and_exact_values(tree: Path, tmp_path: Path) -> None:
    result = runboard("scan", str(tree), "--format", "csv", cache=tmp_path / "c")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["run_id"] for r in rows] == [
        "hf_run",
        "lora_run/checkpoints/checkpoint_002000/consolidated",
        "ttt_run/checkpoints/checkpoint_001000/consolidated",
    ]
    header = list(rows[0].keys())
    assert header[:9] == [
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
    assert "_series" not in header
    assert all(c.startswith(("params.", "metrics.")) for c in header[9:])
    ttt = rows[2]
    assert ttt["source"] == "paper_metrics"
    assert ttt["step"] == "1000"
    assert ttt["params.ttt.base_lr"] == "0.1"
    assert ttt["params.ttt.enable"] == "True"
    assert ttt["metrics.sblimp_accuracy"] == "0.551"
    assert "metrics.librilight_perplexity_24k" not in header  # the 0.0 sentinel is missing, not zero
    assert rows[0]["metrics.sblimp_accuracy"] == ""  # the HF run has no such metric: empty, never 0
    assert "3 runs, 0 problems" in result.stderr


def test_scan_json_document(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs.json"
    result = runboard("scan", str(tree), "--format", "json", "-o", str(out), cache=tmp_path / "c")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    doc = json.loads(out.read_text())
    assert set(doc) == {"schema_version", "generated_at", "roots", "runs", "problems"}
    assert doc["roots"] == [str(tree.resolve())]
    assert doc["problems"] == []
    hf = next(r for r in doc["runs"] if r["run_id"] == "hf_run")
    assert hf["source"] == "hf_trainer"
    assert hf["series"]["loss"] == 10
    assert hf["series"]["eval_loss"] == 2
    assert hf["metrics"]["eval_loss"] == 1.1  # all_results.json overlays the logged value
    lora = next(r for r in doc["runs"] if r["experiment"] == "lora_run")
    assert lora["params"]["lora.enable"] is True
    assert "librilight_perplexity_24k" not in lora["metrics"]


def test_scan_reports_problems_on_stderr_and_still_lists_runs(tree: Path, tmp_path: Path) -> None:
    bad = write_seed_run(tree, "broken", 500) / "paper_metrics_results.json"
    bad.write_text('{"sblimp_accuracy": 0.5,')
    result = runboard("scan", str(tree), "--format", "json", cache=tmp_path / "c")
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert len(doc["runs"]) == 3
    assert [(p["path"], p["reader"]) for p in doc["problems"]] == [(str(bad.resolve()), "paper_metrics")]
    assert f"problem: {bad.resolve()}: truncated JSON" in result.stderr


def test_csv_neutralises_spreadsheet_formulas(tmp_path: Path) -> None:
    root = tmp_path / "lab"
    write_seed_run(root, "=HYPERLINK(evil)", 100, config=seed_config(layers="@SUM(A1)"))
    result = runboard("scan", str(root), cache=tmp_path / "c")
    row = next(csv.DictReader(io.StringIO(result.stdout)))
    assert row["experiment"] == "'=HYPERLINK(evil)"
    assert row["name"].startswith("'=HYPERLINK(evil)")
    assert row["params.ttt.layers"] == "'@SUM(A1)"
    assert row["params.ttt.base_lr"] == "0.01"  # numbers untouched


@pytest.mark.parametrize(
    ("root", "message"),
    [("does/not/exist", "results folder does not exist"), ("afile.txt", "not a folder")],
)
def test_bad_root_is_a_clear_error(tmp_path: Path, root: str, message: str) -> None:
    (tmp_path / "afile.txt").write_text("x")
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "scan", root],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "dashboard", "--version"], capture_output=True, text=True)
    assert result.stdout.strip() == f"runboard {__version__}"


def test_realdata_scan_json(realdata: Path, tmp_path: Path) -> None:
    result = runboard(
        "scan", str(realdata / "S-AlufRon-seed-layout"), "--format", "json", cache=tmp_path / "c"
    )
    doc = json.loads(result.stdout)
    names = sorted(r["name"] for r in doc["runs"])
    assert names == [
        "baseline (moshi-finetune)",
        "dailytalk_finetune_from_librilight11 @ 200",
        "dailytalk_finetune_from_librilight3 @ 2000",
        "dailytalk_finetune_from_librilight5 @ 2000",
        "dailytalk_finetune_from_librilight6 @ 2000",
    ]
    base = next(r for r in doc["runs"] if r["baseline"])
    assert base["metrics"]["paper_metrics_avg"] == 0.6471103019775521
    assert base["series"] == {"librilight_loss": 44, "librilight_perplexity": 44}


def test_a_bad_log_pattern_is_a_clear_error(tree: Path, tmp_path: Path) -> None:
    env = {**os.environ, "RUNBOARD_LOG_PATTERNS": "loss=(?P<loss>[0-9.]+)"}  # no step group
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "scan", str(tree), "--cache-dir", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "needs a named group 'step'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_app_refuses_a_cache_folder_others_can_write(tree: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared-cache"
    shared.mkdir()
    os.chmod(shared, 0o777)
    result = subprocess.run(
        [sys.executable, "app.py", "--results-dir", str(tree), "--cache-dir", str(shared), "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 2
    assert "writable by other users" in result.stderr
    assert "Traceback" not in result.stderr
