"""Curve analysis for one run's page: smoothing, spikes, display downsampling, training summary.

Pure numpy/pandas so it is tested without a browser.

Smoothing: an exponential moving average with *span* ``s`` (``alpha = 2 / (s + 1)``), bias-corrected
the way pandas ``ewm(adjust=True)`` and TensorBoard's "debiased" smoothing do, so the first points are not
dragged towards the first value. Spans are counted in logged points, not steps.

Spikes: point ``i`` of a loss curve is a spike when

    y[i] - ema_long[i - 1] > SPIKE_K * std(y[i - SPIKE_WINDOW : i])

i.e. the raw loss exceeds the long EMA *as it stood before the point* by more than ``SPIKE_K`` standard
deviations (sample std, ddof=1) of the ``SPIKE_WINDOW`` raw points before it. Both reference values
exclude the point itself, so one large spike cannot hide by inflating its own yardstick. At least
``SPIKE_MIN_POINTS`` earlier points are needed before a point can be judged. Non-finite values are
dropped first (they are gaps in the log, not spikes).

``SPIKE_K = 4`` rather than the textbook 3: per-batch training loss is right-skewed, and at 3 sd the
9,536-step llm.c log of the real data flags 102 points (1%: noise, not events); at 4 sd it flags 33,
the visible jumps. Under Gaussian noise 4 sd is a false alarm every ~30,000 points.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..ingest.base import Series, as_float

EMA_SPANS = (10, 50, 200)
SPAN_FRACTION = 4  # no span longer than a quarter of the curve
MIN_SMOOTH_POINTS = 50
SPIKE_K = 4.0
SPIKE_WINDOW = 50
SPIKE_MIN_POINTS = 10
# Points per trace sent to the browser, and the raw length from which WebGL draws a trace.
DISPLAY_POINTS = 2000
WEBGL_POINTS = 5000

_SEPARATORS = re.compile(r"[/.\-\s]+")
_TRAIN_LOSS = re.compile(r"^(train(ing)?_)?loss(_step|_epoch)?$")
_EVAL_LOSS = re.compile(r"^(eval|val|valid|validation|dev)_(\w+_)?loss(_epoch)?$")
_TOKENS = re.compile(r"^(train_)?(num_|total_|n_?)?(input_)?tokens(_seen|_processed)?$")
_MAX_STEPS = ("max_steps", "trainer.max_steps", "training.max_steps", "train.max_steps")


def normalise(name: str) -> str:
    """``train/loss``, ``Train.Loss`` and ``train-loss`` all read as ``train_loss``."""
    return _SEPARATORS.sub("_", name.strip().lower())


def is_train_loss(name: str) -> bool:
    return bool(_TRAIN_LOSS.match(normalise(name)))


def is_eval_loss(name: str) -> bool:
    return bool(_EVAL_LOSS.match(normalise(name)))


def finite(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points where both x and y are finite, as float64 arrays."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def ema(y: np.ndarray, span: int) -> np.ndarray:
    """Bias-corrected exponential moving average of ``y`` (no NaN expected: call ``finite`` first)."""
    if span < 1:
        raise ValueError("span must be at least 1")
    return np.asarray(pd.Series(y, dtype=np.float64).ewm(span=span, adjust=True).mean(), dtype=np.float64)


def ema_spans(n_points: int, spans: Iterable[int] = EMA_SPANS) -> tuple[int, ...]:
    """The spans worth drawing for a curve of ``n_points``, duplicates dropped.

    Each span is clamped to a quarter of the curve (at least 2): an EMA whose span is the whole curve is
    close to a running mean of everything so far and trails a falling loss far behind, which reads as a
    worse loss than the run has. A curve of fewer than ``MIN_SMOOTH_POINTS`` is drawn as it is: each of
    its points is already a mean over many steps, and a 2-point EMA only adds lag.
    """
    if n_points < MIN_SMOOTH_POINTS:
        return ()
    cap = max(2, n_points // SPAN_FRACTION)
    out: list[int] = []
    for span in spans:
        clamped = min(int(span), cap)
        if clamped >= 2 and clamped not in out:
            out.append(clamped)
    return tuple(out)


def spikes(
    y: np.ndarray,
    long_span: int,
    k: float = SPIKE_K,
    window: int = SPIKE_WINDOW,
    min_points: int = SPIKE_MIN_POINTS,
) -> np.ndarray:
    """Boolean mask of the spikes of ``y`` (finite values only) as defined in the module docstring."""
    y = np.asarray(y, dtype=np.float64)
    mask = np.zeros(y.shape[0], dtype=bool)
    if y.shape[0] <= min_points:
        return mask
    values = pd.Series(y)
    before_ema = values.ewm(span=max(long_span, 1), adjust=True).mean().shift(1)
    before_std = values.rolling(window, min_periods=min_points).std(ddof=1).shift(1)
    excess = values - before_ema
    # A perfectly flat history has std 0: then any rise above it (beyond float noise) is a spike.
    floor = 1e-9 * np.maximum(before_ema.abs().to_numpy(), 1.0)
    threshold = np.maximum(k * before_std.to_numpy(), floor)
    judged = before_std.notna().to_numpy()
    mask[judged] = (excess.to_numpy() > threshold)[judged]
    return mask


def focus_range(
    y: np.ndarray, head_fraction: float = 0.1, keep: np.ndarray | None = None
) -> tuple[float, float] | None:
    """A y range for the bulk of a falling curve whose first points would flatten the rest, else None.

    The first ``head_fraction`` of the points (the initial drop of a loss) may leave the axis when they
    would take more than a third of it; everything after them, the overall minimum, and the tail of
    ``keep`` (an overlaid curve, e.g. the eval loss) stay in view.
    """
    y = np.asarray(y, dtype=np.float64)
    y = y[np.isfinite(y)]
    if y.shape[0] < 20:
        return None
    tail = y[int(y.shape[0] * head_fraction) :]
    lo, hi = float(y.min()), float(tail.max())
    if keep is not None:
        kept = np.asarray(keep, dtype=np.float64)
        kept = kept[np.isfinite(kept)]
        kept = kept[int(kept.shape[0] * head_fraction) :]
        if kept.shape[0]:
            lo, hi = min(lo, float(kept.min())), max(hi, float(kept.max()))
    spread = hi - lo
    if spread <= 0 or float(y.max()) <= hi + 0.5 * spread:
        return None
    pad = 0.05 * spread
    return lo - pad, hi + pad


def downsample(x: np.ndarray, y: np.ndarray, n_out: int = DISPLAY_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ``n_out`` points of the curve for display (MinMaxLTTB), keeping its global min and max.

    Non-finite points are dropped first (tsdownsample does not handle NaN). The LTTB pass is asked for
    two points fewer than ``n_out`` so that the global extremes can always be added back.
    """
    if n_out < 5:
        raise ValueError("n_out must be at least 5")
    x, y = finite(x, y)
    if x.shape[0] <= n_out:
        return x, y
    if np.any(np.diff(x) < 0):  # the contract says sorted; do not trust it with the downsampler
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    from tsdownsample import MinMaxLTTBDownsampler  # compiled extension: loaded only when needed

    picked = MinMaxLTTBDownsampler().downsample(
        np.ascontiguousarray(x), np.ascontiguousarray(y), n_out=n_out - 2
    )
    index = np.union1d(np.asarray(picked, dtype=np.int64), [int(np.argmin(y)), int(np.argmax(y))])
    return x[index], y[index]


