"""PyTorch Lightning ``CSVLogger`` folders (and the older TestTube layout).

Layout: ``<save_dir>/<name>/version_<N>/`` holds ``metrics.csv`` (one column per
logged name, one row per ``log`` call) and ``hparams.yaml`` (what
``save_hyperparameters`` saw). The TestTube logger of Lightning < 1.0 wrote
``meta_tags.csv`` (key,value rows) and a ``created_at`` column instead of ``step``.

Quirks handled here: rows are sparse (train, val and the LR monitor each write
their own row with the other cells empty), so rows are merged by step; ``nan``
cells are logged NaNs (kept as gaps, never as values); ``hparams.yaml`` may carry
``!!python/object`` tags, which are read as plain data and never constructed.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import yaml

from .base import Claim, Folder, Problem, ReadResult, Run, Series, coerce_text, flatten
from .files import UnreadableFile, read_bytes, read_text

METRICS = "metrics.csv"
HPARAMS = "hparams.yaml"
META_TAGS = "meta_tags.csv"
COMPANIONS = frozenset({HPARAMS, META_TAGS})
VERSION_RE = re.compile(r"^version_\d+$")
# Lightning's default logger folder: it names no experiment, so the folder above it does.
DEFAULT_LOGGER_DIR = "lightning_logs"
# Sub-folders of a version folder that hold no results (ModelCheckpoint's weights).
PRUNED = frozenset({"checkpoints"})
STEP = "step"
CREATED_AT = "created_at"
HPARAMS_LIMIT = 16 * 1024 * 1024
# Values a hparams.yaml may hold before it is taken for an alias bomb and not read.
MAX_HPARAM_NODES = 200_000
MAX_HPARAM_DEPTH = 64
# ``[[[[...`` deeper than this is refused before parsing (the parser would take seconds, then overflow).
MAX_FLOW_DEPTH = 200
BRACKETS_RE = re.compile(r"[\[\]{}]")


class LightningCsvReader:
    name = "lightning_csv"
    version = 2

    def claim(self, folder: Folder) -> Claim | None:
        if METRICS not in folder.files:
            return None
        companions = COMPANIONS & folder.files
        is_version = VERSION_RE.match(os.path.basename(os.path.normpath(folder.path))) is not None
        if not companions and not is_version:
            return None
        names = [METRICS, *companions]
        files = tuple(sorted(os.path.join(folder.path, n) for n in names))
        return Claim(self.name, folder.path, files, PRUNED & folder.dirs if is_version else frozenset())

    def read(self, claim: Claim) -> ReadResult:
        problems: list[Problem] = []
        by_name = {os.path.basename(p): p for p in claim.files}
        csv_path = by_name.get(METRICS, os.path.join(claim.folder, METRICS))
        table = _read_table(csv_path, problems)
        if table is None:
            return ReadResult(problems=problems)
        if not table.has_points:
            problems.append(Problem(csv_path, self.name, "no metric rows"))
            return ReadResult(problems=problems)
        params: dict[str, Any] = {}
        notes = list(table.notes)
        read_files = [csv_path]
        if HPARAMS in by_name and _read_hparams(by_name[HPARAMS], params, notes, problems):
            read_files.append(by_name[HPARAMS])
        if META_TAGS in by_name and _read_meta_tags(by_name[META_TAGS], params, problems):
            read_files.append(by_name[META_TAGS])
        series = table.series()
        metrics = {name: v for name, s in series.items() if (v := s.last_finite()) is not None}
        name, experiment = run_names(claim.folder)
        run = Run(
            key="",
            name=name,
            source=self.name,
            path=claim.folder,
            experiment=experiment,
            status="unknown",
            step=table.max_step,
            params=dict(sorted(params.items())),
            metrics=dict(sorted(metrics.items())),
            series=series,
            files=sorted(read_files),
            notes=notes,
        )
        return ReadResult(runs=[run], problems=problems)


def run_names(folder: str) -> tuple[str, str | None]:
    """``(name, experiment)`` from where the version folder sits.

    The experiment is the logger's ``name`` folder above ``version_N``; when that
    is Lightning's default ``lightning_logs`` it says nothing, so the folder above
    it (usually the project) is used. The run is ``<experiment>/version_N``.
    """
    path = os.path.normpath(folder)
    leaf = os.path.basename(path) or path
    parent = os.path.dirname(path)
    experiment = os.path.basename(parent)
    if experiment == DEFAULT_LOGGER_DIR:
        experiment = os.path.basename(os.path.dirname(parent)) or experiment
    if not experiment:
        return leaf, None
    return f"{experiment}/{leaf}", experiment


# ---------------------------------------------------------------- metrics.csv


@dataclass(slots=True)
class _Column:
    """One column of metrics.csv merged by step, with counts of the cells read as missing."""

    name: str
    at: int
    points: dict[int, float] = field(default_factory=dict)
    cells: int = 0
    nan: int = 0
    inf: int = 0
    bad: int = 0


@dataclass
class _Table:
    columns: list[_Column] = field(default_factory=list)
    times: dict[int, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    max_step: int | None = None

    @property
    def has_points(self) -> bool:
        return any(c.points for c in self.columns)

    def series(self) -> dict[str, Series]:
        out: dict[str, Series] = {}
        for column in self.columns:
            if not column.points:
                continue
            steps = sorted(column.points)
            time = None
            if self.times:
                time = np.array([self.times.get(s, math.nan) for s in steps], dtype=np.float64)
            out[column.name] = Series(
                name=column.name,
                x=np.array(steps, dtype=np.float64),
                y=np.array([column.points[s] for s in steps], dtype=np.float64),
                time=time,
            )
        return out


def _read_table(path: str, problems: list[Problem]) -> _Table | None:
    table = _Table()
    try:
        text = _csv_text(path, table.notes)
    except UnreadableFile as exc:
        problems.append(Problem(path, READER.name, str(exc)))
        return None
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    if not rows:
        problems.append(Problem(path, READER.name, "no header row"))
        return None
    header, body = rows[0], rows[1:]
    if body and len(body[-1]) < len(header) and not text.endswith(("\n", "\r")):
        body.pop()
        table.notes.append("The last line of metrics.csv is cut short (being written?); it was skipped.")
    _merge_rows(table, [h.strip() for h in header], body)
    return table


def _csv_text(path: str, notes: list[str]) -> str:
    """The text of metrics.csv; NUL padding left at its end by a crash mid-write is dropped."""
    try:
        text = read_text(path)
    except UnreadableFile as exc:
        if not str(exc).startswith("binary"):
            raise
        data = read_bytes(path).rstrip(b"\x00")
        if b"\x00" in data or not data.strip():
            raise
        text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
        notes.append("metrics.csv ends in NUL bytes (a crash mid-write?); they were dropped.")
    if "\x00" in text:
        notes.append("metrics.csv holds NUL bytes (a crash mid-write?); they were dropped.")
        text = text.replace("\x00", "")
    return text


def _merge_rows(table: _Table, header: list[str], body: list[list[str]]) -> None:
    """Merge sparse rows by step; a TestTube file without ``step`` uses the row number."""
    step_at = header.index(STEP) if STEP in header else None
    time_at = header.index(CREATED_AT) if CREATED_AT in header else None
    table.columns = [_Column(h, i) for i, h in enumerate(header) if h and i not in (step_at, time_at)]
    step = -1
    bad_steps = 0
    for number, row in enumerate(body):
        parsed = _parse_step(row[step_at]) if step_at is not None and step_at < len(row) else None
        if step_at is None:
            step = number
        elif parsed is not None:
            step = parsed
        else:
            bad_steps += 1
            step = max(step, 0)
        table.max_step = step if table.max_step is None else max(table.max_step, step)
        if time_at is not None and time_at < len(row) and (when := _parse_time(row[time_at])) is not None:
            table.times[step] = when
        _put_row(table.columns, row, step)
    table.notes += _count_notes(table.columns, bad_steps, step_at is None and bool(body))


def _put_row(columns: list[_Column], row: list[str], step: int) -> None:
    """The hot loop: one row's cells into their columns (float() reads nan/inf in any case)."""
    width = len(row)
    for column in columns:
        if column.at >= width:
            break
        cell = row[column.at]
        if not cell:
            continue
        try:
            value = float(cell)
        except ValueError:
            column.bad += 0 if cell.isspace() else 1
            continue
        column.cells += 1
        if value - value != 0:  # NaN or an infinity: missing
            if value == value:
                column.inf += 1
                value = math.nan
            else:
                column.nan += 1
        old = column.points.get(step)
        # Two rows at one step: a real value beats a logged NaN, else the later row wins.
        if old is None or old != old or value == value:
            column.points[step] = value


