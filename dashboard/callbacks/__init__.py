"""Thin wiring: one module per feature, module-level callbacks reading ``context.current()``."""

from . import preferences, refresh, router, runs_controls, runs_export, runs_grid, runs_page  # noqa: F401  (registers callbacks)

# isort: split
from . import publication, recommendation  # noqa: F401  (publication tables on /insights; the recommendation card)
