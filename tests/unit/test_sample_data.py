"""The bundled ``data/`` tree is exactly what ``scripts/make_sample_data.py`` writes, and is rich enough."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
DATA = PROJECT / "data"
SCRIPT = PROJECT / "scripts" / "make_sample_data.py"
ACCURACIES = ("sblimp", "swuggy", "tstory", "sstory")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def committed() -> dict[str, bytes]:
    if not DATA.is_dir():
        pytest.fail("data/ is missing: run python scripts/make_sample_data.py")
    return _files(DATA)


def test_regenerating_gives_the_committed_bytes(tmp_path: Path, committed: dict[str, bytes]) -> None:
    out = tmp_path / "data"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True, capture_output=True)
    fresh = _files(out)
    assert sorted(fresh) == sorted(committed)
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert changed == [], "data/ differs from the generator: rerun python scripts/make_sample_data.py"


def test_tree_has_enough_runs_of_each_kind(committed: dict[str, bytes]) -> None:
    names = list(committed)
    results = [n for n in names if n.endswith("/consolidated/paper_metrics_results.json")]
    configs = [n for n in names if n.endswith("/consolidated/training_config.json")]
    baselines = [n for n in names if n.endswith("baseline_paper_metrics_results.json")]
    states = [n for n in names if n.endswith("trainer_state.json") and "/checkpoint-" not in n]
    assert len(results) >= 24
    assert len(configs) == len(results)
    assert baselines == ["moshi-finetune/baseline_paper_metrics_results.json"]
    assert len(states) >= 3
    assert any("/checkpoint-" in n for n in names), "one HF run keeps checkpoint-N snapshots"
    assert sum(len(b) for b in committed.values()) < 5 * 1024 * 1024


def _results(committed: dict[str, bytes]) -> dict[str, dict]:
    return {n: json.loads(b) for n, b in committed.items() if n.endswith("paper_metrics_results.json")}


def test_paper_metrics_are_shaped_like_the_real_ones(committed: dict[str, bytes]) -> None:
    for name, data in _results(committed).items():
        counts = [data[f"{b}_samples"] for b in ACCURACIES]
        assert counts == [1000, 2000, 1871, 1871], name
        for bench in ACCURACIES:
            k = data[f"{bench}_accuracy"] * data[f"{bench}_samples"]
            assert abs(k - round(k)) < 1e-6, f"{name}: {bench} accuracy is not k/n"
        assert data["paper_metrics_avg"] == sum(data[f"{b}_accuracy"] for b in ACCURACIES) / 4
        assert 0.52 <= data["sblimp_accuracy"] <= 0.57 and 0.74 <= data["tstory_accuracy"] <= 0.82
        assert 1e-5 <= data["librilight_slope"] <= 1.5e-4, name


def test_variants_sentinel_and_progression_are_present(committed: dict[str, bytes]) -> None:
    results = _results(committed)
    sentinels = [n for n, d in results.items() if d["librilight_perplexity_16k"] == 0.0]
    assert sentinels == [
        "dailytalk_lora_r16/checkpoints/checkpoint_000500/consolidated/paper_metrics_results.json"
    ]
    curves = [d["librilight_progression"] for d in results.values() if "librilight_progression" in d]
    assert len(curves) >= 5
    positions = [p["position"] for p in curves[0]]
    assert positions[0] == 1000 and positions.count(1000) > 1 and max(positions) >= 41000
    configs = [json.loads(b) for n, b in committed.items() if n.endswith("training_config.json")]
    assert {c["ttt"]["layers"] for c in configs if c["ttt"]["enable"]} == {"29,30,31", "31", "25,27,29,31"}
    assert {c["ttt"]["base_lr"] for c in configs if c["ttt"]["enable"]} >= {1e-3, 1e-2, 1e-1, 1.0}
    assert any(c["lora"]["enable"] for c in configs) and any(c["full_finetuning"] for c in configs)


def test_training_config_has_the_real_keys(committed: dict[str, bytes], realdata: Path) -> None:
    real_path = next((realdata / "S-AlufRon-seed-layout").rglob("training_config.json"))
    real = json.loads(real_path.read_bytes())
    for name, raw in committed.items():
        if name.endswith("training_config.json"):
            config = json.loads(raw)
            assert list(config) == list(real), name
            for key, value in real.items():
                if isinstance(value, dict):
                    assert list(config[key]) == list(value), f"{name}: {key}"


def test_hf_runs_are_finished(committed: dict[str, bytes]) -> None:
    roots = [
        n.rsplit("/", 1)[0] for n in committed if n.endswith("trainer_state.json") and "/checkpoint-" not in n
    ]
    for root in roots:
        state = json.loads(committed[f"{root}/trainer_state.json"])
        assert state["global_step"] == state["max_steps"], root
        assert state["stateful_callbacks"]["TrainerControl"]["args"]["should_training_stop"] is True
        assert {"all_results.json", "train_results.json", "eval_results.json", "config.json"} <= {
            n.rsplit("/", 1)[1]
            for n in committed
            if n.startswith(root + "/") and n.count("/") == root.count("/") + 1
        }
