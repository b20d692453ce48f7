"""Labels for exported tables: one line each, and never two alike.

Run and metric names come from result folders and may hold anything. In a Markdown pipe
table a newline ends the row (and can start a heading); in a LaTeX ``tabular`` a blank line
is ``\\par``, a compile error. So every text written into a table is first made one line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WHITESPACE = re.compile(r"\s+")  # Unicode-aware: \r \t \v \f, U+0085, U+2028/2029, NBSP, ...
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # left after folding: invisible, and pdflatex rejects them


def one_line(text: str) -> str:
    """Every run of whitespace as one space and other control characters dropped; ends kept.

    Ends are kept because callers join pieces (``name`` + ``" (reference)"``).
    """
    return _CONTROL.sub("", _WHITESPACE.sub(" ", text))


def unique_labels(labels: Iterable[str]) -> list[str]:
    """Labels a reader can tell apart: one line, trimmed; a repeat gets `` (2)``, `` (3)``, ...

    A suffix is never one that is taken or that another label already is, so
    ``["x", "x", "x (2)"]`` gives ``["x", "x (3)", "x (2)"]``: a label unique as given is kept.
    """
    cleaned = [one_line(label).strip() for label in labels]
    taken = set(cleaned)
    seen: set[str] = set()
    out: list[str] = []
    for label in cleaned:
        if label not in seen:
            seen.add(label)
            out.append(label)
            continue
        count = 2
        while f"{label} ({count})" in taken:
            count += 1
        chosen = f"{label} ({count})"
        taken.add(chosen)
        out.append(chosen)
    return out
