"""Run the app with Flask's server for local use (``python app.py`` / ``runboard serve``)."""

from __future__ import annotations

import logging
import sys

from .settings import LOOPBACK_HOSTS as LOOPBACK
from .settings import Settings


def serve(settings: Settings) -> int:
    from .webapp import create_app

    if settings.debug and settings.host not in LOOPBACK:
        print(
            f"refusing --debug on {settings.host}: debug mode can run code; use it on 127.0.0.1 only",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(settings)
    except (ValueError, OSError) as exc:  # a bad log pattern, an unsafe cache folder: say it plainly
        print(f"runboard: {exc}", file=sys.stderr)
        return 2
    print(f"Runboard on http://{settings.host}:{settings.port}/  (Ctrl+C to stop)", file=sys.stderr)
    app.run(host=settings.host, port=settings.port, debug=settings.debug, dev_tools_ui=settings.debug)
    return 0
