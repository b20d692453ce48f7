"""Runboard at lab scale: 10,000 and 100,000 mixed-format runs, beside simple peers (issue 7, "Scale").

Usage::

    python benchmarks/bench_scale.py --runs 10000 100000 [--tree-dir DIR] [--workers 4]
        [--navigations 20] [--states 20] [--budget-seconds 60] [--navigation-budget-seconds 120]
        [--peer-max-runs 20000] [--details]

For each N, on ``generate.py --mix`` trees (every format the readers know; kept in ``--tree-dir`` like
``bench_scan.py``/``bench_formats.py`` do), one Markdown table with the issue's 10k targets:

1. **Scan** (``bench_scan.measure``, each approach in its own process): cold scan, warm rescan, warm
   start, incremental rescan and the scan process's peak RSS, beside the by-hand aggregator (which
   only knows the seed's two formats: it reads the paper-metrics and Trainer runs of the tree).
2. **Callbacks** (in process, ``create_app(..., start_scanner=False)`` over the cache the scan left):
   the server time and JSON bytes of every callback a user action runs on the runs page, for
   ``--states`` different states each (median and p95): a filter change, a sort click, ticking a row
   (selection tray, grid refresh and the comparison panel under the tray) and opening the
   comparison page for 2-5 runs. Peers: ``bench_page.peer_filter`` (mask, sort and ship every
   matching row) for filter and sort; every point of every curve (``bench_compare.naive_figure``)
   for the comparison; none for ticking a row (a client-side grid ticks without the server).
3. **Serving** (``gunicorn -c gunicorn.conf.py app:server``, ``--workers`` workers on loopback, over
   the same cache): the time until every worker's ``/healthz`` counts N runs, navigations to a
   visible table in headless Chromium (``bench_page.navigations``, alternating with the naive peer
   server of ``bench_page.py``), then each worker's peak RSS (``VmHWM``) and which one scanned.

Every timed loop stops starting new states once its budget is spent (``--budget-seconds`` for each
callback kind, ``--navigation-budget-seconds`` for the navigations); the table says how many were
made. The peer server and its navigations are skipped above ``--peer-max-runs`` (its one layout
response grows with N: 54 MiB at 10k). Servers and subprocesses are stopped at the end; the Store's cache is a temporary folder in
the tree folder, removed at the end.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_compare import naive_figure, nbytes  # noqa: E402
from benchmarks.bench_formats import ensure_tree  # noqa: E402
from benchmarks.bench_page import (  # noqa: E402
    BLOCK,
    FILTER_STATES,
    WARM_UP_STATE,
    _call,
    _median_p95,
    _size,
    free_port,
    navigations,
    peer_filter,
    search_for,
    start_peer,
    stop,
)
from benchmarks.bench_scan import measure as measure_scan  # noqa: E402

TARGET_WARM = 0.5  # seconds, warm rescan at 10k
TARGET_CALLBACK = 0.1  # seconds, filter/sort p95 server-side at 10k
TARGET_NAVIGATION = 2.0  # seconds, table visible at 10k
TARGET_TABLE_BYTES = 300_000  # bytes per table response at 10k (300 kB)
SORTED_METRICS = 10  # the metric columns with most values, each sorted both ways


# ------------------------------------------------------------------------------------ helpers


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds >= 10:
        return f"{seconds:,.1f} s"
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:,.1f} ms"


def _mib(kib: float | None) -> str:
    return "" if kib is None else f"{kib / 1024:,.0f} MiB"


def _ratio(peer: float | None, runboard: float | None) -> str:
    return f"{peer / runboard:,.1f}x" if peer and runboard else ""


def _verdict(value: float | None, target: float | None) -> str:
    if value is None or target is None:
        return ""
    return "met" if value <= target else "missed"


def output_bytes(values: Any) -> int:
    """A callback's answer as Dash serialises it (``no_update`` outputs are not sent)."""
    from dash import no_update

    if values is None:
        return 0
    sent = [v for v in values if v is not no_update] if isinstance(values, tuple) else values
    return nbytes(sent)


def timed_callback(callback: Callable[..., Any], **known: Any) -> tuple[float, Any]:
    """Seconds and output of one callback called by parameter name; ``PreventUpdate`` is output None."""
    from dash.exceptions import PreventUpdate

    started = time.perf_counter()
    try:
        out = _call(callback, **known)
    except PreventUpdate:
        out = None
    return time.perf_counter() - started, out


