"""The runs page's view state, and its round trip through the URL query string.

Everything a researcher would share lives here — filters, search, sort, visible
columns, selection, the recommendation's preset and weights — so a copied URL
reproduces the view and the browser's back/forward buttons walk through changes.
Each part is its own query parameter holding JSON (run ids and metric names may
contain commas and slashes); a part that does not parse is dropped, never an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from .filters import clean_state
from .recommend_view import clean_rec

MAX_SELECTED = 5


@dataclass
class View:
    filters: dict[str, Any] = field(default_factory=dict)  # analysis.filters state: q, choice, bool, range
    sort: list[dict[str, str]] = field(default_factory=list)  # AG Grid sort model: [{"colId", "sort"}]
    columns: list[str] | None = None  # visible columns; None: the defaults
    selected: list[str] = field(default_factory=list)  # run ids, in selection order (their colours)
    more: list[str] = field(default_factory=list)  # extra facets the user added to the panel
    ref: str | None = None  # the comparison's reference run (the selection's first, or a baseline, if unset)
    rec: dict[str, Any] = field(default_factory=dict)  # the recommendation (analysis.recommend_view state)


def _json(values: dict[str, list[str]], key: str) -> Any:
    raw = values.get(key)
    if not raw:
        return None
    try:
        return json.loads(raw[0])
    except ValueError:
        return None


def _str_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _sort_model(value: Any) -> list[dict[str, str]]:
    model = []
    for item in value if isinstance(value, list) else []:
        if (
            isinstance(item, list)
            and len(item) == 2
            and item[1] in ("asc", "desc")
            and isinstance(item[0], str)
        ):
            model.append({"colId": item[0], "sort": item[1]})
    return model


def parse_view(search: str | None) -> View:
    """The view a query string describes (``?q=...&f=...``); junk parts are ignored."""
    values = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    filters = _json(values, "f")
    filters = dict(filters) if isinstance(filters, dict) else {}
    query = values.get("q", [""])[0]
    if query:
        filters["q"] = query
    filters = clean_state(filters)  # a hand-edited URL holds anything: keep only well-formed parts
    columns = _json(values, "cols")
    return View(
        filters=filters,
        sort=_sort_model(_json(values, "sort")),
        columns=_str_list(columns) if isinstance(columns, list) else None,
        selected=list(dict.fromkeys(_str_list(_json(values, "sel"))))[:MAX_SELECTED],
        more=_str_list(_json(values, "more")),
        ref=values.get("ref", [""])[0] or None,
        rec=clean_rec(_json(values, "rec")),
    )


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def view_query(view: View) -> str:
    """The query string for ``view``: ``""`` for the default view, else ``?...``."""
    parts: list[tuple[str, str]] = []
    filters = {k: v for k, v in view.filters.items() if k != "q" and v}
    if view.filters.get("q"):
        parts.append(("q", str(view.filters["q"])))
    if filters:
        parts.append(("f", _dump(filters)))
    if view.sort:
        parts.append(("sort", _dump([[s["colId"], s["sort"]] for s in view.sort])))
    if view.columns is not None:
        parts.append(("cols", _dump(view.columns)))
    if view.selected:
        parts.append(("sel", _dump(view.selected)))
    if view.more:
        parts.append(("more", _dump(view.more)))
    if view.ref and view.ref in view.selected:
        parts.append(("ref", view.ref))
    rec = clean_rec(view.rec)
    if rec:
        parts.append(("rec", _dump(rec)))
    return "?" + urlencode(parts) if parts else ""
