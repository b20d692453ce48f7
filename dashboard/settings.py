"""Runtime settings: roots, cache, refresh interval, metric directions.

Read from the environment (for gunicorn) and overridable from the command line.
Nothing here imports Dash.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_DIR / "data"
DEFAULT_REFRESH_SECONDS = 30.0
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("runboard"))


def _split_dirs(value: str) -> list[Path]:
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


def _parse_directions(value: str) -> dict[str, str]:
    """``"eval_wer=min,bleu=max"`` -> ``{"eval_wer": "min", "bleu": "max"}``."""
    out: dict[str, str] = {}
    for item in value.split(","):
        name, sep, direction = item.partition("=")
        direction = direction.strip().lower()
        if sep and name.strip() and direction in ("min", "max", "none"):
            out[name.strip()] = direction
    return out


@dataclass
class Settings:
    results_dirs: list[Path] = field(default_factory=lambda: [DEFAULT_DATA_DIR])
    cache_dir: Path = field(default_factory=default_cache_dir)
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False
    # metric name -> "min" | "max" | "none", overriding the name-based guess.
    metric_directions: dict[str, str] = field(default_factory=dict)
    # Extra regular expressions for the plain-text log reader (named groups: step + metrics).
    log_patterns: list[str] = field(default_factory=list)
    # HTTP basic auth for a shared server: on when both are set, off when neither is.
    auth_user: str | None = None
    auth_password: str | None = field(default=None, repr=False)  # never in logs or tracebacks

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        settings = cls()
        if env.get("RUNBOARD_RESULTS_DIRS"):
            settings.results_dirs = _split_dirs(env["RUNBOARD_RESULTS_DIRS"])
        if env.get("RUNBOARD_CACHE_DIR"):
            settings.cache_dir = Path(env["RUNBOARD_CACHE_DIR"]).expanduser()
        if env.get("RUNBOARD_REFRESH_SECONDS"):
            settings.refresh_seconds = float(env["RUNBOARD_REFRESH_SECONDS"])
        if env.get("RUNBOARD_METRIC_DIRECTIONS"):
            settings.metric_directions = _parse_directions(env["RUNBOARD_METRIC_DIRECTIONS"])
        if env.get("RUNBOARD_LOG_PATTERNS"):
            settings.log_patterns = [p for p in env["RUNBOARD_LOG_PATTERNS"].split("\n") if p.strip()]
        settings.auth_user = env.get("RUNBOARD_AUTH_USER") or None
        settings.auth_password = env.get("RUNBOARD_AUTH_PASSWORD") or None
        return settings

    def check_auth(self) -> None:
        """Refuse half-configured authentication rather than silently serving without it.

        Called when the app is built (``security.install``), not by ``from_env``: ``runboard scan``
        reads the same environment and has no use for a login.
        """
        if self.auth_password and not self.auth_user:
            raise ValueError(
                "RUNBOARD_AUTH_PASSWORD is set but RUNBOARD_AUTH_USER is not: set both to require a login, "
                "or neither to serve without one"
            )
        if self.auth_user and not self.auth_password:
            raise ValueError(
                "RUNBOARD_AUTH_USER is set but RUNBOARD_AUTH_PASSWORD is not: set both to require a login, "
                "or neither to serve without one"
            )
        if self.auth_user and ":" in self.auth_user:
            raise ValueError("RUNBOARD_AUTH_USER must not contain ':' (HTTP basic auth cannot send it)")
