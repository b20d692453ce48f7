"""The MLflow file-store reader: the real stores and hand-made broken ones."""

from __future__ import annotations

import builtins
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dashboard.ingest.base import ReadResult, Run
from dashboard.ingest.base import coerce_text as coerce
from dashboard.ingest.mlflow import READER
from dashboard.ingest.walk import Walker

SWAHILI = "C-10-Academy-Batch-4-Week-4-Swahili-Speech-To-Text-mlruns"
DEEPCNN = "C-10tanmay100-DEEPCNNCLASSIFIER-mlruns"
SWAHILI_RUN = "ed05f9cd599442fe9a0c9222184710b8"
DEEPCNN_RUN = "cb0096518b0e4c66a94428555f05420b"

RUN_META = """\
artifact_uri: file:///tmp/mlruns/{exp}/{run}/artifacts
end_time: 1700000100000
entry_point_name: ''
experiment_id: '{exp}'
lifecycle_stage: {stage}
run_id: {run}
run_name: {name}
source_type: 4
start_time: 1700000000000
status: {status}
tags: []
user_id: me
"""


def scan(root: Path) -> tuple[list[ReadResult], Walker]:
    walker = Walker(str(root))
    return [READER.read(c) for c in walker.walk([READER])], walker


def runs_of(root: Path) -> tuple[dict[str, Run], ReadResult]:
    results, _ = scan(root)
    assert len(results) == 1
    return {r.key: r for r in results[0].runs}, results[0]


def experiment(store: Path, exp: str, name: str = "exp", stage: str = "active") -> Path:
    folder = store / exp
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.yaml").write_text(
        f"artifact_location: file:///tmp/{exp}\nexperiment_id: '{exp}'\nlifecycle_stage: {stage}\nname: {name}\n"
    )
    return folder


def run(
    store: Path,
    exp: str,
    run_id: str,
    meta: str | None = "",
    metrics: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
    status: object = 3,
    stage: str = "active",
    name: str = "''",
) -> Path:
    folder = store / exp / run_id
    folder.mkdir(parents=True, exist_ok=True)
    if meta == "":
        meta = RUN_META.format(exp=exp, run=run_id, stage=stage, status=status, name=name)
    if meta is not None:
        (folder / "meta.yaml").write_text(meta)
    for part, values in (("metrics", metrics), ("params", params), ("tags", tags)):
        for key, text in (values or {}).items():
            path = folder / part / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return folder


# ---------------------------------------------------------------- real stores


def test_swahili_old_meta_keras_autolog(realdata: Path) -> None:
    runs, result = runs_of(realdata / SWAHILI)
    assert result.problems == []
    assert list(runs) == [f"1/{SWAHILI_RUN}"]
    r = runs[f"1/{SWAHILI_RUN}"]
    assert r.source == "mlflow"
    assert r.name == SWAHILI_RUN  # meta.yaml says name: '' and there is no mlflow.runName tag
    assert r.experiment == "Speech model simple rnn"
    assert r.status == "completed"  # status: 3
    assert r.step == 9
    assert r.path == str(realdata / SWAHILI / "mlruns" / "1" / SWAHILI_RUN)
    loss = r.series["loss"]
    assert list(loss.x) == list(range(10))
    assert loss.y[0] == 332.6841735839844
    assert r.metrics == {"loss": 234.7978057861328}
    assert loss.time is not None and loss.time[0] == 1628697792.090
    p = r.params
    assert p["epochs"] == 10
    assert p["opt_learning_rate"] == 0.002
    assert p["opt_decay"] == 1e-06
    assert p["opt_name"] == "SGD"
    assert p["opt_nesterov"] is True
    assert p["use_multiprocessing"] is False
    assert p["batch_size"] is None
    assert p["validation_split"] == 0.0
    assert len([k for k in p if not k.startswith("tags.")]) == 20
    assert p["tags.mlflow.user"] == "Maelaf ES"
    assert p["tags.mlflow.autologging"] == "tensorflow"
    assert p["tags.mlflow.log-model.history"] == "1 logged model(s): model (keras, python_function)"
    assert r.notes == ["MLflow: started 2021-08-11 16:02:55 UTC, ended 2021-08-11 16:04:11 UTC (1m 16s)."]
    assert len(r.files) == 28 and str(realdata / SWAHILI / "mlruns" / "1" / "meta.yaml") in r.files


def test_swahili_claim_lists_every_file_and_skips_the_stray_store(realdata: Path) -> None:
    store = realdata / SWAHILI / "mlruns"
    walker = Walker(str(realdata / SWAHILI))
    claims = walker.walk([READER])
    assert [c.folder for c in claims] == [str(store)]
    claim = claims[0]
    expected = sorted(
        str(p) for p in store.rglob("*") if p.is_file() and p.relative_to(store).parts[0] != "mlruns"
    )
    assert list(claim.files) == expected and len(expected) == 29
    assert claim.prune == frozenset({"0", "1", "mlruns"})
    assert walker.problems == []


