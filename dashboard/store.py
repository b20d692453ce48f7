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
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from .cache import JournaledMap, open_cache
from .ingest import default_readers
from .ingest.base import RECENT_SECONDS, Claim, Problem, Reader, Run, Series, recently_changed
from .ingest.walk import RACY_NS, STATE_VERSION, DirState, Walker
from .rows import IDENTITY_COLUMNS, build_frame, ordered_columns, run_row
from .sharing import SharedScans
from .snapshot import Entry, Fingerprint, Root, RunRef, Snapshot
from .unchanged import UnchangedCheck, build_check

log = logging.getLogger(__name__)

# Bumped when the cached entry layout changes; old entries are then ignored.
CACHE_SCHEMA = 5
SERIES_MEMORY_RUNS = 16


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
            stats.append((path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
        except OSError:
            stats.append((path, -1, -1, -1, -1))
    return tuple(stats)


def run_id_for(root: Root, claim: Claim, run: Run, prefix_label: bool) -> str:
    # The walker builds every folder path from the root's own path, so a prefix cut is exact.
    rel = claim.folder[len(root.path) + 1 :] if claim.folder != root.path else ""
    parts = [root.label] if prefix_label else []
    if rel:
        parts.append(rel.replace(os.sep, "/"))
    if run.key:
        parts.append(run.key)
    if not parts:
        parts.append(root.label)
    return "/".join(parts)


def _problem_key(problem: Problem) -> tuple[str, str, str]:
    return (problem.path, problem.reader, problem.reason)


def _root_problem(root: Root) -> Problem | None:
    real = os.path.realpath(root.path)
    if real != root.path and os.path.exists(root.path):
        # Replaced by a link since start-up: its runs would get ids from another tree.
        return Problem(
            root.path, "walk", f"results folder now leads to {real}; not scanned (restart to follow it)"
        )
    if not os.path.exists(root.path):
        return Problem(root.path, "walk", "results folder does not exist")
    if not os.path.isdir(root.path):
        return Problem(root.path, "walk", "results folder is a file, not a folder")
    if not os.access(root.path, os.R_OK | os.X_OK):
        return Problem(root.path, "walk", "permission denied: results folder not readable")
    return None


class Store(SharedScans):
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
        self._entry_map = JournaledMap(self._cache, f"entries:{CACHE_SCHEMA}")
        self._dir_states: dict[str, dict[str, DirState]] = {}
        # Claims depend on which readers made them: another reader set starts the walk afresh.
        readers_digest = hashlib.blake2b(
            repr(sorted((r.name, r.version) for r in self.readers)).encode(), digest_size=8
        ).hexdigest()
        # What several processes over one cache share: the snapshot of these roots read by these readers.
        self.config_digest = hashlib.blake2b(
            repr((readers_digest, [(r.label, r.path) for r in self.roots])).encode(), digest_size=8
        ).hexdigest()
        self._published_key = f"published:{CACHE_SCHEMA}:{self.config_digest}"
        self._heartbeat_key = f"heartbeat:{CACHE_SCHEMA}:{self.config_digest}"
        self._progress_key = f"progress:{CACHE_SCHEMA}:{self.config_digest}"
        self._dir_maps = {
            r.path: JournaledMap(
                self._cache, f"dirs:{CACHE_SCHEMA}.{STATE_VERSION}:{readers_digest}:{r.path}"
            )
            for r in self.roots
        }
        self._loaded = False
        self._refs: dict[str, RunRef] = {}  # run id -> where it came from, as the scan under way builds it
        self._served: dict[str, RunRef] = {}  # ... as of the published snapshot: what pages look up
        self._framed: dict[str, list[str]] = {}  # entry key -> the run ids it put in the frame
        self._recent: dict[str, float] = {}  # run id -> when its "running" (by recency) ends
        self._series: OrderedDict[str, dict[str, Series]] = OrderedDict()
        self._lock = threading.RLock()
        self.parse_count = 0
        self.folders_listed = 0
        self.unchanged_rescans = 0  # rescans answered by the fast path (nothing changed)
        self._unchanged: UnchangedCheck | None = None
        self._following = False  # True while this process reads another worker's scans
        self._published_version: int | None = None
        self._progress: dict[str, Any] = {}
        self._progress_saved = 0.0
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
    def lock_path(self) -> Path:
        """The scan lease of this configuration (see ``coordination``)."""
        return self._cache.path / f"scan-{self.config_digest}.lock"

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def run(self, run_id: str) -> Run | None:
        ref = self._served.get(run_id)
        return ref.run if ref else None

    def run_problems(self, run_id: str) -> list[Problem]:
        ref = self._served.get(run_id)
        if ref is None:
            return []
        entry = self._entries.get(ref.entry_key)
        return list(entry.problems) if entry else []

    def series(self, run_id: str) -> dict[str, Series]:
        """All series of one run, read on demand (memory, then disk cache, then files)."""
        ref = self._served.get(run_id)
        if ref is None:
            return {}
        entry = self._entries.get(ref.entry_key)
        if entry is None:  # removed by a rescan in another thread since the lookup
            return {}
        digest = hashlib.blake2b(repr(entry.fingerprint).encode(), digest_size=12).hexdigest()
        cache_key = f"series:{CACHE_SCHEMA}:{entry.version}:{ref.entry_key}:{digest}:{ref.run.key}"
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

    def _load_persisted(self) -> None:
        """After a restart: the last index from the disk cache (two reads per map)."""
        self._entries = {k: e for k, e in self._entry_map.load().items() if isinstance(e, Entry)}
        for root in self.roots:
            self._dir_states[root.path] = self._dir_maps[root.path].load()
        self._loaded = True

    def _rescan(self) -> Snapshot:
        started = time.time()
        healed = self._cache.heal()
        base_frame = self._snapshot.runs
        if self._following:  # taking over from a scanner that died: rebuild the frame from the index
            base_frame = self._take_over()
        if not self._loaded:
            self._load_persisted()
        if not healed and self._unchanged is not None and self._unchanged.holds(started):
            self.unchanged_rescans += 1
            return self._republish(started)
        self._progress = {"started": started, "folders": 0, "runs": 0, "parsed": 0, "root": ""}
        problems: list[Problem] = []
        walk_clean = True
        live: set[str] = set()
        fresh: dict[str, Entry] = {}  # entries new to the frame: parsed now, or loaded from disk
        parsed: dict[str, Entry] = {}
        for root in self.roots:
            root_problem = _root_problem(root)
            if root_problem is not None:
                problems.append(root_problem)
                walk_clean = False
                # An unmounted or unreadable root keeps its last known runs rather than emptying the table,
                # also when this process frames them for the first time (after a restart or a takeover).
                kept = {k: e for k, e in self._entries.items() if k.startswith(self._root_prefix(root))}
                live.update(kept)
                fresh.update({k: e for k, e in kept.items() if k not in self._framed})
                continue
            previous_dirs = self._dir_states.get(root.path, {})
            walker = Walker(root.path, previous_dirs)
            listed_before = self.folders_listed
            for claim in walker.walk(self.readers):
                self._note_progress(root, listed_before + walker.listed, len(live), len(parsed))
                key = self._entry_key(root, claim)
                reader = self._readers.get(claim.reader)
                if reader is None:  # a claim cached by a reader this process does not have
                    continue
                live.add(key)
                stats = fingerprint(claim.files)
                entry = self._entries.get(key)
                if (
                    entry is None
                    or entry.racy
                    or entry.fingerprint != stats
                    or entry.version != reader.version
                ):
                    entry = self._parse(reader, claim, stats)
                    parsed[key] = fresh[key] = entry
                elif key not in self._framed:
                    fresh[key] = entry
            problems.extend(walker.problems)
            walk_clean = (
                walk_clean and not walker.problems and not any(s.racy for s in walker.states.values())
            )
            self.folders_listed += walker.listed
            self._save_dir_states(root, previous_dirs, walker.states)
        removed = set(self._entries) - live
        for key in removed:
            del self._entries[key]
        self._entries.update(parsed)
        if healed:  # the cache was rebuilt empty: save the whole index again, not a journal
            self._entry_map.rewrite(self._entries)
            for root in self.roots:
                self._dir_maps[root.path].rewrite(self._dir_states.get(root.path, {}))
            self._published_version = None
        else:
            self._entry_map.update(self._entries, parsed, removed)
        for entry in self._entries.values():
            problems.extend(entry.problems)
        now = time.time()
        previous = self._snapshot
        frame = self._patch_frame(base_frame, fresh, removed, now)
        same_problems = list(map(_problem_key, problems)) == list(map(_problem_key, previous.problems))
        changed = frame is not previous.runs or not same_problems
        self._snapshot = Snapshot(
            runs=frame,
            problems=problems,
            scanned_at=now,
            duration=time.time() - started,
            generation=previous.generation + 1,
            parsed=len(parsed),
            roots=self.roots,
            version=previous.version + (1 if changed or previous.generation == 0 else 0),
        )
        if frame is not previous.runs:
            self._served = dict(self._refs)
        self._unchanged = self._unchanged_check() if walk_clean else None
        self._progress = {}
        return self._snapshot

    def _unchanged_check(self) -> UnchangedCheck | None:
        if any(entry.racy for entry in self._entries.values()):
            return None
        folders = [
            pair
            for states in self._dir_states.values()
            for path, state in states.items()
            for pair in ((path, state.stamp), *state.deps)
        ]
        files = (stat for entry in self._entries.values() for stat in entry.fingerprint)
        return build_check(folders, files, min(self._recent.values(), default=None))

    def _republish(self, started: float) -> Snapshot:
        """Nothing changed: the same runs and problems, scanned again now."""
        previous = self._snapshot
        now = time.time()
        self._snapshot = replace(
            previous, scanned_at=now, duration=now - started, generation=previous.generation + 1, parsed=0
        )
        return self._snapshot

    def _save_dir_states(
        self, root: Root, previous: dict[str, DirState], states: dict[str, DirState]
    ) -> None:
        changed = {path: state for path, state in states.items() if previous.get(path) is not state}
        removed = set(previous) - set(states)
        self._dir_states[root.path] = states
        self._dir_maps[root.path].update(states, changed, removed)

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
        newest = max((mtime for _, _, mtime, _, _ in stats if mtime >= 0), default=None)
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
            # A file changed within the mtime tick may change again unseen: parse it again next time.
            racy=newest is not None and time.time_ns() - newest < RACY_NS,
        )

    # ------------------------------------------------------------ the frame
    def _patch_frame(
        self, frame: pd.DataFrame, fresh: dict[str, Entry], removed: set[str], now: float
    ) -> pd.DataFrame:
        """Drop the rows of changed or removed entries, add the fresh ones; untouched rows stay as they are."""
        expired = [run_id for run_id, ends in self._recent.items() if ends <= now]
        if not fresh and not removed and not expired and self._snapshot.generation > 0:
            return frame
        dropped: list[str] = []
        for key in removed | set(fresh):
            for run_id in self._framed.pop(key, ()):
                dropped.append(run_id)
                self._refs.pop(run_id, None)
                self._recent.pop(run_id, None)
        rows = self._rows_for(fresh, now)
        if dropped:
            frame = frame[~frame["run_id"].isin(dropped)]
        if rows:
            frame = (
                build_frame(rows) if frame.empty else pd.concat([frame, build_frame(rows)], ignore_index=True)
            )
        # Never write into the frame of the published snapshot: readers may hold it.
        frame = self._tidy(frame) if dropped or rows else frame.copy()
        # Re-check after re-framing: a run written again this scan got a new, later expiry.
        expired = [run_id for run_id in expired if self._recent.get(run_id, now + 1) <= now]
        for run_id in expired:
            del self._recent[run_id]
        if expired:
            frame.loc[frame["run_id"].isin(expired), "status"] = "unknown"
        return frame

    @staticmethod
    def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
        """Rows by run id; contract column order; no column left that no run has."""
        empty = [c for c in frame.columns if c.startswith(("params.", "metrics.")) and frame[c].isna().all()]
        frame = frame.drop(columns=empty)
        frame = frame[ordered_columns(list(frame.columns))]
        return frame.sort_values("run_id", kind="stable", ignore_index=True)

    def _rows_for(self, fresh: dict[str, Entry], now: float) -> list[dict[str, Any]]:
        prefix = len(self.roots) > 1
        roots_by_prefix = {self._root_prefix(r): r for r in self.roots}
        rows: list[dict[str, Any]] = []
        for key in sorted(fresh):
            entry = fresh[key]
            root = roots_by_prefix[key[: key.index("\x00") + 1]]
            ids: list[str] = []
            for run in entry.runs:
                run_id = run_id_for(root, entry.claim, run, prefix)
                if run_id in self._refs:  # two claims produced the same id; keep both visible
                    base, n = f"{run_id}#{run.source}", 2
                    run_id = base
                    while run_id in self._refs:
                        run_id, n = f"{base}-{n}", n + 1
                status = run.status
                if status == "unknown" and recently_changed(run.updated_at, now):
                    status = "running"
                    assert run.updated_at is not None
                    self._recent[run_id] = run.updated_at + RECENT_SECONDS
                self._refs[run_id] = RunRef(root=root, entry_key=key, run=run)
                ids.append(run_id)
                rows.append(run_row(run_id, run, status, entry.series_lengths.get(run.key, {})))
            self._framed[key] = ids
        return rows

    def series_lengths(self, run_id: str) -> dict[str, int]:
        ref = self._served.get(run_id)
        if ref is None:
            return {}
        entry = self._entries.get(ref.entry_key)
        return dict(entry.series_lengths.get(ref.run.key, {})) if entry else {}

    def close(self) -> None:
        self._cache.close()


__all__ = ["IDENTITY_COLUMNS", "Root", "Snapshot", "Store", "make_roots"]
