"""Time the runs page at N runs: navigation in headless Chromium, and the server side of a filter change.

Usage::

    python benchmarks/bench_page.py [--runs 10000] [--tree-dir DIR] [--navigations 20] [--filters 20]

Both measurements put Runboard beside a naive peer on the same generated tree (``generate.py``'s
default profile) and print Markdown tables with ratios:

1. **Navigation**: from ``page.goto(url)`` to the first grid row showing a run name, a fresh browser
   context each time, on servers whose first scan is done (``/healthz`` counts N runs) and which have
   served one unmeasured navigation. Bytes are the sum of the page's response bodies. The peer is a
   plain Dash app (in this file, ``--peer-server``) that loads the same ``Store`` frame and ships it
   all at once as ``dash_ag_grid.AgGrid(rowData=...)`` (client-side row model).
2. **Filter change** (in process, no browser): for different filter states, the two callbacks a filter
   change runs on the server, ``show_view`` (counts, chips, columns) then ``serve_rows`` (the first
   200-row block). The peer masks the whole frame in pandas and serialises every matching row.

Servers listen on loopback only, Runboard with a one-hour refresh so no rescan runs while measuring;
both are stopped at the end. Navigations alternate between the two sides and stop early when
``--budget-seconds`` is spent (the table says how many were made). Trees are kept in ``--tree-dir``
as with ``bench_scan.py``; the Store's cache is a temporary folder beside them, removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_scan import ensure_tree  # noqa: E402

CHROMIUM = os.environ.get("RUNBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}
NAME_CELLS = "#runs-table .ag-pinned-left-cols-container .ag-row [col-id='name']"
READY_JS = f"() => [...document.querySelectorAll({json.dumps(NAME_CELLS)})].some(c => c.innerText.trim())"
BLOCK = 200

# Filter states of a filter change: (label, filters, sort). Columns are those of the default profile.
FILTER_STATES: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("bool ttt.enable=yes", {"bool": {"params.ttt.enable": "yes"}}, []),
    ("bool ttt.enable=no", {"bool": {"params.ttt.enable": "no"}}, []),
    ("bool lora.enable=yes", {"bool": {"params.lora.enable": "yes"}}, []),
    ("choice source", {"choice": {"source": ["paper_metrics"]}}, []),
    ("choice optim.lr (2)", {"choice": {"params.optim.lr": ["1e-05", "2e-05"]}}, []),
    ("choice model_type (2)", {"choice": {"params.model.model_type": ["gpt2", "t5"]}}, []),
    ("choice lora.rank incl. missing", {"choice": {"params.lora.rank": ["16", "—"]}}, []),
    ("range ttt.base_lr >= 0.01", {"range": {"params.ttt.base_lr": [0.01, None]}}, []),
    ("range step 1000-2000", {"range": {"step": [1000, 2000]}}, []),
    ("search exp001", {"q": "exp001"}, []),
    ("search /roberta|whisper/", {"q": "/roberta|whisper/"}, []),
    ("sort paper_metrics_avg desc", {}, [("metrics.paper_metrics_avg", "desc")]),
    ("sort name asc", {}, [("name", "asc")]),
    ("bool + range", {"bool": {"params.ttt.enable": "yes"},
                      "range": {"params.ttt.base_lr": [None, 0.1]}}, []),
    ("choice + sort eval_loss", {"choice": {"source": ["hf_trainer"]}}, [("metrics.eval_loss", "asc")]),
    ("range seed + sort step", {"range": {"params.seed": [40, 2000]}}, [("step", "desc")]),
    ("search lora + sort sblimp", {"q": "lora"}, [("metrics.sblimp_accuracy", "desc")]),
    ("choice wandb.project (2)", {"choice": {"params.wandb.project": ["dailytalk-ttt-finetune",
                                                                     "librilight-ttt-finetune"]}}, []),
    ("multi-sort base_lr, avg", {}, [("params.ttt.base_lr", "asc"), ("metrics.paper_metrics_avg", "desc")]),
    ("all four + sort", {"q": "exp0", "bool": {"params.ttt.enable": "yes"},
                         "choice": {"params.optim.lr": ["1e-05"]}, "range": {"step": [1000, None]}},
     [("metrics.tstory_accuracy", "desc")]),
]  # fmt: skip
WARM_UP_STATE: tuple[str, dict[str, Any], list[tuple[str, str]]] = ("warm-up", {"q": "warm"}, [])


# ------------------------------------------------------------------------------------ helpers


def _median_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:,.1f} ms"


def _size(n: float) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:,.1f} MiB"
    return f"{n / 1024:,.1f} KiB" if n >= 1024 else f"{n:,.0f} B"


def _ratio(peer: float, runboard: float) -> str:
    return f"{peer / runboard:,.1f}x" if runboard else "n/a"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def search_for(filters: dict[str, Any], sort: list[tuple[str, str]]) -> str:
    from dashboard.analysis.view import View, view_query

    return view_query(View(filters=dict(filters), sort=[{"colId": c, "sort": s} for c, s in sort]))


# ------------------------------------------------------------------------------------ the naive peer


def peer_frame(tree: str, cache: str) -> Any:
    """The runs a naive dashboard would load: the Store's frame, minus the internal series column."""
    from dashboard.store import Store

    store = Store(roots=[tree], cache_dir=cache)
    frame = store.rescan().runs
    store.close()
    return frame.drop(columns=["_series"], errors="ignore")


