"""What a scan produces and the store keeps: roots, cached entries, run references, snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .ingest.base import Claim, Problem, Run

# (path, size, mtime_ns, ctime_ns, inode) per claimed file; ctime also moves on chmod, so a file
# whose permission is fixed is read again; the inode tells a file swapped in with an equal mtime.
Fingerprint = tuple[tuple[str, int, int, int, int], ...]


@dataclass(frozen=True)
class Root:
    label: str
    path: str


@dataclass
class Entry:
    """The parsed result of one claim, as cached."""

    claim: Claim
    version: int
    fingerprint: Fingerprint
    runs: list[Run]
    problems: list[Problem]
    series_lengths: dict[str, dict[str, int]] = field(default_factory=dict)
    racy: bool = False


@dataclass(frozen=True)
class RunRef:
    root: Root
    entry_key: str
    run: Run


@dataclass(frozen=True)
class Snapshot:
    runs: pd.DataFrame
    problems: list[Problem]
    scanned_at: float | None
    duration: float
    generation: int  # bumped by every scan
    parsed: int
    roots: tuple[Root, ...]
    version: int = 0  # bumped only when runs or problems changed: what the UI redraws on
