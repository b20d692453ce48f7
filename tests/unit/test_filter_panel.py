"""The filter panel's conversions: slider positions to filter bounds, long option lists."""

from __future__ import annotations

from dashboard.analysis.filters import Facet
from dashboard.callbacks.runs_controls import _range_value
from dashboard.components.filter_panel import choice_options, visible_facets


def test_log_slider_positions_become_exact_decades() -> None:
    # -3 + 24 twelfths of a decade carries float noise; the filter must say 0.1 exactly.
    assert _range_value([-3.0, -3 + 24 * (1 / 12)], -3.0, 0.0, True) == [None, 0.1]
    assert _range_value([-2.0, 0.0], -3.0, 0.0, True) == [0.01, None]


def test_slider_at_both_ends_is_no_filter() -> None:
    assert _range_value([500.0, 5000.0], 500.0, 5000.0, False) is None
    assert _range_value([1000.0, 5000.0], 500.0, 5000.0, False) == [1000.0, None]


def test_long_option_lists_are_served_as_the_user_types() -> None:
    options = [f"exp_{i:04d}" for i in range(4000)]
    assert choice_options(options, ["exp_0007"], None) == [{"label": "exp_0007", "value": "exp_0007"}]
    found = choice_options(options, [], "exp_39")
    assert [o["value"] for o in found] == [f"exp_39{i:02d}" for i in range(50)]
    assert len(choice_options(options[:10], [], "")) == 10


def test_active_and_added_facets_are_shown_beyond_the_limit() -> None:
    facets = [Facet(f"params.p{i:02d}", f"p{i:02d}", "bool", coverage=5) for i in range(40)]
    shown = visible_facets(facets, {"bool": {"params.p39": "yes"}}, ["params.p35"])
    columns = [f.column for f in shown]
    assert len(columns) == 32  # 30 first params, plus the active and the added one
    assert "params.p39" in columns and "params.p35" in columns and "params.p31" not in columns
