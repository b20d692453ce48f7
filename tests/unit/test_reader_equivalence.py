"""The fast paths of ``flatten``, ``as_float``, ``read_bytes`` and the hf_trainer / paper_metrics
parsers give exactly what the plain versions they replaced gave.

The plain versions are kept here as references and both are fed random, often broken input:
duplicate and unsorted steps, ``-0.0``, NaN and Infinity, booleans, huge integers, strings,
non-dict rows, colliding dotted keys. Arrays are compared byte for byte (NaN bits included).
"""

from __future__ import annotations

import math
import os
import random
import types
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dashboard.ingest import hf_trainer, paper_metrics
from dashboard.ingest.base import Series, as_float, flatten
from dashboard.ingest.files import UnreadableFile, read_bytes

CASES = 400


# ---------------------------------------------------------------- the references


def ref_flatten(value: Mapping[str, Any], prefix: str = "", max_depth: int = 64) -> dict[str, Any]:
    out: dict[str, Any] = {}
    stack: list[tuple[str, Mapping[str, Any], int]] = [(prefix, value, 0)]
    while stack:
        base, mapping, depth = stack.pop()
        for key, item in mapping.items():
            dotted = f"{base}.{key}" if base else str(key)
            if isinstance(item, Mapping) and item:
                if depth + 1 >= max_depth:
                    out[dotted] = str(item)
                else:
                    stack.append((dotted, item, depth + 1))
            else:
                out[dotted] = item
    return dict(sorted(out.items()))


def ref_as_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        f = float(value)  # raises OverflowError for huge integers
        return f if math.isfinite(f) else None
    return None


def ref_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf


def ref_finite(value: Any) -> float | None:
    number = ref_number(value)
    return number if number is not None and math.isfinite(number) else None


def ref_hf_series(history: list[Any]) -> tuple[dict[str, Series], list[str]]:
    points: dict[str, dict[float, float]] = {}
    skipped = non_finite = 0
    for row in history:
        step = ref_finite(row.get("step")) if isinstance(row, dict) else None
        if step is None:
            skipped += 1
            continue
        for key, value in row.items():
            number = ref_number(value)
            if key == "step" or number is None:
                continue
            if not math.isfinite(number):
                non_finite += 1
                number = math.nan
            points.setdefault(str(key), {})[step] = number
    series: dict[str, Series] = {}
    for name in sorted(points):
        steps = sorted(points[name])
        x = np.array(steps, dtype=np.float64)
        y = np.array([points[name][s] for s in steps], dtype=np.float64)
        series[name] = Series(name=name, x=x, y=y, x_kind="step")
    notes: list[str] = []
    if skipped:
        notes.append(f"{skipped} log_history entries without a numeric step were skipped.")
    if non_finite:
        notes.append(f"{non_finite} logged values were NaN or infinite; they are gaps in the curves.")
    return series, notes


def ref_progression(value: Any, parsed: paper_metrics._Parsed) -> None:
    fields = paper_metrics.PROGRESSION_SERIES
    name = paper_metrics.PROGRESSION
    if not isinstance(value, list):
        parsed.notes.append(f"{name} is not a list ({type(value).__name__}); ignored")
        return
    samples: dict[str, list[tuple[float, float]]] = {f: [] for f, _ in fields}
    bad = 0
    for entry in value:
        position = ref_as_float(entry.get("position")) if isinstance(entry, dict) else None
        values = {f: ref_as_float(entry.get(f)) for f, _ in fields} if position is not None else {}
        if position is None or all(v is None for v in values.values()):
            bad += 1
            continue
        for f, number in values.items():
            if number is not None:
                samples[f].append((position, number))
    if bad:
        parsed.notes.append(
            f"{name}: {bad} of {len(value)} entries skipped (no numeric position, loss or perplexity)"
        )
    for f, series_name in fields:
        if samples[f]:
            order = sorted(samples[f], key=lambda s: s[0])
            xs = np.array([s[0] for s in order], dtype=np.float64)
            ys = np.array([s[1] for s in order], dtype=np.float64)
            positions, inverse = np.unique(xs, return_inverse=True)
            means = np.bincount(inverse, weights=ys) / np.bincount(inverse)
            parsed.series[series_name] = Series(
                series_name, positions, means.astype(np.float64), "position", None, xs, ys
            )
    counts = [(len(samples[f]), len(parsed.series[n])) for f, n in fields if n in parsed.series]
    if counts and counts[0][0] > counts[0][1]:
        parsed.notes.append(
            f"{name}: {counts[0][0]} samples at {counts[0][1]} positions; curves show the mean per position"
        )


# ---------------------------------------------------------------- comparing


