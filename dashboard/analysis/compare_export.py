"""The comparison summary as CSV, Markdown and LaTeX, for notes and papers.

- CSV is *tidy*: one line per (metric, run) with full-precision numbers (value, interval
  bounds and kind, n, k, stderr, Δ, Δ%, p, ≈, best), so it can be pivoted or re-plotted;
  text a spreadsheet would run as a formula is neutralised (``export.neutralise``).
- Markdown and LaTeX are one column per run, numbers with 4 significant digits
  (``numbers.format_number``): ``0.554 [0.523, 0.5845]`` for a Wilson interval,
  ``0.61 ± 0.0098`` for 1.96 reported standard errors, then for every run but the reference
  ``(+0.008, +1.465%, ≈)`` — its difference to the reference, absolute and in %, with ``≈``
  when a test cannot tell it from noise or ``p = …`` when it can. The best value of a row
  is bold; a missing one is ``—`` (``---`` in LaTeX). Rows for the overfitting gap and the
  step of the best eval loss follow when any run has them.
- LaTeX uses booktabs rules (``\\usepackage{booktabs}``); every text from the data and
  the caption is escaped (``_ % & # $ { } ~ ^ \\``, and ``| < >``, which pdflatex's default
  font prints as other glyphs). The caption (Markdown: the note under the table) says what
  the intervals are and how differences read, unless one is given.
- Every text is made one line first (``labels.one_line``): a newline in a name would end a
  Markdown table row, a blank line in a ``tabular`` is a LaTeX error.

``names`` defaults to ``summary.names`` (run names, made unique), in run order.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .compare import Cell, Summary, SummaryRow
from .export import neutralise
from .intervals import Z95, Difference, Estimate, p_text
from .labels import one_line
from .numbers import format_number, signed

CSV_COLUMNS = (
    "metric",
    "direction",
    "run_id",
    "name",
    "reference",
    "value",
    "low",
    "high",
    "interval",
    "n",
    "k",
    "stderr",
    "delta",
    "delta_pct",
    "p",
    "indistinguishable",
    "best",
    "note",
)
LABEL = "tab:comparison"

_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_TEX_RE = re.compile("|".join(re.escape(c) for c in _TEX_SPECIAL))
_MD_RE = re.compile(r"([\\`*_\[\]<>|])")


def escape_latex(text: str) -> str:
    """Text safe in LaTeX, on one line: each special character replaced once (no double escaping)."""
    return _TEX_RE.sub(lambda m: _TEX_SPECIAL[m.group(0)], one_line(text))


_TEX_UNICODE = {
    "−": "$-$",
    "±": r"$\pm$",
    "≈": r"$\approx$",
    "α": r"$\alpha$",
    "Δ": r"$\Delta$",
    "—": "---",
    # In pdflatex's default OT1 text font these print as other glyphs (| as —, < as ¡).
    "|": r"\textbar{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def latex_text(text: str) -> str:
    """Escaped text (one line); ``| < >`` and the symbols this module writes (− ± ≈ α Δ —) in LaTeX's spelling."""
    escaped = escape_latex(text)
    for symbol, tex in _TEX_UNICODE.items():
        escaped = escaped.replace(symbol, tex)
    return escaped


def escape_markdown(text: str) -> str:
    """Text safe in a Markdown table cell, on one line: ``\\ ` * _ [ ] < > |`` backslash-escaped."""
    return _MD_RE.sub(r"\\\1", one_line(text))


def _markdown_metric(metric: str) -> str:
    """A metric name as code, one line; ``|`` escaped for the table; with a backtick, plain escaped text."""
    text = one_line(metric)
    return "`" + text.replace("|", "\\|") + "`" if "`" not in text else escape_markdown(text)


@dataclass(frozen=True)
class _Style:
    """How Markdown and LaTeX spell the same pieces."""

    text: Callable[[str], str]
    number: Callable[[str], str]
    bold: Callable[[str], str]
    metric: Callable[[str], str]
    pm: str
    approx: str
    percent: str
    p: Callable[[float], str]
    missing: str
    arrows: dict[str, str]


