"""The TensorBoard reader: event files written by a tiny encoder below, and broken ones.

The encoder follows the protobuf wire format and TensorBoard's .proto field
numbers on its own (it shares no code with the reader but the checksum, which is
tested against the published CRC-32C check value).
"""

from __future__ import annotations

import builtins
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dashboard.ingest import tensorboard
from dashboard.ingest.base import ReadResult, Run
from dashboard.ingest.tensorboard import READER, masked_crc32c
from dashboard.ingest.walk import Walker

# ------------------------------------------------------------------ a tiny encoder


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        low = n & 0x7F
        n >>= 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def key(number: int, wire: int) -> bytes:
    return varint(number << 3 | wire)


def length(number: int, payload: bytes) -> bytes:
    return key(number, 2) + varint(len(payload)) + payload


def double(number: int, x: float) -> bytes:
    return key(number, 1) + struct.pack("<d", x)


def f32(number: int, x: float) -> bytes:
    return key(number, 5) + struct.pack("<f", x)


def integer(number: int, n: int) -> bytes:
    return key(number, 0) + varint(n)


def metadata(plugin: str, content: bytes = b"") -> bytes:
    return length(9, length(1, length(1, plugin.encode()) + length(2, content)))


def simple(tag: str, x: float) -> bytes:
    """A Summary.Value as PyTorch's ``add_scalar`` writes it."""
    return length(1, tag.encode()) + f32(2, x)


def tensor(tag: str, tensor_proto: bytes, plugin: str | None = "scalars") -> bytes:
    meta = metadata(plugin) if plugin else b""
    return length(1, tag.encode()) + meta + length(8, tensor_proto)


def float_tensor(x: float, raw: bool = False) -> bytes:
    """A rank-0 DT_FLOAT TensorProto, as TF2's ``tf.summary.scalar`` writes it."""
    values = length(4, struct.pack("<f", x)) if raw else length(5, struct.pack("<f", x))
    return integer(1, 1) + length(2, b"") + values


def event(step: int, wall_time: float, *values: bytes) -> bytes:
    summary = b"".join(length(1, v) for v in values)
    return double(1, wall_time) + integer(2, step) + length(5, summary)


def record(data: bytes, bad_data_crc: bool = False) -> bytes:
    header = struct.pack("<Q", len(data))
    crc = masked_crc32c(data) ^ (1 if bad_data_crc else 0)
    return header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", crc)


FILE_VERSION = double(1, 1700000000.0) + length(3, b"brain.Event:2")


def write_events(folder: Path, *events: bytes, stamp: int = 1700000000, raw: bytes = b"") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"events.out.tfevents.{stamp}.host.123.0"
    path.write_bytes(record(FILE_VERSION) + b"".join(record(e) for e in events) + raw)
    return path


def hparams_value(**hparams: Any) -> bytes:
    """``_hparams_/session_start_info`` as ``add_hparams`` writes it."""
    entries = b""
    for name, value in hparams.items():
        if isinstance(value, bool):
            encoded = integer(4, int(value))
        elif isinstance(value, str):
            encoded = length(3, value.encode())
        else:
            encoded = double(2, float(value))
        entries += length(1, length(1, name.encode()) + length(2, encoded))
    content = integer(1, 0) + length(3, entries)
    return length(1, b"_hparams_/session_start_info") + metadata("hparams", content)


def scan(root: Path) -> list[ReadResult]:
    return [READER.read(c) for c in Walker(str(root)).walk([READER])]


def one_run(root: Path) -> tuple[Run, ReadResult]:
    results = scan(root)
    assert len(results) == 1 and len(results[0].runs) == 1, results
    return results[0].runs[0], results[0]


def points(run: Run, name: str) -> list[tuple[float, float]]:
    s = run.series[name]
    return list(zip(s.x.tolist(), s.y.tolist(), strict=True))


# ------------------------------------------------------------------ the format


