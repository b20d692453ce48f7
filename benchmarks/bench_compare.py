"""Time the comparison page's server side on long curves, against figures that ship every point.

Usage::

    python benchmarks/bench_compare.py [--points 100000] [--big-points 1000000] [--repeat 10] [--tree-dir DIR]

Five Hugging Face Trainer output folders are written (``trainer_state.json`` only, compact JSON) whose
``loss``, ``grad_norm``, ``learning_rate`` and ``eval_loss`` each have ``--points`` points, plus one
run with ``--big-points``. The app is built in process (no scanner thread, one ``scan_now()``) and,
inside ``app.server.test_request_context()``, the page for ``/compare?runs=[the five]`` is built
through the router, as a navigation does: the first call with the store's series caches emptied
(``cold``: the series are read from the files), then ``--repeat`` warm calls (median and p95).
Bytes are the page's layout serialised with ``plotly.utils.PlotlyJSONEncoder``, as Dash sends it.

The peer is the naive figure: one ``Scattergl`` trace per run with every point (no downsampling),
built from the same in-memory series, for the ``loss`` chart and for all the page's curves. Chart
times include serialising the figure (what Dash does before sending it); page times do not.
The big run: its ``loss`` chart built by ``curve_figure`` (downsampled, default smoothing) alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

RUNS = 5


def write_long_hf_run(root: Path, name: str, n: int, seed: int) -> Path:
    """A finished Trainer folder whose train and eval rows are logged at every one of ``n`` steps."""
    rng = np.random.default_rng(seed)
    steps = np.arange(1, n + 1)
    frac = steps / n
    loss = np.round(0.6 + 1.9 * np.exp(-4 * frac) + rng.normal(0, 0.04, n), 4)
    eval_loss = np.round(0.7 + 1.9 * np.exp(-3.5 * frac) + rng.normal(0, 0.01, n), 5)
    grad = np.round(np.abs(rng.normal(2.5, 0.6, n)) + 0.2, 4)
    lr = np.round(5e-5 * (1 - frac), 10)
    rows: list[dict[str, Any]] = []
    for i in range(n):
        step = int(steps[i])
        epoch = step / 1000
        rows.append(
            {"epoch": epoch, "grad_norm": float(grad[i]), "learning_rate": float(lr[i]),
             "loss": float(loss[i]), "step": step}
        )  # fmt: skip
        rows.append({"epoch": epoch, "eval_loss": float(eval_loss[i]), "step": step})
    state = {"global_step": n, "max_steps": n, "epoch": n / 1000, "log_history": rows, "logging_steps": 1}
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trainer_state.json").write_text(json.dumps(state, separators=(",", ":")))
    return folder


def ensure_tree(tree: Path, points: int, big_points: int) -> None:
    marker = tree / f".done-{points}-{big_points}"
    if marker.exists():
        return
    shutil.rmtree(tree, ignore_errors=True)
    for i in range(RUNS):
        write_long_hf_run(tree / "long", f"run-{i}-lr{i + 1}e-5", points, seed=i)
    write_long_hf_run(tree / "big", "run-big", big_points, seed=99)
    marker.write_text("")


def nbytes(value: Any) -> int:
    import plotly.utils

    return len(json.dumps(value, cls=plotly.utils.PlotlyJSONEncoder))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def chart_cost(build: Callable[[str], Any], names: Sequence[str], repeat: int) -> tuple[float, int]:
    """Median seconds to build and serialise the charts of ``names``, and their bytes."""
    times = [timed(lambda: nbytes([build(n) for n in names]))[0] for _ in range(repeat)]
    return statistics.median(times), nbytes([build(n) for n in names])


def naive_figure(name: str, per_run: Sequence[tuple[str, Any]]) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    for run_name, series in per_run:
        if series is not None:
            fig.add_trace(go.Scattergl(x=series.x, y=series.y, mode="lines", name=run_name))
    fig.update_layout(title=name)
    return fig


def measure(tree: Path, repeat: int) -> dict[str, Any]:
    from dashboard.callbacks.router import route
    from dashboard.components.compare import DEFAULT_SMOOTHING, curve_names
    from dashboard.components.compare_charts import RunStyle, curve_figure
    from dashboard.settings import Settings
    from dashboard.webapp import create_app

    cache = Path(tempfile.mkdtemp(prefix="runboard-bench-cache-"))
    try:
        app = create_app(
            Settings(results_dirs=[tree], cache_dir=cache, refresh_seconds=3600), start_scanner=False
        )
        context = app.server.extensions["runboard"]
        scan_seconds, snapshot = timed(context.scanner.scan_now)
        frame = snapshot.runs
        by_name = dict(zip(frame["name"], frame["run_id"], strict=True))
        long_ids = [by_name[n] for n in sorted(by_name) if n.startswith("run-") and n != "run-big"]
        search = "?" + urlencode({"runs": json.dumps(long_ids)})
        store = context.store
        out: dict[str, Any] = {"scan": scan_seconds}
        with app.server.test_request_context():
            store._series.clear()  # cold: nothing in memory, the disk cache was never filled
            out["cold"], page = timed(lambda: route("/compare", search))
            out["bytes"] = nbytes(page)
            warm = [timed(lambda: route("/compare", search))[0] for _ in range(repeat)]
            out["warm_median"], out["warm_p95"] = statistics.median(warm), p95(warm)
            series = {run_id: store.series(run_id) for run_id in long_ids}
            names = curve_names(series)
            out["curves"] = names
            out["points"] = {n: len(series[long_ids[0]][n]) for n in names}
            styles = [RunStyle(r, n, "#1f77b4") for n, r in sorted(by_name.items()) if r in long_ids]

            def ours(name: str) -> Any:
                runs = [(s, series[s.run_id].get(name)) for s in styles]
                return curve_figure(name, runs, DEFAULT_SMOOTHING)

            def naive(name: str) -> Any:
                return naive_figure(name, [(s.name, series[s.run_id].get(name)) for s in styles])

            builders: dict[str, Callable[[str], Any]] = {"ours": ours, "naive": naive}
            for label, build in builders.items():  # build + serialise, as Dash does
                out[f"{label}_loss_s"], out[f"{label}_loss_bytes"] = chart_cost(build, ["loss"], repeat)
                out[f"{label}_all_s"], out[f"{label}_all_bytes"] = chart_cost(build, names, 1)
            big_id = by_name["run-big"]
            out["big_read_s"], big = timed(lambda: store.series(big_id))
            style = RunStyle(big_id, "run-big", "#1f77b4")
            big_times = [timed(lambda: nbytes(curve_figure("loss", [(style, big["loss"])], DEFAULT_SMOOTHING)))[0]
                         for _ in range(repeat)]  # fmt: skip
            out["big_points"] = len(big["loss"])
            out["big_s"], out["big_p95"] = statistics.median(big_times), p95(big_times)
            out["big_bytes"] = nbytes(curve_figure("loss", [(style, big["loss"])], DEFAULT_SMOOTHING))
            naive_t, naive_big = timed(lambda: nbytes(naive_figure("loss", [("run-big", big["loss"])])))
            out["big_naive_s"], out["big_naive_bytes"] = naive_t, naive_big
        store.close()
        return out
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:,.1f} ms"


def mib(n: int) -> str:
    return f"{n / 2**20:,.2f} MiB" if n >= 2**20 else f"{n / 1024:,.0f} KiB"


def report(r: dict[str, Any], points: int, repeat: int) -> str:
    lines = [
        f"5 runs x {len(r['curves'])} curves ({', '.join(r['curves'])}), {points:,} points each; "
        f"scan {ms(r['scan'])}.",
        "",
        "| measurement | naive (every point) | Runboard | ratio (naive / Runboard) |",
        "| --- | ---: | ---: | ---: |",
        f"| compare page via router, cold (series read from files) | | {ms(r['cold'])} | |",
        f"| compare page via router, warm (median / p95 of {repeat}) | | "
        f"{ms(r['warm_median'])} / {ms(r['warm_p95'])} | |",
        f"| compare page bytes (whole layout) | | {mib(r['bytes'])} | |",
        f"| `loss` chart, 5 runs: build + serialise (median of {repeat}) | {ms(r['naive_loss_s'])} | "
        f"{ms(r['ours_loss_s'])} | {r['naive_loss_s'] / r['ours_loss_s']:.1f}x |",
        f"| `loss` chart, 5 runs: bytes | {mib(r['naive_loss_bytes'])} | {mib(r['ours_loss_bytes'])} | "
        f"{r['naive_loss_bytes'] / r['ours_loss_bytes']:.0f}x |",
        f"| all {len(r['curves'])} curve charts: build + serialise | {ms(r['naive_all_s'])} | {ms(r['ours_all_s'])} | "
        f"{r['naive_all_s'] / r['ours_all_s']:.1f}x |",
        f"| all {len(r['curves'])} curve charts: bytes | {mib(r['naive_all_bytes'])} | "
        f"{mib(r['ours_all_bytes'])} | {r['naive_all_bytes'] / r['ours_all_bytes']:.0f}x |",
        f"| 1 run, {r['big_points']:,}-point `loss` chart: build + serialise (median / p95 of {repeat}) | "
        f"{ms(r['big_naive_s'])} | {ms(r['big_s'])} / {ms(r['big_p95'])} | {r['big_naive_s'] / r['big_s']:.1f}x |",
        f"| 1 run, {r['big_points']:,}-point `loss` chart: bytes | {mib(r['big_naive_bytes'])} | "
        f"{mib(r['big_bytes'])} | {r['big_naive_bytes'] / r['big_bytes']:.0f}x |",
        "",
        f"Reading the big run's series (cold, all curves): {ms(r['big_read_s'])}.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--big-points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument(
        "--tree-dir", type=Path, default=Path(tempfile.gettempdir()) / "runboard-bench-compare"
    )
    args = parser.parse_args(argv)
    t, _ = timed(lambda: ensure_tree(args.tree_dir, args.points, args.big_points))
    print(f"tree ready in {t:.1f} s: {args.tree_dir}", file=sys.stderr)
    print(report(measure(args.tree_dir, args.repeat), args.points, args.repeat))


if __name__ == "__main__":
    main()