def peer_server(tree: str, cache: str, port: int) -> None:
    """A minimal Dash app: every run and column in a client-side AG Grid, built once at start."""
    import dash
    import dash_ag_grid as dag
    from dash import html

    frame = peer_frame(tree, cache)
    column_defs: list[dict[str, Any]] = [{"field": c, "headerName": c} for c in frame.columns if c != "name"]
    # The name pinned left, so the page is ready by the same selector as Runboard's.
    column_defs.insert(0, {"field": "name", "headerName": "name", "pinned": "left"})
    app = dash.Dash("peer", serve_locally=True)
    app.layout = html.Div(
        [
            html.H3(f"{len(frame):,} runs"),
            dag.AgGrid(
                id="runs-table",
                rowData=frame.to_dict("records"),
                columnDefs=column_defs,
                dashGridOptions={"suppressFieldDotNotation": True},  # "params.lr" is a column, not a path
                style={"height": "calc(100vh - 250px)", "width": "100%"},
            ),
        ]
    )
    app.server.add_url_rule("/ready", "ready", lambda: "ok")
    app.run(host="127.0.0.1", port=port, debug=False)


def _text(value: Any) -> str:
    """A cell as a filter option's text (what the facets show: 2000.0 -> "2000", missing -> "—")."""
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def peer_filter(frame: Any, filters: dict[str, Any], sort: list[tuple[str, str]]) -> tuple[int, int]:
    """What a naive app does per filter change: mask the full frame, send every matching row."""
    import pandas as pd

    mask = pd.Series(True, index=frame.index)
    if filters.get("q"):
        q = filters["q"]
        regex = len(q) >= 2 and q.startswith("/") and q.endswith("/")
        pattern = q[1:-1] if regex else q
        found = pd.Series(False, index=frame.index)
        for column in ("name", "run_id", "path"):
            found |= frame[column].astype(str).str.contains(pattern, case=False, regex=regex, na=False)
        mask &= found
    for column, options in filters.get("choice", {}).items():
        mask &= frame[column].map(_text).isin(options)
    for column, answer in filters.get("bool", {}).items():
        mask &= frame[column].map(lambda v, target=answer == "yes": isinstance(v, bool) and v is target)
    for column, (low, high) in filters.get("range", {}).items():
        values = pd.to_numeric(frame[column], errors="coerce")
        mask &= values.notna() & values.ge(-math.inf if low is None else low)
        mask &= values.le(math.inf if high is None else high)
    rows = frame[mask]
    if sort:
        rows = rows.sort_values([c for c, _ in sort], ascending=[s == "asc" for _, s in sort])
    body = json.dumps(rows.to_dict("records"), default=str)
    return len(rows), len(body)


# ------------------------------------------------------------------------------------ filter change


