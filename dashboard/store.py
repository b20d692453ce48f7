"""The only owner of the cache: incremental scans in, DataFrames out.

A scan walks every root (names only), asks the readers to claim folders, and
stats each claim's files. A claim whose ``(path, size, mtime_ns)`` fingerprint is
unchanged reuses its parsed result — from memory, or from the on-disk cache
after a restart — so a rescan of an unchanged tree is a walk and a stat.

Parsed results keep the runs' params and metrics; series (curves) are dropped
from the index and re-read on demand for the few runs being looked at, then
kept in the disk cache under the same fingerprint.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .cache import open_cache
from .ingest import default_readers
from .ingest.base import Claim, Problem, Reader, Run, Series, recently_changed
from .ingest.walk import Walker
from .rows import IDENTITY_COLUMNS, build_frame, run_row

log = logging.getLogger(__name__)

# Bumped when the cached entry layout changes; old entries are then ignored.
CACHE_SCHEMA = 1
SERIES_MEMORY_RUNS = 16

Fingerprint = tuple[tuple[str, int, int], ...]


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


def make_roots(paths: Iterable[str | os.PathLike[str]]) -> tuple[Root, ...]:
    """Label each root by its folder name, made unique when several share one."""
    roots: list[Root] = []
    used: set[str] = set()
    for raw in paths:
        path = os.path.realpath(os.fspath(raw))
        base = os.path.basename(path.rstrip(os.sep)) or "root"
        label, n = base, 2
        while label in used:
            label, n = f"{base}-{n}", n + 1
        used.add(label)
        roots.append(Root(label=label, path=path))
    return tuple(roots)


def fingerprint(files: Sequence[str]) -> Fingerprint:
    stats = []
    for path in files:
        try:
            st = os.stat(path)
            stats.append((path, st.st_size, st.st_mtime_ns))
        except OSError:
            stats.append((path, -1, -1))
    return tuple(stats)


def run_id_for(root: Root, claim: Claim, run: Run, prefix_label: bool) -> str:
    rel = os.path.relpath(claim.folder, root.path)
    parts = [root.label] if prefix_label else []
    if rel != ".":
        parts.append(rel.replace(os.sep, "/"))
    if run.key:
        parts.append(run.key)
    if not parts:
        parts.append(root.label)
    return "/".join(parts)


def _problem_key(problem: Problem) -> tuple[str, str, str]:
    return (problem.path, problem.reader, problem.reason)


def _root_problem(root: Root) -> Problem | None:
    if not os.path.exists(root.path):
        return Problem(root.path, "walk", "results folder does not exist")
    if not os.path.isdir(root.path):
        return Problem(root.path, "walk", "results folder is a file, not a folder")
    if not os.access(root.path, os.R_OK | os.X_OK):
        return Problem(root.path, "walk", "permission denied: results folder not readable")
    return None


class Store:
    """Scans roots incrementally and serves the latest snapshot."""

    def __init__(
        self,
        roots: Iterable[str | os.PathLike[str]],
        cache_dir: str | os.PathLike[str] | None = None,
        readers: Sequence[Reader] | None = None,
    ) -> None:
        self.roots = make_roots(roots)
        self.readers: tuple[Reader, ...] = tuple(readers) if readers is not None else default_readers()
        self._readers = {reader.name: reader for reader in self.readers}
        self._cache = open_cache(Path(cache_dir) if cache_dir is not None else None)
        self._entries: dict[str, Entry] = {}
        self._refs: dict[str, RunRef] = {}
        self._series: OrderedDict[str, dict[str, Series]] = OrderedDict()
        self._lock = threading.RLock()
        self._status_expiry: float | None = None
        self.parse_count = 0
        self._snapshot = Snapshot(
            runs=build_frame([]),
            problems=[],
            scanned_at=None,
            duration=0.0,
            generation=0,
            parsed=0,
            roots=self.roots,
        )

    # ------------------------------------------------------------ reading
    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def run(self, run_id: str) -> Run | None:
        ref = self._refs.get(run_id)
        return ref.run if ref else None

    def run_problems(self, run_id: str) -> list[Problem]:
        ref = self._refs.get(run_id)
        if ref is None:
            return []
        entry = self._entries.get(ref.entry_key)
        return list(entry.problems) if entry else []

    def series(self, run_id: str) -> dict[str, Series]:
        """All series of one run, read on demand (memory, then disk cache, then files)."""
        ref = self._refs.get(run_id)
        if ref is None:
            return {}
        entry = self._entries[ref.entry_key]
        digest = hashlib.blake2b(repr(entry.fingerprint).encode(), digest_size=12).hexdigest()
        cache_key = f"series:{CACHE_SCHEMA}:{ref.entry_key}:{digest}:{ref.run.key}"
        with self._lock:
            if cache_key in self._series:
                self._series.move_to_end(cache_key)
                return self._series[cache_key]
        series = self._cache.get(cache_key)
        if series is None:
            series = self._read_series(entry, ref.run.key)
            self._cache.set(cache_key, series)
        with self._lock:
            self._series[cache_key] = series
            while len(self._series) > SERIES_MEMORY_RUNS:
                self._series.popitem(last=False)
        return series

    def _read_series(self, entry: Entry, key: str) -> dict[str, Series]:
        reader = self._readers.get(entry.claim.reader)
        if reader is None:
            return {}
        try:
            result = reader.read(entry.claim)
        except Exception:  # a reader bug must not break the page
            log.exception("reader %s failed re-reading %s", reader.name, entry.claim.folder)
            return {}
        for run in result.runs:
            if run.key == key:
                return run.series
        return {}

    # ------------------------------------------------------------ scanning
    def rescan(self) -> Snapshot:
        """Walk every root, re-parse what changed, publish and return a new snapshot."""
        with self._lock:
            return self._rescan()

    def _rescan(self) -> Snapshot:
        started = time.time()
        problems: list[Problem] = []
        live: set[str] = set()
        fresh: dict[str, Entry] = {}
        parsed: dict[str, Entry] = {}
        for root in self.roots:
            root_problem = _root_problem(root)
            if root_problem is not None:
                problems.append(root_problem)
                # An unmounted or unreadable root keeps its last known runs rather than emptying the table.
                live.update(k for k in self._entries if k.startswith(self._root_prefix(root)))
                continue
            walker = Walker(root.path)
            for claim in walker.walk(self.readers):
                key = self._entry_key(root, claim)
                live.add(key)
                reader = self._readers[claim.reader]
                stats = fingerprint(claim.files)
                entry = self._entries.get(key)
                if entry is None:
                    entry = self._load_entry(key)
                if entry is None or entry.fingerprint != stats or entry.version != reader.version:
                    entry = self._parse(reader, claim, stats)
                    parsed[key] = entry
                    fresh[key] = entry
                elif key not in self._entries:
                    fresh[key] = entry  # loaded from the disk cache: new to this process, not re-written
            problems.extend(walker.problems)
        removed = set(self._entries) - live
        self._save_entries(parsed)
        self._entries.update(fresh)
        for key in removed:
            del self._entries[key]
        for entry in self._entries.values():
            problems.extend(entry.problems)
        now = time.time()
        expired = self._status_expiry is not None and now >= self._status_expiry
        previous = self._snapshot
        frame = previous.runs
        rebuilt = bool(fresh or removed or expired or previous.generation == 0)
        if rebuilt:
            frame = self._build_frame(now)
        same_problems = list(map(_problem_key, problems)) == list(map(_problem_key, previous.problems))
        self._snapshot = Snapshot(
            runs=frame,
            problems=problems,
            scanned_at=now,
            duration=time.time() - started,
            generation=previous.generation + 1,
            parsed=len(parsed),
            roots=self.roots,
            version=previous.version + (1 if rebuilt or not same_problems else 0),
        )
        return self._snapshot

    @staticmethod
    def _root_prefix(root: Root) -> str:
        return f"{root.path}\x00"

    def _entry_key(self, root: Root, claim: Claim) -> str:
        return f"{self._root_prefix(root)}{claim.reader}\x00{claim.folder}"

    def _parse(self, reader: Reader, claim: Claim, stats: Fingerprint) -> Entry:
        self.parse_count += 1
        try:
            result = reader.read(claim)
            runs, problems = result.runs, result.problems
        except Exception as exc:  # one broken reader or file must not stop the scan
            log.exception("reader %s failed on %s", reader.name, claim.folder)
            runs, problems = [], [Problem(claim.folder, reader.name, f"unexpected error: {exc!r}")]
        newest = max((mtime for _, _, mtime in stats if mtime >= 0), default=None)
        lengths: dict[str, dict[str, int]] = {}
        stripped: list[Run] = []
        for run in runs:
            lengths[run.key] = {name: len(series) for name, series in run.series.items()}
            updated = (
                run.updated_at
                if run.updated_at is not None
                else (newest / 1e9 if newest is not None else None)
            )
            stripped.append(replace(run, series={}, updated_at=updated))
        return Entry(
            claim=claim,
            version=reader.version,
            fingerprint=stats,
            runs=stripped,
            problems=problems,
            series_lengths=lengths,
        )

    def _load_entry(self, key: str) -> Entry | None:
        value = self._cache.get(f"entry:{CACHE_SCHEMA}:{key}")
        return value if isinstance(value, Entry) else None

    def _save_entries(self, entries: dict[str, Entry]) -> None:
        if entries:
            self._cache.set_many({f"entry:{CACHE_SCHEMA}:{k}": e for k, e in entries.items()})

    def _build_frame(self, now: float) -> pd.DataFrame:
        prefix = len(self.roots) > 1
        roots_by_prefix = {self._root_prefix(r): r for r in self.roots}
        refs: dict[str, RunRef] = {}
        rows: list[dict[str, Any]] = []
        expiry: float | None = None
        for key in sorted(self._entries):
            entry = self._entries[key]
            root = roots_by_prefix[key[: key.index("\x00") + 1]]
            for run in entry.runs:
                run_id = run_id_for(root, entry.claim, run, prefix)
                if run_id in refs:  # two sources claimed the same id; keep both visible
                    run_id = f"{run_id}#{run.source}"
                status = run.status
                if status == "unknown" and recently_changed(run.updated_at, now):
                    status = "running"
                    assert run.updated_at is not None
                    ends = run.updated_at + 15 * 60
                    expiry = ends if expiry is None else min(expiry, ends)
                refs[run_id] = RunRef(root=root, entry_key=key, run=run)
                rows.append(run_row(run_id, run, status, entry.series_lengths.get(run.key, {})))
        self._refs = refs
        self._status_expiry = expiry
        return build_frame(rows)

    def series_lengths(self, run_id: str) -> dict[str, int]:
        ref = self._refs.get(run_id)
        if ref is None:
            return {}
        return dict(self._entries[ref.entry_key].series_lengths.get(ref.run.key, {}))

    def close(self) -> None:
        self._cache.close()


__all__ = ["IDENTITY_COLUMNS", "Root", "Snapshot", "Store", "make_roots"]
