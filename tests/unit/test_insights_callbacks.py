"""The insights page's callbacks on a real app: card keys never newer than their data, and the controls
write the URL only when the user's choices change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from dashboard.analysis.insights_view import read_ins
from dashboard.callbacks import insights as callbacks
from dashboard.context import EXTENSION_KEY
from dashboard.settings import Settings
from dashboard.webapp import create_app
from tests.fixtures.trees import seed_config, seed_metrics, write_seed_run

SBLIMP = "metrics.sblimp_accuracy"


@pytest.fixture
def lab(tmp_path: Path) -> Any:
    root = tmp_path / "lab"
    write_seed_run(root, "exp_a", 1000, config=seed_config(base_lr=0.01), metrics=seed_metrics(0.56, 900.0))
    write_seed_run(root, "exp_b", 1000, config=seed_config(base_lr=0.1), metrics=seed_metrics(0.55, 500.0))
    app = create_app(Settings(results_dirs=[root], cache_dir=tmp_path / "cache"), start_scanner=False)
    context = app.server.extensions[EXTENSION_KEY]
    context.scanner.scan_now()
    context.scanner.first_scan_done.set()
    return app, context, root


def _state(node: Any) -> dict[str, str]:
    """The ``insights-state`` store's data in a rendered page."""
    if getattr(node, "id", None) == "insights-state":
        return node.data  # type: ignore[no-any-return]
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found = _state(child)
            if found:
                return found
    return {}


def _version(keys: dict[str, str]) -> Any:
    return json.loads(keys["best"])[0]


def test_a_scan_landing_mid_render_leaves_keys_older_than_the_data(lab, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app, context, root = lab
    before = context.snapshot.version
    real_view = callbacks.current_view

    def view_then_scan(search: str | None) -> Any:
        result = real_view(search)  # the rows of the snapshot shown so far ...
        write_seed_run(root, "exp_c", 1000, metrics=seed_metrics(0.9, 100.0))
        context.scanner.scan_now()  # ... and a scan publishing a newer one before the keys are made
        return result

    with app.server.test_request_context():
        monkeypatch.setattr(callbacks, "current_view", view_then_scan)
        keys = _state(callbacks.render_insights_page(""))
        monkeypatch.setattr(callbacks, "current_view", real_view)
        after = context.snapshot.version
        assert after != before
        assert _version(keys) == before  # the data's version, not the one published meanwhile
        # The next snapshot tick therefore redraws the cards, now with exp_c.
        out = callbacks.follow_insights("", after, "/insights", keys)
    bodies = dict(zip(("summary", "best"), out[:2], strict=True))
    assert all(body is not no_update for body in bodies.values())
    assert "Insights on 3 of 3 runs" in json.dumps(bodies["summary"], default=str)
    assert _version(out[-1]) == after


def _controls_for(search: str) -> list[Any]:
    return callbacks._control_values(callbacks._shown(search).choices)


@pytest.mark.parametrize(
    "ins",
    [
        {"group": "params.gone", "metrics": ["metrics.gone"], "trend_y": "metrics.nope"},  # stale
        {
            "trend_x": "step",
            "pareto": [SBLIMP, "metrics.librilight_perplexity_8k"],
        },  # the defaults spelled out
    ],
)
def test_controls_set_to_what_the_url_says_write_nothing(lab, ins: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = lab
    search = "?ins=" + quote(json.dumps(ins, indent=1))  # not the canonical spelling either
    with app.server.test_request_context():
        values = _controls_for(search)
        with pytest.raises(PreventUpdate):
            callbacks.write_choices(*values, search, "/insights")


def test_a_real_change_is_written_and_drops_the_stale_parts(lab) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = lab
    search = '?f={"q":"exp"}&ins=' + quote(json.dumps({"group": "params.gone"}))
    with app.server.test_request_context():
        values = _controls_for(search)
        values[6] = [SBLIMP]  # the metrics dropdown
        new = callbacks.write_choices(*values, search, "/insights")
        assert read_ins(new) == {"metrics": [SBLIMP]}
        assert new.startswith("?f=") and json.loads(parse_qs(new[1:])["f"][0]) == {"q": "exp"}
        values[6] = []  # clearing every metric is a choice too
        assert read_ins(callbacks.write_choices(*values, search, "/insights")) == {"metrics": []}
        with pytest.raises(PreventUpdate):  # not on the insights page: never
            callbacks.write_choices(*values, search, "/")
