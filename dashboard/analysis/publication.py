"""Publication tables: runs as rows, chosen metrics as columns, as booktabs LaTeX or Markdown.

``publication_table(frame, metrics, overrides)`` decides everything a reader of the paper
sees; ``to_latex`` and ``to_markdown`` only spell it. Rules, so a table can be checked:

- **Headers**: the metric name without ``metrics.``, underscores as spaces, case kept
  (``sblimp_accuracy`` → ``sblimp accuracy``), then ↑ (higher is better) or ↓ by direction
  (``directions.metric_direction``). A column of tiny or huge numbers (largest |value| below
  1e-3 or from 1e6) is shown scaled, its header saying so: ``librilight slope (×10⁻⁵)``.
- **Decimals** are one number per column: as many as the column's values are written with
  (``0.538`` → 3), at least enough for two significant digits of its smallest ± half-width,
  at most what gives its largest value 4 significant digits (``numbers.format_number``'s
  precision) and never more than 6.
- **Best** per column in bold by direction, judged on the numbers as shown: ties are all
  bold; nothing is bold without a direction or when fewer than two distinct values are shown.
- **±** is the half-width of the 95% interval ``intervals.estimate_for`` knows: half the
  width of a Wilson score interval for an accuracy with a sample count (``(high − low) / 2``),
  or 1.96 reported standard errors (``<metric>_stderr``). A Wilson interval is not symmetric
  around its value (0.99 of 100 has [0.946, 0.998]: ``± 0.026`` would suggest values above 1),
  so when its two sides differ by more than ``ASYMMETRY`` of its half-width the interval itself
  is printed instead: ``0.990 [0.946, 0.998]`` (LaTeX ``0.990\\,[0.946, 0.998]``). The caption
  says which is which, per column when they differ, with the sample counts.
- A missing value is ``—`` (``---`` in LaTeX). Every text from the data is made one line
  (``labels.one_line``) and escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from .compare import row_metrics
from .compare_export import escape_latex, escape_markdown, latex_text
from .directions import Direction, metric_direction
from .intervals import Z95, IntervalKind, estimate_for
from .labels import one_line, unique_labels

METRIC_PREFIX = "metrics."
LABEL = "tab:results"
RUN_HEADER = "Run"
SIGNIFICANT = 4
MAX_DECIMALS = 6
SCALE_BELOW = 1e-3
SCALE_FROM = 1e6
ASYMMETRY = 0.25  # |(high − v) − (v − low)| above this share of the half-width: print [low, high]
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
WILSON_HALF_WIDTH = "half the width of the 95% Wilson score interval"
STDERR_TEXT = "1.96 reported standard errors"
_TEX_ARROWS = {"↑": r"$\uparrow$", "↓": r"$\downarrow$"}  # ``latex_text`` already spells | < > ± —


@dataclass(frozen=True)
class Entry:
    """One run's value of one metric; ``half_width`` is the ± of its 95% interval, when one is known.

    ``low`` and ``high`` are a Wilson interval's bounds; ``asymmetric`` says they are printed
    instead of ``± half_width``.
    """

    value: float | None
    half_width: float | None = None
    kind: IntervalKind | None = None
    n: int | None = None
    best: bool = False
    low: float | None = None
    high: float | None = None
    asymmetric: bool = False

    @property
    def form(self) -> str | None:
        """How the interval is printed: ``wilson`` (±), ``bounds`` ([low, high]), ``stderr`` (±), or None."""
        if self.value is None or self.kind is None:
            return None
        return "bounds" if self.asymmetric else str(self.kind)


@dataclass(frozen=True)
class Column:
    metric: str  # bare name, as the source spells it
    header: str  # readable, plain text, without the arrow or the scale
    direction: Direction
    decimals: int
    exponent: int  # values are shown divided by 10**exponent (0: as they are)


@dataclass(frozen=True)
class PublicationTable:
    run_ids: list[str]
    labels: list[str]  # row labels, made unique
    columns: list[Column]
    rows: list[list[Entry]]  # one list per run, one entry per column
    note: str  # what bold, ±, [low, high] and — mean: the caption's generated part


# ---------------------------------------------------------------- building


def readable_header(metric: str) -> str:
    """``metrics.sblimp_accuracy`` → ``sblimp accuracy``: prefix stripped, underscores as spaces, case kept.

    One line: whitespace of any kind is one space.
    """
    bare = metric[len(METRIC_PREFIX) :] if metric.startswith(METRIC_PREFIX) else metric
    return one_line(bare.replace("_", " ")).strip()


def _label(value: object, run_id: str) -> str:
    return value if isinstance(value, str) and value.strip() else run_id


def is_asymmetric(value: float, low: float, high: float) -> bool:
    """Whether ``value ± (high − low)/2`` would misstate ``[low, high]``: its sides differ by > ``ASYMMETRY``."""
    half = (high - low) / 2
    return half > 0 and abs((high - value) - (value - low)) > ASYMMETRY * half


def _entry(metrics: Mapping[str, float], metric: str) -> Entry:
    estimate = estimate_for(metrics, metric)
    if estimate is None:
        return Entry(None)
    if estimate.kind == "wilson" and estimate.low is not None and estimate.high is not None:
        low, high, value = estimate.low, estimate.high, estimate.value
        asymmetric = is_asymmetric(value, low, high)
        return Entry(value, (high - low) / 2, "wilson", estimate.n, low=low, high=high, asymmetric=asymmetric)
    if estimate.kind == "stderr" and estimate.se is not None:
        return Entry(estimate.value, Z95 * estimate.se, "stderr")
    return Entry(estimate.value)


def _exponent(values: list[float]) -> int:
    largest = max((abs(v) for v in values), default=0.0)
    if largest == 0.0 or SCALE_BELOW <= largest < SCALE_FROM:
        return 0
    return math.floor(math.log10(largest))


def _written_decimals(value: float) -> int:
    """Decimals of the shortest spelling, float noise removed (``7.300000000000001`` → 1)."""
    text = f"{abs(value):.12g}"
    if "e" in text:
        return MAX_DECIMALS
    return len(text.split(".")[1]) if "." in text else 0


def _decimals(values: list[float], half_widths: list[float]) -> int:
    if not values:
        return 0
    largest = max(abs(v) for v in values)
    cap = MAX_DECIMALS if largest == 0 else SIGNIFICANT - 1 - math.floor(math.log10(largest))
    wanted = max(_written_decimals(v) for v in values)
    positive = [h for h in half_widths if h > 0]
    if positive:
        wanted = max(wanted, 1 - math.floor(math.log10(min(positive))))
    return max(0, min(wanted, cap, MAX_DECIMALS))


def _best(shown: list[float | None], direction: Direction) -> set[int]:
    finite = [v for v in shown if v is not None]
    if direction is None or len(set(finite)) < 2:
        return set()
    target = max(finite) if direction == "max" else min(finite)
    return {i for i, v in enumerate(shown) if v == target}


def _column(metric: str, entries: list[Entry], direction: Direction) -> tuple[Column, list[Entry]]:
    values = [e.value for e in entries if e.value is not None]
    exponent = _exponent(values)
    scale = 10.0**exponent
    half_widths = [e.half_width / scale for e in entries if e.half_width is not None]
    decimals = _decimals([v / scale for v in values], half_widths)
    shown = [None if e.value is None else round(e.value / scale, decimals) for e in entries]
    best = _best(shown, direction)
    marked = [replace(e, best=True) if i in best else e for i, e in enumerate(entries)]
    return Column(metric, readable_header(metric), direction, decimals, exponent), marked


def publication_table(
    frame: pd.DataFrame,
    metrics: Sequence[str],
    overrides: Mapping[str, str] | None = None,
    label_column: str = "name",
) -> PublicationTable:
    """The table of ``frame``'s runs (rows, in frame order) over ``metrics`` (columns, in the order given).

    ``metrics`` may carry the ``metrics.`` prefix; a repeated one is shown once. A metric no run
    has is still a column (all ``—``): it was asked for. Row labels come from ``label_column``,
    else the run id.
    """
    names = list(
        dict.fromkeys(m[len(METRIC_PREFIX) :] if m.startswith(METRIC_PREFIX) else m for m in metrics)
    )
    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    run_ids = [str(r.get("run_id", i)) for i, r in enumerate(records)]
    labels = unique_labels(
        [_label(r.get(label_column), run_id) for r, run_id in zip(records, run_ids, strict=True)]
    )
    per_run = [row_metrics(r) for r in records]
    columns: list[Column] = []
    by_column: list[list[Entry]] = []
    for metric in names:
        column, entries = _column(
            metric, [_entry(m, metric) for m in per_run], metric_direction(metric, overrides or {})
        )
        columns.append(column)
        by_column.append(entries)
    rows = [[entries[i] for entries in by_column] for i in range(len(records))]
    table = PublicationTable(run_ids, labels, columns, rows, "")
    return PublicationTable(run_ids, labels, columns, rows, caption_note(table))


# ---------------------------------------------------------------- the caption


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _count_text(counts: Iterable[int]) -> str:
    ordered = sorted(set(counts))
    if not ordered:
        return "?"
    return str(ordered[0]) if len(ordered) == 1 else f"{ordered[0]}–{ordered[-1]}"


def _forms(table: PublicationTable, index: int) -> set[str]:
    return {form for row in table.rows if (form := row[index].form) is not None}


def _counts(table: PublicationTable, index: int, form: str) -> str:
    """The sample counts of the column's intervals printed as ``form``: ``100`` or ``100–120``."""
    return _count_text(e.n for row in table.rows if (e := row[index]).form == form and e.n is not None)


