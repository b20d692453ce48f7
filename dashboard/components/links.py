"""Links to a run's page. A run id is a folder path and may hold ``#``, ``?``, ``%`` or spaces: each path
segment is percent-encoded so the browser keeps the whole id in the path (the router decodes it)."""

from __future__ import annotations

from urllib.parse import quote

from dash import dcc

RUN_PREFIX = "/run/"


def run_href(run_id: str) -> str:
    """The run's page, each path segment encoded (as the table's name links do)."""
    return RUN_PREFIX + quote(run_id, safe="/")


def run_link(run_id: str, name: str, className: str = "run-link") -> dcc.Link:
    """The run's name linking to its page; the full id as the tooltip."""
    return dcc.Link(name, href=run_href(run_id), title=run_id, className=className)
