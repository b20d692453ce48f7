"""The bad-input catalogue (docs/bad-inputs.md): one case per hostile or odd input.

Every case builds a small tree holding a GOOD run beside the bad input, scans it with the
real ``Store`` (twice: the second scan answers from the cache), and checks that nothing
raised, the good run is there with its exact values, and the bad input gave exactly the
expected problems (path relative to the root, reader, reason) or was read correctly.

The doc's table is generated from ``CASES``: ``python3 -m tests.unit.test_bad_input_catalogue``
rewrites it, and a test fails when the two disagree.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dashboard.ingest import default_readers
from dashboard.ingest.base import Claim, Reader, ReadResult
from dashboard.store import Store
from tests.fixtures.trees import age_tree, seed_config, seed_metrics, write_hf_run, write_seed_run
from tests.unit.test_lm_eval import v03
from tests.unit.test_tensorboard import event, simple, write_events

DOC = Path(__file__).resolve().parents[2] / "docs" / "bad-inputs.md"
CP = "checkpoints/checkpoint_001000/consolidated"
GOOD_ID = f"good/{CP}"
# The good run's values, from tests/fixtures/trees.py's seed_metrics() and seed_config().
GOOD_VALUES: dict[str, Any] = {
    "status": "completed",
    "metrics.sblimp_accuracy": 0.54,
    "metrics.swuggy_accuracy": 0.632,
    "metrics.librilight_perplexity_8k": 700.0,
    "metrics.librilight_perplexity_24k": None,  # the format's 0.0 "not computed" sentinel
    "params.ttt.base_lr": 0.01,
    "params.lora.rank": 64,
}
NOBODY = 65534
LFS = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 1234\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"


@dataclass(frozen=True)
class Case:
    id: str
    input: str  # what the input is, for the doc
    example: str  # a concrete example, for the doc
    sees: str  # what the user sees, for the doc
    build: Callable[[Path], None]  # writes the bad input under the root
    # (path relative to the root, reader, a substring of the reason): exactly these problems.
    problems: tuple[tuple[str, str, str], ...] = ()
    # run id -> expected values (None: missing) of every run besides the good one.
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # run id -> a note it must carry
    extra_roots: Callable[[Path], list[Path]] | None = None  # roots scanned after the first
    unprivileged: bool = False  # scanned as an ordinary user (permission cases)
    wrap: Callable[[Sequence[Reader]], tuple[Reader, ...]] | None = None
    rescan_same: bool = True  # a second scan (from the cache) gives the same answer


# ---------------------------------------------------------------- small writers


def put(path: Path, data: str | bytes | dict[str, Any] | list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, (dict, list)):
        data = json.dumps(data)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def seed_results(data: str | bytes | dict[str, Any], name: str = "bad") -> Callable[[Path], None]:
    """A seed-layout run whose results file holds ``data``."""

    def build(root: Path) -> None:
        put(write_seed_run(root, name, 1000) / "paper_metrics_results.json", data)

    return build


def seed_config_file(data: str | bytes | dict[str, Any]) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        put(write_seed_run(root, "bad", 1000) / "training_config.json", data)

    return build


BAD_RESULTS = f"bad/{CP}/paper_metrics_results.json"
BAD_ID = f"bad/{CP}"


def hf_file(name: str, data: str | bytes | dict[str, Any]) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        put(write_hf_run(root, "hf_bad") / name, data)

    return build


def lightning(csv: str | bytes, hparams: str | bytes = "lr: 0.1\n") -> Callable[[Path], None]:
    def build(root: Path) -> None:
        folder = root / "proj" / "lightning_logs" / "version_0"
        put(folder / "metrics.csv", csv)
        put(folder / "hparams.yaml", hparams)

    return build


CSV_ID = "proj/lightning_logs/version_0"


def jsonl(text: str | bytes) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        put(root / "jrun" / "metrics.jsonl", text)

    return build


def mlflow_store(root: Path, run_id: str, meta: str, metrics: dict[str, str]) -> None:
    exp = root / "mlruns" / "0"
    put(exp / "meta.yaml", "experiment_id: '0'\nlifecycle_stage: active\nname: exp\n")
    put(exp / run_id / "meta.yaml", meta)
    for key, text in metrics.items():
        put(exp / run_id / "metrics" / key, text)
    put(exp / run_id / "params" / "lr", "0.01")


RUN_META = "run_id: {0}\nexperiment_id: '0'\nlifecycle_stage: active\nstatus: 3\nstart_time: 1\nend_time: 2\n"


def mlflow_two_runs(bad_meta: str, bad_metrics: dict[str, str]) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        mlflow_store(root, "aaa", RUN_META.format("aaa"), {"loss": "1700000000000 0.25 1\n"})
        mlflow_store(root, "bbb", bad_meta, bad_metrics)

    return build


def tensorboard_beside(bad: bytes) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        write_events(root / "tb_good", event(1, 1700000000.0, simple("loss", 0.75)))
        put(root / "tb_bad" / "events.out.tfevents.1700000000.host.1.0", bad)

    return build


def lm_eval_beside(bad: str | bytes) -> Callable[[Path], None]:
    """A good harness file and a broken sibling (a broken file alone is not claimed as lm-eval's)."""

    def build(root: Path) -> None:
        put(root / "lm" / "160m_step1000.json", v03())
        put(root / "lm" / "160m_step2000.json", bad)

    return build


LM_GOOD = {"lm/160m_step1000": {"metrics.wsc/acc": 0.365, "metrics.lambada_openai/ppl": 38.06}}


def log_file(data: str | bytes, name: str = "train.log") -> Callable[[Path], None]:
    def build(root: Path) -> None:
        put(root / "logs" / name, data)

    return build


def nested(depth: int) -> dict[str, Any]:
    tree: dict[str, Any] = {"leaf": 1}
    for i in reversed(range(depth)):
        tree = {f"k{i}": tree}
    return tree


def fifty_mb_log(root: Path) -> None:
    """50 MB of stdout: tqdm-style progress lines (100 bytes each), a metrics line every 50th."""
    noise = "Training:  42%|████▏     | 2100/5000 [01:02<01:26, 33.5it/s, loss=2.31] warming up caches\n"
    blocks = [
        noise * 49 + f"step:{step}/10600 train_loss:{4 - step / 5000:.4f} train_time:{step}ms\n"
        for step in range(10_600)
    ]
    data = "".join(blocks).encode()
    assert len(data) >= 50 * 1024 * 1024
    put(root / "big" / "train.log", data)


def vanishing(readers: Sequence[Reader]) -> tuple[Reader, ...]:
    """The paper-metrics reader, with ``bad``'s results file deleted between claim and read."""

    class DeletesFirst:
        def __init__(self, inner: Reader) -> None:
            self.inner, self.name, self.version = inner, inner.name, inner.version

        def claim(self, folder: Any) -> Claim | None:
            return self.inner.claim(folder)

        def read(self, claim: Claim) -> ReadResult:
            for path in claim.files:
                if path.endswith(BAD_RESULTS) and os.path.exists(path):
                    os.unlink(path)
            return self.inner.read(claim)

    return tuple(DeletesFirst(r) if r.name == "paper_metrics" else r for r in readers)


def symlink(link: str, target: str | Callable[[Path], Path]) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        path = root / link
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target(root) if callable(target) else root / target)

    return build