def output_index(first_output: str, wanted: str) -> int:
    """Where ``wanted`` (``"id.prop"``) sits among the outputs of the callback whose first output is
    ``first_output``: read from Dash's registry, so a callback that gains outputs keeps working."""
    from dash._callback import GLOBAL_CALLBACK_MAP

    for key in GLOBAL_CALLBACK_MAP:
        outputs = [o.split("@")[0] for o in key.strip(".").split("...")]
        if outputs and outputs[0] == first_output:
            return outputs.index(wanted)
    raise KeyError(first_output)


@contextlib.contextmanager
def triggered_by(prop_id: str, value: Any) -> Iterator[None]:
    """Dash's callback context as the dispatcher sets it, so ``ctx.triggered_id`` works in a direct call."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    token = context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": value}]))
    try:
        yield
    finally:
        context_value.reset(token)


class Budget:
    """Stops a loop from starting another state once ``seconds`` are spent in it (at least ``minimum``
    states run). Runboard and its peer keep separate budgets, so a slow peer does not cut Runboard's
    states short."""

    def __init__(self, seconds: float, minimum: int = 3) -> None:
        self.seconds, self.minimum, self.spent, self.done = seconds, minimum, 0.0, 0

    def allows(self) -> bool:
        return self.done < self.minimum or self.spent <= self.seconds

    def add(self, seconds: float) -> None:
        self.spent += seconds
        self.done += 1


def peer_rows_for(
    clock: Budget, frame: Any, filters: dict[str, Any], sort: list[tuple[str, str]]
) -> dict[str, Any]:
    """The peer's filter or sort for one state, while its budget lasts (else nothing: no peer figure)."""
    if not clock.allows():
        return {}
    started = time.perf_counter()
    rows, size = peer_filter(frame, filters, sort)
    seconds = time.perf_counter() - started
    clock.add(seconds)
    return {"peer": seconds, "peer_rows": rows, "peer_bytes": size}


# ------------------------------------------------------------------------------------ callbacks


class RunsPage:
    """The runs page's server callbacks over one in-process app, called as the browser would."""

    def __init__(self, app: Any, snapshot: Any) -> None:
        from dashboard import ids

        self.app, self.snapshot = app, snapshot
        self.version, self.count = snapshot.version, len(snapshot.runs)
        first = f"{ids.SHOWING}.children"
        self.columns_at = output_index(first, f"{ids.COLUMNS_KEY}.data")
        self.rows_at = output_index(first, f"{ids.GRID_REFRESH}.data")
        self.shown: dict[str, Any] = {"shown_columns": None, "shown_rows": None}
        self.rec_key_at = output_index(f"{ids.REC_HEADLINE}.children", f"{ids.REC_CONTROLS_KEY}.data")
        self.rec_key: Any = None  # the recommendation controls the page shows (rebuilt only when it changes)
        self.rec_result_at = output_index(f"{ids.REC_HEADLINE}.children", f"{ids.REC_RESULT_KEY}.data")
        self.rec_result: Any = None  # the recommendation the card shows (not resent while it holds)

    def show_view(self, search: str, last_written: str) -> tuple[float, Any]:
        from dashboard.callbacks.runs_page import show_view

        return timed_callback(show_view, search=search, version=self.version, pathname="/",
                              last_written=last_written, shown_count=self.count, **self.shown)  # fmt: skip

    def remember(self, view_out: Any) -> None:
        """What the page shows after ``view_out``: later calls resend only what differs from it."""
        from dash import no_update

        for name, at in (("shown_columns", self.columns_at), ("shown_rows", self.rows_at)):
            if view_out is not None and view_out[at] is not no_update:
                self.shown[name] = view_out[at]

    def remember_followers(self, followers: dict[str, tuple[float, Any]]) -> None:
        shown = followers["recommendation"][1]
        if shown is not None:
            self.rec_key = shown[self.rec_key_at]
            self.rec_result = shown[self.rec_result_at]

    def refreshes_rows(self, view_out: Any) -> bool:
        from dash import no_update

        return view_out is not None and view_out[self.rows_at] is not no_update

    def serve_rows(self, search: str, sort_model: list[dict[str, str]]) -> tuple[float, Any]:
        from dashboard.callbacks.runs_grid import serve_rows

        request = {"startRow": 0, "endRow": BLOCK, "sortModel": sort_model}
        return timed_callback(serve_rows, request=request, search=search)

    def url_followers(self, search: str, compare_state: Any) -> dict[str, tuple[float, Any]]:
        """The other callbacks a new URL runs on the runs page (recommendation, comparison, header links)."""
        from dashboard.callbacks.compare import follow_compare, follow_reference
        from dashboard.callbacks.recommendation import show_recommendation
        from dashboard.callbacks.router import follow_nav

        return {
            "recommendation": timed_callback(show_recommendation, search=search, _version=self.version,
                                             pathname="/", last_written=search, shown_key=self.rec_key,
                                             shown_result=self.rec_result),
            "compare panel": timed_callback(follow_compare, search=search, _version=self.version,
                                            pathname="/", state=compare_state),
            "compare reference": timed_callback(follow_reference, search=search, pathname="/",
                                                state=compare_state),
            "header links": timed_callback(follow_nav, pathname="/", search=search, remembered=None),
        }  # fmt: skip


