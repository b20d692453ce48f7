"""Hugging Face Trainer output folders (``transformers.Trainer`` and TRL trainers).

An output folder holds ``trainer_state.json`` (its ``log_history`` is the run's
curves) and, at the end of training, ``all_results.json`` / ``train_results.json``
/ ``eval_results.json`` / ``test_results.json``, plus ``config.json`` (model) or
``adapter_config.json`` (PEFT). ``checkpoint-<N>`` and ``last-checkpoint``
sub-folders are snapshots of the same run, each with its own ``trainer_state.json``
whose history is a prefix of the final one: the folder is ONE run, read from the
longest history, and the snapshots are pruned from the walk.

Quirks handled: eval sets logged as separate ``log_history`` rows at the same step
(merged by step), ``NaN``/``Infinity`` values (gaps), ``num_train_epochs`` written
as ``sys.maxsize`` when only ``max_steps`` bounds training (read as missing), and
``best_metric`` that does not say which metric it is (inferred when possible).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import accumulate, chain
from typing import Any

import numpy as np

from .base import Claim, Folder, Problem, ReadResult, Run, Series, flatten
from .files import UnreadableFile, load_json_object

STATE = "trainer_state.json"
TENSORBOARD_DIR = "runs"  # report_to="tensorboard" writes here inside the output folder
ARGS = "training_args.json"
# Results files in overlay order: the per-split files are written last, so they win.
RESULTS = ("all_results.json", "train_results.json", "eval_results.json", "test_results.json")
# Written by the example scripts only after training ended: evidence of completion.
FINAL_RESULTS = frozenset(RESULTS[:3])
CONFIGS = ((ARGS, ""), ("config.json", "model"), ("adapter_config.json", "adapter"))
SNAPSHOT_FILES = (STATE, *(name for name, _ in CONFIGS))
LAST_CHECKPOINT = "last-checkpoint"
JSON_TYPES = {dict: "an object", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
# trainer_state top-level scalars that describe the run's setup.
STATE_PARAMS = (
    "max_steps",
    "num_train_epochs",
    "train_batch_size",
    "logging_steps",
    "eval_steps",
    "save_steps",
    "best_global_step",
    "best_model_checkpoint",
    "trial_name",
)
# Folder names that say nothing about the experiment: the experiment is the folder above.
GENERIC_NAMES = frozenset(
    {"output", "outputs", "out", "result", "results", "trainer_output", "model", "models", "final", "runs"}
)


def _checkpoint_number(name: str) -> int | None:
    """``checkpoint-500`` -> 500 (HF's ``PREFIX_CHECKPOINT_DIR-<step>``), else None."""
    if not name.startswith("checkpoint-"):
        return None
    digits = name[len("checkpoint-") :]
    return int(digits) if digits.isascii() and digits.isdigit() else None


def _is_snapshot(name: str) -> bool:
    return name == LAST_CHECKPOINT or _checkpoint_number(name) is not None


def _is_partial_snapshot(name: str) -> bool:
    """``tmp-checkpoint-N``: a snapshot being saved right now; owned, never read."""
    return name.startswith("tmp-") and _checkpoint_number(name[4:]) is not None


# Integers strictly inside this bound convert to a finite float.
INT_FLOATS = 2**1023


def _number(value: Any) -> float | None:
    """A JSON number as a float (NaN/inf kept), or None; huge integers become inf."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _finite(value: Any) -> float | None:
    if type(value) is float:  # the common case, without _number's checks
        return value if math.isfinite(value) else None
    number = _number(value)
    return number if number is not None and math.isfinite(number) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class _State:
    """One parsed ``trainer_state.json``; ``where`` is ``""`` (root) or the snapshot folder."""

    where: str
    path: str
    data: dict[str, Any]
    history: list[Any] | None

    @property
    def global_step(self) -> int | None:
        step = _int(self.data.get("global_step"))
        if step is not None:
            return step
        steps = [_finite(row.get("step")) for row in self.history or () if isinstance(row, dict)]
        finite = [s for s in steps if s is not None]
        return int(max(finite)) if finite else None

    def rank(self) -> tuple[bool, float, int]:
        step = self.global_step
        return (self.history is not None, -math.inf if step is None else step, len(self.history or ()))


class HFTrainerReader:
    name = "hf_trainer"
    version = 3

    def claim(self, folder: Folder) -> Claim | None:
        own = (STATE, *RESULTS, *SNAPSHOT_FILES[1:])
        files = [os.path.join(folder.path, n) for n in own if n in folder.files]
        prune: set[str] = set()
        for name in folder.dirs:
            if not (_is_snapshot(name) or _is_partial_snapshot(name)):
                continue
            sub = folder.sub(name)
            if sub is None or STATE not in sub.files:
                continue
            prune.add(name)
            if _is_snapshot(name):
                files.extend(os.path.join(sub.path, n) for n in SNAPSHOT_FILES if n in sub.files)
        has_state = STATE in folder.files or any(_is_snapshot(name) for name in prune)
        if not has_state:
            return None
        if TENSORBOARD_DIR in folder.dirs:
            # Trainer's own TensorBoard copy of log_history (runs/<date>_<host>/): the same curves,
            # which would otherwise show as a second run of the same training.
            prune.add(TENSORBOARD_DIR)
        return Claim(self.name, folder.path, tuple(sorted(files)), frozenset(prune))

    def read(self, claim: Claim) -> ReadResult:
        problems: list[Problem] = []
        by_place = _group(claim)
        root = by_place.get("", {})
        loaded = _load_states(by_place, problems)
        state = max(loaded, key=_State.rank) if loaded else None  # ties: first loaded, the root
        read_files = [s.path for s in loaded]
        metrics, results_read, results_notes = _read_results(root, problems)
        read_files += results_read
        if state is None and not results_read:
            return ReadResult(problems=problems)
        notes = _snapshot_notes(by_place, state, root) + results_notes
        places = [""] + [s.where for s in sorted(loaded, key=_State.rank, reverse=True) if s.where]
        params, configs_read = _read_configs(by_place, places, problems)
        read_files += configs_read
        series: dict[str, Series] = {}
        if state is not None:
            curves = _series(state.history or [])
            series = curves.series
            notes += curves.notes
            notes += _state_params(state.data, params)
            for name, last in curves.last.items():
                metrics.setdefault(name, last)
            best = _finite(state.data.get("best_metric"))
            if best is not None:
                metrics["best_metric"] = best
                notes += _best_metric_note(state.data, series, params, best)
        folder = os.path.normpath(claim.folder)
        run = Run(
            key="",
            name=os.path.basename(folder) or folder,
            source=self.name,
            path=claim.folder,
            experiment=_experiment(folder),
            status=_status(state, root),
            step=state.global_step if state is not None else None,
            params=dict(sorted(params.items())),
            metrics=dict(sorted(metrics.items())),
            series=series,
            files=sorted(read_files),
            notes=notes,
        )
        return ReadResult(runs=[run], problems=problems)


# ---------------------------------------------------------------- reading the files


def _group(claim: Claim) -> dict[str, dict[str, str]]:
    """Claimed files by place: ``""`` for the output folder, else the snapshot folder name."""
    places: dict[str, dict[str, str]] = {}
    folder = os.path.normpath(claim.folder)
    for path in claim.files:
        parent = os.path.dirname(os.path.normpath(path))
        place = "" if parent == folder else os.path.basename(parent)
        places.setdefault(place, {})[os.path.basename(path)] = path
    return places


def _load_state(where: str, path: str, problems: list[Problem]) -> _State | None:
    try:
        data = load_json_object(path)
    except UnreadableFile as exc:
        problems.append(Problem(path, READER.name, str(exc)))
        return None
    history = data.get("log_history")
    if not isinstance(history, list):
        found = "missing" if history is None else JSON_TYPES.get(type(history), "of another type")
        problems.append(Problem(path, READER.name, f"log_history is {found}, not a list; no curves read"))
        history = None
    return _State(where, path, data, history)


def _load_states(by_place: Mapping[str, Mapping[str, str]], problems: list[Problem]) -> list[_State]:
    """The root state, ``last-checkpoint`` and the newest readable ``checkpoint-N``.

    Older numbered snapshots hold a prefix of the newest one's history, so they
    are read only when every newer one is broken.
    """
    loaded: list[_State] = []
    for where in ("", LAST_CHECKPOINT):
        path = by_place.get(where, {}).get(STATE)
        state = _load_state(where, path, problems) if path else None
        if state is not None:
            loaded.append(state)
    numbered = sorted(
        ((n, place) for place in by_place if (n := _checkpoint_number(place)) is not None), reverse=True
    )
    for _, place in numbered:
        path = by_place[place].get(STATE)
        state = _load_state(place, path, problems) if path else None
        if state is not None:
            loaded.append(state)
            if state.history is not None:
                break
    return loaded


def _read_results(
    root: Mapping[str, str], problems: list[Problem]
) -> tuple[dict[str, float], list[str], list[str]]:
    """Final metrics from the ``*_results.json`` files (finite numbers only), the files read,
    and a note per file naming its NaN / infinite values (read as missing)."""
    metrics: dict[str, float] = {}
    read: list[str] = []
    notes: list[str] = []
    for name in RESULTS:
        path = root.get(name)
        if path is None:
            continue
        try:
            data = load_json_object(path)
        except UnreadableFile as exc:
            problems.append(Problem(path, READER.name, str(exc)))
            continue
        read.append(path)
        non_finite: list[str] = []
        for key, value in data.items():
            number = _finite(value)
            if number is not None:
                metrics[str(key)] = number
            elif _number(value) is not None:
                non_finite.append(str(key))
        if non_finite:
            notes.append(f"{name}: {', '.join(non_finite)} not finite (NaN or infinite); not used.")
    return metrics, read, notes


def _read_configs(
    by_place: Mapping[str, Mapping[str, str]], places: list[str], problems: list[Problem]
) -> tuple[dict[str, Any], list[str]]:
    """Each config from the output folder, else from the snapshot the history came from."""
    params: dict[str, Any] = {}
    read: list[str] = []
    for name, prefix in CONFIGS:
        for place in dict.fromkeys(places):
            path = by_place.get(place, {}).get(name)
            if path is None:
                continue
            try:
                data = load_json_object(path)
            except UnreadableFile as exc:
                problems.append(Problem(path, READER.name, str(exc)))
                continue
            read.append(path)
            params.update(flatten(data, prefix))
            break
    return params, read


# ---------------------------------------------------------------- interpreting them


@dataclass
class _Curves:
    """``log_history`` read as curves, with each curve's last finite value (its metric)."""

    series: dict[str, Series]
    last: dict[str, float]
    notes: list[str]


def _series(history: Iterable[Any]) -> _Curves:
    """Every numeric key of ``log_history`` as a curve by step; rows at one step merge.

    All curves are converted in one numpy pass (a history has a dozen keys, and
    per-curve numpy calls cost more than the conversion itself)."""
    columns, skipped = _columns(history)
    names = sorted(columns, key=str)
    starts = [0, *accumulate(len(columns[key][0]) for key in names)]
    x_all = np.array(list(chain.from_iterable([columns[key][0] for key in names])), dtype=np.float64)
    y_all = np.array(list(chain.from_iterable([columns[key][1] for key in names])), dtype=np.float64)
    finite = np.isfinite(y_all)
    non_finite = int(finite.size - np.count_nonzero(finite))
    if non_finite:
        y_all[~finite] = np.nan
    # Per curve: whether any value is not finite, and whether its steps ever fail to rise.
    rising = np.ones(x_all.size, dtype=bool)
    np.greater(x_all[1:], x_all[:-1], out=rising[1:])
    rising[starts[1:-1]] = True  # a curve's first point follows another curve's last
    heads = starts[:-1]
    gaps = np.logical_or.reduceat(~finite, heads).tolist() if names else []
    unsorted = np.logical_or.reduceat(~rising, heads).tolist() if names else []
    curves = _Curves({}, {}, [])
    for i, key in enumerate(names):
        x, y = x_all[starts[i] : starts[i + 1]], y_all[starts[i] : starts[i + 1]]
        if unsorted[i]:
            x, y = _merge_steps(x, y)
        curve = Series(name=str(key), x=x, y=y, x_kind="step")
        curves.series[curve.name] = curve
        last = float(y[-1]) if not gaps[i] else curve.last_finite()
        if last is not None:
            curves.last[curve.name] = last
    if skipped:
        curves.notes.append(f"{skipped} log_history entries without a numeric step were skipped.")
    if non_finite:
        curves.notes.append(f"{non_finite} logged values were NaN or infinite; they are gaps in the curves.")
    return curves


def _columns(history: Iterable[Any]) -> tuple[dict[Any, tuple[list[float], list[float]]], int]:
    """Per key, its steps and values in file order, built in one pass; and how many rows
    had no numeric step. This loop runs for every logged value: hence the ``type()``
    fast path for floats and ints, which make up nearly all of them."""
    columns: dict[Any, tuple[list[float], list[float]]] = {}
    skipped = 0
    for row in history:
        step = row.get("step") if isinstance(row, dict) else None
        if type(step) is int and -INT_FLOATS < step < INT_FLOATS:
            step = float(step)
        elif type(step) is not float or not math.isfinite(step):
            step = _finite(step)
        if step is None:
            skipped += 1
            continue
        for key, value in row.items():
            kind = type(value)
            if kind is float:
                number = value
            elif kind is int:
                if key == "step":  # every row's, and the row's only int as a rule
                    continue
                try:
                    number = float(value)
                except OverflowError:
                    number = math.inf
            elif (number := _number(value)) is None:
                continue
            if key in columns:
                steps, values = columns[key]
            else:
                steps, values = columns[key] = ([], [])
            steps.append(step)
            values.append(number)
    columns.pop("step", None)
    return columns, skipped


def _merge_steps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort by step; of points at one step the last logged wins (as a dict keyed by step
    would keep them: the first step value, the last y)."""
    if not np.all(x[1:] >= x[:-1]):  # usually only repeated steps (train and eval rows)
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    first = np.empty(x.size, dtype=bool)
    first[0] = True
    np.not_equal(x[1:], x[:-1], out=first[1:])
    last = np.empty(x.size, dtype=bool)
    last[-1] = True
    last[:-1] = first[1:]
    return x[first], y[last]


def _state_params(data: Mapping[str, Any], params: dict[str, Any]) -> list[str]:
    """trainer_state's effective settings; they override training_args (``max_steps=-1``...)."""
    notes: list[str] = []
    for key in STATE_PARAMS:
        value = data.get(key)
        if value is None or isinstance(value, (dict, list)):
            continue
        if key == "num_train_epochs" and value == sys.maxsize:
            params.pop(key, None)
            notes.append("num_train_epochs is sys.maxsize (training bounded by max_steps only); left empty.")
            continue
        if params.get(key) is not None and params[key] != value:
            notes.append(
                f"{key}: training_args says {params[key]!r}, trainer_state {value!r}; kept the latter."
            )
        params[key] = value
    return notes


def _best_step(data: Mapping[str, Any]) -> int | None:
    step = _int(data.get("best_global_step"))
    checkpoint = data.get("best_model_checkpoint")
    if step is None and isinstance(checkpoint, str):  # a path, maybe foreign: only its name is used
        step = _checkpoint_number(os.path.basename(checkpoint.rstrip("/\\")))
    return step


def _best_metric_note(
    data: Mapping[str, Any], series: Mapping[str, Series], params: Mapping[str, Any], best: float
) -> list[str]:
    """Say which metric ``best_metric`` is: from training_args, else the eval curve matching it."""
    named = params.get("metric_for_best_model")
    if isinstance(named, str) and named:
        return [f"best_metric is metric_for_best_model ({named})."]
    step = _best_step(data)
    if step is None:
        return []
    matches = [
        name
        for name, curve in series.items()
        if name.startswith("eval_") and np.any((curve.x == step) & np.isclose(curve.y, best, rtol=1e-12))
    ]
    if len(matches) != 1:
        return []
    return [f"best_metric matches {matches[0]} at step {step} (the file does not name the metric)."]


def _snapshot_order(place: str) -> tuple[float, str]:
    number = _checkpoint_number(place)
    return (math.inf if number is None else number, place)


def _snapshot_notes(by_place: Mapping[str, Any], state: _State | None, root: Mapping[str, str]) -> list[str]:
    snapshots = sorted((p for p in by_place if p), key=_snapshot_order)
    if not snapshots or state is None:
        return []
    origin = "the output folder" if not state.where else state.where
    counted = "1 checkpoint snapshot" if len(snapshots) == 1 else f"{len(snapshots)} checkpoint snapshots"
    note = f"{counted} ({', '.join(snapshots)}) read as one run; history from {origin}."
    if STATE in root and state.where:
        note += " The output folder's trainer_state.json was unusable or shorter."
    return [note]


def _status(state: _State | None, root: Mapping[str, str]) -> str:
    """Completed on explicit evidence only: the step budget reached, final results, or a stop flag."""
    if any(name in root for name in FINAL_RESULTS):
        return "completed"
    if state is None:
        return "unknown"
    step, max_steps = state.global_step, _int(state.data.get("max_steps"))
    if step is not None and max_steps is not None and max_steps > 0 and step >= max_steps:
        return "completed"
    control = state.data.get("stateful_callbacks")
    control = control.get("TrainerControl") if isinstance(control, dict) else None
    args = control.get("args") if isinstance(control, dict) else None
    if isinstance(args, dict) and args.get("should_training_stop") is True:
        return "completed"
    return "unknown"


def _experiment(folder: str) -> str:
    """The folder's name, or the nearest ancestor's when it is ``output``/``results``/a checkpoint."""
    parts = [p for p in folder.split(os.sep) if p]
    for name in reversed(parts[-4:]):
        if name.lower() not in GENERIC_NAMES and not _is_snapshot(name):
            return name
    return parts[-1] if parts else folder


READER = HFTrainerReader()
