"""A bounded load test: gunicorn workers on loopback, simulated users filtering, sorting, selecting,
comparing and exporting for a fixed time.

Usage::

    python benchmarks/load.py [--runs 10000] [--workers 4] [--users 50] [--duration 60] [--tree-dir DIR]

Starts ``gunicorn -c gunicorn.conf.py app:server`` bound to 127.0.0.1 over a generated tree
(``generate.py``'s default profile, kept in ``--tree-dir``), with the normal 30 s refresh so the
scanning worker rescans during the test. Each simulated user is a thread that repeats, until the
time is up, one of five actions with the requests a browser sends for it (Dash callback POSTs
built from ``/_dash-dependencies``), then pauses 1–5 s as a person reading the result would
(``--think-min 0 --think-max 0`` saturates the server instead):

- filter: a new filter in the URL → the runs page's view callback, the compare panel, the first row block;
- sort: the same with a sort on a metric column (the grid's block request carries the sort model);
- select: tick runs → the selection callback, then the view, compare panel and row block for the new URL;
- compare: open ``/compare`` for 2–5 runs → the page route and its summary;
- export: the CSV download of the filtered view.

A request that fails to connect, times out (30 s), or answers other than 200/204 (204 is Dash's
"nothing to update") is an error. Prints requests, errors, and p50/p95/max latency per action as
Markdown, and exits 1 if any request failed. Nothing leaves the machine: the server binds to loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_scan import ensure_tree  # noqa: E402

TIMEOUT = 30.0


class Client:
    """Builds Dash callback requests from the app's own dependency list, so it follows the app's wiring."""

    def __init__(self, url: str) -> None:
        self.url = url
        with urllib.request.urlopen(f"{url}/_dash-dependencies", timeout=TIMEOUT) as response:
            self.deps: list[dict[str, Any]] = json.loads(response.read())

    def find(self, output_part: str) -> dict[str, Any]:
        for dep in self.deps:
            if output_part in dep["output"] and not dep.get("clientside_function"):
                return dep
        raise KeyError(f"no callback writes {output_part}")

    @staticmethod
    def _outputs(dep: dict[str, Any]) -> Any:
        text = dep["output"]
        parts = text[2:-2].split("...") if text.startswith("..") else [text]
        outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in parts]
        return outputs if text.startswith("..") else outputs[0]

    @staticmethod
    def _args(specs: list[dict[str, Any]], values: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        for spec in specs:
            if isinstance(spec["id"], str):
                key = f"{spec['id']}.{spec['property']}"
                out.append({"id": spec["id"], "property": spec["property"], "value": values.get(key)})
            else:  # pattern-matching (ALL) inputs: none on the page in this simulation
                out.append([])
        return out

    def call(self, output_part: str, values: dict[str, Any], changed: list[str]) -> tuple[int, bytes]:
        dep = self.find(output_part)
        body = {
            "output": dep["output"],
            "outputs": self._outputs(dep),
            "inputs": self._args(dep["inputs"], values),
            "state": self._args(dep["state"], values),
            "changedPropIds": changed,
        }
        request = urllib.request.Request(
            f"{self.url}/_dash-update-component",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


def query(view: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    parts = {
        k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":")) for k, v in view.items() if v
    }
    return "?" + urlencode(parts) if parts else ""


class User:
    def __init__(self, client: Client, facts: dict[str, Any], seed: int) -> None:
        self.client = client
        self.facts = facts
        self.random = random.Random(seed)

    def _filters(self) -> dict[str, Any]:
        column, values = self.random.choice(self.facts["choices"])
        return {"choice": {column: self.random.sample(values, k=min(len(values), self.random.randint(1, 2)))}}

    def _page(self, search: str, sort: list[dict[str, str]]) -> list[tuple[int, bytes]]:
        values = {"url.search": search, "url.pathname": "/", "last-written-query.data": search}
        out = [self.client.call("..showing.children", values, ["url.search"])]
        out.append(self.client.call("..compare-panel.children", values, ["url.search"]))
        rows = {"startRow": 0, "endRow": 100, "sortModel": sort, "filterModel": {}}
        out.append(
            self.client.call(
                "..runs-table.getRowsResponse", {**values, "runs-table.getRowsRequest": rows}, []
            )
        )
        return out

    def filter(self) -> list[tuple[int, bytes]]:
        return self._page(query({"f": self._filters()}), [])

    def sort(self) -> list[tuple[int, bytes]]:
        column = self.random.choice(self.facts["metrics"])
        direction = self.random.choice(["asc", "desc"])
        view = {"f": self._filters(), "sort": [[column, direction]]}
        return self._page(query(view), [{"colId": column, "sort": direction}])

    def _some_runs(self) -> list[str]:
        return self.random.sample(self.facts["run_ids"], k=self.random.randint(2, 5))

    def select(self) -> list[tuple[int, bytes]]:
        """Tick one more run beside up to three ticked before (the tick's own callback, then the page)."""
        before = self._some_runs()[: self.random.randint(0, 3)]
        ticked = self.random.choice([r for r in self.facts["run_ids"] if r not in before])
        values = {
            "runs-table.cellRendererData": {"value": {"run_id": ticked, "selected": True}},
            "url.search": query({"sel": before}),
        }
        out = [self.client.call("selection-message.children", values, ["runs-table.cellRendererData"])]
        return out + self._page(query({"sel": [*before, ticked]}), [])

    def compare(self) -> list[tuple[int, bytes]]:
        search = query({"sel": self._some_runs()})
        values = {"url.pathname": "/compare", "url.search": search}
        out = [self.client.call("page.children", values, ["url.pathname"])]
        out.append(self.client.call("..compare-summary.children", values, ["url.search"]))
        return out

    def export(self) -> list[tuple[int, bytes]]:
        values = {"export-csv.n_clicks": 1, "url.search": query({"f": self._filters()})}
        return [self.client.call("download.data", values, ["export-csv.n_clicks"])]


ACTIONS = ("filter", "sort", "select", "compare", "export")


def discover(client: Client) -> dict[str, Any]:
    """Run ids, metric columns and low-cardinality params from the first row blocks."""
    request = {"startRow": 0, "endRow": 1000, "sortModel": [], "filterModel": {}}
    status, body = client.call("..runs-table.getRowsResponse", {"runs-table.getRowsRequest": request}, [])
    if status != 200:
        raise RuntimeError(f"first row block answered {status}: {body[:300]!r}")
    rows = next(v for v in json.loads(body)["response"].values() if "getRowsResponse" in v)[
        "getRowsResponse"
    ]["rowData"]
    params: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for key, value in row.items():
            if (
                key.startswith("params.")
                and isinstance(value, (str, int, float))
                and not isinstance(value, bool)
            ):
                params[key].add(str(value))
    choices = [(k, sorted(v)) for k, v in params.items() if 2 <= len(v) <= 12]
    metrics = sorted({k for row in rows for k in row if k.startswith("metrics.")})
    return {"run_ids": [row["run_id"] for row in rows], "choices": choices, "metrics": metrics}


def run_load(url: str, users: int, duration: float, think: tuple[float, float]) -> dict[str, Any]:
    client = Client(url)
    facts = discover(client)
    if not facts["choices"] or not facts["metrics"]:
        raise RuntimeError("the tree has no params to filter on or no metrics to sort by")
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    requests = [0]
    lock = threading.Lock()
    deadline = time.time() + duration

    def user_loop(seed: int) -> None:
        user = User(client, facts, seed)
        while time.time() < deadline:
            action = user.random.choice(ACTIONS)
            started = time.perf_counter()
            try:
                answers = getattr(user, action)()
                failed = [f"{action}: HTTP {s} {b[:200]!r}" for s, b in answers if s not in (200, 204)]
                count = len(answers)
            except Exception as exc:  # a refused or timed-out connection is an error, not a crash
                failed, count = [f"{action}: {type(exc).__name__}: {exc}"], 1
            elapsed = time.perf_counter() - started
            with lock:
                latencies[action].append(elapsed)
                errors.extend(failed)
                requests[0] += count
            pause = user.random.uniform(*think)
            if pause and time.time() + pause < deadline:
                time.sleep(pause)  # a person reads what they asked for before the next action

    started = time.time()
    with ThreadPoolExecutor(users) as pool:
        list(pool.map(user_loop, range(users)))
    return {
        "latencies": latencies,
        "errors": errors,
        "requests": requests[0],
        "seconds": time.time() - started,
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(result: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        f"{args.users} users (pausing {args.think_min:g}–{args.think_max:g} s between actions), "
        f"{args.workers} workers × {args.threads} threads, {args.runs:,} runs, "
        f"{result['seconds']:.0f} s: {result['requests']:,} requests "
        f"({result['requests'] / result['seconds']:.0f}/s), {len(result['errors'])} errors",
        "",
        "| action | done | p50 ms | p95 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    every: list[float] = []
    for action in ACTIONS:
        values = result["latencies"].get(action, [])
        every += values
        if values:
            lines.append(
                f"| {action} | {len(values)} | {1000 * statistics.median(values):.0f} | "
                f"{1000 * percentile(values, 0.95):.0f} | {1000 * max(values):.0f} |"
            )
    if every:
        lines.append(
            f"| all | {len(every)} | {1000 * statistics.median(every):.0f} | "
            f"{1000 * percentile(every, 0.95):.0f} | {1000 * max(every):.0f} |"
        )
    for error in result["errors"][:10]:
        lines.append(f"- error: {error}")
    return "\n".join(lines)


def start_gunicorn(root: Path, cache: Path, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RUNBOARD_RESULTS_DIRS": str(root),
        "RUNBOARD_CACHE_DIR": str(cache),
        "RUNBOARD_BIND": f"127.0.0.1:{port}",
        "RUNBOARD_WORKERS": str(workers),
        "RUNBOARD_THREADS": str(threads),
    }
    args = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"]
    return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(
    url: str, runs: int, workers: int, process: subprocess.Popen[bytes], timeout: float = 600
) -> None:
    """Until every worker (asked many times at once) serves a finished scan of ``runs`` runs."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} (is the port taken?)")
        try:
            with ThreadPoolExecutor(16) as pool:
                answers = list(pool.map(lambda _: _health(url), range(64)))
            ready = {a["worker_pid"] for a in answers if a["runs"] >= runs and a["status"] == "ok"}
            if len(ready) >= workers:
                return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError("gunicorn did not become ready")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _health(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--tree-dir", type=Path, default=Path(tempfile.gettempdir()) / "runboard-bench")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--think-min", type=float, default=1.0, help="seconds a user pauses between actions")
    parser.add_argument("--think-max", type=float, default=5.0)
    args = parser.parse_args(argv)
    root, _generated = ensure_tree(args.tree_dir, args.runs, seed=0)
    args.port = args.port or free_port()
    with tempfile.TemporaryDirectory(prefix="runboard-load-cache-") as cache:
        process = start_gunicorn(root, Path(cache) / "cache", args.port, args.workers, args.threads)
        try:
            url = f"http://127.0.0.1:{args.port}"
            wait_ready(url, args.runs, args.workers, process)
            result = run_load(url, args.users, args.duration, (args.think_min, args.think_max))
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    print(report(result, args))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
