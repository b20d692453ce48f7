"""The disk cache: a private diskcache folder that the store alone uses.

diskcache unpickles what it finds, so a folder others can write to is refused.
A broken cache is never fatal: the store keeps working from memory and files.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import Any

import diskcache

from .settings import default_cache_dir

log = logging.getLogger(__name__)
SIZE_LIMIT = 4 * 1024**3


class UnsafeCacheDir(ValueError):
    """The cache folder is writable by other users; using it could run their code."""


def prepare_cache_dir(path: Path) -> Path:
    """Create the folder 0700, or check an existing one is not writable by others."""
    path = path.expanduser()
    if not path.exists():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path, 0o700)
        return path
    info = path.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeCacheDir(f"cache folder {path} is a file, not a folder")
    if info.st_mode & (stat.S_IWOTH | stat.S_IWGRP):
        raise UnsafeCacheDir(
            f"cache folder {path} is writable by other users; refusing it (diskcache loads pickles). "
            f"Use a private folder (chmod 700) or set RUNBOARD_CACHE_DIR."
        )
    if info.st_uid == os.getuid() and info.st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


class Cache:
    """A thin, fault-tolerant wrapper: every failure is logged and read as a miss."""

    def __init__(self, path: Path) -> None:
        self.path = prepare_cache_dir(path)
        self._cache: diskcache.Cache | None = diskcache.Cache(str(self.path), size_limit=SIZE_LIMIT)

    def get(self, key: str) -> Any:
        if self._cache is None:
            return None
        try:
            return self._cache.get(key)
        except Exception:
            log.warning("cache read failed for %s; treated as a miss", key, exc_info=True)
            return None

    def set(self, key: str, value: Any) -> None:
        self.set_many({key: value})

    def set_many(self, items: dict[str, Any]) -> None:
        if self._cache is None or not items:
            return
        try:
            with self._cache.transact():
                for key, value in items.items():
                    self._cache.set(key, value)
        except Exception:
            log.warning("cache write failed; continuing without it", exc_info=True)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()


def open_cache(path: Path | None) -> Cache:
    return Cache(path if path is not None else default_cache_dir())


_TOMBSTONE = "\x00deleted"


class JournaledMap:
    """A large dict persisted as one base blob plus one small journal of recent changes.

    Writing only the journal keeps a rescan that changed two runs cheap; loading is two
    reads however many entries there are. When the journal grows past a tenth of the
    base it is folded into a new base.
    """

    def __init__(self, cache: Cache, name: str) -> None:
        self._cache = cache
        self._base_key = f"{name}:base"
        self._journal_key = f"{name}:journal"
        self._base_size = 0
        self._journal: dict[str, Any] = {}

    def load(self) -> dict[str, Any]:
        base = self._cache.get(self._base_key)
        journal = self._cache.get(self._journal_key)
        merged: dict[str, Any] = dict(base) if isinstance(base, dict) else {}
        self._base_size = len(merged)
        self._journal = dict(journal) if isinstance(journal, dict) else {}
        for key, value in self._journal.items():
            if isinstance(value, str) and value == _TOMBSTONE:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged

    def update(self, current: dict[str, Any], changed: dict[str, Any], removed: set[str]) -> None:
        """Record ``changed`` and ``removed``; ``current`` is the whole map after them."""
        if not changed and not removed:
            return
        self._journal.update(changed)
        self._journal.update(dict.fromkeys(removed, _TOMBSTONE))
        if len(self._journal) > max(64, self._base_size // 10):
            self._cache.set_many({self._base_key: current, self._journal_key: {}})
            self._base_size = len(current)
            self._journal = {}
        else:
            self._cache.set(self._journal_key, self._journal)
