"""One run's page: its params, metrics and files (``/run/<run_id>``)."""

from __future__ import annotations

from typing import Any

from ..components.run_page import run_not_found, run_page
from ..context import current


def render_run_page(run_id: str) -> Any:
    store = current().store
    run = store.run(run_id)
    if run is None:
        return run_not_found(run_id)
    return run_page(run_id, run, store.run_problems(run_id), store.series_lengths(run_id))