def _record(label: str, parts: dict[str, tuple[float, Any]], **extra: Any) -> dict[str, Any]:
    """One state: total seconds and bytes of every callback it ran, and each part's."""
    return {
        "label": label,
        "seconds": sum(t for t, _ in parts.values()),
        "bytes": sum(output_bytes(out) for _, out in parts.values()),
        "parts": {name: t for name, (t, _) in parts.items()},
        "part_bytes": {name: output_bytes(out) for name, (_, out) in parts.items()},
        **extra,
    }


def filter_changes(page: RunsPage, frame: Any, states: int, budget: float) -> list[dict[str, Any]]:
    """Each filter state from the unfiltered page: show_view, the first row block, the URL's followers."""
    out: list[dict[str, Any]] = []
    clock, peer_clock = Budget(budget), Budget(budget)
    for label, filters, sort in FILTER_STATES[:states]:
        if not clock.allows():
            break
        search = search_for(filters, sort)
        sort_model = [{"colId": c, "sort": s} for c, s in sort]
        parts = {"show_view": page.show_view(search, search)}
        parts["serve_rows"] = page.serve_rows(search, sort_model)
        parts.update(page.url_followers(search, _no_compare()))
        rows = parts["serve_rows"][1][0]
        out.append(_record(label, parts, rows=rows["rowCount"], table_bytes=output_bytes(rows),
                           **peer_rows_for(peer_clock, frame, filters, sort)))  # fmt: skip
        clock.add(out[-1]["seconds"])
    return out


def sortable_metrics(frame: Any, count: int) -> list[str]:
    """Metric columns from every source in turn, each source's most filled first: sorts people make
    on the formats they look at, not ten columns of the largest format."""
    ranked: dict[str, list[str]] = {}
    for source, group in frame.groupby("source"):
        filled = {c: int(group[c].notna().sum()) for c in group.columns if c.startswith("metrics.")}
        ranked[str(source)] = sorted((c for c in filled if filled[c]), key=lambda c: (-filled[c], c))
    chosen: list[str] = []
    while len(chosen) < count and any(ranked.values()):
        for columns in ranked.values():
            while columns and columns[0] in chosen:
                columns.pop(0)
            if columns and len(chosen) < count:
                chosen.append(columns.pop(0))
    return chosen


def sort_clicks(page: RunsPage, frame: Any, states: int, budget: float) -> list[dict[str, Any]]:
    """A header click on a metric: the grid asks for rows sorted (and writes the URL), then show_view."""
    out: list[dict[str, Any]] = []
    clock, peer_clock = Budget(budget), Budget(budget)
    sorts = [(m, d) for m in sortable_metrics(frame, SORTED_METRICS) for d in ("desc", "asc")][:states]
    for column, direction in sorts:
        if not clock.allows():
            break
        sort_model = [{"colId": column, "sort": direction}]
        parts = {"serve_rows": page.serve_rows("", sort_model)}
        rows, url, _ = parts["serve_rows"][1]
        parts["show_view"] = page.show_view(url, url)  # the grid's own write: not a navigation
        parts.update(page.url_followers(url, _no_compare()))
        out.append(_record(f"{column.removeprefix('metrics.')} {direction}", parts, rows=rows["rowCount"],
                           table_bytes=output_bytes(rows),
                           **peer_rows_for(peer_clock, frame, {}, [(column, direction)])))  # fmt: skip
        clock.add(out[-1]["seconds"])
    return out


