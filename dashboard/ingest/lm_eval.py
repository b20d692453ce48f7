"""lm-evaluation-harness results files (v0.3 and v0.4): one run per file.

The harness writes one JSON per evaluation: ``results`` (task -> metrics) plus
``versions`` and ``config`` (v0.3), or also ``configs``, ``n-shot``,
``higher_is_better``, ``groups`` ... (v0.4, whose metric keys carry a filter:
``"acc,none"``). A folder often holds several of them, one per checkpoint of one
model (Pythia's ``160m_step1000.json`` ... ``160m_step143000.json``); each is a
run (key = file stem) and the model they evaluate is the experiment.

Claiming by name alone is weak for a format whose files are named by whoever ran
it, so ``claim`` is generous only in folders that hold nothing but JSON, and
``read`` stays silent about JSON that is not harness output (see ``claim``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .base import Claim, Folder, Problem, ReadResult, Run, as_float, flatten
from .files import UnreadableFile, load_json

# JSON files that are never harness output: model/tokenizer configs, the Trainer's
# own files, web tooling. Folders holding only these are not claimed.
IGNORED_JSON = frozenset(
    {
        "config.json",
        "tokenizer.json",
        "vocab.json",
        "special_tokens_map.json",
        "added_tokens.json",
        "trainer_state.json",
        "training_args.json",
        "all_results.json",
        "train_results.json",
        "eval_results.json",
        "test_results.json",
        "predict_results.json",
        "package.json",
        "package-lock.json",
        "tsconfig.json",
    }
)
IGNORED_SUFFIXES = ("_config.json", ".index.json", "paper_metrics_results.json")
# Files another reader owns. A folder holding any of them is claimed only on a
# strong name, so a stray JSON never takes a CSV/YAML/log run away from its reader.
OTHER_FORMAT_SUFFIXES = (".jsonl", ".csv", ".tsv", ".yaml", ".yml", ".log", ".txt")
# More arbitrarily named JSON files than this in one folder is a data set, not evaluations
# (parsing them all just to find none would slow every first scan).
MAX_WEAK_FILES = 256
STRONG_NAME_RE = re.compile(r"^results|lm[-_]?eval|harness|step[-_]?\d+", re.IGNORECASE)
STEP_RE = re.compile(r"step[-_]?(\d+)", re.IGNORECASE)
CHECKPOINT_STEP_RE = re.compile(r"(?:step|checkpoint|ckpt)[-_]?(\d+)", re.IGNORECASE)
# Path parts that name a checkpoint of a model rather than the model (its experiment).
CHECKPOINT_PART_RE = re.compile(
    r"^(?:(?:checkpoint|ckpt|step|global_step|iter|iteration)?[-_]?\d+|consolidated|checkpoints|hf)$",
    re.IGNORECASE,
)
# Keys of a task entry that describe it rather than score it.
NON_METRIC_KEYS = frozenset({"alias", "name", "task", "group", "sample_len", "sample_count", "samples"})
# Top-level v0.4 scalars worth comparing runs by (provenance of the evaluation).
TOP_LEVEL_PARAMS = (
    "model_name",
    "model_name_sanitized",
    "model_source",
    "lm_eval_version",
    "git_hash",
    "upper_git_hash",
    "transformers_version",
    "date",
    "max_length",
    "fewshot_as_multiturn",
    "system_instruction_sha",
    "chat_template_sha",
)
MODEL_ARG_KEYS = ("pretrained", "model", "path", "engine")
SCALARS = (str, int, float, bool, type(None))


# ---------------------------------------------------------------- claim


def _is_candidate(name: str) -> bool:
    lower = name.lower()
    return (
        lower.endswith(".json")
        and not lower.startswith(".")
        and lower not in IGNORED_JSON
        and not lower.startswith("tokenizer")
        and not lower.endswith(IGNORED_SUFFIXES)
    )


def is_strong_name(name: str) -> bool:
    """``results*.json``, ``*lm_eval*``, ``*step<N>*``: named like harness output."""
    return bool(STRONG_NAME_RE.search(name))


def _other_format(names: Iterable[str]) -> bool:
    return any(n.lower().endswith(OTHER_FORMAT_SUFFIXES) or "tfevents" in n for n in names)


class LmEvalReader:
    name = "lm_eval"
    version = 2

    def claim(self, folder: Folder) -> Claim | None:
        """Claim a folder with harness-named JSON (``results*``, ``*step<N>*``,
        ``*lm_eval*``), or with a few JSON files (other than known config files)
        and no file of another reader's format."""
        candidates = [n for n in folder.files if _is_candidate(n)]
        if not candidates:
            return None
        if not any(is_strong_name(n) for n in candidates) and (
            len(candidates) > MAX_WEAK_FILES or _other_format(folder.files)
        ):
            return None
        files = tuple(sorted(os.path.join(folder.path, n) for n in candidates))
        return Claim(reader=self.name, folder=folder.path, files=files)

    def read(self, claim: Claim) -> ReadResult:
        """A run per harness-shaped file; other JSON is skipped silently.

        A file is worth a problem only if it is likely harness output: a strong
        name or a harness-shaped sibling, and, when it parsed, a ``results`` key.
        So a folder of unrelated JSON yields nothing at all.
        """
        shaped: list[tuple[str, dict[str, Any]]] = []
        doubtful: list[Problem] = []  # reported only if the folder turns out to be lm-eval's
        certain: list[Problem] = []
        for path in claim.files:
            strong = is_strong_name(os.path.basename(path))
            try:
                data = load_json(path)
            except UnreadableFile as exc:
                (certain if strong else doubtful).append(Problem(path, self.name, str(exc)))
                continue
            error = shape_error(data)
            if error is None:
                shaped.append((path, data))
            elif isinstance(data, dict) and "results" in data:
                (certain if strong else doubtful).append(Problem(path, self.name, error))
        result = ReadResult(problems=certain + (doubtful if shaped else []))
        folder_name = os.path.basename(os.path.normpath(claim.folder))
        for path, data in shaped:
            run = build_run(path, data, folder_name)
            if run.metrics:
                result.runs.append(run)
            else:
                reason = "lm-eval results file with no numeric task results"
                result.problems.append(Problem(path, self.name, reason))
        return result