def _n_text(table: PublicationTable, columns: list[int], form: str) -> str:
    """``(n = 100)`` when every column has the same counts, else ``(n = 100 for x, 2000 for z)``."""
    counts = {i: _counts(table, i, form) for i in columns}
    if len(set(counts.values())) == 1:
        return f"(n = {counts[columns[0]]})"
    return "(n = " + ", ".join(f"{counts[i]} for {table.columns[i].header}" for i in columns) + ")"


def _plus_minus_sentence(table: PublicationTable, forms: list[set[str]]) -> str:
    wilson = [i for i, f in enumerate(forms) if "wilson" in f]
    stderr = [i for i, f in enumerate(forms) if "stderr" in f]

    def name(i: int) -> str:  # a column with both kinds of ± says so
        return table.columns[i].header + (" (some runs)" if {"wilson", "stderr"} <= forms[i] else "")

    if wilson and not stderr:
        return f"± is {WILSON_HALF_WIDTH} {_n_text(table, wilson, 'wilson')}."
    if stderr and not wilson:
        return f"± is {STDERR_TEXT}."
    if not wilson:
        return ""
    listed = _join([f"{name(i)} {_n_text(table, [i], 'wilson')}" for i in wilson])
    return f"± is {WILSON_HALF_WIDTH} for {listed}; {STDERR_TEXT} for {_join([name(i) for i in stderr])}."