def _no_compare() -> dict[str, Any]:
    return {"query_runs": [], "stamp": "", "styles": [], "curves": []}


def pick_runs(frame: Any, states: int, sizes: tuple[int, ...], seed: str) -> list[list[str]]:
    """For each state, runs of one source (what people compare), sources and sizes in turn."""
    rng = random.Random(seed)
    by_source = {s: sorted(g["run_id"].astype(str)) for s, g in frame.groupby("source")}
    sources = sorted(by_source)
    picks = []
    for i in range(states):
        pool = by_source[sources[i % len(sources)]]
        picks.append(rng.sample(pool, min(len(pool), sizes[i % len(sizes)])))
    return picks


def row_ticks(page: RunsPage, frame: Any, states: int, budget: float) -> list[dict[str, Any]]:
    """Ticking one more run with 0-4 already ticked: the selection writer, then what the new URL runs
    (tray, grid rows, the comparison panel under the tray, ...). The page before the tick is shown
    first, unmeasured: a run is ticked on a view already computed."""
    from dashboard import ids
    from dashboard.analysis.view import View, view_query
    from dashboard.callbacks.compare import follow_compare
    from dashboard.callbacks.runs_controls import write_selection

    out: list[dict[str, Any]] = []
    clock = Budget(budget)
    for runs in pick_runs(frame, states, (1, 2, 3, 4, 5), "select"):
        if not clock.allows():
            break
        started = time.perf_counter()
        before, ticked = runs[:-1], runs[-1]
        base = view_query(View(selected=before))
        page.remember(page.show_view(base, base)[1])
        _, shown = timed_callback(
            follow_compare, search=base, _version=page.version, pathname="/", state=None
        )
        compare_state = shown[1] if shown else _no_compare()
        clicked = {"value": {"run_id": ticked, "selected": True}, "colId": "_select", "rowId": ticked}
        with triggered_by(f"{ids.RUNS_TABLE}.cellRendererData", clicked):
            parts = {"write_selection": timed_callback(write_selection, clicked=clicked, _remove=[],
                                                       _clear=None, search=base)}  # fmt: skip
        url = parts["write_selection"][1][0]
        parts["show_view"] = page.show_view(url, url)
        if page.refreshes_rows(parts["show_view"][1]):  # the grid re-fetches its rows (ticks, colours)
            parts["serve_rows"] = page.serve_rows(url, [])
        parts.update(page.url_followers(url, compare_state))
        page.remember(parts["show_view"][1])
        page.remember_followers(parts)
        out.append(_record(f"tick {len(runs)} of {len(runs)} ({frame.set_index('run_id').at[ticked, 'source']})",
                           parts, table_bytes=output_bytes(parts.get("serve_rows", (0, None))[1]) or None,
                           panel_bytes=output_bytes(parts["compare panel"][1])))  # fmt: skip
        clock.add(time.perf_counter() - started)
    return out


def compare_pages(store: Any, frame: Any, states: int, budget: float) -> list[dict[str, Any]]:
    """The comparison page for 2-5 runs (router, as a shared link opens it): first with the runs'
    series read from the files, then again from memory; the peer draws every point of every curve."""
    from dashboard.callbacks.router import route
    from dashboard.components.runs_page import compare_search

    out: list[dict[str, Any]] = []
    clock = Budget(budget)
    names = dict(zip(frame["run_id"].astype(str), frame["name"].astype(str), strict=True))
    for runs in pick_runs(frame, states, (2, 3, 4, 5), "compare"):
        if not clock.allows():
            break
        started = time.perf_counter()
        search = compare_search(runs)
        cold, page = timed_callback(route, pathname="/compare", search=search)
        warm, _ = timed_callback(route, pathname="/compare", search=search)
        series = {r: store.series(r) for r in runs}
        curves = sorted({name for per_run in series.values() for name in per_run})
        peer_started = time.perf_counter()
        figures = [naive_figure(c, [(names[r], series[r].get(c)) for r in runs]) for c in curves]
        peer_bytes = nbytes(figures)
        source = frame.set_index("run_id").at[runs[0], "source"]
        out.append({"label": f"{len(runs)} runs ({source})", "seconds": cold, "warm": warm,
                    "bytes": nbytes(page), "peer": time.perf_counter() - peer_started,
                    "peer_bytes": peer_bytes, "curves": len(curves)})  # fmt: skip
        clock.add(time.perf_counter() - started)
    return out