# ---------------------------------------------------------------- shape


def shape_error(data: Any) -> str | None:
    """Why ``data`` is not harness output, or None when it is."""
    if not isinstance(data, dict):
        return f"not lm-eval output: expected a JSON object, found {type(data).__name__}"
    results = data.get("results")
    if not isinstance(results, dict):
        found = type(results).__name__
        return f"not lm-eval output: `results` should map task -> metrics, found {found}"
    if not any(isinstance(v, dict) for v in results.values()):
        return "not lm-eval output: `results` holds no task -> metrics mapping"
    if not any(k in data for k in ("versions", "config", "configs")):
        return "not lm-eval output: `results` without `versions`, `config` or `configs`"
    return None


# ---------------------------------------------------------------- metrics


def metric_name(task: str, key: str) -> str:
    """``acc,none`` -> ``task/acc``; ``exact_match,strict-match`` ->
    ``task/exact_match[strict-match]``; its stderr -> ``task/exact_match[strict-match]_stderr``.

    The stderr of metric ``M`` is always ``M_stderr``, whatever the filter, so
    later code pairs a value with its interval by one rule.
    """
    base, sep, filt = key.partition(",")
    if sep and filt and filt != "none":
        if base.endswith("_stderr"):
            return f"{task}/{base[: -len('_stderr')]}[{filt}]_stderr"
        return f"{task}/{base}[{filt}]"
    return f"{task}/{base}"


def _task_metrics(task: str, entry: Mapping[str, Any], metrics: dict[str, float]) -> tuple[int, bool]:
    """Add one task's scores; returns (how many were ``N/A``, whether a filter was seen)."""
    not_available = 0
    filtered = False
    for key, value in entry.items():
        key = str(key)
        if key in NON_METRIC_KEYS:
            continue
        number = as_float(value)
        if number is None:
            not_available += isinstance(value, str) and value.strip().upper() == "N/A"
            continue
        name = metric_name(task, key)
        filtered = filtered or "[" in name[len(task) :]
        metrics[name] = number
    return not_available, filtered


def parse_metrics(data: Mapping[str, Any]) -> tuple[dict[str, float], list[str]]:
    """``<task>/<metric>`` for tasks and groups (a group already in ``results`` counts once)."""
    metrics: dict[str, float] = {}
    not_available = 0
    filtered = False
    skipped: list[str] = []
    results: Mapping[str, Any] = data["results"]
    groups = data.get("groups")
    entries = list(results.items())
    if isinstance(groups, dict):
        entries += [(g, e) for g, e in groups.items() if g not in results]
    for task, entry in entries:
        if not isinstance(entry, dict):
            skipped.append(str(task))
            continue
        na, filt = _task_metrics(str(task), entry, metrics)
        not_available += na
        filtered = filtered or filt
    total = as_float(_number(data.get("total_evaluation_time_seconds")))
    if total is not None:
        metrics["total_evaluation_time_seconds"] = total
    notes: list[str] = []
    if not_available:
        notes.append(f'{not_available} stderr values written as "N/A" (not computed) read as missing')
    if filtered:
        notes.append("scores of a filter other than `none` are named metric[filter], e.g. acc[strict-match]")
    if skipped:
        notes.append(f"{len(skipped)} task entries that are not metric mappings ignored ({skipped[0]}, ...)")
    return metrics, notes


