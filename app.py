"""Runboard's entry point.

- Local: ``python app.py [--results-dir DIR ...] [--host 127.0.0.1] [--port 8050]``
- Lab server: ``gunicorn app:server`` (settings from ``RUNBOARD_*`` environment variables).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dashboard.cli import add_serve_arguments, settings_from_args
from dashboard.server import serve

_built: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    """``app`` and ``server`` are built on first use, so ``python app.py`` builds one app, not two."""
    if name in ("app", "server"):
        if "app" not in _built:
            from dashboard.settings import Settings
            from dashboard.webapp import create_app

            _built["app"] = create_app(Settings.from_env())
        return _built["app"] if name == "app" else _built["app"].server
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python app.py", description="Run the Runboard dashboard.")
    add_serve_arguments(parser)
    return serve(settings_from_args(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