MARKDOWN = _Style(
    text=escape_markdown,
    number=lambda t: t,
    bold=lambda t: f"**{t}**",
    metric=_markdown_metric,
    pm="±",
    approx="≈",
    percent="%",
    p=p_text,
    missing="—",
    arrows={"max": " ↑", "min": " ↓"},
)
LATEX = _Style(
    text=latex_text,
    number=lambda t: t.replace("-", "$-$"),
    bold=lambda t: rf"\textbf{{{t}}}",
    metric=latex_text,
    pm=r"$\pm$",
    approx=r"$\approx$",
    percent=r"\%",
    p=lambda p: f"${p_text(p)}$",
    missing="---",
    arrows={"max": r" $\uparrow$", "min": r" $\downarrow$"},
)


# ---------------------------------------------------------------- cells


def _interval(estimate: Estimate, style: _Style) -> str:
    if estimate.kind == "wilson" and estimate.low is not None and estimate.high is not None:
        return f" [{style.number(format_number(estimate.low))}, {style.number(format_number(estimate.high))}]"
    if estimate.kind == "stderr" and estimate.se is not None:
        return f" {style.pm} {style.number(format_number(Z95 * estimate.se))}"
    return ""


def _difference(difference: Difference, style: _Style) -> str:
    parts = [style.number(signed(difference.delta))]
    if difference.delta_pct is not None:
        parts.append(style.number(signed(difference.delta_pct)) + style.percent)
    if difference.p is not None:
        parts.append(style.approx if difference.indistinguishable else style.p(difference.p))
    return " (" + ", ".join(parts) + ")"


def _cell(cell: Cell, best: bool, style: _Style) -> str:
    if cell.estimate is None:
        return style.missing
    value = style.number(format_number(cell.estimate.value))
    text = (style.bold(value) if best else value) + _interval(cell.estimate, style)
    if cell.difference is not None:
        text += _difference(cell.difference, style)
    return text


def _metric_label(row: SummaryRow, style: _Style) -> str:
    return style.metric(row.metric) + (style.arrows.get(row.direction, "") if row.direction else "")


def _body(summary: Summary, style: _Style) -> list[list[str]]:
    lines = [
        [_metric_label(row, style)] + [_cell(c, i in row.best, style) for i, c in enumerate(row.cells)]
        for row in summary.rows
    ]
    if any(o.gap is not None for o in summary.overfit):
        label = style.text("overfitting gap (eval − train loss)")
        cells = [
            style.missing
            if o.gap is None
            else f"{style.number(format_number(o.gap))} ({style.text(o.reading or '')})"
            for o in summary.overfit
        ]
        lines.append([label, *cells])
    if any(o.best_eval_step is not None for o in summary.overfit):
        steps = [
            style.missing if o.best_eval_step is None else format_number(o.best_eval_step)
            for o in summary.overfit
        ]
        lines.append([style.text("step of best eval loss"), *steps])
    return lines


def _headers(summary: Summary, names: Sequence[str], style: _Style, reference: str) -> list[str]:
    heads = [
        style.text(n) + (style.text(f" ({reference})") if r == summary.reference_id else "")
        for n, r in zip(names, summary.run_ids, strict=True)
    ]
    return [style.text("Metric"), *heads]


def _names(summary: Summary, names: Sequence[str] | None) -> list[str]:
    chosen = list(names) if names is not None else summary.names
    if len(chosen) != len(summary.run_ids):
        raise ValueError(f"{len(chosen)} names for {len(summary.run_ids)} runs")
    return chosen


# ---------------------------------------------------------------- caption


def caption_text(summary: Summary, names: Sequence[str] | None = None) -> str:
    """What the intervals are, how differences read and what bold means, in plain text."""
    chosen = _names(summary, names)
    kinds = summary.interval_kinds
    sentences: list[str] = []
    intervals = []
    if "wilson" in kinds:
        intervals.append("95% Wilson intervals for accuracies with known sample counts")
    if "stderr" in kinds:
        intervals.append("± 1.96 standard errors where reported")
    if intervals:
        sentences.append("; ".join(intervals) + ".")
    cells = [c for row in summary.rows for c in row.cells]
    index = summary.reference_index
    if index is not None and any(c.difference is not None for c in cells):
        text = f"In parentheses: difference to {chosen[index]} (absolute, %)"
        if any(c.difference is not None and c.difference.p is not None for c in cells):
            alpha = format_number(summary.alpha)
            text += f"; ≈: not distinguishable from it at α = {alpha} (two-sided test), else the p-value"
        sentences.append(text + ".")
    if any(row.best for row in summary.rows):
        sentences.append("Best per row in bold.")
    return " ".join(sentences)


