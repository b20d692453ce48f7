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

# Publication tables (a card mounted by the /insights page)
PUBLICATION = "publication"
PUBLICATION_METRICS = "publication-metrics"
PUBLICATION_FORMAT = "publication-format"
PUBLICATION_CAPTION = "publication-caption"
PUBLICATION_NOTE = "publication-note"
PUBLICATION_PREVIEW = "publication-preview"
PUBLICATION_COPY = "publication-copy"
PUBLICATION_DOWNLOAD_BUTTON = "publication-download-button"
PUBLICATION_DOWNLOAD = "publication-download"

# Insights page (/insights): controls write the `ins` query param; sections redraw from the URL.
NAV_RUNS = "nav-runs"
NAV_INSIGHTS = "nav-insights"
NAV_STATE = "nav-state"
INSIGHTS_PAGE = "insights-page"
INSIGHTS_STATE = "insights-state"
INSIGHTS_SUMMARY = "insights-summary"
INSIGHTS_METRICS = "insights-metrics"
INSIGHTS_BEST = "insights-best"
INSIGHTS_PARETO = "insights-pareto"
INSIGHTS_PARETO_X = "insights-pareto-x"
INSIGHTS_PARETO_Y = "insights-pareto-y"
INSIGHTS_PARETO_CHART = "insights-pareto-chart"
INSIGHTS_PARETO_LINK = "insights-pareto-link"
INSIGHTS_TRENDS = "insights-trends"
INSIGHTS_TREND_Y = "insights-trend-y"
INSIGHTS_TREND_X = "insights-trend-x"
INSIGHTS_TREND_COLOUR = "insights-trend-colour"
INSIGHTS_TREND_CHART = "insights-trend-chart"
INSIGHTS_TRAJECTORY_CHART = "insights-trajectory-chart"
INSIGHTS_CORRELATIONS = "insights-correlations"
INSIGHTS_CORRELATION_CHART = "insights-correlation-chart"
INSIGHTS_GROUPS = "insights-groups"
INSIGHTS_GROUP_BY = "insights-group-by"
INSIGHTS_ABLATIONS = "insights-ablations"
INSIGHTS_PARALLEL = "insights-parallel"
INSIGHTS_PARALLEL_PARAMS = "insights-parallel-params"
INSIGHTS_PARALLEL_CHART = "insights-parallel-chart"
PUBLICATION_SLOT = "publication-slot"

# Recommendation card on the runs page (RECOMMENDATION above is the card's stable hook)
REC_HEADLINE = "rec-headline"
REC_TOOLBAR = "rec-toolbar"
REC_WEIGHTS = "rec-weights"
REC_RESULT = "rec-result"
REC_CONTROLS_KEY = "rec-controls-key"
REC_RESULT_KEY = "rec-result-key"  # what the card shows: snapshot version, filters, rec
REC_PRESET = "rec-preset"
REC_NORM = "rec-norm"
REC_MISSING = "rec-missing"
REC_COMPLETED = "rec-completed"
REC_METRICS = "rec-metrics"
REC_WEIGHT = "rec-weight"  # dict ids: {"type": REC_WEIGHT, "metric": ...}
REC_FOOTER = "rec-footer"

# Recommendation threshold constraints ("Only runs where metric >= value"), under the card's toolbar
REC_CONSTRAINT_METRIC = "rec-constraint-metric"
REC_CONSTRAINT_OP = "rec-constraint-op"
REC_CONSTRAINT_VALUE = "rec-constraint-value"
REC_CONSTRAINT_ADD = "rec-constraint-add"
REC_CONSTRAINT_MESSAGE = "rec-constraint-message"
REC_CONSTRAINT_CHIPS = "rec-constraint-chips"
REC_CONSTRAINT_REMOVE = "rec-constraint-remove"  # dict ids: {"type": ..., "metric": ..., "op": ...}
