"""The Lightning CSVLogger reader: real version folders and every broken variant we could think of."""

from __future__ import annotations

import builtins
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dashboard.ingest.base import ReadResult, Run
from dashboard.ingest.base import coerce_text as coerce
from dashboard.ingest.lightning_csv import READER, run_names
from dashboard.ingest.walk import Walker

HEADER = "epoch,lr-Adam,step,train_loss,val_loss\n"


def scan(root: Path) -> tuple[list[ReadResult], Walker]:
    walker = Walker(str(root))
    claims = walker.walk([READER])
    return [READER.read(c) for c in claims], walker


def only_run(root: Path) -> tuple[Run, ReadResult]:
    results, _ = scan(root)
    assert len(results) == 1
    result = results[0]
    assert len(result.runs) == 1, result.problems
    return result.runs[0], result


def version(
    tmp_path: Path, csv: str | bytes, hparams: str | bytes | None = "{}\n", name: str = "version_0"
) -> Path:
    folder = tmp_path / "proj" / "lightning_logs" / name
    folder.mkdir(parents=True)
    (folder / "metrics.csv").write_bytes(csv.encode() if isinstance(csv, str) else csv)
    if hparams is not None:
        (folder / "hparams.yaml").write_bytes(hparams.encode() if isinstance(hparams, str) else hparams)
    return folder


def steps(run: Run) -> set[float]:
    return {float(x) for s in run.series.values() for x in s.x}


# ---------------------------------------------------------------- real folders


def test_genrisk_nan_cells_and_empty_hparams(realdata: Path) -> None:
    run, result = only_run(realdata / "B-AIRI-Institute-genrisk-version_0")
    assert result.problems == []
    assert run.source == "lightning_csv"
    assert run.key == ""
    assert run.name == "B-AIRI-Institute-genrisk-version_0/version_0"
    assert run.experiment == "B-AIRI-Institute-genrisk-version_0"
    assert run.status == "unknown"
    assert run.step == 319
    assert run.params == {}
    assert len(steps(run)) == 320
    # Only the first row holds a finite discriminator loss; every generator loss is nan.
    assert run.metrics == {"epoch": 79.0, "train_disc_loss": 1.6226933508321501e24}
    gen = run.series["train_gen_loss"]
    assert len(gen) == 320 and np.isnan(gen.y).all()
    disc = run.series["train_disc_loss"]
    assert disc.y[0] == 1.6226933508321501e24 and np.isnan(disc.y[1:]).all()
    assert any("train_gen_loss 320/320" in n and "train_disc_loss 319/320" in n for n in run.notes)
    assert run.path.endswith("lightning_logs/version_0")
    assert [Path(f).name for f in run.files] == ["hparams.yaml", "metrics.csv"]


def test_camels_sparse_rows_crlf_and_lr_monitor(realdata: Path) -> None:
    run, result = only_run(realdata / "B-CooperBigFoot-CAMELS-CH-version_0")
    assert result.problems == []
    assert run.name == "B-CooperBigFoot-CAMELS-CH-version_0/version_0"
    assert run.step == 16903
    assert len(steps(run)) == 354
    val = run.series["val_loss"]
    assert list(val.x) == [2112, 4225, 6338, 8451, 10564, 12677, 14790, 16903]
    assert run.metrics["val_loss"] == 0.08363645523786545
    assert float(val.y.min()) == 0.08194413036108017
    assert run.metrics["train_loss"] == 0.04925771430134773
    assert len(run.series["train_loss"]) == 338
    # lr-Adam sits on its own rows, the first of which has an empty epoch.
    lr = run.series["lr-Adam"]
    assert list(lr.x) == [0, 2113, 4226, 6339, 8452, 10565, 12678, 14791]
    assert set(lr.y) == {0.001}
    assert len(run.series["epoch"]) == 346 and 0.0 not in run.series["epoch"].x
    assert run.metrics["epoch"] == 7.0
    assert run.params["learning_rate"] == 0.001
    assert run.params["hidden_size"] == 64
    assert run.params["dropout"] == 0.1
    assert len(run.params) == 9
    assert run.notes == []