def _timed_calls(module: Any, name: str, totals: dict[str, float]) -> None:
    """Wrap ``module.name`` so its calls add their time to ``totals[name]`` (this process only)."""
    original: Callable[..., Any] = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - started
            totals[name + " calls"] = totals.get(name + " calls", 0) + 1

    setattr(module, name, wrapper)


def _call(callback: Callable[..., Any], **known: Any) -> Any:
    """Call a callback by parameter name; a parameter added later (a new State) gets None."""
    return callback(**{name: known.get(name) for name in inspect.signature(callback).parameters})


def filter_change(tree: Path, cache: Path, n_states: int) -> dict[str, Any]:
    """Runboard's two callbacks per filter state, timed in process, then the peer's mask + dump."""
    import plotly.utils
    from dash import no_update

    from dashboard.callbacks import view_cache
    from dashboard.callbacks.runs_grid import serve_rows
    from dashboard.callbacks.runs_page import show_view
    from dashboard.settings import Settings
    from dashboard.webapp import create_app

    settings = Settings(results_dirs=[tree], cache_dir=cache, refresh_seconds=3600)
    app = create_app(settings, start_scanner=False)
    context = app.server.extensions["runboard"]
    started = time.perf_counter()
    snapshot = context.scanner.scan_now()
    scan_seconds = time.perf_counter() - started
    frame = snapshot.runs.drop(columns=["_series"], errors="ignore")
    totals: dict[str, float] = {}
    _timed_calls(view_cache, "compute_view", totals)
    _timed_calls(view_cache, "build_facets", totals)
    states = [WARM_UP_STATE, *FILTER_STATES[:n_states]]
    out: list[dict[str, Any]] = []
    with app.server.test_request_context():
        for label, filters, sort in states:
            search = search_for(filters, sort)
            sort_model = [{"colId": c, "sort": s} for c, s in sort]
            request = {"startRow": 0, "endRow": BLOCK, "sortModel": sort_model}
            totals.clear()
            t0 = time.perf_counter()
            view = _call(show_view, search=search, version=snapshot.version, pathname="/",
                         last_written=search, shown_count=len(snapshot.runs))  # fmt: skip
            t1 = time.perf_counter()
            rows, *_ = _call(serve_rows, request=request, search=search)
            t2 = time.perf_counter()
            shown = [v for v in view if v is not no_update]
            view_bytes = len(json.dumps(shown, cls=plotly.utils.PlotlyJSONEncoder))
            p0 = time.perf_counter()
            peer_rows, peer_bytes = peer_filter(frame, filters, sort)
            peer_seconds = time.perf_counter() - p0
            out.append(
                {
                    "label": label,
                    "show_view": t1 - t0,
                    "serve_rows": t2 - t1,
                    "total": t2 - t0,
                    "compute_view": totals.get("compute_view", 0.0),
                    "build_facets": totals.get("build_facets", 0.0),
                    "compute_calls": int(totals.get("compute_view calls", 0)),
                    "rows": rows["rowCount"],
                    "rows_bytes": len(json.dumps(rows)),
                    "view_bytes": view_bytes,
                    "peer": peer_seconds,
                    "peer_rows": peer_rows,
                    "peer_bytes": peer_bytes,
                }
            )
    context.store.close()
    return {"scan": scan_seconds, "runs": len(snapshot.runs), "states": out[1:], "warm_up": out[0]}


# ------------------------------------------------------------------------------------ servers


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, runs: int | None) -> None:
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body = response.read()
                if runs is None or json.loads(body).get("runs") == runs:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server not ready at {url}: {log.read_text()[-2000:]}")


def start_runboard(tree: Path, cache: Path, log: Path, runs: int) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    args = [sys.executable, str(REPO / "app.py"), "--host", "127.0.0.1", "--port", str(port)]
    args += ["--cache-dir", str(cache), "--refresh-seconds", "3600", "--results-dir", str(tree)]
    process = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{url}/healthz", process, log, runs)
    except BaseException:
        stop(process)
        raise
    return url, process