def test_deepcnn_running_run_with_list_param(realdata: Path) -> None:
    runs, result = runs_of(realdata / DEEPCNN)
    assert result.problems == []
    r = runs[f"0/{DEEPCNN_RUN}"]
    assert r.experiment == "Default"
    assert r.status == "running"  # status: 1, end_time: null
    assert r.step == 0
    assert r.metrics == {"accuracy": 0.7858095765113831, "loss": 3.2727866172790527}
    assert r.params["IMAGE_SIZE"] == "[224, 224, 3]"
    assert r.params["BATCH_SIZE"] == 16
    assert r.params["LEARNING_RATE"] == 0.01
    assert r.params["AUGMENTATION"] is True
    assert r.params["INCLUDE_TOP"] is False
    assert r.params["WEIGHTS"] == "imagenet"
    assert r.params["tags.mlflow.source.git.commit"] == "adb497410cab3189f0438847f05b60c114787205"
    assert r.notes[0] == "MLflow: started 2022-09-28 11:20:07 UTC; no end time recorded."
    assert any("RUNNING" in n for n in r.notes)
    assert len(r.files) == 16


def test_other_real_folders_are_not_mlflow(realdata: Path) -> None:
    for folder in realdata.iterdir():
        if folder.is_dir() and not folder.name.startswith("C-"):
            assert Walker(str(folder)).walk([READER]) == [], folder.name


# ---------------------------------------------------------------- claims


def test_claim_at_mlruns_prunes_everything(tmp_path: Path) -> None:
    store = tmp_path / "proj" / "mlruns"
    experiment(store, "0", "Default")
    run(store, "0", "a" * 32, metrics={"val/loss": "1 0.5 0\n"}, params={"lr": "0.1"})
    (store / "models" / "m").mkdir(parents=True)
    (store / "models" / "m" / "meta.yaml").write_text("name: m\n")
    claims = Walker(str(tmp_path)).walk([READER])
    assert [c.folder for c in claims] == [str(store)]
    assert claims[0].prune == frozenset({"0", "models"})
    names = [str(Path(f).relative_to(store)) for f in claims[0].files]
    assert names == ["0/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/meta.yaml", "0/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/metrics/val/loss",
                     "0/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/params/lr", "0/meta.yaml"]  # fmt: skip


def test_store_under_another_name(tmp_path: Path) -> None:
    store = tmp_path / "tracking"
    experiment(store, "0", "Default")
    run(store, "0", "r1", metrics={"acc": "1 0.9 3\n"})
    (store / "notes").mkdir()
    claims = Walker(str(tmp_path)).walk([READER])
    assert [c.folder for c in claims] == [str(store)]
    assert claims[0].prune == frozenset({"0"})  # only what is the store's
    runs, _ = runs_of(tmp_path)
    assert runs["0/r1"].metrics == {"acc": 0.9}


def test_numbered_folders_without_meta_are_not_a_store(tmp_path: Path) -> None:
    for n in ("0", "1"):
        (tmp_path / "sweep" / n).mkdir(parents=True)
        (tmp_path / "sweep" / n / "metrics.json").write_text("{}")
    assert Walker(str(tmp_path)).walk([READER]) == []


def test_empty_store(tmp_path: Path) -> None:
    (tmp_path / "mlruns").mkdir()
    results, _ = scan(tmp_path)
    assert results == [ReadResult()]


# ---------------------------------------------------------------- meta.yaml variants


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (1, "running"),
        (2, "unknown"),
        (3, "completed"),
        (4, "failed"),
        (5, "failed"),
        (9, "unknown"),
        ("FINISHED", "completed"),
        ("KILLED", "failed"),
        ("running", "running"),
        ("'3'", "completed"),
        ("null", "unknown"),
        ("[1]", "unknown"),
    ],
)
def test_status(tmp_path: Path, status: object, expected: str) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "0")
    run(store, "0", "r", status=status)
    runs, _ = runs_of(tmp_path)
    assert runs["0/r"].status == expected


