"""Gunicorn settings for a lab server: ``gunicorn app:server`` reads this file.

Every value can be overridden from the environment (``RUNBOARD_BIND``, ``RUNBOARD_WORKERS``,
``RUNBOARD_THREADS``, ``RUNBOARD_TIMEOUT``) or on the command line. Runboard's own settings
(results folders, cache, refresh interval, authentication) come from ``RUNBOARD_*`` variables;
see the README. Each worker builds its own app; one of them holds the scan lock in the cache
folder and scans, the others serve what it published and take over if it dies.
"""

import os

bind = os.environ.get("RUNBOARD_BIND", "127.0.0.1:8050")
workers = int(os.environ.get("RUNBOARD_WORKERS", "4"))
# Callbacks are short and mostly pandas (which releases the GIL little): a few threads per worker
# keep a slow request from queueing the rest without oversubscribing the cores.
threads = int(os.environ.get("RUNBOARD_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("RUNBOARD_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Never preload: the scanner is a thread, and threads do not survive the fork into workers.
preload_app = False
accesslog = os.environ.get("RUNBOARD_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("RUNBOARD_LOG_LEVEL", "info")