def start_peer(tree: Path, cache: Path, log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    args = [sys.executable, __file__, "--peer-server", str(port), "--tree", str(tree), "--cache", str(cache)]
    process = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{url}/ready", process, log, None)
    except BaseException:
        stop(process)
        raise
    return url, process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# ------------------------------------------------------------------------------------ navigation


def _label(response: Any) -> str:
    """A response as a short name: the path, or for a callback its first output (+ how many more)."""
    path = response.url.split("//", 1)[-1].split("/", 1)[-1].split("?")[0]
    if path.endswith("_dash-update-component"):
        try:
            output = json.loads(response.request.post_data or "{}").get("output", "")
        except ValueError:
            output = ""
        parts = [p for p in re.split(r"\.\.\.?", re.sub(r"@[0-9a-f]{16,}", "", output).strip(".")) if p]
        return f"callback {parts[0] if parts else '?'}" + (f" (+{len(parts) - 1})" if len(parts) > 1 else "")
    return "/" + path


def _body_size(response: Any) -> int:
    """Bytes of the body as received (Chromium's count: bodies over ~10 MB are not kept to ``body()``)."""
    try:
        size = int(response.request.sizes()["responseBodySize"])
    except Exception:
        size = -1
    if size <= 0:
        try:
            size = len(response.body())
        except Exception:
            size = 0
    return size


def navigate(browser: Any, url: str) -> dict[str, Any]:
    """One navigation in a fresh context: seconds to a named grid row, then what was transferred."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        responses: list[Any] = []
        page.on("response", lambda response: responses.append(response))
        epoch0 = time.time() * 1000
        t0 = time.perf_counter()
        page.goto(url, timeout=120_000)
        page.wait_for_function(READY_JS, timeout=120_000, polling="raf")
        seconds = time.perf_counter() - t0
        with contextlib.suppress(Exception):  # a request still running after 15 s: count what finished
            page.wait_for_load_state("networkidle", timeout=15_000)
        timeline = []
        for response in responses:
            size = _body_size(response)
            timing = response.request.timing
            start = timing["startTime"] - epoch0
            timeline.append(
                {
                    "what": _label(response),
                    "start": start,
                    "wait": max(timing["responseStart"] - timing["requestStart"], 0.0),
                    "end": start + timing["responseEnd"],
                    "bytes": size,
                }
            )
        return {"seconds": seconds, "timeline": timeline, "bytes": sum(t["bytes"] for t in timeline)}
    finally:
        context.close()


def profile_navigation(browser: Any, url: str) -> dict[str, Any]:
    """One extra navigation under Chromium's sampling profiler: main-thread self time per function."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 1000})
        cdp.send("Profiler.start")
        t0 = time.perf_counter()
        page.goto(url, timeout=120_000)
        page.wait_for_function(READY_JS, timeout=120_000, polling="raf")
        seconds = time.perf_counter() - t0
        profile = cdp.send("Profiler.stop")["profile"]
    finally:
        context.close()
    frames = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    self_ms: dict[str, float] = {}
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=False):
        frame = frames[sample]
        source = frame["url"].rsplit("/", 1)[-1].split(".v")[0]
        name = (frame["functionName"] or "(anonymous)") + (f" ({source})" if source else "")
        self_ms[name] = self_ms.get(name, 0.0) + delta / 1000
    return {"seconds": seconds, "self_ms": self_ms}


def navigations(urls: dict[str, str], count: int, budget: float, profile: bool) -> dict[str, Any]:
    """One unmeasured navigation per side, then ``count`` each, alternating, within ``budget`` seconds."""
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {side: {"runs": []} for side in urls}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for side, url in urls.items():
                results[side]["first"] = navigate(browser, url)["seconds"]
            started = time.perf_counter()
            for _ in range(count):
                if time.perf_counter() - started > budget:
                    break
                for side, url in urls.items():
                    results[side]["runs"].append(navigate(browser, url))
            for side, url in urls.items() if profile else ():
                results[side]["profile"] = profile_navigation(browser, url)
        finally:
            browser.close()
    return results


# ------------------------------------------------------------------------------------ tables


def _row(
    label: str, peer: float, runboard: float, fmt: Callable[[float], str], notes: tuple[str, str] = ("", "")
) -> str:
    return f"| {label} | {fmt(peer)}{notes[0]} | {fmt(runboard)}{notes[1]} | {_ratio(peer, runboard)} |"