# ---------------------------------------------------------------- exports


def summary_markdown(summary: Summary, names: Sequence[str] | None = None, caption: str | None = None) -> str:
    """A pipe table, then the caption as a note (``caption``, plain text, replaces the default note).

    The note is escaped like the cells: it names the reference run.
    """
    chosen = _names(summary, names)
    header = _headers(summary, chosen, MARKDOWN, "reference")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---", *["---:"] * len(chosen)]) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in _body(summary, MARKDOWN)]
    note = caption if caption is not None else caption_text(summary, chosen)
    if note:
        lines += ["", escape_markdown(note)]
    return "\n".join(lines) + "\n"


def summary_latex(
    summary: Summary, names: Sequence[str] | None = None, caption: str | None = None, label: str = LABEL
) -> str:
    """A ``table`` with a booktabs ``tabular``; ``caption`` (plain text, escaped) replaces the default."""
    chosen = _names(summary, names)
    text = caption if caption is not None else caption_text(summary, chosen)
    lines = [
        r"% requires \usepackage{booktabs}",
        r"\begin{table}[htbp]",
        r"\centering",
        rf"\caption{{{latex_text(text)}}}",
        rf"\label{{{escape_latex(label)}}}",
        r"\begin{tabular}{l" + "r" * len(chosen) + "}",
        r"\toprule",
        " & ".join(_headers(summary, chosen, LATEX, "ref.")) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(row) + r" \\" for row in _body(summary, LATEX)]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def _tidy(value: float | None) -> float | None:
    """A computed number without float noise (``0.35 − 0.3`` → ``0.05``): 15 significant digits."""
    return None if value is None else float(f"{value:.15g}")


def _csv_metric_line(row: SummaryRow, index: int, summary: Summary, name: str) -> list[Any]:
    cell = row.cells[index]
    e, d = cell.estimate, cell.difference
    return [
        row.metric,
        row.direction or "",
        cell.run_id,
        name,
        cell.run_id == summary.reference_id,
        e.value if e else None,
        _tidy(e.low) if e else None,
        _tidy(e.high) if e else None,
        (e.kind or "") if e else "",
        e.n if e else None,
        e.k if e else None,
        e.se if e else None,
        _tidy(d.delta) if d else None,
        _tidy(d.delta_pct) if d else None,
        d.p if d else None,
        d.indistinguishable if d and d.p is not None else None,
        index in row.best,
        "",
    ]


def _csv_overfit_lines(summary: Summary, names: Sequence[str]) -> list[list[Any]]:
    lines: list[list[Any]] = []
    for i, (run_id, item) in enumerate(zip(summary.run_ids, summary.overfit, strict=True)):
        reference = run_id == summary.reference_id
        blank = [None] * 11
        if item.gap is not None:
            lines.append(
                ["overfitting_gap", "", run_id, names[i], reference, _tidy(item.gap), *blank, item.text]
            )
        if item.best_eval_step is not None:
            lines.append(["best_eval_step", "", run_id, names[i], reference, item.best_eval_step, *blank, ""])
    return lines


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(value) if isinstance(value, str) else value


def summary_csv(summary: Summary, names: Sequence[str] | None = None) -> str:
    """One line per (metric, run), full precision; missing values are empty cells."""
    chosen = _names(summary, names)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    lines = [_csv_metric_line(row, i, summary, chosen[i]) for row in summary.rows for i in range(len(chosen))]
    lines += _csv_overfit_lines(summary, chosen)
    for line in lines:
        writer.writerow([_csv_value(v) for v in line])
    return buffer.getvalue()
