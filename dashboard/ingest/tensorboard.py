"""TensorBoard event files (``events.out.tfevents.*``), read without TensorBoard.

Only scalars and hyperparameters are needed, so a small parser of the TFRecord
framing and of the few protobuf messages involved (Event, Summary, TensorProto,
the hparams plugin's data) replaces the ``tensorboard`` package: nothing to
install, no TensorFlow import (which ``tensorboard`` pulls in when present), and
damaged files are reported instead of silently cut short.

One run per folder holding event files. Sub-folders named like splits
(``train/``, ``validation/``: Keras writes one per split) and the
``<time.time()>/`` sub-folder PyTorch's ``add_hparams`` writes belong to that
run: their tags are prefixed with the split name (``validation/epoch_loss``) and
the walker does not descend into them. Other sub-folders are runs of their own.
"""

from __future__ import annotations

import math
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from .base import Claim, Folder, Problem, ReadResult, Run, Series
from .files import LFS_PREFIX, open_failure_reason

NAME = "tensorboard"
VERSION = 1
EVENT_PREFIX = "events.out.tfevents."
SPLIT_DIRS = frozenset({"train", "training", "eval", "evaluation", "val", "valid", "validation", "test"})
HPARAMS_DIR_RE = re.compile(r"\d{9,11}(?:\.\d+)?")  # add_hparams' sub-folder: str(time.time())
MAX_RECORD = 512 * 1024 * 1024  # a longer record is a corrupted length
CRC_CHECKED = 4096  # records up to this size (every scalar event) have their data CRC checked


class Malformed(Exception):
    """Bytes that are not the protobuf or record they should be."""


# ------------------------------------------------------------------ TFRecord framing


def _crc_table() -> list[int]:
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc_table()