def test_hannah_hydra_config_flattened(realdata: Path) -> None:
    run, result = only_run(realdata / "B-ekut-es-hannah-version_0")
    assert result.problems == []
    assert run.name == "B-ekut-es-hannah-version_0/version_0"
    assert run.experiment == "B-ekut-es-hannah-version_0"
    assert run.step == 49
    assert steps(run) == {49.0}
    assert run.metrics == {"epoch": 0.0, "loss": 3.1203665733337402, "lr-Adam": 5.004832835715388e-05}
    params = run.params
    assert params["num_workers"] == 8
    assert params["batch_size"] == 3
    assert params["optimizer._target_"] == "torch.optim.adam.Adam"
    assert params["optimizer.lr"] == 0.0005
    assert params["optimizer.eps"] == 1e-08
    assert params["optimizer.betas"] == [0.9, 0.999]
    assert params["optimizer.amsgrad"] is False
    assert params["dataset.CLASS_NAMES"] == ["Car"]
    assert params["dataset.DATA_SPLIT.test"] == "val"
    assert params["model.MODEL.ROI_HEAD.NMS_CONFIG.TRAIN.NMS_THRESH"] == 0.8
    assert params["scheduler.final_div_factor"] == 10000.0
    assert params["augmentation"] is None
    assert params["gpus"] == [0]
    assert isinstance(params["dataset.DATA_AUGMENTOR.AUG_CONFIG_LIST"], list)


def test_victoriaono_val_then_test_row(realdata: Path) -> None:
    run, result = only_run(realdata / "B-victoriaono-variational-diffusion-cdm-version_0")
    assert result.problems == []
    assert run.step == 2580
    assert list(run.series["val_loss"].x) == [859, 1719, 2579]
    assert run.metrics["val_loss"] == 0.18280576169490814
    assert run.metrics["val_acc"] == 0.9449999928474426
    assert run.metrics["test_loss"] == 0.17725138366222382
    assert run.metrics["test_acc"] == 0.9466999769210815
    assert list(run.series["test_acc"].x) == [2580]
    assert list(run.series["epoch"].y) == [0, 1, 2, 3]
    assert run.params == {}


def test_real_claims_through_the_walker(realdata: Path) -> None:
    for folder, rel in [
        ("B-AIRI-Institute-genrisk-version_0", "lightning_logs/version_0"),
        ("B-ekut-es-hannah-version_0", "version_0"),
    ]:
        claims = Walker(str(realdata / folder)).walk([READER])
        assert [c.folder for c in claims] == [str(realdata / folder / rel)]
        assert [Path(f).name for f in claims[0].files] == ["hparams.yaml", "metrics.csv"]
    # Nothing else in the real data looks like a Lightning folder.
    for other in realdata.iterdir():
        if other.is_dir() and not other.name.startswith("B-"):
            assert Walker(str(other)).walk([READER]) == []


# ---------------------------------------------------------------- claims and names


def test_claim_rules(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "metrics.csv").write_text("step,loss\n0,1\n")
    assert scan(tmp_path)[0] == []  # a bare metrics.csv is anyone's
    (plain / "meta_tags.csv").write_text("key,value\n")
    assert len(scan(tmp_path)[0]) == 1
    named = tmp_path / "logs" / "version_12"
    named.mkdir(parents=True)
    (named / "metrics.csv").write_text("step,loss\n0,1\n")
    (named / "checkpoints").mkdir()
    (named / "checkpoints" / "epoch=0.ckpt").write_text("x")
    claims = Walker(str(tmp_path)).walk([READER])
    assert [Path(c.folder).name for c in claims] == ["version_12", "plain"]
    assert claims[0].prune == frozenset({"checkpoints"})
    assert claims[0].files == (str(named / "metrics.csv"),)