def measure_callbacks(tree: Path, cache: Path, states: int, budget: float) -> dict[str, Any]:
    from dashboard.settings import Settings
    from dashboard.webapp import create_app

    app = create_app(
        Settings(results_dirs=[tree], cache_dir=cache, refresh_seconds=3600), start_scanner=False
    )
    context = app.server.extensions["runboard"]
    started = time.perf_counter()
    snapshot = context.scanner.scan_now()
    out: dict[str, Any] = {"start": time.perf_counter() - started, "runs": len(snapshot.runs)}
    frame = snapshot.runs.drop(columns=["_series"], errors="ignore")
    page = RunsPage(app, snapshot)
    with app.server.test_request_context():
        _label, filters, sort = WARM_UP_STATE  # imports, first facets: not part of any state
        page.show_view(search_for(filters, sort), search_for(filters, sort))
        page.remember(page.show_view("", "")[1])  # the unfiltered page every filter and sort starts from
        page.remember_followers(page.url_followers("", _no_compare()))
        out["filter"] = filter_changes(page, frame, states, budget)
        out["sort"] = sort_clicks(page, frame, states, budget)
        out["select"] = row_ticks(page, frame, states, budget)
        out["compare"] = compare_pages(context.store, frame, states, budget)
    context.store.close()
    return out


# ------------------------------------------------------------------------------------ serving


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's children (its workers), from each process's ``PPid``."""
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            if f"\nPPid:\t{master}\n" in status.read_text():
                pids.append(int(status.parent.name))
    return sorted(pids)


def status_kib(pid: int, field: str) -> int | None:
    """A ``/proc/<pid>/status`` memory field (``VmHWM``: peak RSS, ``VmRSS``: now), in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _health(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body: dict[str, Any] = json.loads(response.read())
            return body
    except (OSError, ValueError):
        return None


def wait_for_workers(url: str, process: subprocess.Popen[bytes], log: Path, runs: int, workers: int,
                     timeout: float) -> dict[int, dict[str, Any]]:  # fmt: skip
    """Until every worker's ``/healthz`` counts ``runs``: many requests at once, since sequential ones
    all land on one worker. Returns the last answer of each worker."""
    seen: dict[int, dict[str, Any]] = {}
    deadline = time.time() + timeout
    with concurrent.futures.ThreadPoolExecutor(max_workers=4 * workers) as pool:
        while time.time() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
            for body in pool.map(_health, [url] * 4 * workers):
                if body:
                    seen[int(body["worker_pid"])] = body
            alive = worker_pids(process.pid)
            if len(alive) == workers and all(seen.get(p, {}).get("runs") == runs for p in alive):
                return {p: seen[p] for p in alive}
            time.sleep(0.5)
    raise RuntimeError(f"not every worker counted {runs} runs: {seen}; {log.read_text()[-2000:]}")


def start_gunicorn(tree: Path, cache: Path, log: Path, workers: int) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = {
        **os.environ,
        "RUNBOARD_RESULTS_DIRS": str(tree),
        "RUNBOARD_CACHE_DIR": str(cache),
        "RUNBOARD_BIND": f"127.0.0.1:{port}",
        "RUNBOARD_WORKERS": str(workers),
        "RUNBOARD_REFRESH_SECONDS": "3600",
    }
    args = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"]
    process = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=REPO, env=env)
    return f"http://127.0.0.1:{port}", process


def measure_serving(
    tree: Path, cache: Path, work: Path, runs: int, args: argparse.Namespace
) -> dict[str, Any]:
    processes: list[subprocess.Popen[bytes]] = []
    out: dict[str, Any] = {}
    try:
        started = time.perf_counter()
        url, gunicorn = start_gunicorn(tree, cache, work / "gunicorn.log", args.workers)
        processes.append(gunicorn)
        health = wait_for_workers(f"{url}/healthz", gunicorn, work / "gunicorn.log", runs, args.workers,
                                  timeout=max(300.0, runs / 100))  # fmt: skip
        out["ready"] = time.perf_counter() - started
        urls = {"runboard": url + "/"}
        if runs <= args.peer_max_runs:
            started = time.perf_counter()
            peer_url, peer = start_peer(tree, cache, work / "peer.log")
            processes.append(peer)
            out["peer_ready"] = time.perf_counter() - started
            urls["peer"] = peer_url + "/"
        out["navigation"] = navigations(urls, args.navigations, args.navigation_budget_seconds, False)
        out["workers"] = [
            {"pid": pid, "scanner": body.get("scanner") == "this worker", "hwm": status_kib(pid, "VmHWM"),
             "rss": status_kib(pid, "VmRSS"), "scan_seconds": body.get("last_scan_duration_seconds")}
            for pid, body in health.items()
        ]  # fmt: skip
        if "peer" in urls:
            out["peer_hwm"] = status_kib(processes[1].pid, "VmHWM")
    finally:
        for process in processes:
            stop(process)
    return out


