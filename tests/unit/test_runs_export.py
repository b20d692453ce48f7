"""The runs page's CSV/JSON export holds the recommendation's score where the table shows it.

The lab is the recommendation's hand-worked one (paper layout, equal weights; four metrics
the same for every run): alpha 5/6 = 83.3, bravo 4.5/6 = 75, =charlie 5.4/6 = 90 (its name
starts with "=", which a spreadsheet would run: the CSV still neutralises it).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest

from dashboard.callbacks.runs_export import csv_export, json_export, shown_frame
from dashboard.callbacks.view_cache import current_recommendation
from dashboard.context import EXTENSION_KEY
from dashboard.settings import Settings
from dashboard.webapp import create_app
from tests.fixtures.trees import seed_metrics, write_seed_run

LAB = (("alpha", 0.60, 800.0), ("bravo", 0.50, 700.0), ("=charlie", 0.54, 600.0))
HAND = {"alpha": 250 / 3, "bravo": 75.0, "=charlie": 90.0}  # by experiment
FLOOR = {"constraints": [["sblimp_accuracy", ">=", 0.55]]}  # ranks alpha alone (100)


def run_id(experiment: str) -> str:
    return f"{experiment}/checkpoints/checkpoint_001000/consolidated"


@pytest.fixture
def app(tmp_path: Path) -> Any:
    root = tmp_path / "lab"
    for experiment, sblimp, perplexity in LAB:
        write_seed_run(root, experiment, 1000, metrics=seed_metrics(sblimp=sblimp, perplexity_8k=perplexity))
    built = create_app(Settings(results_dirs=[root], cache_dir=tmp_path / "cache"), start_scanner=False)
    context = built.server.extensions[EXTENSION_KEY]
    context.scanner.scan_now()
    context.scanner.first_scan_done.set()
    return built


def _rec(rec: dict[str, Any]) -> str:
    return "?rec=" + quote(json.dumps(rec, separators=(",", ":")))


def _csv(search: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_export(search))))


def test_csv_has_the_score_after_the_name_at_full_precision(app) -> None:  # type: ignore[no-untyped-def]
    with app.server.test_request_context():
        text = csv_export("")
        header = text.splitlines()[0].split(",")
        assert header[:4] == ["run_id", "name", "score", "experiment"]
        _, columns = shown_frame("")
        assert header == columns
        rows = {r["experiment"].lstrip("'"): r for r in csv.DictReader(io.StringIO(text))}
        totals = current_recommendation("").totals
        for experiment, hand in HAND.items():
            row = rows[experiment]
            assert row["score"] == repr(totals[run_id(experiment)])  # every digit the engine computed
            assert float(row["score"]) == pytest.approx(hand, abs=1e-9)
        assert rows["alpha"]["score"] not in ("83.3", "83.33")  # not the table's rounding
        # Formula neutralisation stays: the name and experiment starting with "=" are quoted.
        assert (rows["=charlie"]["name"], rows["=charlie"]["experiment"]) == ("'=charlie @ 1000", "'=charlie")


def test_csv_follows_the_sort_by_score_and_leaves_unranked_runs_empty(app) -> None:  # type: ignore[no-untyped-def]
    with app.server.test_request_context():
        by_score = _csv('?sort=[["score","desc"]]')
        assert [r["experiment"] for r in by_score] == ["'=charlie", "alpha", "bravo"]
        # Runs the constraint leaves out are shown without a score, so they are exported without one.
        floor = {r["experiment"]: r["score"] for r in _csv(_rec(FLOOR))}
        alone = current_recommendation(_rec(FLOOR)).totals
        assert floor == {"alpha": repr(alone[run_id("alpha")]), "bravo": "", "'=charlie": ""}
        assert float(floor["alpha"]) == pytest.approx(100.0)


def test_no_score_column_when_the_table_has_none(app) -> None:  # type: ignore[no-untyped-def]
    with app.server.test_request_context():
        # Custom with no metric chosen ranks nobody: the table has no score column, nor does the export.
        search = _rec({"preset": "custom"})
        assert current_recommendation(search).result.winner is None
        header = csv_export(search).splitlines()[0].split(",")
        assert "score" not in header and header[:3] == ["run_id", "name", "experiment"]
        records = orjson.loads(json_export(search))["runs"]
        assert all("score" not in r for r in records)


def test_json_records_carry_the_score_after_the_name(app) -> None:  # type: ignore[no-untyped-def]
    with app.server.test_request_context():
        records = orjson.loads(json_export(""))["runs"]
        totals = current_recommendation("").totals
        assert [list(r)[:3] for r in records] == [["run_id", "name", "score"]] * 3
        assert {r["run_id"]: r["score"] for r in records} == totals
        assert {r["experiment"]: r["score"] for r in records} == pytest.approx(HAND, abs=1e-9)
        floor = orjson.loads(json_export(_rec(FLOOR)))["runs"]
        scores = {r["experiment"]: r["score"] for r in floor}
        assert scores == {"alpha": pytest.approx(100.0), "bravo": None, "=charlie": None}