# ---------------------------------------------------------------- training summary


@dataclass(frozen=True)
class Best:
    value: float
    step: float
    series: str


@dataclass(frozen=True)
class TrainingSummary:
    """What the stat cards of a training run show. ``None`` fields were not logged."""

    loss_series: str
    step: float | None
    max_steps: int | None
    best: Best | None
    elapsed_seconds: float | None
    elapsed_source: str | None
    tokens: float | None
    tokens_source: str | None
    latest_raw: float | None
    latest_smooth: float | None
    smooth_span: int | None

    @property
    def progress(self) -> float | None:
        """Fraction of ``max_steps`` done, in [0, 1], when both are known."""
        if self.step is None or not self.max_steps:
            return None
        return min(max(self.step / self.max_steps, 0.0), 1.0)


def _finite_count(series: Series) -> int:
    return int(np.isfinite(series.y).sum())


def pick_train_loss(series: Mapping[str, Series]) -> Series | None:
    """The training loss curve: a step-indexed loss-like series, the one with the most finite points."""
    candidates = [
        s for name, s in series.items() if s.x_kind == "step" and is_train_loss(name) and _finite_count(s) > 0
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda s: (_finite_count(s), normalise(s.name) == "loss"))


def pick_eval_loss(series: Mapping[str, Series]) -> Series | None:
    """The evaluation loss curve; a plain ``eval_loss``/``val_loss`` before per-dataset ones."""
    candidates = sorted(
        (s for name, s in series.items() if is_eval_loss(name) and _finite_count(s) > 0),
        key=lambda s: (normalise(s.name).count("_") > 1, s.name),
    )
    return candidates[0] if candidates else None