def outside(root: Path) -> Path:
    secret = write_seed_run(root.parent / "elsewhere", "secret", 1000)
    return secret / "paper_metrics_results.json"


def locked(relative: str) -> Callable[[Path], None]:
    def build(root: Path) -> None:
        write_seed_run(root / "locked_dir", "x", 1000)
        write_seed_run(root, "locked_file", 1000)
        os.chmod(root / relative, 0)

    return build


def second_root(root: Path) -> list[Path]:
    other = root.parent / "copy" / "results"  # same folder name: same run ids but for the label
    write_seed_run(other, "good", 1000, metrics=seed_metrics(sblimp=0.6))
    return [other]


def a_root_that_is_a_file(root: Path) -> list[Path]:
    return [put(root.parent / "results.txt", "not a folder")]


def a_locked_root(root: Path) -> list[Path]:
    other = root.parent / "private"
    write_seed_run(other, "x", 1000)
    os.chmod(other, 0)
    return [other]


DEEP_KEY = "params.deep." + ".".join(f"k{i}" for i in range(63))
RESULTS_WITH = json.dumps(seed_metrics(sblimp=0.55), indent=2)

# ---------------------------------------------------------------- the catalogue

CASES: tuple[Case, ...] = (
    # ---- JSON results files (paper_metrics; load_json is shared by every JSON reader)
    Case(
        "json-truncated",
        "truncated JSON (a file cut while being written)",
        '`{"sblimp_accuracy": 0.5, "swuggy`',
        "problem: `truncated JSON (ends at line 1)`",
        seed_results(b'{"sblimp_accuracy": 0.5, "swuggy'),
        problems=((BAD_RESULTS, "paper_metrics", "truncated JSON (ends at line 1)"),),
    ),
    Case(
        "json-malformed",
        "malformed JSON",
        '`{"sblimp_accuracy": 0.5,, "x": 1}`',
        "problem: `malformed JSON at line 1, column 25: Expecting property name enclosed in double quotes`",
        seed_results(b'{"sblimp_accuracy": 0.5,, "x": 1}'),
        problems=((BAD_RESULTS, "paper_metrics", "malformed JSON at line 1, column 25: Expecting property"),),
    ),
    Case(
        "json-empty",
        "empty JSON file",
        "0 bytes",
        "problem: `empty file`",
        seed_results(b""),
        problems=((BAD_RESULTS, "paper_metrics", "empty file"),),
    ),
    Case(
        "json-whitespace",
        "JSON file holding only whitespace",
        '`"  \\n\\t\\n"`',
        "problem: `empty file`",
        seed_results(b"  \n\t\n"),
        problems=((BAD_RESULTS, "paper_metrics", "empty file"),),
    ),
    Case(
        "json-not-an-object",
        "JSON of the wrong shape",
        "`[0.5, 0.6]`",
        "problem: `expected a JSON object, found list`",
        seed_results(b"[0.5, 0.6]"),
        problems=((BAD_RESULTS, "paper_metrics", "expected a JSON object, found list"),),
    ),
    Case(
        "json-nan-infinity",
        "NaN / Infinity / -Infinity tokens (Python's json writes them)",
        '`"sblimp_accuracy": NaN, "a": Infinity, "b": -Infinity`',
        "run loads; those metrics empty; run page note `sblimp_accuracy = nan skipped (not a finite number)`",
        seed_results('{"sblimp_accuracy": NaN, "a": Infinity, "b": -Infinity, "swuggy_accuracy": 0.632}'),
        runs={BAD_ID: {"metrics.sblimp_accuracy": None, "metrics.swuggy_accuracy": 0.632}},
        notes={BAD_ID: "b = -inf skipped (not a finite number)"},
    ),
    Case(
        "json-number-as-string",
        "a number written as a string",
        '`"sblimp_accuracy": "0.61"`',
        "run loads; metric empty; run page note `sblimp_accuracy = '0.61' skipped (not a number)`",
        seed_results({"sblimp_accuracy": "0.61", "swuggy_accuracy": 0.632}),
        runs={BAD_ID: {"metrics.sblimp_accuracy": None, "metrics.swuggy_accuracy": 0.632}},
        notes={BAD_ID: "sblimp_accuracy = '0.61' skipped (not a number)"},
    ),
    Case(
        "json-only-strings",
        "a results file whose every number is a string",
        '`{"sblimp_accuracy": "0.61"}`',
        "problem: `no numeric metrics in the results file`",
        seed_results({"sblimp_accuracy": "0.61"}),
        problems=((BAD_RESULTS, "paper_metrics", "no numeric metrics in the results file"),),
    ),
    Case(
        "json-1e308",
        "the largest floats, and past them",
        '`"sblimp_accuracy": 1e308, "a": 1e309`',
        "1e308 shown as 1e+308; 1e309 (infinite) empty with note `a = inf skipped (not a finite number)`",
        seed_results('{"sblimp_accuracy": 1e308, "a": 1e309}'),
        runs={BAD_ID: {"metrics.sblimp_accuracy": 1e308}},
        notes={BAD_ID: "a = inf skipped (not a finite number)"},
    ),
    Case(
        "json-huge-int",
        "integers beyond 64 bits and beyond float range",
        '`"sblimp_accuracy": 1180591620717411303424, "a": 9999…(400 digits)`',
        "2^70 shown as 1.181e+21; the 400-digit one empty with note `... skipped (not a finite number)`",
        seed_results('{"sblimp_accuracy": 1180591620717411303424, "a": ' + "9" * 400 + "}"),
        runs={BAD_ID: {"metrics.sblimp_accuracy": 1.1805916207174113e21}},
        notes={BAD_ID: "a = 9999999999999999999999999999999999999... skipped (not a finite number)"},
    ),
    Case(
        "config-nested-200",
        "a config nested 200 deep",
        '`{"deep": {"k0": {"k1": … {"leaf": 1}}}}`',
        "run loads with its params; below 64 levels the rest is one param holding its text",
        seed_config_file({**seed_config(), "deep": nested(200)}),
        runs={BAD_ID: {"params.ttt.base_lr": 0.01, "metrics.sblimp_accuracy": 0.54}},
    ),
    Case(
        "config-nested-5000",
        "JSON nested deeper than any parser recurses (5000 levels)",
        '`{"a":{"a":{"a": … 1}}}`',
        "problem: `JSON nested too deeply to read; run has no params`; the run loads with its metrics",
        seed_config_file('{"a":' * 5000 + "1" + "}" * 5000),
        problems=((f"bad/{CP}/training_config.json", "paper_metrics", "JSON nested too deeply to read"),),
        runs={BAD_ID: {"metrics.sblimp_accuracy": 0.54, "params.ttt.base_lr": None}},
    ),
    Case(
        "json-binary",
        "a binary file under a results name",
        "a PNG saved as `paper_metrics_results.json`",
        "problem: `binary file, not text`",
        seed_results(PNG),
        problems=((BAD_RESULTS, "paper_metrics", "binary file, not text"),),
    ),
    Case(
        "json-lfs-pointer",
        "a Git LFS pointer stub",
        "`version https://git-lfs.github.com/spec/v1 …`",
        "problem: ``Git LFS pointer, not the real file (run `git lfs pull`)``",
        seed_results(LFS),
        problems=((BAD_RESULTS, "paper_metrics", "Git LFS pointer, not the real file"),),
    ),
    Case(
        "json-bom-crlf",
        "UTF-8 BOM and CRLF line ends (Windows editors)",
        "`EF BB BF`, then `{\\r\\n …`",
        "read as if plain: sblimp_accuracy 0.55",
        seed_results(b"\xef\xbb\xbf" + RESULTS_WITH.replace("\n", "\r\n").encode()),
        runs={BAD_ID: {"metrics.sblimp_accuracy": 0.55}},
    ),
    Case(
        "json-utf16",
        "UTF-16 JSON with a BOM (PowerShell's `>`)",
        "`FF FE 7B 00 …`",
        "read as if UTF-8: sblimp_accuracy 0.55",
        seed_results(b"\xff\xfe" + RESULTS_WITH.encode("utf-16-le")),
        runs={BAD_ID: {"metrics.sblimp_accuracy": 0.55}},
    ),
    Case(
        "file-vanishes",
        "a file deleted between listing and reading",
        "results removed mid-scan",
        "problem: `file vanished while scanning`",
        seed_results(RESULTS_WITH),
        problems=((BAD_RESULTS, "paper_metrics", "file vanished while scanning"),),
        wrap=vanishing,
        rescan_same=False,
    ),
    Case(
        "file-permission-denied",
        "a results file the server cannot read",
        "`chmod 000 paper_metrics_results.json`",
        "problem: `permission denied`",
        locked(f"locked_file/{CP}/paper_metrics_results.json"),
        problems=((f"locked_file/{CP}/paper_metrics_results.json", "paper_metrics", "permission denied"),),
        runs={f"locked_dir/x/{CP}": {"metrics.sblimp_accuracy": 0.54}},
        unprivileged=True,
    ),
    # ---- Hugging Face Trainer
    Case(
        "hf-state-truncated",
        "a truncated `trainer_state.json`",
        "the first 200 bytes of it",
        "problem: `truncated JSON (ends at line 1)`; the run loads from `all_results.json`",
        hf_file(
            "trainer_state.json", json.dumps({"global_step": 100, "log_history": [{"loss": 1.0}] * 50})[:200]
        ),
        problems=(("hf_bad/trainer_state.json", "hf_trainer", "truncated JSON (ends at line 1)"),),
        runs={"hf_bad": {"metrics.eval_loss": 1.1, "metrics.train_loss": 1.5}},
    ),
    Case(
        "hf-results-nan",
        "NaN / Infinity in `all_results.json`",
        '`{"eval_loss": NaN, "train_loss": Infinity}`',
        "train_loss empty, eval_loss from the logged history; note "
        "`all_results.json: eval_loss, train_loss not finite (NaN or infinite); not used.`",
        hf_file("all_results.json", '{"eval_loss": NaN, "train_loss": Infinity}'),
        runs={"hf_bad": {"metrics.eval_loss": 2.1 - 100 / 100, "metrics.train_loss": None}},
        notes={"hf_bad": "all_results.json: eval_loss, train_loss not finite (NaN or infinite); not used."},
    ),
    Case(
        "hf-state-binary",
        "a binary file named `trainer_state.json`",
        "NUL bytes",
        "problem: `binary file, not text`; the run loads from `all_results.json`",
        hf_file("trainer_state.json", b"\x00\x01\x02" * 100),
        problems=(("hf_bad/trainer_state.json", "hf_trainer", "binary file, not text"),),
        runs={"hf_bad": {"metrics.eval_loss": 1.1, "metrics.train_loss": 1.5}},
    ),
    # ---- Lightning CSVLogger
    Case(
        "csv-bom-crlf",
        "`metrics.csv` and `hparams.yaml` with BOM and CRLF",
        "`EF BB BF step,loss\\r\\n0,1.0\\r\\n`",
        "read as if plain: loss 0.5, lr 0.1",
        lightning(b"\xef\xbb\xbfstep,loss\r\n0,1.0\r\n1,0.5\r\n", "lr: 0.1\r\n"),
        runs={CSV_ID: {"metrics.loss": 0.5, "params.lr": 0.1}},
    ),
    Case(
        "csv-binary",
        "a binary file named `metrics.csv`",
        "PNG bytes",
        "problem: `binary file, not text`",
        lightning(PNG * 4),
        problems=((f"{CSV_ID}/metrics.csv", "lightning_csv", "binary file, not text"),),
    ),
    Case(
        "csv-nan-inf",
        "`nan`, `inf`, `-inf` cells",
        "`step,loss,acc` / `0,nan,inf` / `1,0.5,-inf`",
        "gaps in the curves; loss 0.5, acc empty; note `Infinite values, read as missing: acc 2/2.`",
        lightning("step,loss,acc\n0,nan,inf\n1,0.5,-inf\n"),
        runs={CSV_ID: {"metrics.loss": 0.5, "metrics.acc": None}},
        notes={CSV_ID: "Infinite values, read as missing: acc 2/2."},
    ),
    Case(
        "csv-huge-numbers",
        "numbers past float range",
        "`1e400` and a 400-digit cell",
        "that column empty; note `Infinite values, read as missing: big 2/2.`",
        lightning("step,loss,big\n0,1.0,1e400\n1,0.5," + "9" * 400 + "\n"),
        runs={CSV_ID: {"metrics.loss": 0.5, "metrics.big": None}},
        notes={CSV_ID: "Infinite values, read as missing: big 2/2."},
    ),
    # ---- MLflow file store
    Case(
        "mlflow-meta-malformed",
        "a malformed run `meta.yaml`",
        "`run_id: [unclosed`",
        "problem: `malformed meta.yaml (while parsing a flow sequence …)`; the other run of the store loads",
        mlflow_two_runs("run_id: [unclosed\n", {}),
        problems=(
            ("mlruns/0/bbb/meta.yaml", "mlflow", "malformed meta.yaml (while parsing a flow sequence"),
        ),
        runs={"mlruns/0/aaa": {"metrics.loss": 0.25}, "mlruns/0/bbb": {"params.lr": 0.01}},
    ),
    Case(
        "mlflow-metric-garbage",
        "NaN, Infinity and garbage lines in a metric file",
        "`… nan 0` / `… 0.5 1` / `… garbage 2`",
        "loss 0.5; notes `metrics/loss: 1 unreadable line(s) skipped.`, `1 infinite value(s) read as missing`",
        mlflow_two_runs(
            RUN_META.format("bbb"),
            {"loss": "1 nan 0\n2 0.5 1\n3 garbage 2\n", "acc": "1 Infinity 0\n"},
        ),
        runs={
            "mlruns/0/aaa": {"metrics.loss": 0.25},
            "mlruns/0/bbb": {"metrics.loss": 0.5, "metrics.acc": None},
        },
        notes={"mlruns/0/bbb": "metrics/loss: 1 unreadable line(s) skipped."},
    ),
    # ---- JSON-lines metrics
    Case(
        "jsonl-malformed-line",
        "a malformed line in the middle of a JSON-lines log",
        '`{"step": 2, "loss": }`',
        "problem: `1 malformed line skipped (line 2)`; the run loads (loss 1.5)",
        jsonl('{"step": 1, "loss": 2.0}\n{"step": 2, "loss": }\n{"step": 3, "loss": 1.5}\n'),
        problems=(("jrun/metrics.jsonl", "jsonl_metrics", "1 malformed line skipped (line 2)"),),
        runs={"jrun": {"metrics.loss": 1.5}},
    ),
    Case(
        "jsonl-nan-infinity",
        "NaN / Infinity / -Infinity in JSON lines",
        '`{"step": 1, "loss": NaN}`',
        "gaps in the curve; loss 1.5 (last finite), acc empty",
        jsonl(
            '{"step": 1, "loss": NaN}\n{"step": 2, "loss": Infinity}\n{"step": 3, "loss": 1.5, "acc": -Infinity}\n'
        ),
        runs={"jrun": {"metrics.loss": 1.5, "metrics.acc": None}},
    ),
    Case(
        "jsonl-numbers-as-strings",
        "JSON lines whose numbers are strings",
        '`{"step": 1, "loss": "2.0"}`',
        "problem: `no numeric values in 2 rows (numbers written as text are not read)`",
        jsonl('{"step": 1, "loss": "2.0"}\n{"step": "2", "loss": "1.5"}\n'),
        problems=(("jrun/metrics.jsonl", "jsonl_metrics", "no numeric values in 2 rows"),),
    ),
    Case(
        "jsonl-huge-numbers",
        "1e308, 1e309 and a 400-digit integer in JSON lines",
        '`{"step": 2, "loss": 1e309, "x": 9999…}`',
        "loss 1e+308 (the last finite value); x empty",
        jsonl('{"step": 1, "loss": 1e308}\n{"step": 2, "loss": 1e309, "x": ' + "9" * 400 + "}\n"),
        runs={"jrun": {"metrics.loss": 1e308, "metrics.x": None}},
    ),
    Case(
        "jsonl-empty",
        "an empty `metrics.jsonl` (training not started)",
        "0 bytes",
        "problem: `no metric rows yet`",
        jsonl(""),
        problems=(("jrun/metrics.jsonl", "jsonl_metrics", "no metric rows yet"),),
    ),
    Case(
        "jsonl-lfs-pointer",
        "a Git LFS pointer stub as `metrics.jsonl`",
        "`version https://git-lfs…`",
        "problem: ``Git LFS pointer, not the real file (run `git lfs pull`)``",
        jsonl(LFS),
        problems=(("jrun/metrics.jsonl", "jsonl_metrics", "Git LFS pointer, not the real file"),),
    ),
    # ---- TensorBoard
    Case(
        "tb-not-events",
        "junk named like an event file",
        "`events.out.tfevents.…` holding text",
        "problem: `not a TensorBoard event file (bad record header at byte 0)`",
        tensorboard_beside(b"this is not an event file at all " * 8),
        problems=(
            ("tb_bad/events.out.tfevents.1700000000.host.1.0", "tensorboard", "not a TensorBoard event file"),
        ),
        runs={"tb_good": {"metrics.loss": 0.75}},
    ),
    Case(
        "tb-lfs-pointer",
        "a Git LFS pointer stub as an event file",
        "`version https://git-lfs…`",
        "problem: ``Git LFS pointer, not the real file (run `git lfs pull`)``",
        tensorboard_beside(LFS),
        problems=(("tb_bad/events.out.tfevents.1700000000.host.1.0", "tensorboard", "Git LFS pointer"),),
        runs={"tb_good": {"metrics.loss": 0.75}},
    ),
    # ---- lm-evaluation-harness
    Case(
        "lm-eval-truncated",
        "a truncated harness results file",
        "the file cut 40 bytes short",
        "problem: `truncated JSON (ends at line …)`; its sibling loads",
        lm_eval_beside(json.dumps(v03("step2000"), indent=2)[:-40]),
        problems=(("lm/160m_step2000.json", "lm_eval", "truncated JSON (ends at line"),),
        runs=LM_GOOD,
    ),
    Case(
        "lm-eval-nan-strings",
        'NaN, Infinity and `"N/A"` in harness results',
        '`"acc_stderr": "N/A"`',
        'those metrics empty; note `1 stderr values written as "N/A" (not computed) read as missing`',
        lm_eval_beside(
            json.dumps(v03("step2000", acc=0.52)).replace("1.43", "NaN").replace("0.047", '"N/A"')
        ),
        runs={
            **LM_GOOD,
            "lm/160m_step2000": {
                "metrics.lambada_openai/acc": 0.52,
                "metrics.lambada_openai/ppl_stderr": None,
            },
        },
        notes={"lm/160m_step2000": '1 stderr values written as "N/A" (not computed) read as missing'},
    ),
    Case(
        "lm-eval-binary",
        "a binary file under a harness results name",
        "a zip saved as `160m_step2000.json`",
        "problem: `binary file, not text`; its sibling loads",
        lm_eval_beside(b"PK\x03\x04\x00\x00" * 40),
        problems=(("lm/160m_step2000.json", "lm_eval", "binary file, not text"),),
        runs=LM_GOOD,
    ),
    # ---- plain-text logs
    Case(
        "log-50mb",
        "a 50 MB training log",
        "tqdm lines with a `step:N/T train_loss:X` line every 50th",
        "read in about a second: train_loss 1.8802 at step 10 599",
        fifty_mb_log,
        runs={"big/train.log": {"metrics.train_loss": 1.8802, "step": 10599}},
    ),
    Case(
        "log-binary",
        "a binary file named `train.log`",
        "an ELF executable",
        "problem: `binary file, not text`",
        log_file(b"\x7fELF\x02\x01\x01\x00" * 100),
        problems=(("logs/train.log", "text_log", "binary file, not text"),),
    ),
    Case(
        "log-crlf-latin1",
        "a log with CRLF line ends and Latin-1 bytes",
        "`step 1/10 loss 2.5 café\\r\\n` in Latin-1",
        "read: loss 2.0 at step 2 (undecodable bytes shown as U+FFFD)",
        log_file("step 1/10 loss 2.5 caf\xe9\r\nstep 2/10 loss 2.0\r\n".encode("latin-1")),
        runs={"logs/train.log": {"metrics.loss": 2.0, "step": 2}},
    ),
    Case(
        "log-nan",
        "`nan` / `inf` values in a log",
        "`step 1/10 loss nan`",
        "gaps in the curve; loss 1.5; note `2 values logged as nan/inf were read as missing.`",
        log_file("step 1/10 loss nan\nstep 2/10 loss inf\nstep 3/10 loss 1.5\n"),
        runs={"logs/train.log": {"metrics.loss": 1.5}},
        notes={"logs/train.log": "2 values logged as nan/inf were read as missing."},
    ),
    # ---- the walk: names and links
    Case(
        "name-not-utf8",
        "a file name that is not UTF-8",
        "a folder named `caf\\xe9` (Latin-1)",
        "problem: `name is not valid UTF-8; not scanned` (path shown as `caf\\xe9`)",
        lambda root: os.mkdir(os.path.join(os.fsencode(root), b"caf\xe9")),
        problems=(("caf\\xe9", "walk", "name is not valid UTF-8; not scanned"),),
    ),
    Case(
        "symlink-loop",
        "a symlink loop back to the root",
        "`loop -> .`",
        "problem: `symlink loop: leads back to <root>; not followed`",
        symlink("loop", "."),
        problems=(("loop", "walk", "symlink loop: leads back to"),),
    ),
    Case(
        "symlink-self",
        "a symlink to itself",
        "`self -> self`",
        "problem: `symlink loop; not followed`",
        symlink("self", "self"),
        problems=(("self", "walk", "symlink loop; not followed"),),
    ),
    Case(
        "link-outside-folder",
        "a folder link leading outside the root",
        "`escape -> /elsewhere`",
        "problem: `link leads outside the root; not followed` (nothing outside is read)",
        symlink("escape", lambda root: outside(root).parent.parent.parent.parent),
        problems=(("escape", "walk", "link leads outside the root; not followed"),),
    ),
    Case(
        "link-outside-file",
        "a results file linked from outside the root",
        "`bad/…/paper_metrics_results.json -> /elsewhere/…`",
        "problem: `link leads outside the root; not followed`",
        symlink(f"bad/{CP}/paper_metrics_results.json", outside),
        problems=((BAD_RESULTS, "walk", "link leads outside the root; not followed"),),
    ),
    Case(
        "symlink-broken",
        "a dangling symlink",
        "`gone -> missing`",
        "problem: `broken symlink; not followed`",
        symlink("gone", "missing"),
        problems=(("gone", "walk", "broken symlink; not followed"),),
    ),
    Case(
        "folder-permission-denied",
        "a folder the server cannot list",
        "`chmod 000 locked_dir`",
        "problem: `permission denied: folder not listed`",
        locked("locked_dir"),
        problems=(("locked_dir", "walk", "permission denied: folder not listed"),),
        runs={f"locked_file/{CP}": {"metrics.sblimp_accuracy": 0.54}},
        unprivileged=True,
    ),
    # ---- roots
    Case(
        "duplicate-ids-across-roots",
        "the same run id under two roots",
        "`a/results/good/…` and `b/results/good/…`",
        "both rows, ids prefixed by root label: `results/good/…` and `results-2/good/…`",
        lambda root: None,
        runs={f"results-2/{GOOD_ID}": {"metrics.sblimp_accuracy": 0.6}},
        extra_roots=second_root,
    ),
    Case(
        "root-is-a-file",
        "a root that is a file",
        "`--results-dir results.txt`",
        "problem: `results folder is a file, not a folder`",
        lambda root: None,
        problems=(("../results.txt", "walk", "results folder is a file, not a folder"),),
        extra_roots=a_root_that_is_a_file,
    ),
    Case(
        "root-missing",
        "a root that does not exist",
        "`--results-dir /mnt/unmounted`",
        "problem: `results folder does not exist` (its last known runs stay listed)",
        lambda root: None,
        problems=(("../unmounted", "walk", "results folder does not exist"),),
        extra_roots=lambda root: [root.parent / "unmounted"],
    ),
    Case(
        "root-permission-denied",
        "a root the server cannot read",
        "`chmod 000 private`",
        "problem: `permission denied: results folder not readable`",
        lambda root: None,
        problems=(("../private", "walk", "permission denied: results folder not readable"),),
        extra_roots=a_locked_root,
        unprivileged=True,
    ),
)