def test_new_meta_fields_and_names(tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "7", "vision")
    run(store, "7", "named", name="bright-fox-42")
    run(store, "7", "tagged", tags={"mlflow.runName": "from-tag"})
    old = RUN_META.replace("run_id: {run}\nrun_name: {name}\n", "name: ''\nrun_uuid: {run}\n")
    run(store, "7", "bare", meta=old.format(exp="7", run="bare", stage="active", status=3))
    runs, result = runs_of(tmp_path)
    assert result.problems == []
    assert runs["7/named"].name == "bright-fox-42"
    assert runs["7/tagged"].name == "from-tag"
    assert runs["7/tagged"].params == {"tags.mlflow.runName": "from-tag"}
    assert runs["7/bare"].name == "bare"
    assert {r.experiment for r in runs.values()} == {"vision"}
    assert runs["7/named"].notes == [
        "MLflow: started 2023-11-14 22:13:20 UTC, ended 2023-11-14 22:15:00 UTC (1m 40s)."
    ]
    assert runs["7/named"].step is None and runs["7/named"].metrics == {}


def test_deleted_runs_and_experiments_are_skipped(tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "0")
    run(store, "0", "alive", metrics={"loss": "1 0.5 0\n"})
    run(store, "0", "gone", stage="deleted", metrics={"loss": "1 0.1 0\n"})
    experiment(store, "1", stage="deleted")
    run(store, "1", "in_deleted_exp")
    runs, result = runs_of(tmp_path)
    assert list(runs) == ["0/alive"]
    assert result.problems == []


def test_run_without_meta_yaml(tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "0")
    run(store, "0", "good")
    folder = run(store, "0", "nometa", meta=None, metrics={"loss": "5 0.25 4\n"}, params={"lr": "0.1"})
    runs, result = runs_of(tmp_path)
    assert sorted(runs) == ["0/good", "0/nometa"]
    orphan = runs["0/nometa"]
    assert orphan.name == "nometa" and orphan.status == "unknown"
    assert orphan.metrics == {"loss": 0.25} and orphan.step == 4 and orphan.params == {"lr": 0.1}
    assert [(p.path, p.reason) for p in result.problems] == [
        (str(folder), "run folder has no meta.yaml; name and status unknown")
    ]


@pytest.mark.parametrize(
    ("meta", "reason"),
    [
        ("status: [3\nrun_id: x\n", "malformed meta.yaml"),
        ("- just\n- a list\n", "meta.yaml holds a list, not a mapping"),
        ("", "empty file"),
        ("x: !!python/object/apply:os.system ['touch pwned']\n", "malformed meta.yaml"),
        ("a: " + "[" * 300_000 + "]" * 300_000, "malformed meta.yaml (nested too deeply)"),
    ],
    ids=["malformed", "list", "empty", "python-tag", "deep"],
)
def test_broken_meta_yaml_other_runs_load(tmp_path: Path, meta: str, reason: str) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "0")
    run(store, "0", "good", metrics={"loss": "1 0.5 0\n"})
    folder = run(store, "0", "broken", meta=meta, metrics={"loss": "1 0.7 2\n"})
    (folder / "meta.yaml").write_text(meta)
    runs, result = runs_of(tmp_path)
    assert runs["0/good"].status == "completed" and runs["0/good"].metrics == {"loss": 0.5}
    broken = runs["0/broken"]
    assert broken.status == "unknown" and broken.metrics == {"loss": 0.7} and broken.name == "broken"
    assert len(result.problems) == 1
    assert result.problems[0].path == str(folder / "meta.yaml")
    assert result.problems[0].reason.startswith(reason)
    assert not Path("pwned").exists()