def lowest(series: Series) -> Best | None:
    x, y = finite(series.x, series.y)
    if y.shape[0] == 0:
        return None
    at = int(np.argmin(y))  # the first occurrence: the earliest step reaching the minimum
    return Best(value=float(y[at]), step=float(x[at]), series=series.name)


def max_steps_of(params: Mapping[str, Any]) -> int | None:
    """``max_steps`` from the config when it is a positive number (HF writes -1 for "not set")."""
    keys = [k for k in _MAX_STEPS if k in params]
    keys += sorted(k for k in params if k.endswith(".max_steps") and k not in keys)
    for key in keys:
        value = params[key]
        number = as_float(value)
        if number is None and isinstance(value, str):
            try:
                number = as_float(float(value.strip()))
            except ValueError:
                number = None
        if number is not None and number > 0:
            return int(number)
    return None


def elapsed(series: Mapping[str, Series], metrics: Mapping[str, float]) -> tuple[float | None, str | None]:
    """Wall-clock time covered by the logged timestamps, else the Trainer's ``train_runtime``."""
    first, last = math.inf, -math.inf
    for s in series.values():
        if s.time is None:
            continue
        t = s.time[np.isfinite(s.time)]
        if t.shape[0]:
            first, last = min(first, float(t.min())), max(last, float(t.max()))
    if last > first:
        return last - first, "logged timestamps"
    runtime = metrics.get("train_runtime")
    if runtime is not None and runtime > 0:
        return float(runtime), "train_runtime"
    return None, None


def tokens_seen(
    series: Mapping[str, Series], metrics: Mapping[str, float]
) -> tuple[float | None, str | None]:
    """Tokens seen, from a series or metric named like ``num_tokens``/``num_input_tokens_seen``.

    Zero is "not counted" (the Trainer writes ``num_input_tokens_seen = 0`` unless asked to count).
    """
    for name in sorted(series):
        if _TOKENS.match(normalise(name)):
            value = series[name].last_finite()
            if value is not None and value > 0:
                return value, name
    for name in sorted(metrics):
        if _TOKENS.match(normalise(name)) and metrics[name] > 0:
            return float(metrics[name]), name
    return None, None


def training_summary(
    series: Mapping[str, Series],
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    step: int | None,
    smooth_span: int = EMA_SPANS[0],
) -> TrainingSummary | None:
    """The stat cards of a training run, or None when the run logged no training loss curve.

    The "latest" loss is the short EMA at the last point: a longer one lags a falling loss.
    """
    loss = pick_train_loss(series)
    if loss is None:
        return None
    x, y = finite(loss.x, loss.y)
    eval_loss = pick_eval_loss(series)
    best = lowest(eval_loss) if eval_loss is not None else None
    best = best or lowest(loss)
    seconds, seconds_source = elapsed(series, metrics)
    tokens, tokens_source = tokens_seen(series, metrics)
    spans = ema_spans(y.shape[0], (smooth_span,))
    return TrainingSummary(
        loss_series=loss.name,
        step=float(step) if step is not None else (float(x[-1]) if x.shape[0] else None),
        max_steps=max_steps_of(params),
        best=best,
        elapsed_seconds=seconds,
        elapsed_source=seconds_source,
        tokens=tokens,
        tokens_source=tokens_source,
        latest_raw=float(y[-1]) if y.shape[0] else None,
        latest_smooth=float(ema(y, spans[0])[-1]) if spans else None,
        smooth_span=spans[0] if spans else None,
    )