@pytest.mark.parametrize(
    ("folder", "name", "experiment"),
    [
        ("/r/proj/lightning_logs/version_0", "proj/version_0", "proj"),
        ("/r/logs/my_model/version_3", "my_model/version_3", "my_model"),
        ("/r/outputs/run_a", "outputs/run_a", "outputs"),
        ("/lightning_logs/version_1", "lightning_logs/version_1", "lightning_logs"),
        ("/version_2", "version_2", None),
    ],
)
def test_names(folder: str, name: str, experiment: str | None) -> None:
    assert run_names(folder) == (name, experiment)


# ---------------------------------------------------------------- metrics.csv variants


def test_sparse_rows_merge_by_step_and_nan_spellings(tmp_path: Path) -> None:
    csv = HEADER + ",0.01,0,,\n0,,9,NaN,\n0,,9,0.5,\n0,,9,nan,\n0,,19,Inf,0.25\n0,,19,,NAN\n1,,29,0.3,\n"
    version(tmp_path, csv)
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert run.step == 29
    assert list(run.series["train_loss"].x) == [9, 19, 29]
    # A real value at a step beats a NaN logged at the same step; inf is missing.
    assert run.series["train_loss"].y[0] == 0.5
    assert math.isnan(run.series["train_loss"].y[1])
    assert run.metrics["train_loss"] == 0.3
    # The later NaN at step 19 does not erase the value logged before it.
    assert run.metrics["val_loss"] == 0.25
    assert list(run.series["epoch"].x) == [9, 19, 29]
    assert run.notes == [
        "Values logged as NaN, read as missing: train_loss 2/5, val_loss 1/2.",
        "Infinite values, read as missing: train_loss 1/5.",
    ]


def test_crlf_and_bom(tmp_path: Path) -> None:
    version(tmp_path, b"\xef\xbb\xbfstep,loss\r\n0,2.5\r\n1,1.5\r\n")
    run, _ = only_run(tmp_path)
    assert run.metrics == {"loss": 1.5}
    assert list(run.series["loss"].x) == [0, 1]


def test_truncated_last_line_skipped(tmp_path: Path) -> None:
    version(tmp_path, HEADER + "0,,9,0.5,\n0,,19,0.4,\n0,,29,0.3")
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert run.step == 19
    assert run.metrics["train_loss"] == 0.4
    assert any("cut short" in n for n in run.notes)


def test_garbled_cell_and_text_column(tmp_path: Path) -> None:
    version(tmp_path, "step,loss,tag\n0,1.0,a\n1,1e,b\n2,0.5,c\n")
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert list(run.series["loss"].x) == [0, 2]
    assert run.metrics == {"loss": 0.5}
    assert "tag" not in run.series
    assert any("loss 1" in n and "Unreadable" in n for n in run.notes)
    assert any("text" in n and "tag" in n for n in run.notes)


def test_nul_padding_from_a_crash(tmp_path: Path) -> None:
    version(tmp_path, b"step,loss\n0,1.0\n1,0.5\n" + b"\x00" * 4096)
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert run.metrics == {"loss": 0.5}
    assert any("NUL" in n for n in run.notes)


def test_nul_bytes_past_the_binary_sniffing_window(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i / 1000}\n" for i in range(1000))
    version(tmp_path, ("step,loss\n" + rows).encode() + b"\x00\x00\n")
    run, _ = only_run(tmp_path)
    assert run.step == 999 and run.metrics == {"loss": 0.999}
    assert any("NUL" in n for n in run.notes)


def test_row_without_step_and_wide_row(tmp_path: Path) -> None:
    version(tmp_path, "step,loss\n0,1.0\n,0.9\n5,0.5,extra,cells\n")
    run, _ = only_run(tmp_path)
    assert list(run.series["loss"].x) == [0, 5]
    assert run.series["loss"].y[0] == 0.9  # the step-less row joins the step before it
    assert any("without a readable step" in n for n in run.notes)


