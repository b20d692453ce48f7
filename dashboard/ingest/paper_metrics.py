"""Paper-metrics evaluation results (the moshi-finetune TTT fork's format).

Layout: ``<experiment>/checkpoints/checkpoint_NNNNNN/consolidated/`` holds
``paper_metrics_results.json`` (the evaluation) and ``training_config.json``
(``dataclasses.asdict(TrainArgs)``). A results file is the run; its folder is the
run folder. Files named ``<prefix>paper_metrics_results.json`` (e.g. the
``baseline_...`` evaluation of the untrained model) are one run per file.

Quirks of the format handled here: ``0.0`` is written for a LibriLight perplexity
that was not computed (read as missing), and ``librilight_progression`` holds
several samples per token position (the curve is their mean).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .base import Claim, Folder, Problem, ReadResult, Run, Series, as_float, flatten
from .files import UnreadableFile, load_json_object

RESULTS = "paper_metrics_results.json"
CONFIG = "training_config.json"
CONSOLIDATED = "consolidated"
PROGRESSION = "librilight_progression"
SENTINEL_PREFIX = "librilight_perplexity_"
CHECKPOINT_RE = re.compile(r"^checkpoint[_-]?(\d+)$")
# Which per-sample field of a progression entry feeds which series.
PROGRESSION_SERIES = (("perplexity", "librilight_perplexity"), ("loss", "librilight_loss"))


def _is_file_run(name: str) -> bool:
    """A prefixed results file (``baseline_paper_metrics_results.json``): a run of its own."""
    return name != RESULTS and name.endswith(RESULTS)


def _file_run_label(stem: str) -> str:
    """``baseline_paper_metrics_results`` -> ``baseline``: the part a person chose."""
    prefix = stem[: -len(RESULTS[:-5])].rstrip("_-. ")
    return prefix or stem


# ---------------------------------------------------------------- where the run sits


def checkpoint_position(path: str) -> tuple[int | None, str | None]:
    """``(step, experiment)`` from the nearest ``checkpoint_NNNNNN`` folder in ``path``.

    The experiment is the folder above ``checkpoints/`` (or directly above the
    checkpoint folder when there is no ``checkpoints/`` level).
    """
    parts = [p for p in os.path.normpath(path).split(os.sep) if p]
    for i in range(len(parts) - 1, -1, -1):
        match = CHECKPOINT_RE.match(parts[i])
        if not match:
            continue
        above = i - 2 if i >= 1 and parts[i - 1] == "checkpoints" else i - 1
        return int(match.group(1)), parts[above] if above >= 0 else None
    return None, None


def _folder_label(folder: str) -> str:
    """The run folder's readable name: ``consolidated`` says nothing, so use its parent."""
    name = os.path.basename(os.path.normpath(folder))
    if name == CONSOLIDATED:
        name = os.path.basename(os.path.dirname(os.path.normpath(folder))) or name
    return name


def run_name(folder: str, step: int | None, experiment: str | None) -> str:
    """``<experiment> @ <step>``: what the researchers call a checkpoint in their plots."""
    if step is not None:
        return f"{experiment or 'checkpoint'} @ {step}"
    return _folder_label(folder)


# ---------------------------------------------------------------- reading values


@dataclass
class _Parsed:
    metrics: dict[str, float] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_metrics(results: dict[str, Any], parsed: _Parsed) -> None:
    """Finite numbers become metrics; the ``0.0`` perplexity sentinel becomes missing."""
    for key, value in results.items():
        if key == PROGRESSION:
            continue
        number = as_float(value)
        if number is None:
            # NaN, Infinity, or an integer too big for a float
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            what = "not a finite number" if numeric else "not a number"
            parsed.notes.append(f"{key} = {_short(value)} skipped ({what})")
        elif number == 0.0 and str(key).startswith(SENTINEL_PREFIX):
            parsed.notes.append(f"{key} = 0.0 read as missing (not computed)")
        else:
            parsed.metrics[str(key)] = number


def _progression_samples(entries: list[Any]) -> tuple[dict[str, tuple[list[float], list[float]]], int]:
    """Per field, its samples' positions and values (parallel lists); and how many entries
    were unusable."""
    samples: dict[str, tuple[list[float], list[float]]] = {f: ([], []) for f, _ in PROGRESSION_SERIES}
    fields = [(f, *samples[f]) for f, _ in PROGRESSION_SERIES]
    bad = 0
    for entry in entries:
        position = as_float(entry.get("position")) if isinstance(entry, dict) else None
        if position is None:
            bad += 1
            continue
        usable = False
        for f, xs, ys in fields:
            value = as_float(entry.get(f))
            if value is not None:
                xs.append(position)
                ys.append(value)
                usable = True
        if not usable:
            bad += 1
    return samples, bad


def _mean_series(name: str, positions: list[float], values: list[float]) -> Series:
    """The mean per position as the curve; every sample kept beside it (sorted by position,
    ties in file order)."""
    xs = np.array(positions, dtype=np.float64)
    order = np.argsort(xs, kind="stable")
    xs = xs[order]
    ys = np.array(values, dtype=np.float64)[order]
    unique, inverse = np.unique(xs, return_inverse=True)
    means = np.bincount(inverse, weights=ys) / np.bincount(inverse)
    return Series(
        name=name,
        x=unique,
        y=means.astype(np.float64),
        x_kind="position",
        samples_x=xs,
        samples_y=ys,
    )