def test_crc32c_check_value() -> None:
    crc = 0xE3069283  # CRC-32C of b"123456789" (RFC 3720)
    masked = (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
    assert masked_crc32c(b"123456789") == masked


def test_decoder_on_bytes_written_by_hand() -> None:
    # Event{wall_time: 1.5, step: 3, summary {value {tag: "a" simple_value: 2.0}}}, byte by byte.
    data = bytes.fromhex("09000000000000f83f10032a0a0a080a01611500000040")
    wall_time, step, values = tensorboard.event(data)
    assert (wall_time, step) == (1.5, 3)
    assert [(v.tag, v.number) for v in values] == [("a", 2.0)]


def test_tensor_scalars_of_each_dtype() -> None:
    scalar_shape = length(2, b"")
    assert tensorboard.tensor_scalar(float_tensor(0.25)) == 0.25
    assert tensorboard.tensor_scalar(float_tensor(0.25, raw=True)) == 0.25
    assert tensorboard.tensor_scalar(integer(1, 2) + scalar_shape + length(6, struct.pack("<d", 0.1))) == 0.1
    assert tensorboard.tensor_scalar(integer(1, 2) + length(4, struct.pack("<d", -2.5))) == -2.5
    assert tensorboard.tensor_scalar(integer(1, 9) + length(10, varint(-7))) == -7.0
    assert tensorboard.tensor_scalar(integer(1, 3) + length(7, varint(-7))) == -7.0
    half = int.from_bytes(struct.pack("<e", 1.5), "little")
    assert tensorboard.tensor_scalar(integer(1, 19) + length(13, varint(half))) == 1.5
    two = length(2, length(2, integer(1, 2)))  # shape [2]: not a scalar
    assert tensorboard.tensor_scalar(integer(1, 1) + two + length(5, struct.pack("<2f", 1, 2))) is None
    assert tensorboard.tensor_scalar(integer(1, 7) + scalar_shape + length(8, b"text")) is None  # DT_STRING
    assert tensorboard.tensor_scalar(integer(1, 1) + scalar_shape) is None  # no value at all


# ------------------------------------------------------------------ runs


def test_pytorch_style_scalars_and_hparams(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "Jan01_host"
    write_events(
        run_dir,
        event(0, 1700000001.0, simple("train/loss", 2.5), simple("train/lr", 1e-3)),
        event(10, 1700000002.5, simple("train/loss", 1.5)),
        event(10, 1700000003.0, simple("eval/acc", 0.75)),
        event(20, 1700000004.0, simple("train/loss", float("nan"))),
    )
    write_events(
        run_dir / "1700000005.123",  # add_hparams' own sub-folder
        event(0, 1700000005.0, hparams_value(lr=0.001, batch_size=32, optim="adamw", amp=True)),
        event(0, 1700000005.0, simple("hparam/acc", 0.75)),
    )
    claims = Walker(str(tmp_path)).walk([READER])
    assert [(c.folder, c.prune) for c in claims] == [(str(run_dir), frozenset({"1700000005.123"}))]
    run, result = one_run(tmp_path)
    assert result.problems == []
    assert (run.key, run.name, run.experiment, run.path) == ("", "Jan01_host", "runs", str(run_dir))
    assert run.source == "tensorboard" and run.status == "unknown" and run.step == 20
    loss = run.series["train/loss"]
    assert (
        loss.x.tolist() == [0.0, 10.0, 20.0] and loss.y[:2].tolist() == [2.5, 1.5] and math.isnan(loss.y[2])
    )
    assert loss.time is not None and loss.time.tolist() == [1700000001.0, 1700000002.5, 1700000004.0]
    assert points(run, "train/lr") == [(0.0, np.float32(1e-3).item())]
    assert run.metrics == {
        "eval/acc": 0.75,
        "hparam/acc": 0.75,
        "train/lr": np.float32(1e-3).item(),
        "train/loss": 1.5,
    }
    assert run.params == {"amp": True, "batch_size": 32, "lr": 0.001, "optim": "adamw"}
    assert isinstance(run.params["batch_size"], int)
    assert len(run.files) == 2


def test_tf2_tensor_scalars_with_metadata_only_once(tmp_path: Path) -> None:
    write_events(
        tmp_path / "run",
        event(1, 10.0, tensor("epoch_loss", float_tensor(0.5))),
        event(2, 11.0, tensor("epoch_loss", float_tensor(0.25, raw=True), plugin=None)),
        event(2, 11.0, tensor("notes", integer(1, 7) + length(2, b"") + length(8, b"hi"), plugin="text")),
        event(
            3, 12.0, tensor("notes", integer(1, 1) + length(2, b"") + length(5, struct.pack("<f", 9)), None)
        ),
    )
    run, _ = one_run(tmp_path)
    assert points(run, "epoch_loss") == [(1.0, 0.5), (2.0, 0.25)]
    assert "notes" not in run.series  # a text plugin tag, even when a later value looks numeric


def test_keras_split_folders_are_one_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "logs" / "fit" / "20240101-120000"
    write_events(run_dir / "train", event(0, 1.0, tensor("epoch_loss", float_tensor(1.0))))
    write_events(run_dir / "validation", event(0, 2.0, tensor("epoch_loss", float_tensor(1.25))))
    (run_dir / "train" / "plugins").mkdir()
    claims = Walker(str(tmp_path)).walk([READER])
    assert len(claims) == 1
    assert claims[0].folder == str(run_dir) and claims[0].prune == frozenset({"train", "validation"})
    run, _ = one_run(tmp_path)
    assert run.name == "20240101-120000" and run.experiment == "fit"
    assert run.metrics == {"train/epoch_loss": 1.0, "validation/epoch_loss": 1.25}
    assert any("split sub-folders" in n for n in run.notes)


def test_other_sub_folders_are_runs_of_their_own(tmp_path: Path) -> None:
    write_events(tmp_path / "logs" / "lr0.1", event(1, 1.0, simple("loss", 1.0)))
    write_events(tmp_path / "logs" / "lr0.01", event(1, 1.0, simple("loss", 2.0)))
    results = scan(tmp_path)
    assert sorted(r.runs[0].name for r in results) == ["lr0.01", "lr0.1"]


def test_restarted_run_later_file_wins(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    write_events(folder, event(1, 1.0, simple("loss", 3.0)), event(2, 2.0, simple("loss", 2.0)), stamp=100)
    write_events(folder, event(2, 5.0, simple("loss", 2.5)), event(3, 6.0, simple("loss", 1.0)), stamp=200)
    run, _ = one_run(tmp_path)
    assert points(run, "loss") == [(1.0, 3.0), (2.0, 2.5), (3.0, 1.0)]
    assert len(run.files) == 2


def test_infinite_values_are_gaps(tmp_path: Path) -> None:
    write_events(
        tmp_path / "r", event(1, 1.0, simple("loss", 1.0)), event(2, 1.0, simple("loss", float("inf")))
    )
    run, _ = one_run(tmp_path)
    assert math.isnan(run.series["loss"].y[1]) and run.metrics == {"loss": 1.0}


# ------------------------------------------------------------------ broken files


def test_truncated_last_record_is_quietly_ignored(tmp_path: Path) -> None:
    partial = record(event(2, 2.0, simple("loss", 2.0)))[:-7]
    write_events(tmp_path / "r", event(1, 1.0, simple("loss", 1.0)), raw=partial)
    run, result = one_run(tmp_path)
    assert points(run, "loss") == [(1.0, 1.0)] and result.problems == []


def test_bad_header_mid_file_keeps_what_came_before(tmp_path: Path) -> None:
    path = write_events(tmp_path / "r", event(1, 1.0, simple("loss", 1.0)), raw=b"\x01" * 40)
    run, result = one_run(tmp_path)
    assert points(run, "loss") == [(1.0, 1.0)]
    offset = path.stat().st_size - 40
    assert [p.reason for p in result.problems] == [
        f"corrupted event file: bad record header at byte {offset}; the 2 records before it were read"
    ]


def test_damaged_record_is_skipped(tmp_path: Path) -> None:
    damaged = record(event(2, 2.0, simple("loss", 99.0)), bad_data_crc=True)
    write_events(
        tmp_path / "r",
        event(1, 1.0, simple("loss", 1.0)),
        raw=damaged + record(event(3, 3.0, simple("loss", 0.5))),
    )
    run, result = one_run(tmp_path)
    assert points(run, "loss") == [(1.0, 1.0), (3.0, 0.5)]
    assert [p.reason for p in result.problems] == ["1 damaged records skipped (checksum or format)"]


def test_malformed_protobuf_with_valid_checksum_is_skipped(tmp_path: Path) -> None:
    bad = record(b"\x2a\x7f\x0a")  # a summary field claiming 127 bytes it does not have
    write_events(tmp_path / "r", event(1, 1.0, simple("loss", 1.0)), raw=bad)
    run, result = one_run(tmp_path)
    assert points(run, "loss") == [(1.0, 1.0)] and len(result.problems) == 1


def test_junk_named_like_an_event_file(tmp_path: Path) -> None:
    (tmp_path / "events.out.tfevents.1.host").write_text("this is not a tfrecord at all, just text\n")
    (result,) = scan(tmp_path)
    assert result.runs == []
    assert result.problems[0].reason == "not a TensorBoard event file (bad record header at byte 0)"


def test_empty_event_file_is_quietly_nothing(tmp_path: Path) -> None:
    (tmp_path / "events.out.tfevents.1.host").write_bytes(b"")
    write_events(tmp_path / "only_version")
    assert scan(tmp_path) == [ReadResult(), ReadResult()]


def test_lfs_pointer(tmp_path: Path) -> None:
    (tmp_path / "events.out.tfevents.1.host").write_text("version https://git-lfs.github.com/spec/v1\n")
    (result,) = scan(tmp_path)
    assert result.runs == [] and "Git LFS pointer" in result.problems[0].reason


def test_images_only_is_a_problem_for_the_folder(tmp_path: Path) -> None:
    image = length(1, b"sample") + length(4, integer(1, 2) + integer(2, 2) + length(4, b"\x89PNG"))
    write_events(tmp_path / "r", event(1, 1.0, image))
    (result,) = scan(tmp_path)
    assert result.runs == []
    assert [(p.path, p.reason) for p in result.problems] == [
        (str(tmp_path / "r"), "event files hold no scalar summaries (only images, histograms, text...)")
    ]


def test_one_unreadable_file_does_not_lose_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_events(tmp_path / "r", event(1, 1.0, simple("loss", 1.0)), stamp=1)
    locked = write_events(tmp_path / "r", event(2, 1.0, simple("loss", 2.0)), stamp=2)
    real_open = builtins.open

    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(locked):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    run, result = one_run(tmp_path)
    assert points(run, "loss") == [(1.0, 1.0)] and len(run.files) == 1
    assert [(p.path, p.reason) for p in result.problems] == [(str(locked), "permission denied")]


def test_vanished_file(tmp_path: Path) -> None:
    path = write_events(tmp_path / "r", event(1, 1.0, simple("loss", 1.0)))
    (claim,) = Walker(str(tmp_path)).walk([READER])
    path.unlink()
    result = READER.read(claim)
    assert result.runs == [] and result.problems[0].reason == "file vanished while scanning"


def test_claim_ignores_folders_without_event_files(tmp_path: Path) -> None:
    (tmp_path / "a" / "train").mkdir(parents=True)
    (tmp_path / "a" / "train" / "events.txt").write_text("x")
    (tmp_path / "a" / "metrics.csv").write_text("x")
    assert Walker(str(tmp_path)).walk([READER]) == []


def test_malformed_hparams_content_is_a_damaged_record(tmp_path: Path) -> None:
    bad_hparams = length(1, b"_hparams_/session_start_info") + metadata("hparams", b"\x1a\x7f")
    write_events(tmp_path / "r", event(1, 1.0, simple("loss", 1.0)), event(1, 1.0, bad_hparams))
    run, result = one_run(tmp_path)
    assert points(run, "loss") == [(1.0, 1.0)] and run.params == {}
    assert [p.reason for p in result.problems] == ["1 damaged records skipped (checksum or format)"]
