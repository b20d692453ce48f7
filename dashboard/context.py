"""What a running app holds: settings, the store and its scanner.

Callbacks reach it through ``current()``, so they stay module-level functions and
a test can build several apps over different trees.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import flask

from .scanner import Scanner
from .settings import Settings
from .store import Snapshot, Store

EXTENSION_KEY = "runboard"


@dataclass
class AppContext:
    settings: Settings
    store: Store
    scanner: Scanner

    @property
    def snapshot(self) -> Snapshot:
        return self.store.snapshot

    def health(self) -> dict[str, Any]:
        snap = self.snapshot
        now = time.time()
        scanned = self.scanner.last_success
        stale = scanned is None or now - scanned > max(3 * self.settings.refresh_seconds, 120)
        status = "starting" if snap.scanned_at is None else ("unhealthy" if stale else "ok")
        return {
            "status": status,
            "runs": len(snap.runs),
            "problems": len(snap.problems),
            "last_scan": snap.scanned_at,
            "last_scan_age_seconds": None if snap.scanned_at is None else round(now - snap.scanned_at, 3),
            "last_scan_duration_seconds": round(snap.duration, 4),
            "last_error": self.scanner.last_error,
        }


def current() -> AppContext:
    context: AppContext = flask.current_app.extensions[EXTENSION_KEY]
    return context
