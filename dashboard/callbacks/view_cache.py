"""The computed view for a URL query, cached per snapshot: one filter+sort serves every
grid block request, the counts and the export of the same view."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence

from ..analysis.runs_view import ViewResult, compute_view
from ..analysis.view import parse_view
from ..context import current

_CACHE_SIZE = 16
_cache: OrderedDict[tuple[int, int, str, str], ViewResult] = OrderedDict()
_lock = threading.Lock()


def current_view(search: str | None, sort_model: Sequence[Mapping[str, str]] | None = None) -> ViewResult:
    context = current()
    snapshot = context.snapshot
    sort_key = json.dumps(list(sort_model), sort_keys=True) if sort_model is not None else ""
    key = (id(context), snapshot.version, search or "", sort_key)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    result = compute_view(snapshot.runs, parse_view(search), context.settings.metric_directions, sort_model)
    with _lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result
