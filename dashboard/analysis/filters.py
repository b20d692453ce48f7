"""Filter controls built from the data, and the filter state that lives in the URL.

The state is a plain JSON-able dict, every key optional::

    {"q": "text or /regex/",
     "choice": {column: [option strings]},      # OR within a list, "—" matches missing
     "bool": {column: "yes" | "no"},
     "range": {column: [low, high]},            # inclusive, null = open end
     "pareto": [x_metric, y_metric]}            # runs on the two metrics' Pareto front

Fields are ANDed; the Pareto front is taken among the runs every other field keeps, so the
table shows exactly the runs the insights page labels for the same filters. A URL is user input: anything malformed in it is dropped by
:func:`clean_state` rather than raised, and a column that no longer exists is ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .directions import metric_direction
from .numbers import MISSING
from .pareto import pareto_front

__all__ = [
    "MISSING",
    "Chip",
    "Facet",
    "FilterResult",
    "active_chips",
    "apply_filters",
    "build_facets",
    "clean_state",
    "format_number",
    "is_missing",
    "natural_key",
    "option_text",
    "remove_chip",
    "varying_columns",
]

PARAM_PREFIX = "params."
METRIC_PREFIX = "metrics."
IDENTITY_CHOICES = ("status", "source", "experiment")
SEARCH_COLUMNS = ("name", "run_id", "path")
MAX_CHOICES = 30
RANGE_DISTINCT = 12  # more distinct numbers than this: a range slider, not a list
RANGE_DECADES = 2.0
LOG_RATIO = 100.0
MAX_PATTERN = 500  # a /regex/ longer than this is refused: the search runs on the server

# MISSING (from .numbers) is also the option standing for "this run has no value".

FacetKind = Literal["bool", "choice", "range"]


@dataclass(frozen=True)
class Facet:
    """One filter control: which column, how to show it, and what the data offers."""

    column: str
    label: str
    kind: FacetKind
    # choice: distinct values as text, natural order, "—" last;
    # range: the distinct values (ascending, no "—") when there are at most 30, else ()
    options: tuple[str, ...] = ()
    low: float | None = None  # range: smallest value present
    high: float | None = None  # range: largest value present
    log: bool = False  # range: all positive and spanning at least two decades
    coverage: int = 0  # runs having a value


@dataclass
class FilterResult:
    frame: pd.DataFrame
    error: str | None = None


@dataclass(frozen=True)
class Chip:
    key: str  # what removing the chip clears: "q", "choice:<col>", "bool:<col>", "range:<col>", "pareto"
    label: str


# ---------------------------------------------------------------- cell values


def is_missing(value: Any) -> bool:
    """None, NaN and pandas' NA: the run has no value here."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def option_text(value: Any) -> str:
    """The text a choice option uses for a value: ``2000.0`` → ``"2000"``, ``1e-05``, ``"true"``.

    Integral floats read as integers because a column with missing values holds its
    integers as floats; the text is what the URL keeps, so it must be stable.
    """
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if number.is_integer() and abs(number) < 2**53:
            return str(int(number))
        return repr(number)
    return str(value)


