"""Sharing one scan between the worker processes that serve the same cache.

The worker holding the scan lease (``coordination.ScanLease``) publishes what it scanned:
a heartbeat every round, the frame, problems and run references when the version moved,
and the first scan's progress. The others follow: they adopt the published frame and
refresh their index from the journaled map, so run pages and curves work without a walk.
A follower that gets the lease takes over from the index in the cache, without parsing.

``SharedScans`` is a mixin of ``store.Store``; it works on the store's own state.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import replace
from typing import Any

import pandas as pd

from .cache import Cache, JournaledMap
from .rows import build_frame
from .snapshot import Entry, Root, RunRef, Snapshot

log = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 0.5


class SharedScans:
    # The store's state this mixin reads and writes (see store.Store.__init__).
    roots: tuple[Root, ...]
    _cache: Cache
    _entry_map: JournaledMap
    _entries: dict[str, Entry]
    _framed: dict[str, list[str]]
    _refs: dict[str, RunRef]
    _served: dict[str, RunRef]
    _recent: dict[str, float]
    _lock: threading.RLock
    _snapshot: Snapshot
    _loaded: bool
    _unchanged: Any
    _following: bool
    _published_version: int | None
    _progress: dict[str, Any]
    _progress_saved: float
    _published_key: str
    _heartbeat_key: str
    _progress_key: str

    @staticmethod
    def _root_prefix(root: Root) -> str:
        return f"{root.path}\x00"

    def _note_progress(self, root: Root, folders: int, runs: int, parsed: int) -> None:
        """Counters of a scan under way; the first scan also saves them for the other workers' pages."""
        self._progress.update(folders=folders, runs=runs, parsed=parsed, root=root.label)
        now = time.time()
        if self._snapshot.scanned_at is None and now - self._progress_saved >= PROGRESS_EVERY_SECONDS:
            self._progress_saved = now
            self._cache.set(self._progress_key, dict(self._progress))

    @property
    def progress(self) -> dict[str, Any]:
        """How far the scan under way has got (empty when none is): its own, or the scanning worker's."""
        if self._following and self._snapshot.scanned_at is None:
            shared = self._cache.get(self._progress_key)
            return dict(shared) if isinstance(shared, dict) else {}
        return dict(self._progress)

    def continue_versions(self) -> None:
        """Before scanning here for the first time: number versions on from the last published one.

        Versions are what pages compare to decide whether to redraw, and what the views are cached
        under; a worker that starts scanning must never reuse a number another worker published.
        """
        beat = self._cache.get(self._heartbeat_key)
        published = beat.get("version") if isinstance(beat, dict) else None
        with self._lock:
            if isinstance(published, int) and published > self._snapshot.version:
                self._snapshot = replace(self._snapshot, version=published)

    def publish(self, health: dict[str, Any]) -> None:
        """Share the latest snapshot with the workers that read this cache (the frame only when it changed)."""
        snap = self._snapshot
        items: dict[str, Any] = {
            self._heartbeat_key: {
                "version": snap.version,
                "generation": snap.generation,
                "scanned_at": snap.scanned_at,
                "duration": snap.duration,
                "parsed": snap.parsed,
                "pid": os.getpid(),
                **health,
            }
        }
        if snap.scanned_at is not None and snap.version != self._published_version:
            refs = {run_id: (ref.entry_key, ref.run.key) for run_id, ref in self._served.items()}
            items[self._published_key] = {
                "version": snap.version,
                "runs": snap.runs,
                "problems": snap.problems,
                "refs": refs,
            }
            self._published_version = snap.version
        self._cache.set_many(items)

    def follow(self) -> dict[str, Any] | None:
        """Adopt what the scanning worker published; its heartbeat, or None when it has published nothing."""
        self._following = True
        self._cache.heal(repair=False)
        beat = self._cache.get(self._heartbeat_key)
        if not isinstance(beat, dict):
            return None
        with self._lock:
            snap = self._snapshot
            if beat.get("scanned_at") is None:
                return beat
            if beat.get("version") != snap.version or snap.scanned_at is None:
                published = self._cache.get(self._published_key)
                if not isinstance(published, dict):
                    return beat
                self._adopt(published)
            self._snapshot = replace(
                self._snapshot,
                scanned_at=beat["scanned_at"],
                duration=beat.get("duration", 0.0),
                generation=beat.get("generation", 0),
                parsed=beat.get("parsed", 0),
            )
        return beat

    def _adopt(self, published: dict[str, Any]) -> None:
        entries = self._entry_map.refresh()
        self._entries = {k: e for k, e in entries.items() if isinstance(e, Entry)}
        roots_by_prefix = {self._root_prefix(r): r for r in self.roots}
        refs: dict[str, RunRef] = {}
        for run_id, (key, run_key) in published["refs"].items():
            entry = self._entries.get(key)
            run = next((r for r in entry.runs if r.key == run_key), None) if entry else None
            root = roots_by_prefix.get(key[: key.index("\x00") + 1])
            if run is not None and root is not None:
                refs[run_id] = RunRef(root=root, entry_key=key, run=run)
        self._refs = self._served = refs
        self._snapshot = replace(
            self._snapshot,
            runs=published["runs"],
            problems=published["problems"],
            version=published["version"],
        )

    def _take_over(self) -> pd.DataFrame:
        """This process scans from now on: forget the borrowed bookkeeping, re-read the index, re-frame."""
        log.info("taking over scanning from another worker")
        self._following = False
        # New maps, not cleared ones: pages keep looking runs up in ``_served`` until the new frame is out.
        self._framed = {}
        self._refs = {}
        self._recent = {}
        self._loaded = False
        self._unchanged = None
        self._published_version = None
        return build_frame([])
