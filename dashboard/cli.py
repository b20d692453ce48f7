"""``runboard``: scan result folders to CSV/JSON, or serve the dashboard."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__


def _existing_dir(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"results folder does not exist: {value}")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"not a folder: {value}")
    if not os.access(path, os.R_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"results folder is not readable: {value}")
    return path


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results-dir",
        action="append",
        type=_existing_dir,
        metavar="DIR",
        help="a folder of results to scan (repeatable; default: the bundled data/)",
    )
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8050)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="private cache folder")
    parser.add_argument("--refresh-seconds", type=float, default=None, help="rescan interval (default 30)")
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (refused unless on loopback)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="runboard", description=__doc__)
    parser.add_argument("--version", action="version", version=f"runboard {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    scan = commands.add_parser("scan", help="scan result folders and print one row per run")
    scan.add_argument("roots", nargs="+", type=_existing_dir, metavar="ROOT")
    scan.add_argument("--format", choices=("csv", "json"), default="csv")
    scan.add_argument("-o", "--output", type=Path, default=None, help="write to FILE instead of stdout")
    scan.add_argument("--cache-dir", type=Path, default=None, help="private cache folder")
    serve = commands.add_parser("serve", help="run the dashboard (same as python app.py)")
    add_serve_arguments(serve)
    return parser


def run_scan(args: argparse.Namespace) -> int:
    from .analysis.export import to_csv, to_json
    from .ingest import default_readers
    from .rows import contract_columns
    from .settings import Settings
    from .store import Store

    settings = Settings.from_env()  # the same cache and log patterns as the app, so neither re-parses
    try:
        readers = default_readers(settings.log_patterns)
    except ValueError as exc:
        print(f"runboard: {exc}", file=sys.stderr)
        return 2
    store = Store(args.roots, cache_dir=args.cache_dir or settings.cache_dir, readers=readers)
    snapshot = store.rescan()
    store.close()
    frame = snapshot.runs
    if args.format == "csv":
        payload = to_csv(frame, contract_columns(frame)).encode()
    else:
        payload = to_json(frame, [r.path for r in snapshot.roots], [p.as_dict() for p in snapshot.problems])
    if args.output:
        args.output.write_bytes(payload)
    else:
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
    for problem in snapshot.problems:
        print(f"problem: {problem.path}: {problem.reason} ({problem.reader})", file=sys.stderr)
    print(f"{len(frame)} runs, {len(snapshot.problems)} problems", file=sys.stderr)
    return 0


def settings_from_args(args: argparse.Namespace):  # -> Settings (kept untyped to avoid an import here)
    from .settings import Settings

    settings = Settings.from_env()
    if args.results_dir:
        settings.results_dirs = list(args.results_dir)
    if args.host:
        settings.host = args.host
    if args.port:
        settings.port = args.port
    if args.cache_dir:
        settings.cache_dir = args.cache_dir
    if args.refresh_seconds:
        settings.refresh_seconds = args.refresh_seconds
    settings.debug = bool(args.debug)
    return settings


def run_serve(args: argparse.Namespace) -> int:
    from .server import serve

    return serve(settings_from_args(args))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "scan":
        return run_scan(args)
    return run_serve(args)


if __name__ == "__main__":
    raise SystemExit(main())