def test_header_only_gives_no_run(tmp_path: Path) -> None:
    folder = version(tmp_path, HEADER)
    results, _ = scan(tmp_path)
    assert results[0].runs == []
    assert [(p.path, p.reason) for p in results[0].problems] == [
        (str(folder / "metrics.csv"), "no metric rows")
    ]


def test_rows_with_only_empty_cells_give_no_run(tmp_path: Path) -> None:
    version(tmp_path, "loss,acc\n,\n,\n")
    results, _ = scan(tmp_path)
    assert results[0].runs == []
    assert results[0].problems[0].reason == "no metric rows"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02step", "binary file, not text"),
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\n", "Git LFS pointer"),
    ],
)
def test_unreadable_metrics(tmp_path: Path, content: bytes, reason: str) -> None:
    version(tmp_path, content)
    results, _ = scan(tmp_path)
    assert results[0].runs == []
    assert len(results[0].problems) == 1
    assert results[0].problems[0].reason.startswith(reason)


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = version(tmp_path, "step,loss\n0,1\n")
    real_open = builtins.open

    def deny(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith("metrics.csv"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    results, _ = scan(tmp_path)
    assert results[0].runs == []
    assert [(p.path, p.reason) for p in results[0].problems] == [
        (str(folder / "metrics.csv"), "permission denied")
    ]


def test_vanished_hparams_still_loads(tmp_path: Path) -> None:
    folder = version(tmp_path, "step,loss\n0,1\n")
    claim = Walker(str(tmp_path)).walk([READER])[0]
    (folder / "hparams.yaml").unlink()
    result = READER.read(claim)
    assert result.runs[0].metrics == {"loss": 1.0}
    assert result.runs[0].files == [str(folder / "metrics.csv")]
    assert result.problems[0].reason == "hparams not read: file vanished while scanning"


# ---------------------------------------------------------------- TestTube


def test_testtube_layout(tmp_path: Path) -> None:
    folder = tmp_path / "default" / "version_3"
    folder.mkdir(parents=True)
    (folder / "metrics.csv").write_text(
        "loss,val_acc,created_at\n"
        "0.9,,2019-08-05 17:23:51.123456\n"
        "0.7,0.5,2019-08-05 17:24:51.123456\n"
        "0.6,,not a date\n"
    )
    (folder / "meta_tags.csv").write_text(
        "key,value\nlr,0.001\nbatch_size,32\nuse_amp,False\ngpus,None\nmodel,resnet,18\nsize,[224, 224]\n"
    )
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert run.name == "default/version_3"
    assert run.step == 2
    assert list(run.series["loss"].x) == [0, 1, 2]
    assert run.metrics == {"loss": 0.6, "val_acc": 0.5}
    time = run.series["loss"].time
    assert time is not None
    assert time[1] - time[0] == 60.0 and math.isnan(time[2])
    assert run.params == {
        "lr": 0.001,
        "batch_size": 32,
        "use_amp": False,
        "gpus": None,
        "model": "resnet,18",
        "size": "[224, 224]",
    }
    assert any("TestTube" in n for n in run.notes)
    assert sorted(Path(f).name for f in run.files) == ["meta_tags.csv", "metrics.csv"]


# ---------------------------------------------------------------- hparams.yaml variants

NAMESPACE_YAML = """\
args: !!python/object:argparse.Namespace
  lr: 0.001
  layers: !!python/tuple [2, 3]
  act: !!python/name:torch.nn.ReLU ''
  root: !!python/object/apply:pathlib.PosixPath ['/', data, x]
  mode: !!python/object/apply:mymod.Mode [train]
  odd: !Custom {a: 1}
  blob: !!binary AAEC
lr: !!python/object/apply:numpy.core.multiarray.scalar
- !!python/object/apply:numpy.dtype
  args:
  - f8
  - false
  - true
  state: !!python/tuple
  - 3
  - <
  - null
  - null
  - null
  - -1
  - -1
  - 0
- !!binary |
  /Knx0k1iUD8=
when: 2021-03-04
"""


# "Billion laughs": nine levels of nine aliases, 9**9 values once expanded.
ALIAS_BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{chr(ord('b') + i)}: &{chr(ord('b') + i)} [{', '.join(['*' + chr(ord('a') + i)] * 9)}]\n"
    for i in range(8)
)


def test_python_object_tags_read_as_data(tmp_path: Path) -> None:
    version(tmp_path, "step,loss\n0,1\n", NAMESPACE_YAML)
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert run.params == {
        "args.lr": 0.001,
        "args.layers": [2, 3],
        "args.act": "torch.nn.ReLU",
        "args.root": "/data/x",
        "args.mode": "mymod.Mode('train')",
        "args.odd.a": 1,
        "args.blob": "<3 bytes>",
        "lr": 0.001,
        "when": "2021-03-04",
    }
    assert any("argparse.Namespace" in n and "not constructed" in n for n in run.notes)


def test_no_object_is_ever_constructed(tmp_path: Path) -> None:
    hostile = (
        "x: !!python/object/apply:os.system ['touch pwned']\ny: !!python/object/new:builtins.exec ['1']\n"
    )
    version(tmp_path, "step,loss\n0,1\n", hostile)
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert run.params == {"x": "os.system('touch pwned')", "y": "builtins.exec('1')"}
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


@pytest.mark.parametrize(
    ("hparams", "reason"),
    [
        ("a: [1, 2\nb: 3\n", "hparams not read: malformed YAML"),
        ("- 1\n- 2\n", "hparams not read: a list, not a mapping"),
        (ALIAS_BOMB, "hparams not read: too many values"),
        ("a: " + "[" * 100_000 + "]" * 100_000, "hparams not read: nested too deeply"),
        ("".join("  " * i + f"k{i}:\n" for i in range(2000)) + "  " * 2000 + "v\n", "hparams not read"),
        (b"\x00\x01yaml", "hparams not read: binary file"),
    ],
    ids=["malformed", "list", "alias-bomb", "deep-flow", "deep-block", "binary"],
)
def test_broken_hparams_is_a_problem_but_the_run_loads(
    tmp_path: Path, hparams: str | bytes, reason: str
) -> None:
    folder = version(tmp_path, "step,loss\n0,1\n", hparams)
    run, result = only_run(tmp_path)
    assert run.metrics == {"loss": 1.0}
    assert run.params == {}
    assert run.files == [str(folder / "metrics.csv")]
    assert len(result.problems) == 1
    assert result.problems[0].path == str(folder / "hparams.yaml")
    assert result.problems[0].reason.startswith(reason), result.problems[0].reason


def test_self_containing_hparams_is_cut(tmp_path: Path) -> None:
    version(tmp_path, "step,loss\n0,1\n", "a: &a [1, *a]\n")
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert run.params == {"a": [1, "<recursive>"]}


@pytest.mark.parametrize("hparams", ["", "\n", "{}", "null\n", "# just a comment\n"])
def test_empty_hparams_is_fine(tmp_path: Path, hparams: str) -> None:
    version(tmp_path, "step,loss\n0,1\n", hparams)
    run, result = only_run(tmp_path)
    assert result.problems == []
    assert run.params == {}


def test_coerce() -> None:
    assert coerce("0.001") == 0.001 and coerce("32") == 32 and coerce("-1e-5") == -1e-5
    assert coerce("True") is True and coerce("False") is False and coerce("None") is None
    for text in ("007", "nan", "inf", "[224, 224, 3]", "true", "1_000", " 3", ""):
        assert coerce(text) == text
