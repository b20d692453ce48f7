"""Reading a Dash component tree in tests: every node, the text a user would read, nodes of one type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def walk(node: Any) -> Iterator[Any]:
    """Every component under ``node`` (itself first); text and numbers are not nodes."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from walk(item)
        return
    if node is None or isinstance(node, (str, int, float)):
        return
    yield node
    yield from walk(getattr(node, "children", None))


def text(node: Any) -> str:
    """The text under ``node``, joined as the browser shows it."""
    if isinstance(node, (list, tuple)):
        return "".join(text(n) for n in node)
    if isinstance(node, (str, int, float)):
        return str(node)
    if node is None:
        return ""
    return text(getattr(node, "children", None))


def of_type(tree: Any, name: str) -> list[Any]:
    """The components under ``tree`` whose class is ``name`` (``"Tr"``, ``"Li"`` …)."""
    return [n for n in walk(tree) if type(n).__name__ == name]
