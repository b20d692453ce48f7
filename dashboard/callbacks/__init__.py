"""Thin wiring: one module per feature, module-level callbacks reading ``context.current()``."""

from . import refresh  # noqa: F401  (registers its callbacks)
