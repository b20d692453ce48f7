"""What a running app holds: settings, the store and its scanner.

Callbacks reach it through ``current()``, so they stay module-level functions and
a test can build several apps over different trees.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import flask

from .scanner import Scanner
from .settings import Settings
from .store import Snapshot, Store

EXTENSION_KEY = "runboard"
STALE_SECONDS = 120.0
FAILURES_UNHEALTHY = 3


@dataclass
class AppContext:
    settings: Settings
    store: Store
    scanner: Scanner

    @property
    def snapshot(self) -> Snapshot:
        return self.store.snapshot

    def health(self) -> dict[str, Any]:
        """``ok``, ``starting`` (no scan yet), or ``unhealthy``: scans keep failing or stopped happening."""
        snap = self.snapshot
        scanner = self.scanner
        now = time.time()
        scanned = scanner.last_success
        stale = scanned is None or now - scanned > max(3 * self.settings.refresh_seconds, STALE_SECONDS)
        failing = scanner.failures >= FAILURES_UNHEALTHY
        if snap.scanned_at is None:
            status = "unhealthy" if failing else "starting"
        else:
            status = "unhealthy" if stale or failing else "ok"
        return {
            "status": status,
            "runs": len(snap.runs),
            "version": snap.version,
            "problems": len(snap.problems),
            "last_scan": snap.scanned_at,
            "last_scan_age_seconds": None if snap.scanned_at is None else round(now - snap.scanned_at, 3),
            "last_scan_duration_seconds": round(snap.duration, 4),
            "last_success": scanned,
            "failures": scanner.failures,
            "last_error": scanner.last_error,
            "worker_pid": os.getpid(),
            "scanner": "this worker" if scanner.scanning_here else f"worker pid {scanner.scanner_pid}",
            "progress": self.store.progress or None,
        }


def current() -> AppContext:
    context: AppContext = flask.current_app.extensions[EXTENSION_KEY]
    return context