# ------------------------------------------------------------------------------------ tables


def _stats(states: list[dict[str, Any]], key: str) -> tuple[float | None, float | None]:
    values = [s[key] for s in states if s.get(key) is not None]
    return _median_p95(values) if values else (None, None)


def _bytes_median(states: list[dict[str, Any]], key: str) -> float | None:
    values = [s[key] for s in states if s.get(key)]
    return statistics.median(values) if values else None


def _size_or_blank(n: float | None) -> str:
    return "" if n is None else _size(n)


def scale_table(n: int, counts: dict[str, int], scan: dict[str, Any], cb: dict[str, Any],
                serve: dict[str, Any], asked: int) -> str:  # fmt: skip
    hand, cold, restart = scan["by_hand"], scan["cold"], scan["restart"]
    rows: list[tuple[str, str, str, str, str, str]] = []

    def add(label: str, peer: Any, ours: Any, fmt: Callable[[Any], str], target: float | None = None,
            target_text: str = "", peer_text: str | None = None, paired: Any = None) -> None:  # fmt: skip
        """``paired``: Runboard's figure over only the states the peer ran, for the ratio."""
        rows.append((label, peer_text if peer_text is not None else (fmt(peer) if peer is not None else ""),
                     fmt(ours), _ratio(peer, ours if paired is None else paired), target_text,
                     _verdict(ours, target)))  # fmt: skip

    add("cold scan (empty cache, own process)", hand["cold"], cold["cold"], _ms)
    add("warm rescan (unchanged, same process)", hand["warm"], cold["warm"], _ms, TARGET_WARM, "≤ 0.5 s")
    add("warm start (new process, cache on disk)", hand["cold"], restart["warm_start"], _ms)
    add("incremental rescan (+1 run, 1 file changed)", hand["incremental"], restart["incremental"], _ms)
    add("peak RSS of the scanning process", hand["rss"] * 1024, max(cold["rss"], restart["rss"]) * 1024, _mib)
    workers = serve["workers"]
    hwm = [w["hwm"] for w in workers if w["hwm"]]
    add(f"gunicorn start to every worker serving {n:,} runs", serve.get("peer_ready"), serve["ready"], _ms)
    add("peak RSS per worker (VmHWM), largest", serve.get("peer_hwm"), max(hwm), _mib)
    add(f"peak RSS, all {len(hwm)} workers together", serve.get("peer_hwm"), sum(hwm), _mib)
    nav = serve["navigation"]
    rb_nav = [r["seconds"] for r in nav["runboard"]["runs"]]
    peer_nav = [r["seconds"] for r in nav["peer"]["runs"]] if "peer" in nav else []
    rb_med, rb_p95 = _median_p95(rb_nav)
    peer_med, peer_p95 = _median_p95(peer_nav) if peer_nav else (None, None)
    no_peer = None if peer_nav else "not run (see below)"
    add("navigation to table visible, median", peer_med, rb_med, _ms, TARGET_NAVIGATION, "≤ 2 s", no_peer)
    add("navigation to table visible, p95", peer_p95, rb_p95, _ms, TARGET_NAVIGATION, "≤ 2 s", no_peer)
    rb_bytes = statistics.median(r["bytes"] for r in nav["runboard"]["runs"])
    peer_bytes = statistics.median(r["bytes"] for r in nav["peer"]["runs"]) if peer_nav else None
    add("bytes per navigation (response bodies)", peer_bytes, rb_bytes, _size, peer_text=no_peer)
    for kind, label, target in (("filter", "filter change", TARGET_CALLBACK), ("sort", "sort click", TARGET_CALLBACK),
                                ("select", "tick a row", None)):  # fmt: skip
        states = cb[kind]
        with_peer = [s for s in states if s.get("peer") is not None]
        med, p95 = _stats(states, "seconds")
        peer_med, peer_p95 = _stats(with_peer, "peer")
        pair_med, pair_p95 = _stats(with_peer, "seconds")
        peer_text = None if kind != "select" else "no server call"
        few = len(with_peer) < len(states)
        if peer_text is None and few:  # the peer's budget ran out first: say over how many states
            peer_text = f"{_ms(peer_med)} ({len(with_peer)} of {len(states)} states)"
        add(f"{label}, server time, median", peer_med, med, _ms, peer_text=peer_text, paired=pair_med)
        if few and kind != "select":
            peer_text = f"{_ms(peer_p95)} ({len(with_peer)} states)"
        add(f"{label}, server time, p95", peer_p95, p95, _ms, target, "≤ 100 ms" if target else "", peer_text,
            paired=pair_p95)  # fmt: skip
        add(f"{label}, response bytes, median", _bytes_median(with_peer, "peer_bytes"),
            _bytes_median(states, "bytes"), _size, peer_text=None if kind != "select" else peer_text,
            paired=_bytes_median(with_peer, "bytes"))  # fmt: skip
    table_bytes = [
        s["table_bytes"] for kind in ("filter", "sort", "select") for s in cb[kind] if s.get("table_bytes")
    ]
    add(
        "table response (a 200-row block), largest",
        None,
        max(table_bytes),
        _size,
        TARGET_TABLE_BYTES,
        "≤ 300 kB",
    )
    add("table response (a 200-row block), median", None, statistics.median(table_bytes), _size,
        TARGET_TABLE_BYTES, "≤ 300 kB")  # fmt: skip
    cmp = cb["compare"]
    cold_med, cold_p95 = _stats(cmp, "seconds")
    warm_med, warm_p95 = _stats(cmp, "warm")
    peer_med, peer_p95 = _stats(cmp, "peer")
    add("comparison page, 2-5 runs, series read from files, median", None, cold_med, _ms)
    add("comparison page, 2-5 runs, series read from files, p95", None, cold_p95, _ms)
    add("comparison page, series in memory, median (peer: every point)", peer_med, warm_med, _ms)
    add("comparison page, series in memory, p95 (peer: every point)", peer_p95, warm_p95, _ms)
    add(
        "comparison page, bytes, median", _bytes_median(cmp, "peer_bytes"), _bytes_median(cmp, "bytes"), _size
    )

    mix = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    lines = [
        f"### {n:,} runs ({mix}; Runboard: {cold['rows']:,} rows, {cold['problems']} problems; "
        f"by hand: {hand['rows']:,} rows)",
        "",
        "| measurement | peer | Runboard | ratio (peer / Runboard) | target (10k) | at this N |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        *[f"| {' | '.join(r)} |" for r in rows],
        "",
        _notes(n, cb, serve, asked),
    ]
    return "\n".join(lines)