def navigation_table(nav: dict[str, Any], asked: int) -> str:
    rb, peer = nav["runboard"], nav["peer"]
    done = len(rb["runs"])
    short = f", fewer than the {asked} asked: time budget spent" if done < asked else ""
    (rb_med, rb_p95), (peer_med, peer_p95) = (
        _median_p95([r["seconds"] for r in side["runs"]]) for side in (rb, peer)
    )
    rb_bytes, peer_bytes = (statistics.median(r["bytes"] for r in side["runs"]) for side in (rb, peer))
    rb_big, peer_big = (max(side["runs"][0]["timeline"], key=lambda t: t["bytes"]) for side in (rb, peer))
    big_notes = (f" (`{peer_big['what']}`)", f" (`{rb_big['what']}`)")
    return "\n".join(
        [
            f"Navigation to table visible ({done} navigations per side{short}, fresh browser context each)",
            "",
            "| measurement | naive peer | Runboard | ratio (peer / Runboard) |",
            "| --- | ---: | ---: | ---: |",
            _row("navigation to table visible, median", peer_med, rb_med, _ms),
            _row("navigation to table visible, p95", peer_p95, rb_p95, _ms),
            _row("first navigation after start (unmeasured warm-up)", peer["first"], rb["first"], _ms),
            _row("bytes transferred (response bodies)", peer_bytes, rb_bytes, _size),
            _row("largest single response", peer_big["bytes"], rb_big["bytes"], _size, big_notes),
            f"| responses | {len(peer['runs'][0]['timeline'])} | {len(rb['runs'][0]['timeline'])} | |",
        ]
    )


