"""Numbers as a researcher reads them: 4 significant digits, scientific when tiny or huge.

The formatter lives in ``analysis.numbers`` (the exports need it and may not import
components); this module keeps the name the layouts import.
"""

from __future__ import annotations

from ..analysis.numbers import MISSING, format_number

__all__ = ["MISSING", "format_number"]