_DIGITS = re.compile(r"([0-9]+)")  # ASCII only: "²" passes isdigit() but not int()


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Case-insensitive order with digit runs compared as numbers (``ckpt 500`` < ``ckpt 1000``)."""
    return tuple(
        (0, int(p)) if p.isascii() and p.isdigit() else (1, p.casefold()) for p in _DIGITS.split(text) if p
    )


# ---------------------------------------------------------------- column profiles


@dataclass(frozen=True)
class _Profile:
    kind: Literal["bool", "number", "text", "empty"]
    texts: frozenset[str]  # distinct present values as option text
    numbers: tuple[float, ...]  # distinct finite numbers, sorted (number kind only)
    coverage: int
    missing: bool

    @property
    def differs(self) -> bool:
        """Runs that have the value disagree on it (whether others lack it is the source's business)."""
        return len(self.texts) >= 2

    @property
    def varies(self) -> bool:
        """Two or more distinct values, counting "missing" as one when some runs lack it."""
        return len(self.texts) + (1 if self.missing and self.coverage else 0) >= 2


def _profile(series: pd.Series) -> _Profile:
    present = series[~series.isna()] if len(series) else series
    coverage = len(present)
    missing = coverage < len(series)
    if coverage == 0:
        return _Profile("empty", frozenset(), (), 0, missing)
    if pd.api.types.is_bool_dtype(series.dtype):
        return _Profile("bool", frozenset(option_text(v) for v in present.unique()), (), coverage, missing)
    if pd.api.types.is_numeric_dtype(series.dtype):
        unique = np.unique(present.to_numpy(dtype="float64"))
        return _number_profile([float(v) for v in unique], coverage, missing)
    values = [v for v in present.unique() if not is_missing(v)]
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        return _Profile("bool", frozenset(option_text(v) for v in values), (), coverage, missing)
    if values and all(_is_number(v) for v in values):
        return _number_profile(sorted({float(v) for v in values}), coverage, missing)
    return _Profile("text", frozenset(option_text(v) for v in values), (), coverage, missing)


def _number_profile(unique: list[float], coverage: int, missing: bool) -> _Profile:
    texts = frozenset(option_text(v) for v in unique)
    finite = tuple(sorted(v for v in unique if math.isfinite(v)))
    return _Profile("number", texts, finite, coverage, missing)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _decades(numbers: Sequence[float]) -> float:
    """How many powers of ten the magnitudes span (zeros ignored)."""
    sizes = [abs(v) for v in numbers if v != 0]
    if len(sizes) < 2:
        return 0.0
    return math.log10(max(sizes) / min(sizes))


def _text_order(text: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    return natural_key(text), text


def _sorted_options(profile: _Profile) -> tuple[str, ...]:
    if profile.kind == "number":
        by_value = {option_text(v): v for v in profile.numbers}
        known = sorted(by_value, key=lambda t: by_value[t])
        options = known + sorted(profile.texts - set(known), key=_text_order)
    else:
        options = sorted(profile.texts, key=_text_order)
    return (*options, MISSING) if profile.missing else tuple(options)


# ---------------------------------------------------------------- facets


def _range_facet(column: str, label: str, profile: _Profile) -> Facet:
    """A slider over the values present; with few of them, ``options`` lists them so it can snap."""
    numbers = profile.numbers
    low, high = numbers[0], numbers[-1]
    log = low > 0 and high / low >= LOG_RATIO
    stops = tuple(option_text(v) for v in numbers) if len(numbers) <= MAX_CHOICES else ()
    return Facet(column, label, "range", stops, low=low, high=high, log=log, coverage=profile.coverage)


def _param_facet(column: str, profile: _Profile) -> Facet | None:
    label = column[len(PARAM_PREFIX) :]
    if not profile.differs:
        return None
    if profile.kind == "bool":
        return Facet(column, label, "bool", coverage=profile.coverage)
    if profile.kind == "number" and len(profile.numbers) >= 2:
        wide = len(profile.numbers) > RANGE_DISTINCT or _decades(profile.numbers) >= RANGE_DECADES
        if wide:
            return _range_facet(column, label, profile)
    if len(profile.texts) <= MAX_CHOICES:
        return Facet(column, label, "choice", options=_sorted_options(profile), coverage=profile.coverage)
    return None  # free text, paths: a search, not a list


def _identity_facets(frame: pd.DataFrame) -> list[Facet]:
    facets: list[Facet] = []
    for column in IDENTITY_CHOICES:
        if column in frame.columns:
            profile = _profile(frame[column])
            if profile.varies:
                options = _sorted_options(profile)
                facets.append(Facet(column, column, "choice", options=options, coverage=profile.coverage))
    if "step" in frame.columns:
        profile = _profile(frame["step"])
        if profile.kind == "number" and len(profile.numbers) >= 2:
            facets.append(_range_facet("step", "step", profile))
    return facets


def _param_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if isinstance(c, str) and c.startswith(PARAM_PREFIX)]


def build_facets(frame: pd.DataFrame) -> list[Facet]:
    """Identity facets (status, source, experiment, step) then one per param that differs.

    A param differs when the runs that have it disagree on it: ``ckpt_freq: 100`` in every
    seed-layout run and absent from Trainer runs only tells the sources apart, which the
    source facet already does. Params are ordered by coverage (most runs first), then fewer
    distinct values, then name.
    """
    ranked: list[tuple[int, int, str, Facet]] = []
    for column in _param_columns(frame):
        profile = _profile(frame[column])
        facet = _param_facet(column, profile)
        if facet is not None:
            ranked.append((-profile.coverage, len(profile.texts), facet.label, facet))
    ranked.sort(key=lambda item: item[:3])
    return [*_identity_facets(frame), *(item[3] for item in ranked)]


def varying_columns(frame: pd.DataFrame) -> list[str]:
    """Params columns on which the runs that have them disagree (the table's default params)."""
    return [c for c in _param_columns(frame) if _profile(frame[c]).differs]


# ---------------------------------------------------------------- state


def _bound(value: Any) -> float | int | None:
    if value is None or isinstance(value, (bool, np.bool_)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _clean_options(options: Any) -> list[str]:
    if isinstance(options, (str, bytes)) or not isinstance(options, Iterable):
        return []
    out: list[str] = []
    for option in options:
        text = MISSING if is_missing(option) else option_text(option)
        if text not in out:
            out.append(text)
    return out


def _clean_choices(part: Any) -> dict[str, list[str]]:
    if not isinstance(part, Mapping):
        return {}
    cleaned = {str(col): _clean_options(opts) for col, opts in part.items()}
    return {col: opts for col, opts in cleaned.items() if opts}


def _clean_bools(part: Any) -> dict[str, str]:
    if not isinstance(part, Mapping):
        return {}
    return {str(col): v for col, v in part.items() if v in ("yes", "no")}


def _clean_ranges(part: Any) -> dict[str, list[float | int | None]]:
    if not isinstance(part, Mapping):
        return {}
    out: dict[str, list[float | int | None]] = {}
    for col, bounds in part.items():
        if isinstance(bounds, (list, tuple)) and len(bounds) == 2:
            low, high = _bound(bounds[0]), _bound(bounds[1])
            if low is not None or high is not None:
                out[str(col)] = [low, high]
    return out


def _clean_pareto(part: Any) -> list[str] | None:
    """Two different metric columns (``metrics.`` added when missing), else nothing."""
    if not isinstance(part, (list, tuple)) or len(part) != 2:
        return None
    if not all(isinstance(m, str) and m.strip() for m in part):
        return None
    x, y = (m if m.startswith(METRIC_PREFIX) else METRIC_PREFIX + m for m in part)
    return [x, y] if x != y else None


def clean_state(state: Any) -> dict[str, Any]:
    """A new state holding only active, well-formed parts (so URLs stay short)."""
    if not isinstance(state, Mapping):
        return {}
    out: dict[str, Any] = {}
    q = state.get("q")
    if isinstance(q, str) and q.strip():
        out["q"] = q.strip()
    parts = {
        "choice": _clean_choices(state.get("choice")),
        "bool": _clean_bools(state.get("bool")),
        "range": _clean_ranges(state.get("range")),
    }
    out.update({name: part for name, part in parts.items() if part})
    pareto = _clean_pareto(state.get("pareto"))
    if pareto is not None:
        out["pareto"] = pareto
    return out


def remove_chip(state: Any, key: str) -> dict[str, Any]:
    """A new (clean) state without the part a chip stands for."""
    cleaned = clean_state(state)
    if key in ("q", "pareto"):
        cleaned.pop(key, None)
        return cleaned
    kind, _, column = key.partition(":")
    part = cleaned.get(kind)
    if isinstance(part, dict):
        part.pop(column, None)
        if not part:
            del cleaned[kind]
    return cleaned


# ---------------------------------------------------------------- applying


def _texts(series: pd.Series) -> list[str]:
    return ["" if is_missing(v) else str(v) for v in series.tolist()]


# The search runs on the server with Python's backtracking engine, which has no time limit: a
# group that repeats and holds a repetition ((a+)+, (.*){6}) can run for hours on one name. Such
# patterns are refused. Alternations of overlapping branches ((a|aa)*) are not caught.
_NESTED_REPEAT = re.compile(
    r"\((?:[^()\\]|\\.)*(?:[*+]|\{\d*,?\d*\})(?:[^()\\]|\\.)*\)\s*(?:[*+]|\{\d*,?\d*\})"
)


def _search_mask(frame: pd.DataFrame, q: str) -> tuple[np.ndarray, str | None]:
    mask = np.zeros(len(frame), dtype=bool)
    columns = [c for c in SEARCH_COLUMNS if c in frame.columns]
    if len(q) >= 2 and q.startswith("/") and q.endswith("/"):
        source = q[1:-1]
        if len(source) > MAX_PATTERN:
            return mask, f"Invalid regular expression: longer than {MAX_PATTERN} characters"
        if _NESTED_REPEAT.search(source):
            return (
                mask,
                "Invalid regular expression: a repeated group that itself repeats (like (a+)+) can take hours; simplify it",
            )
        try:
            pattern = re.compile(source, re.IGNORECASE)
        except re.error as exc:
            return mask, f"Invalid regular expression: {exc}"
        for column in columns:
            mask |= np.array([pattern.search(t) is not None for t in _texts(frame[column])], dtype=bool)
        return mask, None
    needle = q.casefold()
    for column in columns:
        mask |= np.array([needle in t.casefold() for t in _texts(frame[column])], dtype=bool)
    return mask, None


def _choice_mask(series: pd.Series, options: list[str]) -> np.ndarray:
    wanted = set(options)
    return np.array(
        [(MISSING if is_missing(v) else option_text(v)) in wanted for v in series.tolist()], dtype=bool
    )


def _bool_mask(series: pd.Series, answer: str) -> np.ndarray:
    target = answer == "yes"
    return np.array(
        [isinstance(v, (bool, np.bool_)) and bool(v) is target for v in series.tolist()], dtype=bool
    )


def _numbers(series: pd.Series) -> np.ndarray:
    """Float values with NaN for missing and for anything that is not a number (bools, text)."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype="float64", na_value=np.nan)
    return np.array([float(v) if _is_number(v) else np.nan for v in series.tolist()], dtype="float64")


def _range_mask(series: pd.Series, low: float | None, high: float | None) -> np.ndarray:
    values = _numbers(series)
    mask = ~np.isnan(values)
    if low is not None:
        mask &= values >= low
    if high is not None:
        mask &= values <= high
    return mask


def _pareto_mask(
    frame: pd.DataFrame, mask: np.ndarray, metrics: list[str], overrides: Mapping[str, str]
) -> tuple[np.ndarray, str | None]:
    """Runs of ``frame[mask]`` on the front of the two metrics; a metric without a direction: no filter."""
    for metric in metrics:
        if metric_direction(metric, overrides) is None:
            name = metric[len(METRIC_PREFIX) :]
            return mask, f"{name} has no direction (set one in the settings): the non-dominated filter is off"
    front = pareto_front(frame[mask], metrics[0], metrics[1], overrides)
    return mask & frame["run_id"].isin(front).to_numpy(), None


def apply_filters(
    frame: pd.DataFrame, state: Any, overrides: Mapping[str, str] | None = None
) -> FilterResult:
    """The rows matching every part of the state (index kept). Bad regex: input back, with an error.

    ``overrides`` are the user's metric directions, for the Pareto part (inferred ones otherwise).
    """
    cleaned = clean_state(state)
    mask = np.ones(len(frame), dtype=bool)
    if "q" in cleaned:
        found, error = _search_mask(frame, cleaned["q"])
        if error is not None:
            return FilterResult(frame=frame, error=error)
        mask &= found
    for column, options in cleaned.get("choice", {}).items():
        if column in frame.columns:
            mask &= _choice_mask(frame[column], options)
    for column, answer in cleaned.get("bool", {}).items():
        if column in frame.columns:
            mask &= _bool_mask(frame[column], answer)
    for column, (low, high) in cleaned.get("range", {}).items():
        if column in frame.columns:
            mask &= _range_mask(frame[column], low, high)
    error = None
    if "pareto" in cleaned and "run_id" in frame.columns:
        mask, error = _pareto_mask(frame, mask, cleaned["pareto"], overrides or {})
    return FilterResult(frame=frame[mask], error=error)


# ---------------------------------------------------------------- chips


def format_number(value: float) -> str:
    """4 significant digits (``0.001``, ``1e-05``, ``0.1235``); whole numbers below a million in full."""
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


def _label(column: str, labels: Mapping[str, str]) -> str:
    if column in labels:
        return labels[column]
    return column[len(PARAM_PREFIX) :] if column.startswith(PARAM_PREFIX) else column


def _range_label(label: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        if low == high:
            return f"{label} = {format_number(low)}"
        return f"{label}: {format_number(low)} – {format_number(high)}"
    if low is not None:
        return f"{label} ≥ {format_number(low)}"
    return f"{label} ≤ {format_number(high if high is not None else 0)}"


def active_chips(state: Any, facets: Sequence[Facet]) -> list[Chip]:
    """One readable chip per active part of the state: search, then choices, yes/no, ranges, Pareto.

    Every active part gets a chip, even for a column no facet offers any more, so a stale
    part of a shared URL can still be seen and removed.
    """
    cleaned = clean_state(state)
    labels = {facet.column: facet.label for facet in facets}
    chips: list[Chip] = []
    if "q" in cleaned:
        chips.append(Chip("q", f"search: {cleaned['q']}"))
    for column, options in cleaned.get("choice", {}).items():
        chips.append(Chip(f"choice:{column}", f"{_label(column, labels)}: {' or '.join(options)}"))
    for column, answer in cleaned.get("bool", {}).items():
        chips.append(Chip(f"bool:{column}", f"{_label(column, labels)}: {answer}"))
    for column, (low, high) in cleaned.get("range", {}).items():
        chips.append(Chip(f"range:{column}", _range_label(_label(column, labels), low, high)))
    if "pareto" in cleaned:
        x, y = (m[len(METRIC_PREFIX) :] for m in cleaned["pareto"])
        chips.append(Chip("pareto", f"non-dominated on {x}, {y}"))
    return chips
