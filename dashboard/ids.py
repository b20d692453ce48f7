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

# Runs page
SEARCH = "search"
SEARCH_ERROR = "search-error"
FACET_BOOL = "facet-bool"  # dict ids: {"type": FACET_BOOL, "column": ...}
FACET_CHOICE = "facet-choice"
FACET_RANGE = "facet-range"
ADD_FACET = "add-facet"
CHIP = "chip"  # dict ids: {"type": CHIP, "key": ...}
SHOWING = "showing"
CHIPS = "chips"
RESET_FILTERS = "reset-filters"
EMPTY_RESULT = "empty-result"
EMPTY_RESET = "empty-reset"
COLUMNS_BUTTON = "columns-button"
COLUMNS_MODAL = "columns-modal"
COLUMNS_CHOOSER = "columns-chooser"
COLUMNS_DEFAULT = "columns-default"
EXPORT_JSON = "export-json"
DOWNLOAD = "download"
SELECTION_TRAY = "selection-tray"
SELECTION_MESSAGE = "selection-message"
SELECTION_CLEAR = "selection-clear"
SELECTION_REMOVE = "selection-remove"  # dict ids: {"type": SELECTION_REMOVE, "run_id": ...}
NEW_RUNS_NOTICE = "new-runs-notice"
SHOWN_RUN_COUNT = "shown-run-count"
LAST_WRITTEN_QUERY = "last-written-query"
COLUMNS_KEY = "columns-key"
GRID_REFRESH = "grid-refresh"
LIVE_SWITCH = "live-switch"
THEME_SWITCH = "theme-switch"
THEME_STORE = "theme-store"
LIVE_STORE = "live-store"

# The run page (/run/<run_id>). Dict-id types are for pattern-matching callbacks.
RUN_PAGE_STATE = "run-page-state"
RUN_PAGE_BODY = "run-page-body"
RUN_SECTION = "run-section"  # {"type": RUN_SECTION, "name": "header" | "stats" | ...}
RUN_CHART = "run-chart"  # {"type": RUN_CHART, "index": i}: one graph per series
RUN_PARAMS_SEARCH = "run-params-search"  # {"type": RUN_PARAMS_SEARCH, "index": 0}
RUN_PARAMS_TABLE = "run-params-table"  # {"type": RUN_PARAMS_TABLE, "index": 0}
RUN_PATH_COPY = "run-path-copy"
# In-page anchors of the run page ("jump to" links).
RUN_CHARTS = "run-charts"
RUN_METRICS = "run-metrics"
RUN_PARAMS = "run-params"
RUN_READ = "run-read"
RUN_METRICS_SEARCH = "run-metrics-search"  # {"type": RUN_METRICS_SEARCH, "index": 0}
RUN_METRICS_TABLE = "run-metrics-table"  # {"type": RUN_METRICS_TABLE, "index": 0}

# The comparison page (/compare?runs=[...]&ref=...); COMPARE_PANEL and HPARAM_DIFF above are the stable hooks.
COMPARE_PAGE = "compare-page"
COMPARE_STATE = "compare-state"
COMPARE_SUMMARY = "compare-summary"
COMPARE_REF = "compare-ref"
COMPARE_EXPORT = "compare-export"  # {"type": COMPARE_EXPORT, "format": "csv" | "md" | "tex"}
COMPARE_DOWNLOAD = "compare-download"
COMPARE_SMOOTHING = "compare-smoothing"
COMPARE_LOG_Y = "compare-log-y"
COMPARE_X_MODE = "compare-x-mode"
COMPARE_CURVE = "compare-curve"  # {"type": COMPARE_CURVE, "index": i}: one graph per series
COMPARE_LINK = "compare-link"

SVG_EXPORT = "svg-export"  # dict ids: {"type": SVG_EXPORT, "file": <file name stem>}
