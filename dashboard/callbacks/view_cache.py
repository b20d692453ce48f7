"""The computed view for a URL query, cached per snapshot: one filter+sort serves every
grid block request, the counts and the export of the same view. The recommendation for
the runs a view shows is cached the same way, so row blocks carry scores at no cost."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from ..analysis.filters import Facet, build_facets
from ..analysis.recommend_view import SCORE_COLUMN, Recommendation, recommend
from ..analysis.runs_view import ViewResult, filter_runs, sort_result, visible_columns
from ..analysis.sorting import pin_baselines, sort_frame
from ..analysis.view import View, parse_view, view_query
from ..context import current

_CACHE_SIZE = 16
_cache: OrderedDict[tuple[Any, ...], ViewResult] = OrderedDict()
_filtered: OrderedDict[tuple[Any, ...], ViewResult] = OrderedDict()  # per filters: every sort shares it
_recommendations: OrderedDict[tuple[Any, ...], Recommendation] = OrderedDict()
_facets: dict[tuple[int, int], list[Facet]] = {}
_lock = threading.Lock()
_SCORE_KEY = "\0score"  # where the totals sit while sorting: no runs frame column can clash


def _cached(cache: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...]) -> Any:
    with _lock:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    return None


def _store(cache: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any) -> None:
    with _lock:
        cache[key] = value
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)


def _sorts_by_score(sort_model: Sequence[Mapping[str, str]]) -> bool:
    return any(s.get("colId") == SCORE_COLUMN for s in sort_model)


def current_view(search: str | None, sort_model: Sequence[Mapping[str, str]] | None = None) -> ViewResult:
    context = current()
    snapshot = context.snapshot
    view = parse_view(search)
    effective = list(sort_model) if sort_model is not None else view.sort
    by_score = _sorts_by_score(effective)
    # Keyed by what the view means, so the page and the grid's block requests share one computation.
    key = (
        id(context),
        snapshot.version,
        view_query(View(filters=view.filters, columns=view.columns)),
        json.dumps(effective, sort_keys=True),
        json.dumps(view.rec, sort_keys=True) if by_score else "",
    )
    found = _cached(_cache, key)
    if found is not None:
        return found
    # Keyed by the filters alone: the page (with its columns) and shown_runs (without) share one filtering.
    filters_only = View(filters=view.filters)
    filters_key = (id(context), snapshot.version, view_query(filters_only))
    filtered = _cached(_filtered, filters_key)
    if filtered is None:
        filtered = filter_runs(snapshot.runs, filters_only, context.settings.metric_directions)
        _store(_filtered, filters_key, filtered)
    result = replace(sort_result(filtered, effective), columns=visible_columns(snapshot.runs, view.columns))
    if by_score:
        result = _sorted_by_score(result, current_recommendation(search).totals, effective)
    _store(_cache, key, result)
    return result


def _sorted_by_score(
    result: ViewResult, totals: Mapping[str, float], sort_model: Sequence[Mapping[str, str]]
) -> ViewResult:
    """The rows sorted with the totals as one more column (unscored runs last), baselines still first."""
    rows = result.rows.assign(**{_SCORE_KEY: result.rows["run_id"].map(totals).astype("float64")})
    model = [{**s, "colId": _SCORE_KEY} if s.get("colId") == SCORE_COLUMN else dict(s) for s in sort_model]
    baselines, others = pin_baselines(sort_frame(rows, model))
    ordered = pd.concat([baselines, others], ignore_index=True).drop(columns=[_SCORE_KEY])
    return replace(result, rows=ordered)


def shown_runs(search: str | None) -> pd.DataFrame:
    """The runs the view's filters leave, in a fixed order (baselines, then run id): what is scored."""
    return current_view(view_query(View(filters=parse_view(search).filters)), []).rows


def recommendation_key(search: str | None) -> str:
    """What the recommendation for ``search`` depends on: equal keys, the same card."""
    view = parse_view(search)
    shown_query = view_query(View(filters=view.filters))
    return json.dumps([current().snapshot.version, shown_query, view.rec], sort_keys=True)


def current_recommendation(search: str | None) -> Recommendation:
    """The recommendation over the runs the view shows (its filters), as its ``rec`` state says."""
    context = current()
    snapshot = context.snapshot
    view = parse_view(search)
    shown_query = view_query(View(filters=view.filters))
    key = (id(context), snapshot.version, shown_query, json.dumps(view.rec, sort_keys=True))
    found = _cached(_recommendations, key)
    if found is not None:
        return found
    # A fixed order: the card's lists do not follow the table's sort.
    result = recommend(shown_runs(shown_query), view.rec, context.settings.metric_directions)
    _store(_recommendations, key, result)
    return result


def current_facets() -> list[Facet]:
    """The filter panel's facets for the published snapshot, computed once per snapshot."""
    context = current()
    snapshot = context.snapshot
    key = (id(context), snapshot.version)
    with _lock:
        if key in _facets:
            return _facets[key]
    facets = build_facets(snapshot.runs)
    with _lock:
        _facets.clear()  # only the latest snapshot's facets are ever asked for
        _facets[key] = facets
    return facets