def _bounds_sentence(table: PublicationTable, forms: list[set[str]]) -> str:
    bounds = [i for i, f in enumerate(forms) if "bounds" in f]
    if not bounds:
        return ""
    return (
        "[low, high] is the 95% Wilson score interval itself, printed where it is clearly asymmetric "
        f"{_n_text(table, bounds, 'bounds')}."
    )


def caption_note(table: PublicationTable) -> str:
    """What bold, ±, [low, high] and — mean in ``table``, in plain text (the generated part of a caption)."""
    entries = [e for row in table.rows for e in row]
    forms = [_forms(table, i) for i in range(len(table.columns))]
    sentences: list[str] = []
    if any(e.best for e in entries):
        sentences.append("Best value per column in bold (↑ higher is better, ↓ lower is better).")
    intervals = [s for s in (_plus_minus_sentence(table, forms), _bounds_sentence(table, forms)) if s]
    sentences += intervals
    if intervals and any(e.value is not None and e.form is None for e in entries):
        shown = "with neither ± nor [low, high]" if any("bounds" in f for f in forms) else "without ±"
        sentences.append(f"Values {shown} have no known interval.")
    if any(e.value is None for e in entries):
        sentences.append("—: not available.")
    return " ".join(sentences)


def caption_text(table: PublicationTable, caption: str | None = None) -> str:
    """The user's caption (if any), then the note on bold, ± and —: the caption always says what ± is."""
    own = " ".join((caption or "").split())  # one line: a blank line would end a LaTeX caption
    if own and own[-1] not in ".!?":
        own += "."
    return " ".join(part for part in (own, table.note) if part)