def _parse_step(cell: str) -> int | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value >= 0 else None


def _parse_time(cell: str) -> float | None:
    """TestTube's ``created_at`` (``2019-08-05 17:23:51.123456``, local time) as unix seconds."""
    try:
        return datetime.fromisoformat(cell.strip()).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _count_notes(columns: list[_Column], bad_steps: int, no_step_column: bool) -> list[str]:
    notes: list[str] = []
    if no_step_column:
        notes.append("metrics.csv has no step column (TestTube layout): the row number is used as the step.")
    if bad_steps:
        notes.append(f"{bad_steps} row(s) without a readable step were merged into the step before them.")
    nan = ", ".join(f"{c.name} {c.nan}/{c.cells}" for c in columns if c.nan)
    if nan:
        notes.append(f"Values logged as NaN, read as missing: {nan}.")
    inf = ", ".join(f"{c.name} {c.inf}/{c.cells}" for c in columns if c.inf)
    if inf:
        notes.append(f"Infinite values, read as missing: {inf}.")
    text = ", ".join(c.name for c in columns if c.bad and not c.cells)
    if text:
        notes.append(f"Column(s) holding text, not numbers, were not plotted: {text}.")
    garbled = ", ".join(f"{c.name} {c.bad}" for c in columns if c.bad and c.cells)
    if garbled:
        notes.append(f"Unreadable cells skipped: {garbled}.")
    return notes