def same_array(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_same_series(new: dict[str, Series], ref: dict[str, Series]) -> None:
    assert list(new) == list(ref)
    for name, curve in ref.items():
        got = new[name]
        assert (got.name, got.x_kind) == (curve.name, curve.x_kind)
        for field in ("x", "y", "time", "samples_x", "samples_y"):
            assert same_array(getattr(got, field), getattr(curve, field)), (name, field)


def same_items(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal keys in the same order, values equal (NaN equal to NaN) and of the same type."""
    if list(a) != list(b):
        return False
    for key, value in a.items():
        other = b[key]
        if type(value) is not type(other):
            return False
        if not (value == other or (value != value and other != other)):
            return False
    return True


# ---------------------------------------------------------------- random input

NUMBERS: list[Any] = [0, 1, -3, 7, 0.0, -0.0, 0.5, 2.25, -1e-300, 1e308, 2**53 + 1, 2**64 + 7, 2**1023]
NASTY: list[Any] = [math.nan, math.inf, -math.inf, 10**400, -(10**400), True, False, None, "1.5", "", [1], {}]


def value_for(rng: random.Random) -> Any:
    pool = NUMBERS if rng.random() < 0.7 else NASTY
    value = rng.choice(pool)
    return rng.random() * 10 if value == 2.25 and rng.random() < 0.5 else value


def random_tree(rng: random.Random, depth: int = 0) -> dict[Any, Any]:
    keys: list[Any] = ["a", "b", "c", "a.b", "b.c", "", "lr", "x.y.z", 1, 2.5, None, True]
    tree: dict[Any, Any] = {}
    for _ in range(rng.randint(0, 6)):
        key = rng.choice(keys) if rng.random() < 0.9 else rng.choice(["a", "b"])
        roll = rng.random()
        if roll < 0.3 and depth < 6:
            child: Mapping[Any, Any] = random_tree(rng, depth + 1)
            if rng.random() < 0.15:
                child = OrderedDict(child) if rng.random() < 0.5 else types.MappingProxyType(child)
            tree[key] = child
        elif roll < 0.4:
            tree[key] = rng.choice([[], [1, "a"], {}, OrderedDict()])
        else:
            tree[key] = value_for(rng)
    return tree


def random_history(rng: random.Random) -> list[Any]:
    keys = ["loss", "eval_loss", "epoch", "learning_rate", "grad_norm", "step"]
    steps: list[Any] = [0, 0.0, -0.0, 1, 2, 2.0, 3, 5, 10, 10.5, 2**53, 2**53 + 1, 2**1023, 2**1024]
    steps += [math.nan, math.inf, None, "10", True, -1]
    history: list[Any] = []
    counter = 0
    for _ in range(rng.randint(0, 40)):
        if rng.random() < 0.05:
            history.append(rng.choice([None, [], "row", 3]))
            continue
        counter += rng.choice([0, 1, 1, 1, 2])
        step = counter if rng.random() < 0.8 else rng.choice(steps)
        row: dict[str, Any] = {}
        for key in rng.sample(keys, rng.randint(0, len(keys))):
            row[key] = value_for(rng) if key != "step" else step
        if "step" not in row and rng.random() < 0.9:
            row["step"] = step
        if rng.random() < 0.1 and isinstance(row.get("step"), int) and not isinstance(row["step"], bool):
            row["step"] = float(row["step"]) if abs(row["step"]) < 2**1000 else row["step"]
        history.append(row)
    return history


def random_results(rng: random.Random) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for key in rng.sample(["sblimp_accuracy", "librilight_perplexity_8k", "swuggy_accuracy", "avg"], 3):
        results[key] = rng.choice([0.0, 0.5, 12, math.nan, math.inf, True, None, "x", 0, -0.0])
    if rng.random() < 0.9:
        positions: list[Any] = [1000, 2000, 2000.0, 0, -0.0, 0.0, 500.5, math.nan, None, "1", True]
        entries: list[Any] = []
        for _ in range(rng.randint(0, 30)):
            if rng.random() < 0.05:
                entries.append(rng.choice([None, [], "e"]))
                continue
            entry: dict[str, Any] = {"position": rng.choice(positions)}
            for field in ("loss", "perplexity"):
                if rng.random() < 0.85:
                    entry[field] = rng.choice([1.5, 2.0, rng.random(), math.nan, None, True, "3", 7, 0.0])
            entries.append(entry)
        results[paper_metrics.PROGRESSION] = entries if rng.random() < 0.95 else {"not": "a list"}
    return results


def huge(value: Any) -> bool:
    """An integer ``float()`` refuses: the old ``as_float`` raised on it."""
    if isinstance(value, dict):
        return any(huge(v) for v in value.values())
    if isinstance(value, list):
        return any(huge(v) for v in value)
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**1024


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("seed", range(4))
def test_flatten_matches_the_plain_version(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(CASES):
        tree = random_tree(rng)
        prefix = rng.choice(["", "", "model", "a"])
        depth = rng.choice([64, 64, 1, 2, 3])
        assert same_items(flatten(tree, prefix, depth), ref_flatten(tree, prefix, depth)), tree


def test_flatten_interns_keys() -> None:
    one = flatten({"optim": {"lr": 1}})
    two = flatten({"optim": {"lr": 2}})
    assert next(iter(one)) is next(iter(two)) == "optim.lr"


def test_flatten_str_subclass_keys_and_deep_nesting() -> None:
    class Key(str):
        def __str__(self) -> str:
            return "custom"

    tree: dict[Any, Any] = {Key("k"): {Key("j"): 1}, "d": {}}
    for _ in range(100):
        tree = {"n": tree}
    assert same_items(flatten(tree), ref_flatten(tree))
    assert same_items(flatten(tree, max_depth=5), ref_flatten(tree, max_depth=5))


def test_as_float_matches_the_plain_version_and_no_longer_raises() -> None:
    class Sub(float):
        pass

    values: list[Any] = [*NUMBERS, *NASTY, Sub(2.5), np.float64(3.5), np.int64(4), 2**1024 - 1]
    for value in values:
        try:
            expected = ref_as_float(value)
        except OverflowError:
            expected = None  # the old version raised; a number too big for a float is not finite
        got = as_float(value)
        assert got == expected and type(got) is type(expected), value


@pytest.mark.parametrize("seed", range(4))
def test_hf_series_matches_the_plain_version(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(CASES):
        history = random_history(rng)
        series, notes = ref_hf_series(history)
        curves = hf_trainer._series(history)
        assert_same_series(curves.series, series)
        assert curves.notes == notes
        last = {name: v for name, curve in series.items() if (v := curve.last_finite()) is not None}
        assert same_items(curves.last, last)


def test_hf_series_keeps_the_first_zero_and_the_last_value_at_a_step() -> None:
    history = [{"step": -0.0, "loss": 1.0}, {"step": 0, "loss": 2.0}, {"step": 3, "loss": 3.0}]
    history += [{"step": 1, "loss": math.inf}, {"step": 1, "loss": 4.0}, {"step": 1, "loss": math.nan}]
    curves = hf_trainer._series(history)
    series, notes = ref_hf_series(history)
    assert_same_series(curves.series, series)
    assert curves.notes == notes
    loss = curves.series["loss"]
    assert loss.x.tolist() == [0.0, 1.0, 3.0] and math.copysign(1, loss.x[0]) == -1
    assert np.isnan(loss.y[1]) and loss.y[0] == 2.0 and curves.last["loss"] == 3.0


@pytest.mark.parametrize("seed", range(4))
def test_paper_metrics_results_match_the_plain_version(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(CASES):
        results = random_results(rng)
        expected = paper_metrics._Parsed()
        paper_metrics.parse_metrics(results, expected)
        if paper_metrics.PROGRESSION in results:
            ref_progression(results[paper_metrics.PROGRESSION], expected)
        got = paper_metrics.parse_results(results)
        assert same_items(got.metrics, expected.metrics)
        assert got.notes == expected.notes
        assert_same_series(got.series, expected.series)


def test_paper_metrics_huge_integer_is_a_note_not_a_crash() -> None:
    parsed = paper_metrics.parse_results({"a": 10**400, "b": 1.0})
    assert parsed.metrics == {"b": 1.0}
    assert parsed.notes == [f"a = {paper_metrics._short(10**400)} skipped (not a finite number)"]


# ---------------------------------------------------------------- read_bytes


def test_read_bytes_reads_whole_files_of_every_size(tmp_path: Path) -> None:
    rng = random.Random(0)
    for size in (0, 1, 2, 4095, 4096, 4097, 65536, 1024 * 1024 + 3, 3 * 1024 * 1024):
        path = tmp_path / f"f{size}"
        data = rng.randbytes(size)
        path.write_bytes(data)
        assert read_bytes(str(path)) == data


def test_read_bytes_limit_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * (2 * 1024 * 1024))
    assert len(read_bytes(str(path), limit=2 * 1024 * 1024)) == 2 * 1024 * 1024
    with pytest.raises(UnreadableFile, match=r"^file larger than 1 MB; not read$"):
        read_bytes(str(path), limit=2 * 1024 * 1024 - 1)


def test_read_bytes_of_files_without_a_size(tmp_path: Path) -> None:
    """/proc files say size 0; they are read to their end all the same."""
    proc = "/proc/self/mounts"
    if not os.path.exists(proc):
        pytest.skip("no /proc")
    data = read_bytes(proc)
    with open(proc, "rb") as handle:
        assert data and data.startswith(handle.read(20))


def test_read_bytes_errors_keep_their_wording(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match=r"^file vanished while scanning$"):
        read_bytes(str(tmp_path / "missing"))
    with pytest.raises(UnreadableFile, match=r"^expected a file, found a folder$"):
        read_bytes(str(tmp_path))
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(UnreadableFile, match=r"^symlink loop$"):
        read_bytes(str(loop))
