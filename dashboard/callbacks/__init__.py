"""Thin wiring: one module per feature, module-level callbacks reading ``context.current()``."""

from . import refresh, router, runs_page  # noqa: F401  (importing registers their callbacks)