def masked_crc32c(data: bytes) -> int:
    """TFRecord's checksum: CRC-32C (Castagnoli), rotated and offset."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(handle: BinaryIO) -> Iterator[bytes | None]:
    """Each record's data; None for a record whose data fails its CRC. Stops quietly at a
    truncated last record (the writer may be mid-write); raises Malformed on a bad header."""
    offset = 0
    while True:
        header = handle.read(12)
        if len(header) < 12:
            return
        length, length_crc = struct.unpack("<QI", header)
        if masked_crc32c(header[:8]) != length_crc or length > MAX_RECORD:
            raise Malformed(f"bad record header at byte {offset}")
        body = handle.read(length + 4)
        if len(body) < length + 4:
            return
        data = body[:length]
        if length <= CRC_CHECKED and masked_crc32c(data) != struct.unpack("<I", body[length:])[0]:
            yield None
        else:
            yield data
        offset += length + 16


# ------------------------------------------------------------------ protobuf wire format


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]  # IndexError on truncation: caught as Malformed by the caller
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise Malformed("varint too long")


def fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value): an int for varints, bytes for the rest."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        wire = key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, pos = buf[pos : pos + size], pos + size
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        else:
            raise Malformed(f"unsupported wire type {wire}")
        if pos > end:
            raise Malformed("truncated message")
        yield key >> 3, wire, value


def _packed_varints(value: Any) -> list[int]:
    if isinstance(value, int):
        return [value]
    out, pos = [], 0
    while pos < len(value):
        number, pos = _varint(value, pos)
        out.append(number)
    return out


def _signed(number: int, bits: int = 64) -> int:
    number &= (1 << bits) - 1
    return number - (1 << bits) if number >> (bits - 1) else number


# TensorProto dtypes read as scalars -> (struct format of one tensor_content element, value field)
_DTYPES = {1: ("<f", 5), 2: ("<d", 6), 19: ("<e", 13), 3: ("<i", 7), 9: ("<q", 10)}


def tensor_scalar(buf: bytes) -> float | None:
    """The number a one-element numeric TensorProto holds (TF2 ``tf.summary.scalar``), else None."""
    dtype, numel, content = 0, 1, b""
    found: dict[int, list[Any]] = {}
    for number, wire, value in fields(buf):
        if number == 1 and wire == 0:
            dtype = value
        elif number == 2 and wire == 2:  # TensorShapeProto: dim = 2 (Dim: size = 1)
            for n, w, dim in fields(value):
                if n == 2 and w == 2:
                    numel *= next((s for k, kw, s in fields(dim) if k == 1 and kw == 0), 1)
        elif number == 4 and wire == 2:
            content = value
        elif (number, wire) in ((5, 2), (5, 5), (6, 2), (6, 1)):
            fmt = "<f" if number == 5 else "<d"
            found.setdefault(number, []).extend(x for (x,) in struct.iter_unpack(fmt, value))
        elif number in (7, 10, 13) and wire in (0, 2):
            found.setdefault(number, []).extend(_packed_varints(value))
    if numel != 1 or dtype not in _DTYPES:
        return None
    fmt, value_field = _DTYPES[dtype]
    if len(content) == struct.calcsize(fmt):
        return float(struct.unpack(fmt, content)[0])
    values = found.get(value_field)
    if not values:
        return None
    if dtype == 19:  # half_val holds the 16 bits in an int32
        return float(struct.unpack("<e", (values[0] & 0xFFFF).to_bytes(2, "little"))[0])
    return float(_signed(values[0], 32 if dtype == 3 else 64) if dtype in (3, 9) else values[0])


@dataclass
class SummaryValue:
    tag: str = ""
    plugin: str = ""
    content: bytes = b""
    number: float | None = None
    other: bool = False  # an image, histogram, text...: data that is not a scalar


def summary_value(buf: bytes) -> SummaryValue:
    out = SummaryValue()
    for number, wire, value in fields(buf):
        if number == 1 and wire == 2:
            out.tag = value.decode("utf-8", "replace")
        elif number == 2 and wire == 5:
            out.number = struct.unpack("<f", value)[0]
        elif number == 8 and wire == 2:
            out.number = tensor_scalar(value)
            out.other = out.number is None
        elif number == 9 and wire == 2:  # SummaryMetadata.plugin_data = 1 (plugin_name = 1, content = 2)
            for n, w, plugin_data in fields(value):
                if n == 1 and w == 2:
                    for k, kw, v in fields(plugin_data):
                        if k == 1 and kw == 2:
                            out.plugin = v.decode("utf-8", "replace")
                        elif k == 2 and kw == 2:
                            out.content = v
        elif number in (3, 4, 5, 6):
            out.other = True
    return out


def event(buf: bytes) -> tuple[float, int, list[SummaryValue]]:
    """(wall_time, step, summary values) of one Event."""
    wall_time, step = 0.0, 0
    values: list[SummaryValue] = []
    for number, wire, value in fields(buf):
        if number == 1 and wire == 1:
            wall_time = struct.unpack("<d", value)[0]
        elif number == 2 and wire == 0:
            step = _signed(value)
        elif number == 5 and wire == 2:
            values.extend(summary_value(v) for n, w, v in fields(value) if n == 1 and w == 2)
    return wall_time, step, values


def _proto_value(buf: bytes) -> Any:
    """A google.protobuf.Value holding a number, string or bool (else None)."""
    result: Any = None
    for number, wire, value in fields(buf):
        if number == 2 and wire == 1:
            result = struct.unpack("<d", value)[0]
            if math.isfinite(result) and result.is_integer() and abs(result) < 2**53:
                result = int(result)  # add_hparams stores ints as doubles: batch_size 32, not 32.0
        elif number == 3 and wire == 2:
            result = value.decode("utf-8", "replace")
        elif number == 4 and wire == 0:
            result = bool(value)
    return result


def hparams(content: bytes) -> dict[str, Any]:
    """HParamsPluginData.session_start_info (3) .hparams (1): map<string, Value>."""
    out: dict[str, Any] = {}
    for number, wire, start_info in fields(content):
        if number != 3 or wire != 2:
            continue
        for n, w, entry in fields(start_info):
            if n == 1 and w == 2:
                parts = {k: v for k, kw, v in fields(entry) if kw == 2}
                key = parts.get(1, b"").decode("utf-8", "replace")
                if key:
                    out[key] = _proto_value(parts.get(2, b""))
    return out


# ------------------------------------------------------------------ reading


@dataclass
class Collected:
    """Everything read from the event files of one run."""

    points: dict[str, dict[int, tuple[float, float]]] = field(default_factory=dict)  # tag->step->(y, t)
    plugins: dict[str, str] = field(default_factory=dict)  # TF2 writes a tag's metadata once
    params: dict[str, Any] = field(default_factory=dict)
    other_values: int = 0
    files: list[str] = field(default_factory=list)

    def add(self, prefix: str, wall_time: float, step: int, value: SummaryValue) -> None:
        tag = prefix + value.tag
        if value.plugin:
            self.plugins.setdefault(tag, value.plugin)
        plugin = self.plugins.get(tag, "")
        if plugin == "hparams":
            self.params.update(hparams(value.content))
        elif value.number is not None and plugin in ("", "scalars"):
            self.points.setdefault(tag, {})[step] = (value.number, wall_time)
        elif value.other:
            self.other_values += 1


def _file_order(path: str) -> tuple[str, int, str]:
    """Sub-folder, then the writer's start time in the name, so a restarted run's later
    file wins for a step logged twice."""
    folder, name = os.path.split(path)
    stamp = name[len(EVENT_PREFIX) :].split(".", 1)[0]
    return folder, int(stamp) if stamp.isascii() and stamp.isdigit() else 0, name


def _read_file(path: str, prefix: str, into: Collected) -> str | None:
    """Read one event file into ``into``; a problem reason, or None."""
    damaged = read = 0
    try:
        with open(path, "rb") as handle:
            if handle.read(len(LFS_PREFIX)) == LFS_PREFIX:
                return "Git LFS pointer, not the real file (run `git lfs pull`)"
            handle.seek(0)
            for data in records(handle):
                try:
                    if data is None:
                        raise Malformed("checksum mismatch")
                    wall_time, step, values = event(data)
                    for value in values:
                        into.add(prefix, wall_time, step, value)
                except (Malformed, IndexError, struct.error):
                    damaged += 1
                    continue
                read += 1
    except Malformed as exc:
        into.files.append(path)
        if read == 0 and damaged == 0:
            return f"not a TensorBoard event file ({exc})"
        return f"corrupted event file: {exc}; the {read} records before it were read"
    except OSError as exc:
        return open_failure_reason(exc)
    into.files.append(path)
    return f"{damaged} damaged records skipped (checksum or format)" if damaged else None


def _series(points: dict[str, dict[int, tuple[float, float]]]) -> dict[str, Series]:
    out: dict[str, Series] = {}
    for tag in sorted(points):
        by_step = points[tag]
        steps = sorted(by_step)
        y = np.array([by_step[s][0] for s in steps], dtype=np.float64)
        y[~np.isfinite(y)] = np.nan  # a logged inf is shown as a gap, like a NaN
        t = np.array([by_step[s][1] for s in steps], dtype=np.float64)
        out[tag] = Series(tag, x=np.array(steps, dtype=np.float64), y=y, time=t)
    return out


def _is_member_dir(name: str) -> bool:
    return name.lower() in SPLIT_DIRS or HPARAMS_DIR_RE.fullmatch(name) is not None


def _events(folder: Folder) -> list[str]:
    return [os.path.join(folder.path, n) for n in folder.files if n.startswith(EVENT_PREFIX)]


class TensorBoardReader:
    name = NAME
    version = VERSION

    def claim(self, folder: Folder) -> Claim | None:
        files = _events(folder)
        members = []
        for name in folder.dirs:
            sub = folder.sub(name) if _is_member_dir(name) else None
            sub_files = _events(sub) if sub is not None else []
            if sub_files:
                members.append(name)
                files.extend(sub_files)
        if not files:
            return None
        return Claim(reader=NAME, folder=folder.path, files=tuple(sorted(files)), prune=frozenset(members))

    def read(self, claim: Claim) -> ReadResult:
        result = ReadResult()
        collected = Collected()
        for path in sorted(claim.files, key=_file_order):
            sub = os.path.relpath(os.path.dirname(path), claim.folder)
            prefix = "" if sub == "." or HPARAMS_DIR_RE.fullmatch(sub) else sub + "/"
            reason = _read_file(path, prefix, collected)
            if reason is not None:
                result.problems.append(Problem(path, NAME, reason))
        if not collected.points and not collected.params:
            if collected.other_values:
                reason = "event files hold no scalar summaries (only images, histograms, text...)"
                result.problems.append(Problem(claim.folder, NAME, reason))
            return result
        result.runs.append(_run(claim.folder, collected))
        return result


def _run(folder: str, collected: Collected) -> Run:
    series = _series(collected.points)
    metrics = {k: v for k, s in series.items() if (v := s.last_finite()) is not None}
    steps = [int(s.x[-1]) for s in series.values() if len(s)]
    notes = []
    if any(os.path.dirname(f) != folder for f in collected.files):
        notes.append("Event files in split sub-folders (train/, validation/...) are read as this run.")
    return Run(
        key="",
        name=os.path.basename(folder),
        source=NAME,
        path=folder,
        experiment=os.path.basename(os.path.dirname(folder)) or None,
        step=max(steps) if steps else None,
        params=dict(sorted(collected.params.items())),
        metrics=dict(sorted(metrics.items())),
        series=series,
        files=sorted(collected.files),
        notes=notes,
    )


READER = TensorBoardReader()
