"""The computed view for a URL query, cached per snapshot: one filter+sort serves every
grid block request, the counts and the export of the same view."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence

from ..analysis.filters import Facet, build_facets
from ..analysis.runs_view import ViewResult, compute_view
from ..analysis.view import View, parse_view, view_query
from ..context import current

_CACHE_SIZE = 16
_cache: OrderedDict[tuple[int, int, str, str], ViewResult] = OrderedDict()
_facets: dict[tuple[int, int], list[Facet]] = {}
_lock = threading.Lock()


def current_view(search: str | None, sort_model: Sequence[Mapping[str, str]] | None = None) -> ViewResult:
    context = current()
    snapshot = context.snapshot
    view = parse_view(search)
    effective = list(sort_model) if sort_model is not None else view.sort
    # Keyed by what the view means, so the page and the grid's block requests share one computation.
    key = (
        id(context),
        snapshot.version,
        view_query(View(filters=view.filters, columns=view.columns)),
        json.dumps(effective, sort_keys=True),
    )
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    result = compute_view(snapshot.runs, view, context.settings.metric_directions, effective)
    with _lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
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
