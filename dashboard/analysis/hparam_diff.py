"""Which hyperparameters differ between compared runs, and a sentence saying so for two.

``diff_params(frame, run_ids)`` looks at every ``params.*`` column: a param that no
compared run has is ignored; one that every run has with the same value is *same*
(collapsed in the UI); anything else *differs* — a param missing in some runs (shown
``—``) counts as differing. Values compare by kind: numbers by value (``2000`` equals the
``2000.0`` a column with gaps holds), booleans only with booleans, text as text, lists and
mappings by their JSON. Display texts are exact (``5e-05``, ``2000``, ``true``); long ones
(paths, lists) are shortened — a path keeps its tail, where runs differ — and ``full``
keeps the whole text for a tooltip.

``describe_pair(diff)`` reads a two-run diff as a sentence: ``differs only in ttt.base_lr
(0.01 → 1) and max_steps (1000 → 2000)``; more than ``MAX_LISTED`` differences:
``differs in 9 params, including a, b, c`` (params both runs have come first, run names and output folders last).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .filters import is_missing, natural_key
from .numbers import MISSING

PARAM_PREFIX = "params."
MAX_DISPLAY = 32  # characters of a value shown in a cell; the full text goes to the tooltip
MAX_LISTED = 4  # differences spelled out in the sentence; above, a count and a few names
INCLUDED = 3
# Params that name or file a run rather than configure it: they differ between any two runs,
# so the sentence mentions them last.
_BOOKKEEPING = re.compile(
    r"^(wandb|mlflow|logging)\.|(^|\.)(run_dir|output_dir|logging_dir|save_dir|run_name|exp_name|"
    r"experiment_name|name|project|entity|group|tags?)$"
)


@dataclass(frozen=True)
class DiffRow:
    """One param that differs: each run's value (``None``: missing), shown and full texts."""

    key: str
    values: list[Any]
    display: list[str]
    full: list[str]

    @property
    def partial(self) -> bool:
        """Some runs lack it (missing vs present), rather than all having different values."""
        return any(v is None for v in self.values)


@dataclass(frozen=True)
class DiffCounts:
    differ: int
    same: int

    def __str__(self) -> str:
        return f"{self.differ} differ / {self.same} same"


@dataclass(frozen=True)
class ParamDiff:
    run_ids: list[str]
    differ: list[DiffRow]
    same: list[tuple[str, Any]]
    present: list[int]  # how many params each run has

    @property
    def counts(self) -> DiffCounts:
        return DiffCounts(len(self.differ), len(self.same))


def plain(value: Any) -> Any:
    """A frame cell as a plain Python value; missing (None, NaN, NA) as ``None``."""
    if isinstance(value, (list, tuple, dict)):
        return value
    if is_missing(value):
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _canonical(value: Any) -> tuple[str, Any]:
    """What equality means for params: same kind and same value."""
    if isinstance(value, bool):
        return "bool", value
    if isinstance(value, (int, float)):
        return "number", float(value)
    if isinstance(value, str):
        return "text", value
    return "json", full_text(value)


def full_text(value: Any) -> str:
    """A value written out exactly: ``2000`` (not ``2000.0``), ``5e-05``, ``true``, JSON for containers."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value if value else '""'
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def _is_path(text: str) -> bool:
    return ("/" in text or "\\" in text) and not any(c.isspace() for c in text) and not text.startswith("[")


def shorten(text: str, limit: int = MAX_DISPLAY) -> str:
    """``text`` within ``limit`` characters: a path keeps its last parts (``…/train/data.jsonl``),
    anything else its start (``[1, 2, 3, 4, …``)."""
    if len(text) <= limit:
        return text
    if _is_path(text):
        sep = "\\" if "\\" in text and "/" not in text else "/"
        parts = text.rstrip(sep).split(sep)
        tail = parts[-1]
        for part in reversed(parts[:-1]):
            if len(part) + len(tail) + 3 > limit:
                break
            tail = f"{part}{sep}{tail}"
        if len(tail) + 2 <= limit:
            return f"…{sep}{tail}"
        return "…" + text[-(limit - 1) :]
    return text[: limit - 1] + "…"


def _values(frame: pd.DataFrame, run_ids: Sequence[str]) -> tuple[list[str], list[dict[str, Any]]]:
    by_id = frame.drop_duplicates("run_id").set_index("run_id")
    missing = [r for r in run_ids if r not in by_id.index]
    if missing:
        raise KeyError(f"runs not in the frame: {', '.join(missing)}")
    columns = sorted(
        (c for c in frame.columns if isinstance(c, str) and c.startswith(PARAM_PREFIX)), key=natural_key
    )
    records = [{c[len(PARAM_PREFIX) :]: plain(by_id.at[r, c]) for c in columns} for r in run_ids]
    return [c[len(PARAM_PREFIX) :] for c in columns], records


def diff_params(frame: pd.DataFrame, run_ids: Sequence[str]) -> ParamDiff:
    """Params of ``run_ids`` (in this order) split into those that differ and those all share.

    Raises ``KeyError`` for a run id that is not in ``frame``.
    """
    ids = list(dict.fromkeys(run_ids))
    keys, records = _values(frame, ids)
    differ: list[DiffRow] = []
    same: list[tuple[str, Any]] = []
    for key in keys:
        values = [record[key] for record in records]
        present = [v for v in values if v is not None]
        if not present:
            continue
        if len(present) == len(values) and len({_canonical(v) for v in present}) == 1:
            same.append((key, present[0]))
            continue
        full = [full_text(v) for v in values]
        differ.append(
            DiffRow(
                key,
                values,
                [shorten(t) if v is not None else MISSING for t, v in zip(full, values, strict=True)],
                full,
            )
        )
    counts = [sum(v is not None for v in record.values()) for record in records]
    return ParamDiff(ids, differ, same, counts)


def _mention_order(row: DiffRow) -> tuple[bool, bool]:
    """Values both runs have before missing-vs-present; settings before run names and paths."""
    return row.partial, bool(_BOOKKEEPING.search(row.key))


def _change(row: DiffRow) -> str:
    return f"{row.key} ({row.display[0]} → {row.display[1]})"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def describe_pair(diff: ParamDiff, names: Sequence[str] | None = None) -> str:
    """A sentence for the second run against the first: ``differs only in a (x → y) and b (…)``.

    Only for two runs (``ValueError`` otherwise). A run without any params is said so rather
    than listing every param of the other as missing; ``names`` (else the run ids) name it.
    """
    if len(diff.run_ids) != 2:
        raise ValueError(f"describe_pair compares two runs, got {len(diff.run_ids)}")
    if not diff.differ:
        return f"same params ({len(diff.same)})" if diff.same else "no params recorded"
    labels = list(names) if names is not None else diff.run_ids
    for i, count in enumerate(diff.present):
        if count == 0:
            return f"{labels[i]} records no params ({labels[1 - i]} has {diff.present[1 - i]})"
    ordered = sorted(diff.differ, key=_mention_order)
    if len(ordered) <= MAX_LISTED:
        return "differs only in " + _and([_change(row) for row in ordered])
    names = ", ".join(row.key for row in ordered[:INCLUDED])
    return f"differs in {len(ordered)} params, including {names}"
