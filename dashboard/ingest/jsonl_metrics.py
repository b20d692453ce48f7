"""JSON-lines metric logs: moshi-finetune / mistral-finetune run folders and plain ``metrics.jsonl``.

moshi-finetune's ``MetricsLogger`` appends one JSON object per logged step to
``<run_dir>/metrics.train.jsonl`` (lr, step, loss, percent_done, wps, ... and an
``at`` UTC timestamp) and ``metrics.eval.jsonl`` (step, train_loss, perplexity,
eval_loss, ...), and ``TrainArgs.save`` writes ``args.yaml``. The folder is one
run. Any other ``metrics.jsonl`` works the same way: every numeric key is a
series against ``step`` (or the row number when rows have no step).

A log is read while training still appends to it, so a half-written last line
is expected and skipped without a problem.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import yaml

from .base import Claim, Folder, Problem, ReadResult, Run, Series, as_float, flatten
from .files import UnreadableFile, read_text

# Integers past this are beyond float range (a 400-digit JSON number): missing, not a crash.
FLOAT_MAX_INT = 10**308
METRICS_RE = re.compile(r"^metrics(?:\.([A-Za-z0-9_-]+))?\.jsonl$")
MAIN_TAGS = ("", "train")  # their keys keep their names; other files yield on a clash
ARGS_FILES = ("args.yaml", "args.yml")
FALLBACK_ARGS_FILES = ("config.yaml", "config.yml")
STEP_KEYS = ("step", "global_step", "iter", "iteration")
TIME_KEYS = ("at", "timestamp", "time")
# A number in a time key is a wall clock only if it is after 2001-09-09 (unix 1e9);
# smaller ones are durations (``time: 0.53`` s per step) and stay a series.
EPOCH_SECONDS_MIN = 1e9
EPOCH_MS_MIN = 1e12
PERCENT_DONE = "percent_done"
MAX_ARGS_ITEMS = 100_000
MAX_ARGS_BYTES = 16 * 1024 * 1024
MAX_ARGS_DEPTH = 64


def _tag(name: str) -> str | None:
    match = METRICS_RE.match(name)
    return None if match is None else (match.group(1) or "")


def _tag_order(path: str) -> tuple[int, str]:
    tag = _tag(os.path.basename(path)) or ""
    return (MAIN_TAGS.index(tag) if tag in MAIN_TAGS else len(MAIN_TAGS), tag)


class JsonlMetricsReader:
    name = "jsonl_metrics"
    version = 2

    def claim(self, folder: Folder) -> Claim | None:
        logs = [n for n in folder.files if _tag(n) is not None]
        if not logs:
            return None
        names = [*logs, *_args_file(folder.files)]
        # moshi-finetune mirrors the same values into tb/ (TensorBoard): one run, not two.
        prune = frozenset({"tb"}) & folder.dirs if any(_tag(n) for n in logs) else frozenset()
        files = tuple(sorted(os.path.join(folder.path, n) for n in names))
        return Claim(reader=self.name, folder=folder.path, files=files, prune=prune)

    def read(self, claim: Claim) -> ReadResult:
        result = ReadResult()
        run = Run(
            key="",
            name=os.path.basename(os.path.normpath(claim.folder)),
            source=self.name,
            path=claim.folder,
        )
        run.experiment = run.name
        logs = sorted((p for p in claim.files if _tag(os.path.basename(p)) is not None), key=_tag_order)
        for path in claim.files:
            if os.path.basename(path) not in (*ARGS_FILES, *FALLBACK_ARGS_FILES):
                continue
            try:
                run.params = load_args(path)
                run.files.append(path)
            except UnreadableFile as exc:
                result.problems.append(Problem(path, self.name, str(exc)))
        parsed: list[_Log] = []
        for path in logs:
            log = _read_log(path, result.problems, self.name)
            if log is not None:
                parsed.append(log)
                run.files.append(path)
        _fill_series(run, parsed)
        if not run.series and not run.params:
            if not result.problems and logs:
                result.problems.append(Problem(logs[0], self.name, _no_values_reason(parsed)))
            return result
        run.files.sort()
        result.runs.append(run)
        return result


def _no_values_reason(parsed: list[_Log]) -> str:
    """Why logs gave no run: nothing written yet, or rows without a single number."""
    rows = sum(log.rows for log in parsed)
    if not rows:
        return "no metric rows yet"
    return f"no numeric values in {rows} row{'s' if rows > 1 else ''} (numbers written as text are not read)"


def _args_file(names: frozenset[str]) -> list[str]:
    for group in (ARGS_FILES, FALLBACK_ARGS_FILES):
        for name in group:
            if name in names:
                return [name]
    return []


# ---------------------------------------------------------------- args.yaml


class _ArgsLoader(yaml.SafeLoader):
    """YAML 1.1 reads ``2e-6`` (no dot) as a string; YAML 1.2 and Python read a float."""


_ArgsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


def _plain(value: Any, budget: list[int], depth: int = 0) -> Any:
    """JSON-friendly values: the string ``None`` (``str(None)``) is null, dates are text.

    ``budget`` bounds the walk, so YAML aliases cannot expand into billions of nodes.
    """
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_ARGS_DEPTH:
        raise UnreadableFile("args file too large or too deeply nested to read")
    if isinstance(value, dict):
        return {str(k): _plain(v, budget, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, budget, depth + 1) for v in value]
    if value == "None":
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def load_args(path: str) -> dict[str, Any]:
    """``args.yaml`` flattened to dotted params."""
    text = read_text(path, limit=MAX_ARGS_BYTES)
    try:
        data = yaml.load(text, Loader=_ArgsLoader)  # a SafeLoader subclass: no object construction
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UnreadableFile(f"malformed YAML{where}") from None
    except RecursionError:
        raise UnreadableFile("YAML nested too deeply to read") from None
    if not isinstance(data, dict):
        raise UnreadableFile(f"expected a YAML mapping of arguments, found {type(data).__name__}")
    return flatten(_plain(data, [MAX_ARGS_ITEMS]))


# ---------------------------------------------------------------- jsonl


@dataclass
class _Log:
    file: str
    tag: str
    stepped: bool = False
    series: dict[str, Series] = field(default_factory=dict)
    repeated: int = 0
    unstepped: int = 0
    rows: int = 0  # JSON objects read, with or without a number
    notes: list[str] = field(default_factory=list)


@dataclass
class _Columns:
    """Rows as columns: one step and time per row, and per key the rows that have it."""

    steps: list[float] = field(default_factory=list)  # NaN where the row has no step
    times: list[float] = field(default_factory=list)
    values: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)

    def add(self, row: dict[str, Any]) -> None:
        """One row. Written for speed: a log can have hundreds of thousands of rows."""
        step_key, step = _row_step(row)
        time_key, when = _row_time(row)
        index = len(self.steps)
        self.steps.append(step)
        self.times.append(when)
        skip = (step_key, time_key) if step_key else (time_key, *STEP_KEYS)  # a NaN step is no value
        nested = self._put(index, row, skip)
        for key in nested:  # nested objects become dotted keys
            self._put(index, flatten(row[key], prefix=key), ())

    def _put(self, index: int, row: dict[str, Any], skip: tuple[str | None, ...]) -> list[str]:
        """Add the row's numbers; return the keys holding nested objects."""
        nested: list[str] = []
        columns = self.values
        for key, value in row.items():
            kind = type(value)  # exact types: a bool is not a number here
            if kind is float:
                y = value if math.isfinite(value) else math.nan
            elif kind is int:
                y = float(value) if -FLOAT_MAX_INT < value < FLOAT_MAX_INT else math.nan
            else:
                if kind is dict:
                    nested.append(key)
                continue
            if key in skip:
                continue
            column = columns.get(key)
            if column is None:
                column = columns[key] = ([], [])
            column[0].append(index)
            column[1].append(y)
        return nested


