"""One scanner per cache folder, however many worker processes serve it.

Under gunicorn every worker builds its own app. The first to take the scan lease
(an exclusive ``flock`` on a file in the cache folder) scans and publishes; the
others only read what it published. The kernel drops the lock when its holder
dies, however it dies, so a waiting worker takes over on its next try — no stale
lock to expire, no heartbeat to trust.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from .cache import prepare_cache_dir

log = logging.getLogger(__name__)


class ScanLease:
    """An exclusive, non-blocking lock on ``path``; held until ``release`` or process exit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        """True when this process may scan: it holds the lock, or no lock file can exist right now."""
        if self._fd is not None:
            return True
        try:
            fd = self._open()
        except OSError:  # an unwritable cache folder: scan unlocked, as a lone process would
            log.warning("cannot open the scan lock %s; scanning without it", self.path, exc_info=True)
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:  # the cache folder was deleted: recreate it (0700) and lock there
            prepare_cache_dir(self.path.parent)
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def still_valid(self) -> bool:
        """False when the lock file was deleted or replaced (the cache folder wiped) under the holder."""
        if self._fd is None:
            return False
        try:
            held, on_disk = os.fstat(self._fd), os.stat(self.path)
        except OSError:
            return False
        return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
