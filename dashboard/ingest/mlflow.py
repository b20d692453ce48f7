"""MLflow file stores: ``mlruns/<experiment_id>/<run_id>/{meta.yaml,metrics,params,tags}``.

The whole store is one claim (claimed at ``mlruns``, everything under it pruned)
with one run per run folder. Every value lives in its own small file: a param or
tag file holds its value as text, a metric file holds ``<timestamp_ms> <value>
<step>`` lines (very old files have no step). Names with ``/`` are sub-folders.

Quirks handled here: old and new ``meta.yaml`` field names (``run_uuid``/``run_id``,
``name``/``run_name``), status as an integer or a name, deleted runs left in place
(``lifecycle_stage: deleted``, skipped), a stray ``mlruns/mlruns`` (ignored), and
``mlflow.log-model.history`` tags holding whole JSON documents (summarised).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import yaml

from .base import Claim, Folder, Problem, ReadResult, Run, Series, coerce_text
from .files import UnreadableFile, read_bytes, read_text

STORE_DIR = "mlruns"
META = "meta.yaml"
PARTS = ("metrics", "params", "tags")
# Folders of a store that are not experiments (the model registry; trash is a dot-folder).
NOT_EXPERIMENTS = frozenset({STORE_DIR, "models"})
MAX_NAME_DEPTH = 8  # metrics/a/b/c...: names with slashes are nested folders
VALUE_LIMIT = 4 * 1024 * 1024
META_LIMIT = 1024 * 1024
MAX_BRACKETS = 1000
LONG_TAG = 500
MODEL_HISTORY_TAG = "mlflow.log-model.history"
RUN_NAME_TAG = "mlflow.runName"
STATUSES = {
    1: "running",
    2: "unknown",  # SCHEDULED: not started
    3: "completed",
    4: "failed",
    5: "failed",  # KILLED
}
STATUS_NAMES = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class MlflowReader:
    name = "mlflow"
    version = 2

    def claim(self, folder: Folder) -> Claim | None:
        named = os.path.basename(os.path.normpath(folder.path)) == STORE_DIR
        if not named and not _looks_like_store(folder):
            return None
        experiments = [(n, sub) for n, sub in _subs(folder) if _is_experiment(n, sub, named)]
        files: list[str] = []
        for _, exp in experiments:
            if META in exp.files:
                files.append(os.path.join(exp.path, META))
            for _, run in _subs(exp):
                if META in run.files or run.dirs & set(PARTS):
                    files.extend(_run_files(run))
        prune = folder.dirs if named else frozenset(n for n, _ in experiments)
        return Claim(self.name, folder.path, tuple(sorted(files)), frozenset(prune))

    def read(self, claim: Claim) -> ReadResult:
        problems: list[Problem] = []
        runs: list[Run] = []
        for exp_id, exp in sorted(_group(claim).items()):
            exp_meta = _load_meta(exp.meta, problems) if exp.meta else None
            if exp_meta is not None and exp_meta.get("lifecycle_stage") == "deleted":
                continue
            exp_name = _text(exp_meta.get("name")) if exp_meta else None
            for run_id, files in sorted(exp.runs.items()):
                run = _read_run(claim.folder, exp_id, run_id, files, problems)
                if run is None:
                    continue
                run.experiment = exp_name or exp_id
                if exp.meta and exp_meta is not None:
                    run.files = sorted([*run.files, exp.meta])
                runs.append(run)
        return ReadResult(runs=runs, problems=problems)


# ---------------------------------------------------------------- claiming


def _subs(folder: Folder) -> Iterator[tuple[str, Folder]]:
    for name in sorted(folder.dirs):
        if name.startswith("."):
            continue
        sub = folder.sub(name)
        if sub is not None:
            yield name, sub


def _looks_like_store(folder: Folder) -> bool:
    """A store under another name: a numbered sub-folder with a meta.yaml (names checked first)."""
    for name in folder.dirs:
        if name.isdigit():
            sub = folder.sub(name)
            if sub is not None and META in sub.files:
                return True
    return False


def _is_experiment(name: str, sub: Folder, in_store: bool) -> bool:
    """An experiment folder: numbered, with a meta.yaml (inside ``mlruns``: either is enough)."""
    if name in NOT_EXPERIMENTS:
        return False
    if in_store:
        return META in sub.files or name.isdigit()
    return name.isdigit() and META in sub.files


def _run_files(run: Folder) -> list[str]:
    files = [os.path.join(run.path, META)] if META in run.files else []
    for part in PARTS:
        sub = run.sub(part)
        if sub is not None:
            files.extend(_all_files(sub, MAX_NAME_DEPTH))
    return files


def _all_files(folder: Folder, depth: int) -> list[str]:
    files = [os.path.join(folder.path, n) for n in folder.files]
    if depth > 0:
        for _, sub in _subs(folder):
            files.extend(_all_files(sub, depth - 1))
    return files


# ---------------------------------------------------------------- reading


@dataclass
class _RunFiles:
    meta: str | None = None
    values: dict[str, dict[str, str]] = field(default_factory=lambda: {p: {} for p in PARTS})


@dataclass
class _Experiment:
    meta: str | None = None
    runs: dict[str, _RunFiles] = field(default_factory=dict)


def _group(claim: Claim) -> dict[str, _Experiment]:
    """Claimed files by experiment and run: ``exp/run/metrics/val/loss`` -> metric ``val/loss``."""
    root = os.path.normpath(claim.folder)
    experiments: dict[str, _Experiment] = {}
    for path in claim.files:
        parts = os.path.relpath(path, root).split(os.sep)
        exp = experiments.setdefault(parts[0], _Experiment())
        if parts[1:] == [META]:
            exp.meta = path
            continue
        if len(parts) < 3:
            continue
        run = exp.runs.setdefault(parts[1], _RunFiles())
        if parts[2:] == [META]:
            run.meta = path
        elif len(parts) >= 4 and parts[2] in PARTS:
            run.values[parts[2]]["/".join(parts[3:])] = path
    return experiments


def _load_meta(path: str, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        text = read_text(path, META_LIMIT)
        # libyaml crashes the whole process on absurdly deep [[[[..., and no real meta.yaml nests.
        if text.count("[") + text.count("{") >= MAX_BRACKETS:
            raise yaml.YAMLError("nested too deeply")
        data = yaml.load(text, Loader=_Loader)
    except UnreadableFile as exc:
        problems.append(Problem(path, READER.name, str(exc)))
        return None
    except Exception as exc:  # the YAML parser may raise more than YAMLError on hostile input
        problems.append(Problem(path, READER.name, f"malformed meta.yaml ({_short(exc)})"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(path, READER.name, f"meta.yaml holds a {type(data).__name__}, not a mapping"))
        return None
    return data


def _read_run(store: str, exp_id: str, run_id: str, files: _RunFiles, problems: list[Problem]) -> Run | None:
    run_dir = os.path.join(store, exp_id, run_id)
    notes: list[str] = []
    meta = _load_meta(files.meta, problems) if files.meta else None
    if files.meta is None:
        problems.append(Problem(run_dir, READER.name, "run folder has no meta.yaml; name and status unknown"))
    if meta is not None and meta.get("lifecycle_stage") == "deleted":
        return None
    read_files = [files.meta] if meta is not None and files.meta else []
    params, read = _read_params(files.values["params"], problems)
    read_files += read
    tags, read = _read_tags(files.values["tags"], problems)
    read_files += read
    series, step, read = _read_metrics(files.values["metrics"], notes, problems)
    read_files += read
    for key, value in tags.items():
        params.setdefault(f"tags.{key}", value)
    status = _status(meta.get("status")) if meta else "unknown"
    if meta:
        notes += _time_notes(meta, status)
    return Run(
        key=f"{exp_id}/{run_id}",
        name=_run_name(meta or {}, tags, run_id),
        source=READER.name,
        path=run_dir,
        status=status,
        step=step,
        params=dict(sorted(params.items())),
        metrics={n: v for n, s in sorted(series.items()) if (v := s.last_finite()) is not None},
        series=series,
        files=sorted(read_files),
        notes=notes,
    )


def _run_name(meta: dict[str, Any], tags: dict[str, str], run_id: str) -> str:
    for value in (meta.get("run_name"), meta.get("name"), tags.get(RUN_NAME_TAG)):
        text = _text(value)
        if text:
            return text
    return _text(meta.get("run_id")) or _text(meta.get("run_uuid")) or run_id


def _status(value: Any) -> str:
    if isinstance(value, str):
        value = STATUS_NAMES.get(value.strip().upper(), int(value) if value.strip().isdecimal() else None)
    if isinstance(value, int) and not isinstance(value, bool):
        return STATUSES.get(value, "unknown")
    return "unknown"


def _time_notes(meta: dict[str, Any], status: str) -> list[str]:
    """Start and end times as a sentence: they describe the run but are not configuration."""
    start, end = _millis(meta.get("start_time")), _millis(meta.get("end_time"))
    notes: list[str] = []
    if start is not None and end is not None and end >= start:
        notes.append(f"MLflow: started {_when(start)}, ended {_when(end)} ({_duration(end - start)}).")
    elif start is not None:
        notes.append(f"MLflow: started {_when(start)}; no end time recorded.")
    if status == "running" and end is None:
        notes.append("MLflow still marks this run RUNNING: it may have stopped without reporting its end.")
    return notes


def _millis(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int) and not -(10**18) < value < 10**18:  # no clock of this universe
        return None
    if not math.isfinite(value):
        return None
    return value / 1000.0 if value > 0 else None


def _when(seconds: float) -> str:
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return f"{seconds:.0f} s after 1970"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:160] + ("…" if len(text) > 160 else "")


# ---------------------------------------------------------------- params, tags, metrics


def _read_value(path: str) -> str:
    """A param or tag file: its whole text (an empty file is an empty value)."""
    data = read_bytes(path, VALUE_LIMIT)
    if b"\x00" in data:
        raise UnreadableFile("binary file, not text")
    text = data.decode("utf-8", errors="replace")
    return text[:-1] if text.endswith("\n") else text


def _read_values(paths: dict[str, str], problems: list[Problem]) -> tuple[dict[str, str], list[str]]:
    values: dict[str, str] = {}
    read: list[str] = []
    for key, path in sorted(paths.items()):
        try:
            values[key] = _read_value(path)
        except UnreadableFile as exc:
            problems.append(Problem(path, READER.name, str(exc)))
            continue
        read.append(path)
    return values, read


def _read_params(paths: dict[str, str], problems: list[Problem]) -> tuple[dict[str, Any], list[str]]:
    values, read = _read_values(paths, problems)
    return {key: coerce_text(value) for key, value in values.items()}, read


def _read_tags(paths: dict[str, str], problems: list[Problem]) -> tuple[dict[str, str], list[str]]:
    values, read = _read_values(paths, problems)
    for key, value in values.items():
        if key == MODEL_HISTORY_TAG:
            values[key] = _model_history(value)
        elif len(value) > LONG_TAG:
            values[key] = f"{value[:LONG_TAG]}… ({len(value)} characters)"
    return values, read


def _model_history(value: str) -> str:
    """``mlflow.log-model.history`` is a JSON list of logged models: say what was logged."""
    try:
        models = json.loads(value)
    except ValueError:
        return f"{value[:LONG_TAG]}…" if len(value) > LONG_TAG else value
    if not isinstance(models, list):
        return f"{value[:LONG_TAG]}…" if len(value) > LONG_TAG else value
    described = []
    for model in models:
        if isinstance(model, dict):
            flavors = model.get("flavors")
            kinds = ", ".join(sorted(flavors)) if isinstance(flavors, dict) else "?"
            described.append(f"{model.get('artifact_path', '?')} ({kinds})")
    return f"{len(models)} logged model(s): {'; '.join(described)}"[: LONG_TAG * 2]


def _read_metrics(
    paths: dict[str, str], notes: list[str], problems: list[Problem]
) -> tuple[dict[str, Series], int | None, list[str]]:
    series: dict[str, Series] = {}
    read: list[str] = []
    max_step: int | None = None
    for name, path in sorted(paths.items()):
        try:
            text = read_text(path)
        except UnreadableFile as exc:
            problems.append(Problem(path, READER.name, str(exc)))
            continue
        parsed = _parse_metric(name, text, notes)
        if parsed is None:
            problems.append(Problem(path, READER.name, "no readable `<timestamp> <value> <step>` line"))
            continue
        series[name], top = parsed
        read.append(path)
        if top is not None:
            max_step = top if max_step is None else max(max_step, top)
    return series, max_step, read


def _parse_metric(name: str, text: str, notes: list[str]) -> tuple[Series, int | None] | None:
    """A metric file as a series sorted by step (then time); ``(series, max step)``."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    with_step = any(len(parts) == 3 for parts in lines)
    rows: list[tuple[float, float, float]] = []
    bad = 0
    for index, parts in enumerate(lines):
        row = _metric_row(parts, with_step, index)
        if row is None:
            bad += 1
        else:
            rows.append(row)
    if not rows:
        return None
    if bad:
        notes.append(f"metrics/{name}: {bad} unreadable line(s) skipped.")
    if not with_step and len(rows) > 1:
        notes.append(f"metrics/{name} logs no steps (old MLflow): the line order is used as the step.")
    rows.sort(key=lambda r: (r[0], r[1]))
    table = np.array(rows, dtype=np.float64)
    y = table[:, 2]
    if np.isinf(y).any():
        notes.append(f"metrics/{name}: {int(np.isinf(y).sum())} infinite value(s) read as missing.")
        y = np.where(np.isinf(y), np.nan, y)
    curve = Series(name=name, x=table[:, 0], y=y, time=table[:, 1] / 1000.0)
    return curve, int(table[-1, 0]) if with_step else None


def _metric_row(parts: list[str], with_step: bool, index: int) -> tuple[float, float, float] | None:
    """``(step, timestamp_ms, value)`` or None for a garbled or cut-short line."""
    if len(parts) != (3 if with_step else 2):
        return None
    try:
        stamp, value = float(parts[0]), float(parts[1])
        step = float(int(parts[2])) if with_step else float(index)
    except ValueError:
        return None
    return (step, stamp, value) if math.isfinite(stamp) else None


READER = MlflowReader()
