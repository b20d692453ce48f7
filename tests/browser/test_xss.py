"""Hostile result folders in real headless Chromium: names, params, metrics and paths holding HTML/JS
stay inert text on every page; the CSP holds with zero violations; client paths are never read;
exports neutralise spreadsheet formulas.

The XSS checks run with the CSP bypassed (Playwright's ``bypass_csp``), so they test the rendering
itself; the CSP is a second line, tested on its own.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import pytest

from dashboard.analysis.curves import WEBGL_POINTS
from tests.browser.conftest import Server, grid_names, start_server, stop_server
from tests.fixtures.trees import age_tree, seed_config, seed_metrics, write_seed_run

pytestmark = pytest.mark.browser

IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=1</script>"
SVG = '"><svg onload=window.__xss=1>'
JS = "javascript:window.__xss=1"
FORMULA = "=cmd|' /C calc'!A0"
FORMULA_DIR = "=cmd|' -C calc'!A0"  # a folder name cannot hold the '/'

SEED_IMG = f"{IMG}/checkpoints/checkpoint_001000/consolidated"
SEED_FORMULA = f"{FORMULA_DIR}/checkpoints/checkpoint_002000/consolidated"
HF_JS, HF_SVG = f"hf/{JS}", f"hf/{SVG}"
NAMES = {f"{IMG} @ 1000", f"{FORMULA_DIR} @ 2000", SVG, JS, "long_curve"}
SECRET = "RUNBOARD-SECRET-7f3a"


def hf_run(folder: Path, value: str, offset: float) -> None:
    """A Trainer run whose curves, metric names and config are hostile."""
    folder.mkdir(parents=True)
    history: list[dict[str, Any]] = [
        {"epoch": s / 100, "loss": 2 - s / 100, SVG: s / 1000 + offset, "step": s} for s in range(10, 101, 10)
    ]
    history.append({"eval_loss": 1.2 + offset, "step": 100})
    (folder / "trainer_state.json").write_text(
        json.dumps({"global_step": 100, "max_steps": 100, "log_history": history})
    )
    (folder / "config.json").write_text(json.dumps({SCRIPT: value, "note": JS, IMG: FORMULA + value}))


def write_hostile_lab(root: Path) -> None:
    write_seed_run(
        root,
        IMG,
        1000,
        config={**seed_config(), SCRIPT: SVG, "note": JS, "formula": FORMULA},
        metrics={**seed_metrics(), SVG: 0.5},
    )
    write_seed_run(
        root,
        FORMULA_DIR,
        2000,
        config={**seed_config(lora=True), SCRIPT: IMG, "note": SCRIPT, "formula": "+" + IMG},
        metrics={**seed_metrics(), SVG: 0.6},
    )
    hf_run(root / "hf" / JS, IMG, 0.0)
    hf_run(root / "hf" / SVG, SCRIPT, 0.1)
    long = root / "long_curve"  # past WEBGL_POINTS: drawn with WebGL, which the CSP must allow
    long.mkdir()
    history = [{"loss": 2 - s / 10_000, "step": s} for s in range(1, WEBGL_POINTS + 1001)]
    (long / "trainer_state.json").write_text(
        json.dumps({"global_step": WEBGL_POINTS + 1000, "log_history": history})
    )
    bad = root / SVG / "checkpoints" / "checkpoint_000100" / "consolidated"  # a problem with a hostile path
    bad.mkdir(parents=True)
    (bad / "training_config.json").write_text(json.dumps(seed_config()))
    (bad / "paper_metrics_results.json").write_text('{"sblimp_accuracy": 0.5,')
    age_tree(root)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("xss")
    write_hostile_lab(base / "lab")
    (base / "secret.txt").write_text(SECRET)  # beside the root: must never be served
    running = start_server([base / "lab"], base / "cache", base / "server.log")
    yield running
    stop_server(running)


@pytest.fixture
def visit(browser) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """Open a URL with the CSP bypassed; alert/confirm dialogs are recorded (there must be none)."""
    contexts: list[Any] = []
    dialogs: list[str] = []

    def _visit(url: str, bypass_csp: bool = True):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, bypass_csp=bypass_csp)
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        return page

    yield _visit
    for context in contexts:
        context.close()
    assert dialogs == []


CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""

# What an injection would leave behind: an element made from the payload (the page itself has no
# <img>; Plotly and the dropdowns draw <svg>, but none names __xss), an event-handler attribute, a
# script mentioning __xss, a javascript: URL.
INJECTED_JS = """() => ({
    xss: typeof window.__xss,
    img: document.querySelectorAll('img').length,
    elements: [...document.querySelectorAll('svg, script, iframe, object, embed')]
        .filter(el => [...el.attributes].some(a => (a.name + a.value).includes('__xss'))
            || (el.tagName === 'SCRIPT' && el.textContent.includes('__xss')))
        .map(el => el.outerHTML.slice(0, 120)),
    handlers: [...document.querySelectorAll('*')]
        .filter(el => [...el.attributes].some(a => a.name.toLowerCase().startsWith('on')))
        .map(el => el.outerHTML.slice(0, 120)),
    js_urls: [...document.querySelectorAll('[href], [src], [action]')]
        .map(el => el.getAttribute('href') || el.getAttribute('src') || el.getAttribute('action'))
        .filter(u => /^\\s*javascript:/i.test(u)),
})"""


def assert_inert(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(300)  # let an onerror/onload that would fire, fire
    assert page.evaluate(INJECTED_JS) == {
        "xss": "undefined",
        "img": 0,
        "elements": [],
        "handlers": [],
        "js_urls": [],
    }


def body_text(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.inner_text("body"))


def run_url(server: Server, run_id: str) -> str:
    return server.url + "/run/" + "/".join(quote(part, safe="") for part in run_id.split("/"))


def compare_url(server: Server, *run_ids: str) -> str:
    return server.url + "/compare?runs=" + quote(json.dumps(list(run_ids)), safe="")


def test_runs_page_table_tooltips_facets_and_problems_are_text(hostile: Server, visit) -> None:  # type: ignore[no-untyped-def]
    page = visit(hostile.url + "/")
    page.wait_for_selector("#runs-table .ag-pinned-left-cols-container .ag-row")
    assert {n.lstrip("★ ").strip() for n in grid_names(page)} == NAMES
    cell = page.locator("#runs-table .run-link", has_text=JS).first
    cell.hover()
    assert cell.get_attribute("title") == JS
    assert cell.get_attribute("href") == "/run/hf/javascript%3Awindow.__xss%3D1"
    experiments = page.locator("#runs-table .ag-center-cols-container [col-id='experiment']")
    assert IMG in experiments.all_inner_texts()
    panel = page.inner_text("#filter-panel")
    assert SCRIPT in panel and "model." + IMG in panel
    facet = page.locator(".facet").filter(has=page.locator(".facet-label", has_text=SCRIPT)).first
    facet.locator(".Select-control, .dash-dropdown, [role=combobox]").first.click()
    options = page.locator("#filter-panel [role=option]").all_inner_texts()
    assert {IMG, SVG} <= {o.strip() for o in options}
    assert_inert(page)
    page.keyboard.press("Escape")
    page.click("#problem-badge")
    page.wait_for_selector("#problems-panel td")
    assert f"{SVG}/checkpoints/checkpoint_000100/consolidated/paper_metrics_results.json" in page.inner_text(
        "#problems-panel"
    )
    assert_inert(page)


def test_run_page_params_and_charts_are_text(hostile: Server, visit) -> None:  # type: ignore[no-untyped-def]
    page = visit(run_url(hostile, HF_JS))
    page.wait_for_selector(".run-chart .main-svg")
    assert page.text_content(".run-name") == JS
    keys = page.locator(".param-key").all_text_contents()
    assert {"model." + SCRIPT, "model." + IMG, "model.note"} <= set(keys)
    assert IMG in page.locator(".param-value").all_text_contents()
    assert SVG in page.locator("#run-page .chart-title").all_text_contents()  # the hostile metric's chart
    assert_inert(page)
    seed = visit(run_url(hostile, SEED_IMG))
    seed.wait_for_selector("#run-page .run-name")
    assert seed.text_content(".run-name") == f"{IMG} @ 1000"
    assert SCRIPT in seed.locator(".param-key").all_text_contents()
    assert {SVG, JS, FORMULA} <= set(seed.locator(".param-value").all_text_contents())
    assert_inert(seed)


def test_compare_page_diff_charts_legend_and_hover_are_text(hostile: Server, visit) -> None:  # type: ignore[no-untyped-def]
    page = visit(compare_url(hostile, HF_JS, HF_SVG))
    page.wait_for_selector("#hparam-diff .param-key")
    page.wait_for_selector("#compare-panel .js-plotly-plot .main-svg")
    diff = page.inner_text("#hparam-diff")
    assert "model." + SCRIPT in diff and IMG in diff and SCRIPT in diff.replace("model." + SCRIPT, "")
    legends = " ".join(page.locator("#compare-panel .legendtext").all_text_contents())
    assert JS in legends and '"><svg onl…d=window.__xss=1>' in legends  # shortened in the middle
    assert SVG in " ".join(page.locator("#compare-panel .chart-title").all_text_contents())
    for marks in (".bars .point path", ".scatterlayer .points path"):  # a metric's bar, a curve's point
        mark = page.locator(f"#compare-panel .js-plotly-plot {marks}").nth(1)  # the second run's
        mark.scroll_into_view_if_needed()
        box = mark.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector("#compare-panel .hoverlayer .hovertext")
        hover = "".join(page.locator("#compare-panel .hoverlayer").all_text_contents())
        assert hover.startswith(SVG)  # the full name, as text
        assert_inert(page)
        page.mouse.move(0, 0)
        page.wait_for_selector("#compare-panel .hoverlayer .hovertext", state="detached")
    assert_inert(page)


def test_insights_page_is_inert(hostile: Server, visit) -> None:  # type: ignore[no-untyped-def]
    page = visit(hostile.url + "/insights")
    page.wait_for_selector("#insights-page .js-plotly-plot .main-svg")
    page.wait_for_selector("#publication pre")
    assert f"{IMG} @ 1000" in body_text(page)
    assert_inert(page)


def test_no_page_breaks_the_content_security_policy(hostile: Server, visit) -> None:  # type: ignore[no-untyped-def]
    pages = [
        (hostile.url + "/", "#runs-table .ag-row"),
        (run_url(hostile, HF_JS), ".run-chart .main-svg"),
        (run_url(hostile, "long_curve"), ".run-chart .gl-container canvas"),
        (compare_url(hostile, HF_JS, HF_SVG), "#compare-panel .main-svg"),
        (hostile.url + "/insights", "#insights-page .js-plotly-plot .main-svg"),
    ]
    for url, ready in pages:
        page = visit(url, bypass_csp=False)
        page.wait_for_selector(ready)
        page.wait_for_timeout(1000)  # late bundles (plotly, grid) load after first paint
        assert page.evaluate("window.__csp") == [], url


def test_the_policy_stops_an_injected_handler(hostile: Server, visit) -> None:  # type: ignore[no-untyped-def]
    # The second line: were some component ever to write run text as HTML, its handler would not run.
    page = visit(hostile.url + "/", bypass_csp=False)
    page.wait_for_selector("#runs-table .ag-row")
    page.evaluate("html => document.body.insertAdjacentHTML('beforeend', html)", IMG + SVG)
    page.wait_for_function("window.__csp.length >= 2")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert {v.split()[0] for v in page.evaluate("window.__csp")} == {"script-src-attr"}


def raw_get(server: Server, path: str) -> tuple[int, str]:
    """A request sent byte for byte: no client normalises the '..' away."""
    parsed = urlparse(server.url)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=10)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, body


@pytest.mark.parametrize(
    "path",
    [
        "/assets/../pyproject.toml",
        "/assets/..%2Fpyproject.toml",
        "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/_dash-component-suites/../../etc/passwd",
        "/_dash-component-suites/dash/../../../../../../../etc/passwd",
        "/_dash-component-suites/dash/..%2F..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_static_routes_never_serve_a_client_path(hostile: Server, path: str) -> None:
    status, body = raw_get(hostile, path)
    assert status == 404
    assert "root:x:0:0" not in body and "[project]" not in body and SECRET not in body


def test_a_run_path_from_the_client_is_only_an_id(hostile: Server, visit) -> None:  # type: ignore[no-untyped-def]
    for run_id in ("../secret.txt", "..%2F..%2Fetc%2Fpasswd", "/etc/passwd"):
        status, body = raw_get(hostile, "/run/" + run_id)
        assert status == 200 and SECRET not in body and "root:x:0:0" not in body  # the app's page shell
    page = visit(hostile.url + "/run/..%2F..%2Fetc%2Fpasswd")
    page.wait_for_selector("#page > *")
    text = body_text(page)
    assert "Run not found" in text and "root:x:0:0" not in text
    page = visit(hostile.url + "/run/" + quote("../secret.txt", safe=""))
    page.wait_for_selector("#page > *")
    assert "Run not found" in body_text(page) and SECRET not in body_text(page)


def download(page, button: str) -> str:  # type: ignore[no-untyped-def]
    with page.expect_download() as info:
        page.click(button)
    return Path(info.value.path()).read_text()


def test_exports_neutralise_formulas_and_keep_json_exact(hostile: Server, visit) -> None:  # type: ignore[no-untyped-def]
    page = visit(hostile.url + "/")
    page.wait_for_selector("#runs-table .ag-pinned-left-cols-container .ag-row")
    rows = {r["run_id"]: r for r in csv.DictReader(io.StringIO(download(page, "#export-csv")))}
    assert sorted(rows) == sorted([SEED_IMG, "'" + SEED_FORMULA, HF_JS, HF_SVG, "long_curve"])  # ids too
    rows[SEED_FORMULA] = rows.pop("'" + SEED_FORMULA)
    assert rows[SEED_FORMULA]["experiment"] == "'" + FORMULA_DIR
    assert rows[SEED_FORMULA]["name"] == f"'{FORMULA_DIR} @ 2000"
    assert rows[SEED_FORMULA]["params.formula"] == "'+" + IMG
    assert rows[SEED_IMG]["params.formula"] == "'" + FORMULA
    assert rows[SEED_IMG]["name"] == f"{IMG} @ 1000"  # only formula prefixes change
    assert rows[HF_JS][f"params.model.{IMG}"] == "'" + FORMULA + IMG
    doc = json.loads(download(page, "#export-json"))
    runs = {r["run_id"]: r for r in doc["runs"]}
    # JSON is data, read by programs, not run by spreadsheets: values stay exactly as the run wrote them.
    assert runs[SEED_IMG]["params"]["formula"] == FORMULA
    assert runs[SEED_FORMULA]["experiment"] == FORMULA_DIR


def test_basic_auth_guards_the_whole_app_in_a_real_browser(
    browser,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_seed_run(tmp_path / "lab", "exp", 1000)
    monkeypatch.setenv("RUNBOARD_AUTH_USER", "ada")
    monkeypatch.setenv("RUNBOARD_AUTH_PASSWORD", "correct horse")
    server = start_server([tmp_path / "lab"], tmp_path / "cache", tmp_path / "server.log")  # /healthz is open
    try:
        outsider = browser.new_context(http_credentials={"username": "ada", "password": "wrong"})
        response = outsider.new_page().goto(server.url + "/")
        assert response is not None and response.status == 401
        outsider.close()
        member = browser.new_context(http_credentials={"username": "ada", "password": "correct horse"})
        page = member.new_page()
        page.goto(server.url + "/")
        page.wait_for_selector("#runs-table .ag-pinned-left-cols-container .ag-row")
        assert grid_names(page) == ["exp @ 1000"]  # every bundle and callback went through the login
        member.close()
    finally:
        stop_server(server)
