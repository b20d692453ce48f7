"""Real headless Chromium (Debian's package) driving a real Runboard server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import PROJECT

CHROMIUM = os.environ.get("RUNBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_server(roots: list[Path], cache: Path, log: Path, refresh_seconds: float = 30) -> Server:
    port = free_port()
    args = [sys.executable, str(PROJECT / "app.py"), "--port", str(port), "--cache-dir", str(cache)]
    args += ["--refresh-seconds", str(refresh_seconds)]
    for root in roots:
        args += ["--results-dir", str(root)]
    handle = log.open("wb")
    process = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, cwd=PROJECT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return Server(url=url, process=process, log=log)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not start: {log.read_text()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; scripts/test.sh installs it")
        pytest.skip("Chromium not installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@dataclass
class PageWatch:
    """What a page did besides rendering: console errors, failed and foreign requests."""

    errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)


@pytest.fixture
def open_page(browser):  # type: ignore[no-untyped-def]
    contexts = []

    def _open(url: str, width: int = 1440, height: int = 900):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch()
        page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: watch.errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                else watch.foreign_requests.append(r.url)
            ),
        )
        page.goto(url)
        return page, watch

    yield _open
    for context in contexts:
        context.close()


GRID_NAMES_JS = """
() => {
    const rows = [...document.querySelectorAll('#runs-table .ag-pinned-left-cols-container .ag-row')];
    if (!rows.length || document.querySelector('#runs-table .ag-loading')) return null;
    const named = rows.map(r => [Number(r.getAttribute('row-index')), (r.querySelector("[col-id='name']") || {}).innerText || '']);
    if (named.some(([, name]) => !name)) return null;
    return named.sort((a, b) => a[0] - b[0]).map(([, name]) => name);
}
"""


def grid_names(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Names of the rows the runs grid shows, top to bottom, once no block is loading."""
    page.wait_for_timeout(300)
    return list(page.wait_for_function(GRID_NAMES_JS, timeout=15000).json_value())


def wait_grid_names(page, expected: list[str], timeout: float = 15000) -> None:  # type: ignore[no-untyped-def]
    """Wait until the grid shows exactly ``expected``, top to bottom (blocks load asynchronously)."""
    wanted = json.dumps(json.dumps(expected, separators=(",", ":")))  # JSON.stringify has no spaces
    script = f"() => {{ const names = ({GRID_NAMES_JS})(); return JSON.stringify(names) === {wanted}; }}"
    try:
        page.wait_for_function(script, timeout=timeout)
    except Exception:
        assert grid_names(page) == expected  # the assertion shows what the grid has instead
        raise