def timeline_table(side: str, runs: list[dict[str, Any]], min_bytes: int = 20_000) -> str:
    """The navigation closest to the median: each response's start, server wait and end, from goto."""
    median = statistics.median(r["seconds"] for r in runs)
    run = min(runs, key=lambda r: abs(r["seconds"] - median))
    lines = [
        f"{side}: the navigation nearest the median ({_ms(run['seconds'])} to a named row); responses of "
        f"{min_bytes // 1000} kB or more and every callback, times from `goto`",
        "",
        "| response | starts | server wait | ends | bytes |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    shown = [t for t in run["timeline"] if t["bytes"] >= min_bytes or t["what"].startswith("callback")]
    for t in sorted(shown, key=lambda t: t["start"]):
        lines.append(f"| `{t['what']}` | {t['start']:,.0f} ms | {t['wait']:,.0f} ms | {t['end']:,.0f} ms | "
                     f"{_size(t['bytes'])} |")  # fmt: skip
    last = max(t["end"] for t in run["timeline"] if t["start"] < run["seconds"] * 1000)
    lines.append(f"| (last response before the row showed ends; then the row shows) | | | {last:,.0f} ms → "
                 f"{run['seconds'] * 1000:,.0f} ms | |")  # fmt: skip
    return "\n".join(lines)


def profile_table(nav: dict[str, Any], top: int = 8) -> str:
    lines = [
        "Browser main thread, one profiled navigation per side (sampling profiler, self time per function)",
        "",
        "| side | navigation | sampled | top functions by self time |",
        "| --- | ---: | ---: | --- |",
    ]
    for side, label in (("runboard", "Runboard"), ("peer", "naive peer")):
        prof = nav[side]["profile"]
        ranked = sorted(prof["self_ms"].items(), key=lambda kv: -kv[1])[:top]
        names = "; ".join(f"`{name}` {ms:,.0f} ms" for name, ms in ranked)
        total = sum(prof["self_ms"].values())
        lines.append(f"| {label} | {_ms(prof['seconds'])} | {total:,.0f} ms | {names} |")
    return "\n".join(lines)


def filter_tables(fc: dict[str, Any]) -> str:
    states = fc["states"]
    med = {k: _median_p95([s[k] for s in states]) for k in ("total", "peer", "show_view", "serve_rows")}
    size = {k: statistics.median(s[k] for s in states) for k in ("rows_bytes", "view_bytes", "peer_bytes")}
    rb_bytes = size["rows_bytes"] + size["view_bytes"]
    lines = [
        f"Server time of a filter change ({len(states)} different filter states, each a cold view; "
        f"in process, scan of {fc['runs']:,} runs took {_ms(fc['scan'])})",
        "",
        "| measurement | naive peer | Runboard | ratio (peer / Runboard) |",
        "| --- | ---: | ---: | ---: |",
        f"| server time, median | {_ms(med['peer'][0])} | {_ms(med['total'][0])} | "
        f"{_ratio(med['peer'][0], med['total'][0])} |",
        f"| server time, p95 | {_ms(med['peer'][1])} | {_ms(med['total'][1])} | "
        f"{_ratio(med['peer'][1], med['total'][1])} |",
        f"| response bytes, median | {_size(size['peer_bytes'])} | {_size(rb_bytes)} "
        f"({_size(size['view_bytes'])} `show_view` + {_size(size['rows_bytes'])} `serve_rows`) | "
        f"{_ratio(size['peer_bytes'], rb_bytes)} |",
        f"| Runboard `show_view` / `serve_rows`, median | | {_ms(med['show_view'][0])} / "
        f"{_ms(med['serve_rows'][0])} | |",
        "",
        "| filter state | rows (Runboard / peer) | Runboard | of which filter+sort (calls) / facets | peer |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for s in states:
        rows = f"{s['rows']:,}" + ("" if s["rows"] == s["peer_rows"] else f" / {s['peer_rows']:,} (differs)")
        lines.append(f"| {s['label']} | {rows} | {_ms(s['total'])} | {_ms(s['compute_view'])} "
                     f"({s['compute_calls']}) / {_ms(s['build_facets'])} | {_ms(s['peer'])} |")  # fmt: skip
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ driver


def run(args: argparse.Namespace, tree_dir: Path) -> None:
    tree, generated = ensure_tree(tree_dir, args.runs, args.seed)
    made = f"generated in {generated:.1f}s" if generated is not None else "reused"
    print(f"<!-- tree {tree} ({made}) -->", flush=True)
    work = Path(tempfile.mkdtemp(prefix="bench-page-", dir=tree_dir))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        cache = work / "cache"
        fc = filter_change(tree, cache, args.filters)
        rb_url, rb_process = start_runboard(tree, cache, work / "runboard.log", fc["runs"])
        processes.append(rb_process)
        peer_url, peer_process = start_peer(tree, cache, work / "peer.log")
        processes.append(peer_process)
        urls = {"runboard": rb_url + "/", "peer": peer_url + "/"}
        nav = navigations(urls, args.navigations, args.budget, args.profile)
        print(navigation_table(nav, args.navigations) + "\n")
        print(timeline_table("Runboard", nav["runboard"]["runs"]) + "\n")
        print(timeline_table("Naive peer", nav["peer"]["runs"]) + "\n")
        if args.profile:
            print(profile_table(nav) + "\n")
        print(filter_tables(fc) + "\n", flush=True)
    finally:
        for process in processes:
            stop(process)
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--tree-dir", type=Path, help="where trees are generated and kept for reuse")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--navigations", type=int, default=20, help="measured navigations per side")
    parser.add_argument("--filters", type=int, default=len(FILTER_STATES), help="filter states timed")
    parser.add_argument("--budget", type=float, default=180.0, help="seconds for the navigations")
    parser.add_argument("--profile", action="store_true", help="profile one more navigation per side")
    parser.add_argument("--peer-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer_server:
        peer_server(args.tree, args.cache, args.peer_server)
        return 0
    temporary = args.tree_dir is None
    tree_dir = Path(tempfile.mkdtemp(prefix="runboard-bench-")) if temporary else args.tree_dir
    tree_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        print(f"# Runs page benchmark ({args.runs:,} runs, {os.cpu_count()} CPUs, "
              f"Python {sys.version.split()[0]})\n", flush=True)  # fmt: skip
        print(f"<!-- load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())} -->", flush=True)
        run(args, tree_dir)
    finally:
        if temporary:
            shutil.rmtree(tree_dir, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"<!-- whole benchmark: {time.perf_counter() - started:.0f} s; load average after: {load} -->")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
