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
import os
import time
from collections.abc import Iterable, Mapping
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


def flatten(value: Mapping[str, Any], prefix: str = "", max_depth: int = 64) -> dict[str, Any]:
    """Flatten nested mappings to dotted keys. Lists stay values (shown as text).

    Nesting deeper than ``max_depth`` is kept as its text rather than recursed,
    so a hostile 200-deep config cannot blow the stack.
    """
    out: dict[str, Any] = {}
    stack: list[tuple[str, Mapping[str, Any], int]] = [(prefix, value, 0)]
    while stack:
        base, mapping, depth = stack.pop()
        for key, item in mapping.items():
            dotted = f"{base}.{key}" if base else str(key)
            if isinstance(item, Mapping) and item:
                if depth + 1 >= max_depth:
                    out[dotted] = str(item)
                else:
                    stack.append((dotted, item, depth + 1))
            else:
                out[dotted] = item
    return dict(sorted(out.items()))


def as_float(value: Any) -> float | None:
    """A finite float from a JSON value, or None. Booleans are not numbers here."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    return None


def latest_mtime(paths: Iterable[str]) -> float | None:
    """The newest modification time among ``paths`` (seconds), ignoring vanished files."""
    newest: float | None = None
    for path in paths:
        try:
            mtime = os.stat(path).st_mtime
        except OSError:
            continue
        newest = mtime if newest is None or mtime > newest else newest
    return newest


def recently_changed(updated_at: float | None, now: float | None = None) -> bool:
    if updated_at is None:
        return False
    return (now if now is not None else time.time()) - updated_at < RECENT_SECONDS