# ---------------------------------------------------------------- hparams


class _TolerantLoader(yaml.SafeLoader):
    """A SafeLoader that reads Python-object and unknown tags as their plain content.

    Nothing is imported or constructed: ``!!python/object:argparse.Namespace`` becomes
    its mapping, ``!!python/name:torch.nn.ReLU`` the text ``torch.nn.ReLU``.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.odd_tags: set[str] = set()


def _plain(loader: _TolerantLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _construct_python(loader: _TolerantLoader, suffix: str, node: yaml.Node) -> Any:
    kind, _, target = suffix.partition(":")
    loader.odd_tags.add(target or kind)
    content = _plain(loader, node)
    if kind in ("name", "module"):
        return target
    if kind in ("tuple", "list", "dict", "str", "unicode", "none", "int", "long", "float", "bool"):
        return _python_scalar(kind, content)
    if kind in ("object/apply", "object/new"):
        return _applied(target, content)
    return content  # python/object:<class>: its attributes


def _python_scalar(kind: str, content: Any) -> Any:
    if kind == "none":
        return None
    if kind == "bool" and isinstance(content, str):
        return content.strip().lower() in ("true", "yes", "1")
    if kind in ("int", "long", "float") and isinstance(content, str):
        try:
            return int(content) if kind != "float" else float(content)
        except ValueError:
            return content
    return content


def _applied(target: str, content: Any) -> Any:
    """What ``target(*args)`` stood for, as data: a numpy scalar's number, a path's text..."""
    args = content.get("args", []) if isinstance(content, dict) else content
    if isinstance(content, dict) and isinstance(content.get("state"), dict):
        return content["state"]
    if not isinstance(args, list):
        return f"<{target}>"
    if target.endswith(".dtype") and args and isinstance(args[0], str):
        return args[0]  # numpy.dtype('f8', False, True): the spec is what matters
    if target.endswith("multiarray.scalar") and len(args) == 2:
        number = _numpy_scalar(args[0], args[1])
        if number is not None:
            return number
    if target.startswith("pathlib.") and args and all(isinstance(a, str) for a in args):
        return os.path.join(*args)
    if target in ("collections.OrderedDict", "builtins.dict") and len(args) == 1:
        pairs = args[0]
        if isinstance(pairs, list) and all(isinstance(p, list) and len(p) == 2 for p in pairs):
            return {str(k): v for k, v in pairs}
    shown = ", ".join(repr(a) for a in args if not isinstance(a, (dict, bytes)))
    return f"{target}({shown[:200]})"


def _numpy_scalar(spec: Any, raw: Any) -> float | int | bool | None:
    """A numpy scalar pickled into YAML: ``[dtype(f8, ...), !!binary bytes]``; only plain numbers."""
    if not isinstance(spec, str) or not isinstance(raw, bytes) or not NUMPY_DTYPE_RE.match(spec):
        return None
    try:
        value = np.frombuffer(raw, dtype=np.dtype(spec), count=1)[0]
    except (TypeError, ValueError):
        return None
    item: float | int | bool = value.item()
    return item


def _construct_unknown(loader: _TolerantLoader, node: yaml.Node) -> Any:
    loader.odd_tags.add(str(node.tag))
    return _plain(loader, node)


_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_python)
_TolerantLoader.add_constructor(None, _construct_unknown)


class _TooBig(Exception):
    pass


@dataclass
class _Cleaner:
    """Turns loaded YAML into plain, printable values: bytes and dates become text.

    Aliases may share (or even contain) a value; expanding them is capped by a
    budget so an alias bomb is refused, and a value inside itself is cut.
    """

    budget: int = MAX_HPARAM_NODES
    active: set[int] = field(default_factory=set)

    def clean(self, value: Any, depth: int = 0) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooBig
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
        if isinstance(value, bytes):
            return f"<{len(value)} bytes>"
        if not isinstance(value, (dict, list, tuple, set, frozenset)):
            return str(value)  # dates and times
        if id(value) in self.active:
            return "<recursive>"
        if depth >= MAX_HPARAM_DEPTH:
            return "<nested too deeply>"
        self.active.add(id(value))
        try:
            if isinstance(value, dict):
                return {str(k): self.clean(v, depth + 1) for k, v in value.items()}
            return [self.clean(v, depth + 1) for v in value]
        finally:
            self.active.discard(id(value))


def _read_hparams(path: str, params: dict[str, Any], notes: list[str], problems: list[Problem]) -> bool:
    """Flatten hparams.yaml into ``params``; a broken file is a problem, not a lost run."""
    try:
        text = read_text(path, HPARAMS_LIMIT)
    except UnreadableFile as exc:
        if str(exc) == "empty file":
            return True
        problems.append(Problem(path, READER.name, f"hparams not read: {exc}"))
        return False
    if _flow_depth(text) > MAX_FLOW_DEPTH:  # the pure-Python parser slows to a crawl, then overflows
        problems.append(Problem(path, READER.name, "hparams not read: nested too deeply"))
        return False
    try:
        loader = _TolerantLoader(text)
    except Exception as exc:  # yaml's reader rejects control characters in its constructor
        problems.append(Problem(path, READER.name, f"hparams not read: malformed YAML ({_short(exc)})"))
        return False
    try:
        data = _Cleaner().clean(loader.get_single_data())
    except _TooBig:
        problems.append(Problem(path, READER.name, "hparams not read: too many values (an alias bomb?)"))
        return False
    except RecursionError:
        problems.append(Problem(path, READER.name, "hparams not read: nested too deeply"))
        return False
    except Exception as exc:  # the YAML parser may raise more than YAMLError on hostile input
        problems.append(Problem(path, READER.name, f"hparams not read: malformed YAML ({_short(exc)})"))
        return False
    finally:
        loader.dispose()
    if data is None:
        return True
    if not isinstance(data, dict):
        found = type(data).__name__
        problems.append(Problem(path, READER.name, f"hparams not read: a {found}, not a mapping"))
        return False
    params.update(flatten(data))
    if loader.odd_tags:
        tags = ", ".join(sorted(loader.odd_tags)[:5])
        notes.append(
            f"hparams.yaml has Python-object or custom tags ({tags}); read as data, not constructed."
        )
    return True


def _flow_depth(text: str) -> int:
    """How deep ``[``/``{`` brackets nest (quotes ignored: it only has to catch the absurd)."""
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return 0
    depth = top = 0
    for match in BRACKETS_RE.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(depth - 1, 0)
        top = max(top, depth)
    return top


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:160] + ("…" if len(text) > 160 else "")


def _read_meta_tags(path: str, params: dict[str, Any], problems: list[Problem]) -> bool:
    """TestTube's ``meta_tags.csv``: ``key,value`` rows, values written with ``str()``."""
    try:
        text = read_text(path, HPARAMS_LIMIT)
    except UnreadableFile as exc:
        problems.append(Problem(path, READER.name, f"meta tags not read: {exc}"))
        return False
    rows = [row for row in csv.reader(io.StringIO(text.replace("\x00", ""), newline="")) if row]
    if rows and [c.strip().lower() for c in rows[0]] == ["key", "value"]:
        rows = rows[1:]
    for row in rows:
        if len(row) >= 2 and row[0].strip():
            params.setdefault(row[0].strip(), coerce_text(",".join(row[1:])))
    return True


NUMPY_DTYPE_RE = re.compile(r"^[<>|=]?[fiub]\d{1,2}$")
READER = LightningCsvReader()