def parse_progression(value: Any, parsed: _Parsed) -> None:
    """``librilight_progression`` -> perplexity and loss curves against token position."""
    if not isinstance(value, list):
        parsed.notes.append(f"{PROGRESSION} is not a list ({type(value).__name__}); ignored")
        return
    samples, bad = _progression_samples(value)
    if bad:
        parsed.notes.append(
            f"{PROGRESSION}: {bad} of {len(value)} entries skipped (no numeric position, loss or perplexity)"
        )
    for f, series_name in PROGRESSION_SERIES:
        if samples[f][0]:
            parsed.series[series_name] = _mean_series(series_name, *samples[f])
    counts = [
        (len(samples[f][0]), len(parsed.series[n])) for f, n in PROGRESSION_SERIES if n in parsed.series
    ]
    if counts and counts[0][0] > counts[0][1]:
        parsed.notes.append(
            f"{PROGRESSION}: {counts[0][0]} samples at {counts[0][1]} positions; "
            "curves show the mean per position"
        )


def parse_results(results: dict[str, Any]) -> _Parsed:
    parsed = _Parsed()
    parse_metrics(results, parsed)
    if PROGRESSION in results:
        parse_progression(results[PROGRESSION], parsed)
    return parsed


# ---------------------------------------------------------------- the reader


class PaperMetricsReader:
    """Claims folders holding ``*paper_metrics_results.json``; one run per results file."""

    name = "paper_metrics"
    version = 2

    def claim(self, folder: Folder) -> Claim | None:
        has_results = RESULTS in folder.files
        file_runs = [n for n in folder.files if _is_file_run(n)]
        if not has_results and not file_runs:
            return None
        files = [os.path.join(folder.path, n) for n in file_runs]
        prune: frozenset[str] = frozenset()
        if has_results:
            files.append(os.path.join(folder.path, RESULTS))
            config, prune = self._config_for(folder)
            if config:
                files.append(config)
        return Claim(reader=self.name, folder=folder.path, files=tuple(sorted(files)), prune=prune)

    @staticmethod
    def _config_for(folder: Folder) -> tuple[str | None, frozenset[str]]:
        """The config beside the results, else in ``consolidated/``; that folder is pruned
        when it holds no results of its own (it is part of this checkpoint)."""
        config = os.path.join(folder.path, CONFIG) if CONFIG in folder.files else None
        sub = folder.sub(CONSOLIDATED) if CONSOLIDATED in folder.dirs else None
        if sub is None or RESULTS in sub.files:
            return config, frozenset()
        if config is None and CONFIG in sub.files:
            config = os.path.join(sub.path, CONFIG)
        return config, frozenset({CONSOLIDATED})

    def read(self, claim: Claim) -> ReadResult:
        result = ReadResult()
        results_path = os.path.join(claim.folder, RESULTS)
        configs = [p for p in claim.files if os.path.basename(p) == CONFIG]
        if results_path in claim.files:
            run = self._read_folder_run(claim.folder, results_path, configs, result.problems)
            if run is not None:
                result.runs.append(run)
        for path in _file_run_paths(claim.files, claim.folder):
            run = self._read_file_run(path, result.problems)
            if run is not None:
                result.runs.append(run)
        return result

    def _load_results(self, path: str, problems: list[Problem]) -> _Parsed | None:
        try:
            parsed = parse_results(load_json_object(path))
        except UnreadableFile as exc:
            problems.append(Problem(path, self.name, str(exc)))
            return None
        if not parsed.metrics and not parsed.series:
            problems.append(Problem(path, self.name, "no numeric metrics in the results file"))
            return None
        return parsed

    def _load_config(self, folder: str, configs: list[str], problems: list[Problem]) -> dict[str, Any] | None:
        if not configs:
            reason = f"{CONFIG} not found beside {RESULTS} or in {CONSOLIDATED}/; run has no params"
            problems.append(Problem(os.path.join(folder, CONFIG), self.name, reason))
            return None
        try:
            return flatten(load_json_object(configs[0]))
        except UnreadableFile as exc:
            problems.append(Problem(configs[0], self.name, f"{exc}; run has no params"))
            return None

    def _read_folder_run(
        self, folder: str, results_path: str, configs: list[str], problems: list[Problem]
    ) -> Run | None:
        parsed = self._load_results(results_path, problems)
        if parsed is None:
            return None
        step, experiment = checkpoint_position(folder)
        run = _make_run("", run_name(folder, step, experiment), folder, parsed, [results_path])
        run.step, run.experiment = step, experiment
        params = self._load_config(folder, configs, problems)
        if params is not None:
            run.params = params
            run.files.append(configs[0])
        return run

    def _read_file_run(self, path: str, problems: list[Problem]) -> Run | None:
        parsed = self._load_results(path, problems)
        if parsed is None:
            return None
        stem = os.path.basename(path)[: -len(".json")]
        folder = os.path.dirname(path)
        step, experiment = checkpoint_position(folder)
        # "baseline (moshi-finetune)": two baselines in one comparison stay tellable apart.
        name = f"{_file_run_label(stem)} ({run_name(folder, step, experiment)})"
        run = _make_run(stem, name, path, parsed, [path])
        run.step, run.experiment = step, experiment
        run.is_baseline = "baseline" in stem.lower()
        return run


def _file_run_paths(files: Iterable[str], folder: str) -> list[str]:
    return sorted(p for p in files if os.path.dirname(p) == folder and _is_file_run(os.path.basename(p)))


def _make_run(key: str, name: str, path: str, parsed: _Parsed, files: list[str]) -> Run:
    # A results file is only written once the evaluation has finished.
    return Run(
        key=key,
        name=name,
        source=PaperMetricsReader.name,
        path=path,
        status="completed",
        metrics=parsed.metrics,
        series=parsed.series,
        files=files,
        notes=parsed.notes,
    )


READER = PaperMetricsReader()
