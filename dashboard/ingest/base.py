"""The contract every reader implements.

A *reader* turns one folder of results into runs. It works in two steps so that
the store can skip unchanged folders without parsing them:

1. ``claim(folder)`` looks only at names (the folder's files and sub-folders)
   and says which files make up its runs. The store stats those files; if their
   ``(path, size, mtime_ns)`` did not change since the last scan, the cached
   result is reused and ``read`` is never called.
2. ``read(claim)`` parses the claimed files and returns runs and problems.

Readers are pure functions of the files they are given: no cache, no globals,
no reading outside ``claim.files``. Every path they see was vetted by the
walker (inside the root, not a link leading out of it).
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

STATUSES = ("completed", "running", "failed", "unknown")

# A run whose files changed this recently (seconds) is taken to be still training
# when its format has no explicit status.
RECENT_SECONDS = 15 * 60


@dataclass(frozen=True)
class Problem:
    """A file that could not be read or understood. Never fatal to other runs."""

    path: str
    reader: str
    reason: str
    when: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "reader": self.reader, "reason": self.reason, "when": self.when}


@dataclass
class Series:
    """A curve: ``y`` against ``x`` (a step, or a token position, ...).

    ``time`` holds wall-clock seconds per point where the source logs them.
    ``samples_x``/``samples_y`` keep individual samples when ``y`` is their mean
    (e.g. several LibriLight files evaluated at the same token position).
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    x_kind: str = "step"
    time: np.ndarray | None = None
    samples_x: np.ndarray | None = None
    samples_y: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def last_finite(self) -> float | None:
        finite = np.isfinite(self.y)
        if not finite.any():
            return None
        return float(self.y[np.flatnonzero(finite)[-1]])


@dataclass
class Run:
    """One evaluated unit: one row of the table.

    ``key`` identifies the run inside its claim: ``""`` when the run is the
    claimed folder itself, else a sub-path such as a file stem
    (``baseline_paper_metrics_results``). The store turns it into ``run_id``.
    """

    key: str
    name: str
    source: str
    path: str
    experiment: str | None = None
    status: str = "unknown"
    step: int | None = None
    updated_at: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    is_baseline: bool = False


@dataclass
class ReadResult:
    runs: list[Run] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    """What a reader takes from the walk: a folder and the files behind its runs.

    ``files`` are absolute paths; their stats are the cache key. ``prune`` names
    sub-folders of ``folder`` that the walker must not descend into (they belong
    to this claim, e.g. ``checkpoint-500`` snapshots of a Trainer run).
    """

    reader: str
    folder: str
    files: tuple[str, ...]
    prune: frozenset[str] = frozenset()


class Folder(Protocol):
    """A vetted listing of one folder, as the walker hands it to ``claim``."""

    path: str
    files: frozenset[str]
    dirs: frozenset[str]

    def sub(self, name: str) -> Folder | None:
        """The listing of a direct sub-folder, or None if it is not one."""
        ...


class Reader(Protocol):
    name: str
    # Bumped when the reader's output changes, so cached results are re-parsed.
    version: int

    def claim(self, folder: Folder) -> Claim | None: ...

    def read(self, claim: Claim) -> ReadResult: ...


# ---------------------------------------------------------------- helpers


# Values ``flatten`` keeps as they are without asking ``isinstance(item, Mapping)`` (an ABC
# check, slow enough to dominate flattening a 90-key config).
_LEAF_TYPES = frozenset({str, int, float, bool, type(None), list})


def flatten(value: Mapping[str, Any], prefix: str = "", max_depth: int = 64) -> dict[str, Any]:
    """Flatten nested mappings to dotted keys. Lists stay values (shown as text).

    Nesting deeper than ``max_depth`` is kept as its text rather than recursed,
    so a hostile 200-deep config cannot blow the stack. Keys are interned: the
    store pickles thousands of params dicts sharing the same keys.
    """
    out: dict[str, Any] = {}
    intern, leaves = sys.intern, _LEAF_TYPES  # locals: this loop runs once per config key
    stack: list[tuple[str, Mapping[str, Any], int]] = [(prefix, value, 0)]
    while stack:
        base, mapping, depth = stack.pop()
        dot = base + "." if base else ""
        for key, item in mapping.items():
            dotted = intern(dot + key) if type(key) is str else _dotted(base, key)
            if type(item) in leaves or not (type(item) is dict or isinstance(item, Mapping)) or not item:
                out[dotted] = item
            elif depth + 1 >= max_depth:
                out[dotted] = str(item)
            else:
                stack.append((dotted, item, depth + 1))
    return {key: out[key] for key in sorted(out)}


def _dotted(base: str, key: Any) -> str:
    """The dotted key for a key that is not a plain ``str`` (YAML ints, dates, ...)."""
    dotted = f"{base}.{key}" if base else str(key)
    return sys.intern(dotted) if type(dotted) is str else dotted


def as_float(value: Any) -> float | None:
    """A finite float from a JSON value, or None. Booleans are not numbers here;
    an integer too big for a float is not finite either."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is bool or value is None or not isinstance(value, (int, float)):
        return None
    try:
        f = float(value)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def recently_changed(updated_at: float | None, now: float | None = None) -> bool:
    if updated_at is None:
        return False
    return (now if now is not None else time.time()) - updated_at < RECENT_SECONDS


_INT_RE = re.compile(r"^[-+]?(0|[1-9]\d*)$")
_FLOAT_RE = re.compile(r"^[-+]?((0|[1-9]\d*)(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)$")
_WORDS = {"True": True, "False": False, "None": None}


def coerce_text(text: str) -> Any:
    """A value written with ``str()`` (MLflow params, TestTube meta tags), back as a number,
    bool or None where unambiguous. ``"007"``, ``"nan"``, ``"[224, 224, 3]"`` stay text:
    reading them back would be a guess."""
    if text in _WORDS:
        return _WORDS[text]
    if _INT_RE.match(text):
        return int(text)
    if _FLOAT_RE.match(text):
        value = float(text)
        return value if math.isfinite(value) else text
    return text