def _notes(n: int, cb: dict[str, Any], serve: dict[str, Any], asked: int) -> str:
    done = {k: len(cb[k]) for k in ("filter", "sort", "select", "compare")}
    nav = len(serve["navigation"]["runboard"]["runs"])
    lines = [
        f"States measured: filter {done['filter']}, sort {done['sort']}, tick {done['select']}, "
        f"compare {done['compare']}; navigations {nav} per side (asked {asked}; loops stop when their "
        "time budget is spent; ratios compare the states both sides ran). Peers: scan = the by-hand aggregator (paper metrics and Trainer runs "
        "only); RSS, start and navigation = `bench_page.py`'s naive Dash page (one process, every row "
        "in the layout); filter and sort = mask, sort and serialise every matching row; comparison = "
        "one Scattergl trace per run with every point of every series.",
    ]
    if "peer" not in serve["navigation"]:
        lines.append(f"The naive page was not served at {n:,} runs (over `--peer-max-runs`): its one layout "
                     "response carries every row (54 MiB at 10k).")  # fmt: skip
    return "\n".join(lines)


def workers_table(serve: dict[str, Any]) -> str:
    lines = [
        "| gunicorn worker | role | peak RSS (VmHWM) | RSS now | its last scan |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for w in serve["workers"]:
        role = "scanned (holds the scan lock)" if w["scanner"] else "follows the published snapshot"
        scan = _ms(w["scan_seconds"]) if w["scanner"] else ""
        lines.append(f"| {w['pid']} | {role} | {_mib(w['hwm'])} | {_mib(w['rss'])} | {scan} |")
    return "\n".join(lines)


def parts_table(cb: dict[str, Any]) -> str:
    """Median seconds and bytes of each callback per action: where the server time and bytes go."""
    lines = ["| action | callback | median | p95 | bytes, median |", "| --- | --- | ---: | ---: | ---: |"]
    for kind, label in (("filter", "filter change"), ("sort", "sort click"), ("select", "tick a row")):
        names = sorted({p for s in cb[kind] for p in s["parts"]}, key=lambda p: -statistics.median(
            s["parts"].get(p, 0.0) for s in cb[kind]))  # fmt: skip
        for name in names:
            med, p95 = _median_p95([s["parts"].get(name, 0.0) for s in cb[kind]])
            size = statistics.median(s["part_bytes"].get(name, 0) for s in cb[kind])
            lines.append(f"| {label} | `{name}` | {_ms(med)} | {_ms(p95)} | {_size(size)} |")
    return "\n".join(lines)


def states_table(cb: dict[str, Any]) -> str:
    lines = [
        "| action | state | rows | Runboard | bytes | peer | peer bytes |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in ("filter", "sort", "select", "compare"):
        for s in cb[kind]:
            rows = "" if s.get("rows") is None else f"{s['rows']:,}"
            if s.get("peer_rows") is not None and s["peer_rows"] != s.get("rows"):
                rows += f" (peer {s['peer_rows']:,}: differs)"
            lines.append(f"| {kind} | {s['label']} | {rows} | {_ms(s['seconds'])} | {_size(s['bytes'])} | "
                         f"{_ms(s.get('peer'))} | {_size_or_blank(s.get('peer_bytes'))} |")  # fmt: skip
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ driver


def run(n: int, tree_dir: Path, args: argparse.Namespace) -> None:
    tree, counts, generated = ensure_tree(tree_dir, n, args.seed)
    made = f"generated in {generated:.1f}s" if generated is not None else "reused"
    print(f"<!-- tree {tree} ({made}) -->", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-scale-", dir=tree_dir))
    try:
        started = time.perf_counter()
        scan = measure_scan(tree, work, keep_cache=True)
        print(f"<!-- scan measured in {time.perf_counter() - started:.0f} s -->", flush=True)
        started = time.perf_counter()
        cb = measure_callbacks(tree, work / "cache", args.states, args.budget_seconds)
        print(f"<!-- callbacks measured in {time.perf_counter() - started:.0f} s -->", flush=True)
        started = time.perf_counter()
        serve = measure_serving(tree, work / "cache", work, cb["runs"], args)
        print(f"<!-- serving measured in {time.perf_counter() - started:.0f} s -->", flush=True)
        print(scale_table(n, counts, scan, cb, serve, args.navigations) + "\n")
        print(workers_table(serve) + "\n")
        print(parts_table(cb) + "\n")
        if args.details:
            print(states_table(cb) + "\n")
        sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--tree-dir", type=Path, help="where trees are generated and kept for reuse")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--navigations", type=int, default=20, help="measured navigations per side")
    parser.add_argument("--states", type=int, default=20, help="states per callback kind")
    parser.add_argument("--budget-seconds", type=float, default=60.0,
                        help="seconds each timed loop may take (navigations, each callback kind)")  # fmt: skip
    parser.add_argument("--navigation-budget-seconds", type=float, default=120.0,
                        help="seconds the navigations may take (both sides)")  # fmt: skip
    parser.add_argument("--peer-max-runs", type=int, default=20000, help="serve the naive page up to N runs")
    parser.add_argument("--details", action="store_true", help="also print every state's figures")
    args = parser.parse_args(argv)
    temporary = args.tree_dir is None
    tree_dir = Path(tempfile.mkdtemp(prefix="runboard-bench-")) if temporary else args.tree_dir
    tree_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        print(f"# Scale benchmark ({os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
              f"{args.workers} gunicorn workers)\n", flush=True)  # fmt: skip
        print(f"<!-- load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())} -->", flush=True)
        for n in args.runs:
            run(n, tree_dir, args)
    finally:
        if temporary:
            shutil.rmtree(tree_dir, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"<!-- whole benchmark: {time.perf_counter() - started:.0f} s; load average after: {load} -->")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