CASE_IDS = [case.id for case in CASES]


# ---------------------------------------------------------------- scanning


@dataclass
class Outcome:
    """What two scans gave, in plain data (it crosses a process boundary for permission cases)."""

    rows: dict[str, dict[str, Any]]
    problems: list[tuple[str, str, str]]  # (absolute path, reader, reason)
    notes: dict[str, list[str]]
    again: tuple[list[str], list[tuple[str, str, str]]]  # run ids and problems of the second scan
    error: str | None = None


def _scan(roots: list[Path], cache: Path, readers: tuple[Reader, ...] | None) -> Outcome:
    store = Store(roots, cache_dir=cache, readers=readers)
    snap = store.rescan()
    rows: dict[str, dict[str, Any]] = {
        str(row["run_id"]): {
            str(k): v for k, v in row.items() if not (isinstance(v, float) and math.isnan(v))
        }
        for row in snap.runs.to_dict("records")
    }
    notes = {run_id: list(run.notes) for run_id in rows if (run := store.run(run_id)) is not None}
    problems = [(p.path, p.reader, p.reason) for p in snap.problems]
    again = store.rescan()
    store.close()
    return Outcome(
        rows,
        problems,
        notes,
        (list(again.runs["run_id"]), [(p.path, p.reader, p.reason) for p in again.problems]),
    )


