"""Rescans the store on an interval in a background thread.

Pages never scan: they read the last published snapshot, so a slow disk delays
fresh data, not the page. With several worker processes over one cache, the one
holding the scan lease (``coordination.ScanLease``) scans and publishes; the
others follow what it published, and take the lease over if it dies.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from .coordination import ScanLease
from .store import Snapshot, Store

log = logging.getLogger(__name__)

# How often a reading worker looks for a newer published scan (one small cache read).
FOLLOW_SECONDS = 1.0
# After a failed scan, try again sooner than the interval, backing off to it.
RETRY_SECONDS = 2.0


class Scanner:
    def __init__(self, store: Store, interval: float, lease: ScanLease | None = None) -> None:
        self.store = store
        self.interval = max(float(interval), 0.5)
        self.lease = lease
        self.first_scan_done = threading.Event()
        self.last_error: str | None = None
        self.last_success: float | None = None
        self.failures = 0  # consecutive failed scans
        self.scanner_pid: int | None = None  # who scans, when another worker does
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def scanning_here(self) -> bool:
        return self.scanner_pid is None

    def start(self) -> Scanner:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="runboard-scanner", daemon=True)
            self._thread.start()
        return self

    def scan_now(self) -> Snapshot:
        """Scan in the caller's thread (used at start-up and by tests)."""
        try:
            snapshot = self.store.rescan()
        except Exception as exc:  # keep serving the last good snapshot
            log.exception("scan failed")
            self.last_error = f"{type(exc).__name__}: {exc}"
            self.failures += 1
            return self.store.snapshot
        self.last_error = None
        self.failures = 0
        self.last_success = time.time()
        return snapshot

    def tick(self) -> float:
        """One round: scan and publish when this process holds the lease, else follow. Returns the wait."""
        if self._may_scan():
            self.scan_now()
            # A lock lost during the scan (the cache folder wiped) means another worker may scan now.
            if self.lease is None or not self.lease.held or self.lease.still_valid():
                try:
                    self.store.publish(self._health())
                except Exception:  # a cache that cannot be written must not stop the scans
                    log.exception("publishing the scan failed")
            self.scanner_pid = None
            if self.store.snapshot.scanned_at is not None:
                self.first_scan_done.set()
            return (
                min(self.interval, RETRY_SECONDS * 2 ** (self.failures - 1))
                if self.failures
                else self.interval
            )
        beat = self.store.follow()
        if beat is not None:
            self.scanner_pid = beat.get("pid")
            self.last_success = beat.get("last_success")
            self.last_error = beat.get("last_error")
            self.failures = int(beat.get("failures") or 0)
            if self.store.snapshot.scanned_at is not None:
                self.first_scan_done.set()
        return min(self.interval, FOLLOW_SECONDS)

    def _may_scan(self) -> bool:
        if self.lease is None:
            return True
        if self.lease.held and not self.lease.still_valid():  # the cache folder was wiped: lock anew
            self.lease.release()
        held_before = self.lease.held
        if not self.lease.try_acquire():
            return False
        if not held_before:
            self.store.continue_versions()
        return True

    def _health(self) -> dict[str, Any]:
        return {"last_success": self.last_success, "last_error": self.last_error, "failures": self.failures}

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the round under way; the lease is released only once no scan can still publish."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self.lease is not None:
            self.lease.release()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.tick()
            except Exception:  # the loop itself must survive anything: retry after a pause
                log.exception("scanner round failed")
                wait = RETRY_SECONDS
            self._wake.wait(wait)
            self._wake.clear()
