"""Every component id in one place. The main ones are stable test hooks."""

from __future__ import annotations

RUNS_TABLE = "runs-table"
FILTER_PANEL = "filter-panel"
EXPORT_CSV = "export-csv"
COMPARE_PANEL = "compare-panel"
RECOMMENDATION = "recommendation"
HPARAM_DIFF = "hparam-diff"
PROBLEMS_PANEL = "problems-panel"

HEADER = "header"
RUN_COUNT = "run-count"
LAST_SCAN = "last-scan"
PROBLEM_BADGE = "problem-badge"
PROBLEMS_TOGGLE = "problems-toggle"
PROBLEMS_COLLAPSE = "problems-collapse"
REFRESH_INTERVAL = "refresh-interval"
SNAPSHOT_VERSION = "snapshot-version"

URL = "url"
PAGE = "page"
RUN_PAGE = "run-page"