def _scan_as_nobody(roots: list[Path], cache: Path, readers: tuple[Reader, ...] | None) -> Outcome:
    """Root reads every file whatever its mode: scan in a child process that became ``nobody``."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            outcome = _scan(roots, cache, readers)
        except BaseException as exc:  # reported by the parent
            outcome = Outcome({}, [], {}, ([], []), error=repr(exc))
        with os.fdopen(write_end, "wb") as out:
            out.write(pickle.dumps(outcome))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    outcome = pickle.loads(data)
    assert isinstance(outcome, Outcome)
    return outcome


@pytest.fixture
def base(tmp_path: Path) -> Iterator[Path]:
    """A folder for the tree; world-readable when a ``nobody`` child must walk it."""
    if os.geteuid() != 0:
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="runboard-bad-input-"))
    os.chmod(folder, 0o755)
    cache_home = folder / "cache-home"
    cache_home.mkdir()
    os.chown(cache_home, NOBODY, NOBODY)
    yield folder
    for path in folder.rglob("*"):  # give back what the case locked, so it can be removed
        if not path.is_symlink():
            path.chmod(stat.S_IRWXU)
    shutil.rmtree(folder)


def run_case(case: Case, base: Path) -> tuple[Outcome, Path, float]:
    root = base / "results"
    write_seed_run(root, "good", 1000)
    case.build(root)
    roots = [root, *(case.extra_roots(root) if case.extra_roots else [])]
    for path in [root, *roots]:
        if path.exists():
            age_tree(path)  # written long ago: not in the 2 s window where a scan re-reads
    readers = case.wrap(default_readers()) if case.wrap else None
    cache = (base / "cache-home" if (base / "cache-home").exists() else base) / "cache"
    started = time.monotonic()
    if case.unprivileged and os.geteuid() == 0:
        outcome = _scan_as_nobody(roots, cache, readers)
    else:
        outcome = _scan(roots, cache, readers)
    return outcome, root, time.monotonic() - started


def same(actual: Any, expected: Any) -> bool:
    """Equal values; a number may come back as a float (a column with gaps is a float column)."""
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        number = isinstance(actual, (int, float)) and not isinstance(actual, bool)
        return number and float(actual) == float(expected)
    return bool(actual == expected) and type(actual) is type(expected)


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_bad_input(case: Case, base: Path) -> None:
    outcome, root, seconds = run_case(case, base)
    assert outcome.error is None, outcome.error
    several = case.extra_roots is not None
    good_id = f"results/{GOOD_ID}" if several else GOOD_ID
    expected_runs = {good_id: GOOD_VALUES, **case.runs}
    # No other run lost, and no run made up.
    assert set(outcome.rows) == set(expected_runs), outcome.problems
    for run_id, values in expected_runs.items():
        row = outcome.rows[run_id]
        for column, value in values.items():
            if value is None:
                assert column not in row, (run_id, column, row.get(column))
            else:
                assert same(row.get(column), value), (run_id, column, row.get(column), value)
    for run_id, note in case.notes.items():
        assert note in outcome.notes[run_id], outcome.notes[run_id]
    # Exactly the expected problems, each with its reader and reason.
    problems = sorted(
        (os.path.relpath(path, root), reader, reason) for path, reader, reason in outcome.problems
    )
    assert len(problems) == len(case.problems), problems
    for (path, reader, reason), (want_path, want_reader, want_reason) in zip(
        problems, sorted(case.problems), strict=True
    ):
        assert (path, reader) == (want_path, want_reader), problems
        assert want_reason in reason, (reason, want_reason)
    if case.rescan_same:
        assert outcome.again == (sorted(outcome.rows), outcome.problems)
    assert seconds < 8, f"{case.id} took {seconds:.1f} s"


def test_the_deep_config_is_cut_at_64_levels_into_text(base: Path) -> None:
    case = next(c for c in CASES if c.id == "config-nested-200")
    outcome, _, _ = run_case(case, base)
    value = outcome.rows[BAD_ID][DEEP_KEY]
    assert value.startswith("{'k63': {'k64': {") and value.endswith("{'leaf': 1}" + "}" * 137)


def test_the_catalogue_has_at_least_30_cases_with_unique_ids() -> None:
    assert len(CASES) >= 30
    assert len(set(CASE_IDS)) == len(CASE_IDS)


def doc_ids(text: str) -> list[str]:
    """The test ids in the doc's table (its last column)."""
    ids = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].isdigit():
            ids.append(cells[-1].strip("`"))
    return ids


def test_every_case_is_in_the_doc_and_every_doc_row_is_a_case() -> None:
    listed = doc_ids(DOC.read_text(encoding="utf-8"))
    assert sorted(set(CASE_IDS) - set(listed)) == [], "cases missing from docs/bad-inputs.md"
    assert sorted(set(listed) - set(CASE_IDS)) == [], "doc rows without a test case"
    assert len(listed) == len(set(listed))


def test_the_doc_table_is_generated_from_the_cases() -> None:
    assert table() in DOC.read_text(encoding="utf-8"), (
        "docs/bad-inputs.md is stale: run `python3 -m tests.unit.test_bad_input_catalogue`"
    )


# ---------------------------------------------------------------- the doc


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table() -> str:
    lines = ["| # | input | example | what the user sees | test id |", "| --- | --- | --- | --- | --- |"]
    for n, case in enumerate(CASES, 1):
        cells = (str(n), case.input, case.example, case.sees, f"`{case.id}`")
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


START, END = "<!-- table: generated by tests/unit/test_bad_input_catalogue.py -->", "<!-- end of table -->"


def write_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{table()}{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    write_doc()
