"""Rescans the store on an interval in a background thread.

Pages never scan: they read the last published snapshot, so a slow disk delays
fresh data, not the page.
"""

from __future__ import annotations

import logging
import threading
import time

from .store import Snapshot, Store

log = logging.getLogger(__name__)


class Scanner:
    def __init__(self, store: Store, interval: float) -> None:
        self.store = store
        self.interval = max(float(interval), 0.5)
        self.first_scan_done = threading.Event()
        self.last_error: str | None = None
        self.last_success: float | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

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
            return self.store.snapshot
        self.last_error = None
        self.last_success = time.time()
        return snapshot

    def request(self) -> None:
        """Ask for a scan soon (e.g. the user pressed refresh)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.scan_now()
            self.first_scan_done.set()
            self._wake.wait(self.interval)
            self._wake.clear()
