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


class UnsafeCacheDir(Exception):
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