def _number(value: Any) -> Any:
    """v0.4 writes ``total_evaluation_time_seconds`` as a string of a float."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return value


# ---------------------------------------------------------------- params


def _arg_value(text: str) -> Any:
    """How lm-eval itself reads a ``model_args`` value (``handle_arg_string``)."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return text
    return number if as_float(number) is not None else text


def parse_model_args(text: str) -> dict[str, Any]:
    """``pretrained=X,revision=step1000`` -> ``{"pretrained": "X", "revision": "step1000"}``.

    A piece without ``=`` continues the previous value (a value with a comma).
    """
    parsed: dict[str, str] = {}
    last: str | None = None
    for piece in text.split(","):
        key, sep, value = piece.partition("=")
        if sep and key.strip():
            last = key.strip()
            parsed[last] = value.strip()
        elif last is not None and piece:
            parsed[last] += "," + piece
    return {k: _arg_value(v) for k, v in parsed.items()}


def _per_task(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _task_params(data: Mapping[str, Any]) -> dict[str, Any]:
    """``n-shot.<task>``, ``versions.<task>``, ``higher_is_better.<task>/<metric>``;
    v0.4 ``configs`` fill in what the summary keys lack."""
    params: dict[str, Any] = {}
    configs = {t: c for t, c in _per_task(data, "configs").items() if isinstance(c, dict)}
    for task, config in configs.items():
        if isinstance(config.get("num_fewshot"), int):
            params[f"n-shot.{task}"] = config["num_fewshot"]
        metric_list = config.get("metric_list")
        for item in metric_list if isinstance(metric_list, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("metric"), str):
                continue
            if isinstance(item.get("higher_is_better"), bool):
                params[f"higher_is_better.{task}/{item['metric']}"] = item["higher_is_better"]
    for task, shots in _per_task(data, "n-shot").items():
        if isinstance(shots, SCALARS):
            params[f"n-shot.{task}"] = shots
    for task, version in _per_task(data, "versions").items():
        if isinstance(version, SCALARS):
            params[f"versions.{task}"] = version
    for task, better in _per_task(data, "higher_is_better").items():
        if isinstance(better, bool):
            params[f"higher_is_better.{task}"] = better
        elif isinstance(better, dict):
            for metric, flag in better.items():
                if isinstance(flag, bool):
                    params[f"higher_is_better.{task}/{metric}"] = flag
    return params


def parse_params(data: Mapping[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    config = data.get("config")
    if isinstance(config, dict):
        params.update(flatten(config))
        if isinstance(config.get("model_args"), str):
            for key, value in parse_model_args(config["model_args"]).items():
                params[f"model_args.{key}"] = value
    for key in TOP_LEVEL_PARAMS:
        if key in data and isinstance(data[key], SCALARS):
            params[key] = data[key]
    params.update(_task_params(data))
    return dict(sorted(params.items()))


# ---------------------------------------------------------------- identity


def _step(stem: str, params: Mapping[str, Any]) -> int | None:
    """From the file name (``160m_step1000``), else the model's revision or path."""
    match = STEP_RE.search(stem)
    if match:
        return int(match.group(1))
    for key in ("model_args.revision", "model_revision", "model_args.pretrained"):
        value = params.get(key)
        match = CHECKPOINT_STEP_RE.search(value) if isinstance(value, str) else None
        if match:
            return int(match.group(1))
    return None


def model_experiment(model: str) -> str:
    """The model a checkpoint belongs to: ``/ckpt/run7/checkpoint-500`` -> ``run7``;
    a hub id (``EleutherAI/pythia-160m``) stays as it is."""
    parts = [p for p in model.replace("\\", "/").split("/") if p and p != "."]
    while len(parts) > 1 and CHECKPOINT_PART_RE.match(parts[-1]):
        parts.pop()
    if not parts:
        return model
    if model.startswith(("/", ".", "~")) or len(parts) > 2:
        return parts[-1]
    return "/".join(parts)


def _experiment(params: Mapping[str, Any], folder_name: str) -> str:
    for key in ("model_name", *(f"model_args.{k}" for k in MODEL_ARG_KEYS)):
        value = params.get(key)
        if isinstance(value, str) and value.strip():
            return model_experiment(value.strip())
    return folder_name


def build_run(path: str, data: dict[str, Any], folder_name: str) -> Run:
    stem = os.path.splitext(os.path.basename(path))[0]
    params = parse_params(data)
    metrics, notes = parse_metrics(data)
    name = f"{folder_name}/{stem}" if stem.lower().startswith("results") else stem
    return Run(
        key=stem,
        name=name,
        source=LmEvalReader.name,
        path=path,
        experiment=_experiment(params, folder_name),
        status="completed",  # the harness writes the file once, when every task is done
        step=_step(stem, params),
        params=params,
        metrics=metrics,
        files=[path],
        notes=notes,
    )


READER = LmEvalReader()
