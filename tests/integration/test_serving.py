"""Fault drills against a real gunicorn with several workers over one cache.

What a lab server meets: one worker scans and every worker serves its snapshot; the scanning
worker is killed mid-request and another takes over; the cache folder is deleted or corrupted
while serving; a root vanishes and comes back; a results file is caught half-written; 10,000
runs appear at once.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks.load import Client
from tests.browser.conftest import free_port
from tests.fixtures.trees import age_tree, seed_metrics, write_seed_run

PROJECT = Path(__file__).resolve().parents[2]
WORKERS = 3


@dataclass
class Gunicorn:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    cache: Path


def get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def health(server: Gunicorn) -> dict[str, Any]:
    _status, body = get(f"{server.url}/healthz")
    result: dict[str, Any] = json.loads(body)
    return result


def healths(server: Gunicorn, n: int = 40) -> list[dict[str, Any]]:
    """Many answers asked at once (one at a time, one worker would take them all)."""
    with ThreadPoolExecutor(24) as pool:
        return list(pool.map(lambda _: health(server), range(n)))


def every_worker(server: Gunicorn, timeout: float = 30) -> list[dict[str, Any]]:
    """The latest answer of each of the ``WORKERS`` workers, asking in bursts until all have answered."""
    latest: dict[int, dict[str, Any]] = {}
    deadline = time.time() + timeout
    while len(latest) < WORKERS and time.time() < deadline:
        for answer in healths(server, 96):
            latest[answer["worker_pid"]] = answer
    assert len(latest) == WORKERS, f"only workers {sorted(latest)} answered"
    return list(latest.values())


def wait_for(check: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def all_workers_report(server: Gunicorn, runs: int) -> bool:
    return all(a["runs"] == runs and a["status"] == "ok" for a in every_worker(server))


def scanner_of(answer: dict[str, Any]) -> int:
    return int(answer["worker_pid"] if answer["scanner"] == "this worker" else answer["scanner"].split()[-1])


def scanner_pid(server: Gunicorn) -> int:
    return scanner_of(health(server))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    for step in (1000, 2000, 3000):
        write_seed_run(root, "exp", step, metrics=seed_metrics(sblimp=0.5 + step / 1e5))
    age_tree(root)
    return root


@pytest.fixture
def server(tree: Path, tmp_path: Path) -> Iterator[Gunicorn]:
    port = free_port()
    cache = tmp_path / "cache"
    env = {
        **os.environ,
        "RUNBOARD_RESULTS_DIRS": str(tree),
        "RUNBOARD_CACHE_DIR": str(cache),
        "RUNBOARD_REFRESH_SECONDS": "1",
        "RUNBOARD_BIND": f"127.0.0.1:{port}",
        "RUNBOARD_WORKERS": str(WORKERS),
    }
    log = tmp_path / "gunicorn.log"
    args = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"]
    process = subprocess.Popen(args, cwd=PROJECT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    server = Gunicorn(f"http://127.0.0.1:{port}", process, log, cache)
    try:
        wait_for(lambda: _up(server), 60, "gunicorn to answer")
        wait_for(lambda: all_workers_report(server, 3), 60, "every worker to serve the first scan")
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _up(server: Gunicorn) -> bool:
    if server.process.poll() is not None:
        raise AssertionError(f"gunicorn exited: {server.log.read_text()}")
    try:
        return get(f"{server.url}/healthz", timeout=2)[0] == 200
    except OSError:
        return False


def test_one_worker_scans_and_every_worker_serves_the_same_runs(server: Gunicorn, tree: Path) -> None:
    answers = every_worker(server)
    assert len({scanner_of(a) for a in answers}) == 1  # every worker names the same scanning worker
    assert sum(a["scanner"] == "this worker" for a in answers) == 1
    write_seed_run(tree, "exp", 4000)
    wait_for(lambda: all_workers_report(server, 4), 30, "every worker to show the new run")
    # The same rows from every worker: the grid's first block, asked many times at once.
    client = Client(server.url)
    request = {
        "runs-table.getRowsRequest": {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}
    }
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: client.call("..runs-table.getRowsResponse", request, []), range(32))
        )
    bodies = {json.dumps(rows_of(body), sort_keys=True) for status, body in answers if status == 200}
    assert len(answers) == 32 and all(status == 200 for status, _ in answers)
    assert len(bodies) == 1
    assert len(json.loads(bodies.pop())) == 4
    # Followers catch up within a second of each published scan (a just-written file is read twice).
    wait_for(
        lambda: len({a["version"] for a in every_worker(server)}) == 1, 15, "every worker on one version"
    )


def rows_of(body: bytes) -> list[dict[str, Any]]:
    response = json.loads(body)["response"]
    rows: list[dict[str, Any]] = next(v for v in response.values() if "getRowsResponse" in v)[
        "getRowsResponse"
    ]["rowData"]
    return rows


def test_killing_the_scanning_worker_mid_request_loses_nothing(server: Gunicorn, tree: Path) -> None:
    victim = scanner_pid(server)
    outcomes: list[tuple[float, bool]] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                status, _body = get(f"{server.url}/_dash-layout", timeout=10)
                outcomes.append((time.time(), status == 200))
            except (OSError, http.client.HTTPException):  # a connection the killed worker held
                outcomes.append((time.time(), False))

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    killed_at = time.time()
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: scanner_pid(server) != victim, 30, "another worker to take over scanning")
    write_seed_run(tree, "exp", 5000)
    wait_for(lambda: all_workers_report(server, 4), 30, "the new scanner to find a new run")
    time.sleep(1.0)
    stop.set()
    for thread in threads:
        thread.join()
    failed = [t for t, ok in outcomes if not ok]
    # Only requests the killed worker held can fail (at most one per client thread); the rest succeed.
    assert len(failed) <= len(threads)
    assert all(t - killed_at < 2.0 for t in failed)
    assert sum(ok for t, ok in outcomes if t > killed_at + 2.0) > 20


def test_cache_folder_deleted_while_serving(server: Gunicorn, tree: Path) -> None:
    shutil.rmtree(server.cache)
    time.sleep(2.5)
    assert all_workers_report(server, 3)
    write_seed_run(tree, "exp", 4000)
    wait_for(lambda: all_workers_report(server, 4), 30, "the new run after the cache was deleted")
    assert (server.cache / "index" / "cache.db").exists()
    assert server.cache.stat().st_mode & 0o777 == 0o700
    assert len({scanner_of(a) for a in every_worker(server)}) == 1  # still one scanner


def test_cache_corrupted_while_serving(server: Gunicorn, tree: Path) -> None:
    database = server.cache / "index" / "cache.db"
    database.write_bytes(b"\x00garbage" * 4096)
    write_seed_run(tree, "exp", 4000)
    wait_for(lambda: all_workers_report(server, 4), 40, "the new run after the cache was corrupted")
    assert all(a["status"] == "ok" for a in every_worker(server))


def test_root_gone_then_back(server: Gunicorn, tree: Path) -> None:
    aside = tree.with_name("results-aside")
    tree.rename(aside)
    try:
        wait_for(
            lambda: all(a["problems"] == 1 and a["runs"] == 3 for a in every_worker(server)),
            30,
            "a problem for the missing root (its runs kept)",
        )
    finally:
        aside.rename(tree)
    wait_for(lambda: all(a["problems"] == 0 for a in every_worker(server)), 30, "recovery")


def test_half_written_file_is_a_problem_then_read(server: Gunicorn, tree: Path) -> None:
    folder = tree / "late" / "checkpoints" / "checkpoint_001000" / "consolidated"
    write_seed_run(tree, "late", 1000)
    results = folder / "paper_metrics_results.json"
    full = results.read_text()
    results.write_text(full[: len(full) // 2])
    wait_for(
        lambda: all(a["problems"] == 1 for a in every_worker(server)),
        30,
        "the half-written file as a problem",
    )
    results.write_text(full)
    wait_for(
        lambda: all_workers_report(server, 4) and health(server)["problems"] == 0, 30, "the completed file"
    )


def test_ten_thousand_runs_appearing_at_once(server: Gunicorn, tmp_path: Path, tree: Path) -> None:
    from benchmarks.generate import generate

    staging = tmp_path / "staging"
    generate(10_000, staging, seed=7)
    started = time.time()
    staging.rename(tree / "burst")
    wait_for(lambda: health(server)["runs"] >= 10_003, 180, "10,000 new runs")
    wait_for(lambda: all_workers_report(server, health(server)["runs"]), 60, "every worker to serve them")
    print(f"10,000 new runs served by every worker {time.time() - started:.1f} s after they appeared")
    answers = every_worker(server)
    assert {a["runs"] for a in answers} == {10_003} and len({scanner_of(a) for a in answers}) == 1
    assert get(f"{server.url}/_dash-layout", timeout=30)[0] == 200