# ---------------------------------------------------------------- spelling


def _number(value: float, column: Column) -> str:
    text = f"{value / 10.0**column.exponent:.{column.decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"


@dataclass(frozen=True)
class _Spelling:
    """How Markdown and LaTeX write the same cell."""

    bold: str  # a format string around the value
    pm: str
    minus: str
    missing: str
    before_bounds: str  # between a value and its [low, high]


_MARKDOWN = _Spelling("**{}**", "±", "-", "—", " ")
_LATEX = _Spelling(r"\textbf{{{}}}", r"$\pm$", "$-$", "---", r"\,")


def _cell(entry: Entry, column: Column, spelling: _Spelling) -> str:
    if entry.value is None:
        return spelling.missing

    def number(x: float) -> str:
        return _number(x, column).replace("-", spelling.minus)

    text = spelling.bold.format(number(entry.value)) if entry.best else number(entry.value)
    if entry.asymmetric and entry.low is not None and entry.high is not None:
        text += f"{spelling.before_bounds}[{number(entry.low)}, {number(entry.high)}]"
    elif entry.half_width is not None:
        text += f" {spelling.pm} {_number(entry.half_width, column)}"
    return text


def _markdown_header(column: Column) -> str:
    scale = f" (×10{str(column.exponent).translate(_SUPERSCRIPT)})" if column.exponent else ""
    arrow = {"max": " ↑", "min": " ↓"}.get(column.direction or "", "")
    return escape_markdown(column.header) + scale + arrow


def _latex_header(column: Column) -> str:
    scale = f" ($\\times 10^{{{column.exponent}}}$)" if column.exponent else ""
    arrow = {"max": r" $\uparrow$", "min": r" $\downarrow$"}.get(column.direction or "", "")
    return tex_text(column.header) + scale + arrow


def to_markdown(table: PublicationTable, caption: str | None = None) -> str:
    """A pipe table, then ``Table: <caption>`` (pandoc reads it as the table's caption)."""
    header = [escape_markdown(RUN_HEADER), *(_markdown_header(c) for c in table.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---", *["---:"] * len(table.columns)]) + "|"]
    for label, row in zip(table.labels, table.rows, strict=True):
        cells = [_cell(e, c, _MARKDOWN) for e, c in zip(row, table.columns, strict=True)]
        lines.append("| " + " | ".join([escape_markdown(label), *cells]) + " |")
    text = caption_text(table, caption)
    if text:
        lines += ["", "Table: " + escape_markdown(text)]
    return "\n".join(lines) + "\n"


def tex_text(text: str) -> str:
    """``latex_text`` (escaped, one line, ``| < >`` spelled for pdflatex) plus the arrows."""
    escaped = latex_text(text)
    for char, tex in _TEX_ARROWS.items():
        escaped = escaped.replace(char, tex)
    return escaped


def to_latex(table: PublicationTable, caption: str | None = None, label: str = LABEL) -> str:
    """A ``table`` float with a booktabs ``tabular`` (``\\usepackage{booktabs}``), caption below it."""
    header = [tex_text(RUN_HEADER), *(_latex_header(c) for c in table.columns)]
    lines = [
        r"% requires \usepackage{booktabs}",
        r"\begin{table}[htbp]",
        r"\centering",
        r"\begin{tabular}{" + " ".join(["l", *["r"] * len(table.columns)]) + "}",
        r"\toprule",
        " & ".join(header) + r" \\",
        r"\midrule",
    ]
    for label_text, row in zip(table.labels, table.rows, strict=True):
        cells = [_cell(e, c, _LATEX) for e, c in zip(row, table.columns, strict=True)]
        lines.append(" & ".join([tex_text(label_text), *cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    text = caption_text(table, caption)
    if text:
        lines.append(rf"\caption{{{tex_text(text)}}}")
    lines += [rf"\label{{{escape_latex(label)}}}", r"\end{table}"]
    return "\n".join(lines) + "\n"