def test_broken_experiment_meta(tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    (store / "3").mkdir(parents=True)
    (store / "3" / "meta.yaml").write_text("name: [oops\n")
    run(store, "3", "r")
    runs, result = runs_of(tmp_path)
    assert runs["3/r"].experiment == "3"
    assert str(store / "3" / "meta.yaml") not in runs["3/r"].files
    assert result.problems[0].path == str(store / "3" / "meta.yaml")


def test_stray_nested_store_makes_no_runs(tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "0")
    run(store, "0", "r")
    experiment(store / "mlruns", "0")
    run(store / "mlruns", "0", "junk", metrics={"loss": "1 1 1\n"})
    runs, result = runs_of(tmp_path)
    assert list(runs) == ["0/r"]
    assert result.problems == []


# ---------------------------------------------------------------- metric files


def test_metric_lines(tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "0")
    metrics = {
        # out of order, a NaN, an infinity, a repeated step, garbage and a cut-short last line
        "loss": "1000 0.9 0\n3000 0.5 2\n2000 nan 1\n4000 inf 3\n5000 0.4 2\ngarbage here\n\n6000 0.3",
        "val/acc": "1000 0.1 0\n9000 0.8 10\n",
        "old": "1000 1.5\n2000 1.25\n",
    }
    run(store, "0", "r", metrics=metrics)
    runs, result = runs_of(tmp_path)
    assert result.problems == []
    r = runs["0/r"]
    loss = r.series["loss"]
    assert list(loss.x) == [0, 1, 2, 2, 3]
    assert loss.time is not None and list(loss.time) == [1.0, 2.0, 3.0, 5.0, 4.0]
    assert loss.y[0] == 0.9 and math.isnan(loss.y[1]) and math.isnan(loss.y[4])
    assert r.metrics["loss"] == 0.4  # the inf at step 3 is missing
    assert r.metrics["val/acc"] == 0.8
    assert list(r.series["old"].x) == [0, 1] and r.metrics["old"] == 1.25
    assert r.step == 10  # old files without steps do not count
    assert "metrics/loss: 2 unreadable line(s) skipped." in r.notes
    assert "metrics/loss: 1 infinite value(s) read as missing." in r.notes
    assert any("metrics/old logs no steps" in n for n in r.notes)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"not a metric\n", "no readable"),
        (b"\x00\x00\x00", "binary file, not text"),
    ],
)
def test_unusable_metric_file(tmp_path: Path, content: bytes, reason: str) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "0")
    folder = run(store, "0", "r", metrics={"good": "1 2 3\n"})
    (folder / "metrics" / "bad").write_bytes(content)
    runs, result = runs_of(tmp_path)
    assert runs["0/r"].metrics == {"good": 2.0}
    assert str(folder / "metrics" / "bad") not in runs["0/r"].files
    assert [p.path for p in result.problems] == [str(folder / "metrics" / "bad")]
    assert result.problems[0].reason.startswith(reason)


def test_large_metric_file_is_fast(tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "0")
    lines = "".join(f"{1_600_000_000_000 + i} {1 / (i + 1)} {i}\n" for i in range(100_000))
    run(store, "0", "r", metrics={"loss": lines})
    runs, _ = runs_of(tmp_path)
    loss = runs["0/r"].series["loss"]
    assert len(loss) == 100_000 and runs["0/r"].step == 99_999
    assert np.all(np.diff(loss.x) == 1)


# ---------------------------------------------------------------- params and tags


def test_params_and_tags(tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "0")
    history = json.dumps([{"artifact_path": "model", "flavors": {"sklearn": {}, "python_function": {}}}] * 40)
    params = {"lr": "0.001", "bs": "32", "amp": "True", "none": "None", "shape": "[224, 224, 3]", "empty": "",
              "nested/key": "x", "newline": "abc\n", "zip": "007"}  # fmt: skip
    tags = {"mlflow.log-model.history": history, "mlflow.note.content": "n" * 2000, "team": "42"}
    run(store, "0", "r", params=params, tags=tags)
    runs, result = runs_of(tmp_path)
    assert result.problems == []
    p = runs["0/r"].params
    assert p["lr"] == 0.001 and p["bs"] == 32 and p["amp"] is True and p["none"] is None
    assert p["shape"] == "[224, 224, 3]" and p["empty"] == "" and p["nested/key"] == "x"
    assert p["newline"] == "abc" and p["zip"] == "007"
    assert p["tags.team"] == "42"  # tags stay text
    assert p["tags.mlflow.log-model.history"].startswith(
        "40 logged model(s): model (python_function, sklearn)"
    )
    assert len(p["tags.mlflow.log-model.history"]) <= 1000
    assert p["tags.mlflow.note.content"] == "n" * 500 + "… (2000 characters)"


def test_unreadable_param_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "0")
    folder = run(store, "0", "r", params={"lr": "0.1", "secret": "x"}, metrics={"loss": "1 1 1\n"})
    real_open = builtins.open

    def deny(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith("secret"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    runs, result = runs_of(tmp_path)
    assert runs["0/r"].params == {"lr": 0.1}
    assert [(p.path, p.reason) for p in result.problems] == [
        (str(folder / "params" / "secret"), "permission denied")
    ]


def test_files_vanishing_between_claim_and_read(tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    experiment(store, "0")
    folder = run(store, "0", "r", params={"lr": "0.1"}, metrics={"loss": "1 1 1\n"})
    claim = Walker(str(tmp_path)).walk([READER])[0]
    (folder / "params" / "lr").unlink()
    (folder / "meta.yaml").unlink()
    result = READER.read(claim)
    assert result.runs[0].metrics == {"loss": 1.0}
    assert {p.reason for p in result.problems} == {"file vanished while scanning"}


def test_coerce() -> None:
    assert coerce("0.001") == 0.001 and coerce("32") == 32 and coerce("1e-06") == 1e-06
    assert coerce("True") is True and coerce("False") is False and coerce("None") is None
    for text in ("[224, 224, 3]", "007", "nan", "inf", "1_000", "true", " 32", "", "0x10"):
        assert coerce(text) == text