def _row_step(row: dict[str, Any]) -> tuple[str | None, float]:
    for key in STEP_KEYS:
        value = row.get(key)
        if type(value) is float and math.isfinite(value):
            return key, value
        if type(value) is int and -FLOAT_MAX_INT < value < FLOAT_MAX_INT:
            return key, float(value)
    return None, math.nan


def _row_time(row: dict[str, Any]) -> tuple[str | None, float]:
    for key in TIME_KEYS:
        moment = _time_of(row[key]) if key in row else None
        if moment is not None:
            return key, moment
    return None, math.nan


def _loads(line: str) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        pass
    try:  # Python's json writes NaN/Infinity tokens, which orjson refuses
        return json.loads(line)
    except (ValueError, RecursionError):
        return _BAD


_BAD = object()
_EPOCH = datetime(1970, 1, 1)


def _time_of(value: Any) -> float | None:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:  # moshi writes datetime.utcnow().isoformat(): UTC
            return (moment - _EPOCH).total_seconds()
        return moment.timestamp()
    number = as_float(value)
    if number is None or number < EPOCH_SECONDS_MIN:
        return None
    return number / 1000.0 if number >= EPOCH_MS_MIN else number


def _read_log(path: str, problems: list[Problem], reader: str) -> _Log | None:
    log = _Log(file=os.path.basename(path), tag=_tag(os.path.basename(path)) or "")
    try:
        text = read_text(path)
    except UnreadableFile as exc:
        if str(exc) == "empty file":
            log.notes.append(f"{log.file} is empty")
            return log
        problems.append(Problem(path, reader, str(exc)))
        return None
    lines = text.splitlines()
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    bad: list[int] = []
    columns = _Columns()
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        obj = _loads(line)
        if obj is _BAD and i == last:
            log.notes.append(f"{log.file}: incomplete last line ignored (still being written?)")
        elif not isinstance(obj, dict):
            bad.append(i + 1)
        else:
            columns.add(obj)
    if bad:
        first = f"first at line {bad[0]}" if len(bad) > 1 else f"line {bad[0]}"
        plural = "s" if len(bad) > 1 else ""
        problems.append(Problem(path, reader, f"{len(bad)} malformed line{plural} skipped ({first})"))
    log.rows = len(columns.steps)
    _collect(log, columns)
    return log


