"""Numbers as a researcher reads them: 4 significant digits, scientific when tiny or huge.

Lives in ``analysis`` so the exports (Markdown, LaTeX) and the components format
numbers the same way.
"""

from __future__ import annotations

import math

MISSING = "—"


def format_number(value: float | int | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e7):
        return str(int(value))
    magnitude = abs(value)
    if magnitude < 1e-3 or magnitude >= 1e7:
        mantissa, exponent = f"{value:.3e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    return f"{float(f'{value:.4g}'):g}"


def signed(value: float) -> str:
    """``format_number`` with an explicit sign for differences: ``+0.008``, ``-1.5``, ``0``."""
    text = format_number(value)
    return text if value <= 0 or not math.isfinite(value) else "+" + text
