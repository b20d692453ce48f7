"""The disk cache: a private diskcache folder that the store alone uses.

diskcache unpickles what it finds, so a folder others can write to is refused.
A broken cache is never fatal: the store keeps working from memory and files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
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


SERIES_PREFIX = "series:"
SQLITE_FILES = ("cache.db", "cache.db-wal", "cache.db-shm")


class Cache:
    """A thin, fault-tolerant wrapper: every failure is logged and read as a miss.

    The index (entries, folder states, the published snapshot) lives in ``index/``, which
    never evicts; curves live in ``series/`` under a size limit, so filling the cache with
    curves can never push the index out. ``heal`` reopens the folder when it was deleted,
    replaced or corrupted while serving; the caller then writes its state again.
    """

    def __init__(self, path: Path) -> None:
        self.path = prepare_cache_dir(path)
        self.broken = False  # an operation failed: reopen on the next heal
        self.corrupt = False  # ... because the database is damaged: remove it on the next repair
        self._index: diskcache.Cache | None = None
        self._series: diskcache.Cache | None = None
        self._identity: tuple[int, int] | None = None
        self._open()

    def _open(self) -> None:
        try:
            self._index = diskcache.Cache(str(self.path / "index"), eviction_policy="none")
            self._series = diskcache.Cache(str(self.path / "series"), size_limit=SIZE_LIMIT)
            info = (self.path / "index" / "cache.db").stat()
            self._identity = (info.st_dev, info.st_ino)
            self.broken = self.corrupt = False
        except Exception as exc:
            log.warning("cannot open the cache in %s; working without it", self.path, exc_info=True)
            self._index = self._series = None
            self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        self.broken = True
        # "database is locked" and friends pass; "file is not a database" / "malformed" do not.
        self.corrupt = self.corrupt or (
            isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)
        )

    def _for(self, key: str) -> diskcache.Cache | None:
        return self._series if key.startswith(SERIES_PREFIX) else self._index

    def get(self, key: str) -> Any:
        cache = self._for(key)
        if cache is None:
            return None
        try:
            return cache.get(key)
        except Exception as exc:
            log.warning("cache read failed for %s; treated as a miss", key, exc_info=True)
            self._failed(exc)
            return None

    def set(self, key: str, value: Any) -> None:
        self.set_many({key: value})

    def set_many(self, items: dict[str, Any]) -> None:
        groups: dict[int, tuple[diskcache.Cache, dict[str, Any]]] = {}
        for key, value in items.items():
            cache = self._for(key)
            if cache is not None:
                groups.setdefault(id(cache), (cache, {}))[1][key] = value
        for cache, group in groups.values():
            try:
                with cache.transact():
                    for key, value in group.items():
                        cache.set(key, value)
            except Exception as exc:
                log.warning("cache write failed; continuing without it", exc_info=True)
                self._failed(exc)

    def moved(self) -> bool:
        """True when the folder or its index database is no longer the one this process opened."""
        try:
            info = (self.path / "index" / "cache.db").stat()
        except OSError:
            return True
        return (info.st_dev, info.st_ino) != self._identity

    def heal(self, repair: bool = True) -> bool:
        """Reopen the cache if it was deleted, replaced or corrupted; True when it was reopened.

        With ``repair`` (the scanning process only) a corrupted database is removed first: it
        only ever held what the files can give again.
        """
        moved = self.moved()
        if not (self.broken or moved) or (not repair and not moved):
            return False
        log.warning("the cache in %s was deleted or damaged; reopening it", self.path)
        self.close()
        if repair and self.corrupt:
            for part in ("index", "series"):
                for name in SQLITE_FILES:
                    with contextlib.suppress(OSError):
                        (self.path / part / name).unlink()
        try:
            self.path = prepare_cache_dir(self.path)
        except (OSError, UnsafeCacheDir):
            log.warning("cannot recreate the cache folder %s", self.path, exc_info=True)
            self.broken = True
            return False
        self._open()
        return True

    def close(self) -> None:
        for cache in (self._index, self._series):
            if cache is not None:
                with contextlib.suppress(Exception):
                    cache.close()
        self._index = self._series = None


def open_cache(path: Path | None) -> Cache:
    return Cache(path if path is not None else default_cache_dir())


_TOMBSTONE = "\x00deleted"


class JournaledMap:
    """A large dict persisted as one base blob plus one small journal of recent changes.

    Writing only the journal keeps a rescan that changed two runs cheap; loading is two
    reads however many entries there are. When the journal grows past a tenth of the
    base it is folded into a new base. Base and journal carry the same token, so a reader
    in another process (``refresh``) re-reads the big base only after a fold.
    """

    def __init__(self, cache: Cache, name: str) -> None:
        self._cache = cache
        self._base_key = f"{name}:base"
        self._journal_key = f"{name}:journal"
        self._base_size = 0
        self._token = ""
        self._journal: dict[str, Any] = {}
        self._base: dict[str, Any] | None = None  # kept by readers that refresh

    def _read(self, key: str) -> tuple[str, dict[str, Any]]:
        value = self._cache.get(key)
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict):
            return str(value[0]), value[1]
        return "", {}

    def _merge(self, base: dict[str, Any]) -> dict[str, Any]:
        merged = dict(base)
        for key, value in self._journal.items():
            if isinstance(value, str) and value == _TOMBSTONE:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged

    def load(self, keep_base: bool = False) -> dict[str, Any]:
        token, base = self._read(self._base_key)
        journal_token, journal = self._read(self._journal_key)
        self._token, self._base_size = token, len(base)
        self._journal = dict(journal) if journal_token == token else {}
        self._base = base if keep_base else None
        return self._merge(base)

    def refresh(self) -> dict[str, Any]:
        """The map as the writing process last saved it; the base is re-read only when it was folded."""
        journal_token, journal = self._read(self._journal_key)
        if self._base is None or journal_token != self._token:
            return self.load(keep_base=True)
        self._journal = dict(journal)
        return self._merge(self._base)

    def update(self, current: dict[str, Any], changed: dict[str, Any], removed: set[str]) -> None:
        """Record ``changed`` and ``removed``; ``current`` is the whole map after them."""
        if not changed and not removed:
            return
        self._journal.update(changed)
        self._journal.update(dict.fromkeys(removed, _TOMBSTONE))
        if len(self._journal) > max(64, self._base_size // 10):
            self.rewrite(current)
        else:
            self._cache.set(self._journal_key, (self._token, self._journal))

    def rewrite(self, current: dict[str, Any]) -> None:
        """Save ``current`` as a new base (after a fold, or when the cache was rebuilt)."""
        self._token = os.urandom(8).hex()
        self._cache.set_many({self._base_key: (self._token, current), self._journal_key: (self._token, {})})
        self._base_size = len(current)
        self._journal = {}