def _collect(log: _Log, columns: _Columns) -> None:
    """Columns -> series sorted by x; a repeated x keeps its last row (a resumed run rewrote it)."""
    steps = np.array(columns.steps, dtype=np.float64)
    times = np.array(columns.times, dtype=np.float64)
    has_step = np.isfinite(steps)
    log.stepped = bool(has_step.any())
    log.unstepped = int((~has_step).sum()) if log.stepped else 0
    xs = steps if log.stepped else np.arange(len(steps), dtype=np.float64)
    log.repeated = int(has_step.sum() - np.unique(steps[has_step]).size)
    for key, (rows, ys) in columns.values.items():
        index = np.array(rows, dtype=np.int64)
        y = np.array(ys, dtype=np.float64)
        if log.stepped:
            usable = has_step[index]
            index, y = index[usable], y[usable]
        if index.size == 0:
            continue
        # np.unique on the reversed rows finds each x's last row, sorted by x
        x, last = np.unique(xs[index][::-1], return_index=True)
        keep = index.size - 1 - last
        t = times[index][keep]
        log.series[key] = Series(
            name=key,
            x=x,
            y=y[keep],
            x_kind="step" if log.stepped else "row",
            time=t if np.isfinite(t).any() else None,
        )


# ---------------------------------------------------------------- the run


def _series_name(key: str, tag: str, earlier: set[str], own: set[str]) -> str:
    """A key keeps its name unless a log read before (the train log comes first)
    has it; then it gets ``<tag>_`` (``loss`` -> ``eval_loss``), or ``<tag>/``
    when that name is taken too (by an earlier log or by this log's own keys)."""
    if key not in earlier:
        return key
    prefix = tag or "metrics"
    candidate = f"{prefix}_{key}"
    if not key.startswith(f"{prefix}_") and candidate not in earlier and candidate not in own:
        return candidate
    return f"{prefix}/{key}"


def _fill_series(run: Run, logs: list[_Log]) -> None:
    renamed: list[str] = []
    steps: list[float] = []
    for log in logs:
        run.notes.extend(log.notes)
        if log.repeated:
            run.notes.append(f"{log.file}: {log.repeated} steps logged again (resumed?); last value kept")
        if log.unstepped:
            run.notes.append(f"{log.file}: {log.unstepped} rows without a step ignored")
        earlier, own = set(run.series), set(log.series)
        for key, series in log.series.items():
            name = _series_name(key, log.tag, earlier, own)
            if name != key:
                renamed.append(f"{key} -> {name}")
                series.name = name
            run.series[name] = series
            if log.stepped:
                steps.append(float(series.x[-1]))
    if renamed:
        run.notes.append("keys already used by the train log renamed: " + ", ".join(renamed))
    for name, series in run.series.items():
        value = series.last_finite()
        if value is not None:
            run.metrics[name] = value
    run.step = int(max(steps)) if steps else None
    run.status = _status(run)


def _status(run: Run) -> str:
    """Completed on evidence only: 100 % done, or the last step reached ``max_steps``."""
    done = run.series.get(PERCENT_DONE)
    if done is not None and np.nanmax(done.y, initial=-math.inf) >= 100.0 - 1e-9:
        return "completed"
    max_steps = as_float(run.params.get("max_steps"))
    if max_steps is not None and run.step is not None and run.step >= max_steps:
        return "completed"
    return "unknown"


READER = JsonlMetricsReader()
