"""Parse cost per format on a mixed tree (every reader), and Runboard's full scan of that tree.

Usage::

    python benchmarks/bench_formats.py --runs 2000 [--tree-dir DIR] [--seed S] [--repeat 3]

Generates the ``--mix`` tree of ``benchmarks/generate.py`` (55% seed layout, 15% Hugging Face, 5% each
of Lightning CSV, MLflow, lm-eval, moshi JSON-lines, TensorBoard and plain-text logs), walks it once
with ``Walker(root).walk(default_readers())`` and, for each reader, times ``reader.read(claim)`` over
all of its claims. It prints a Markdown table per format: claims, runs (written by the generator /
read back), claimed files and bytes, total time, time per run, and problems reported. Then a full
``Store(...).rescan()`` with an empty cache (cold) and a second one in the same process (warm).

Every reported time is the median of ``--repeat`` trials (default 3); all in this process, with the
operating system's file cache warm (the tree was just written or read). A reader that reports a
problem on generated files means a writer or that reader is wrong: they are listed under the table
and the exit status is 1. Trees go into ``--tree-dir`` (reused while the generator's source is
unchanged; a ``mix-N-seedS.done`` file marks a finished one) or a temporary folder removed at the end.
The Store's cache lives in the same folder and is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_scan import generator_version  # noqa: E402
from dashboard.ingest import default_readers  # noqa: E402
from dashboard.ingest.base import Claim, Problem, Reader  # noqa: E402
from dashboard.ingest.walk import Walker  # noqa: E402


@dataclass
class FormatCost:
    """What one reader costs on the tree."""

    name: str
    claims: int = 0
    written: int | None = None
    runs: int = 0
    files: int = 0
    size: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)


def ensure_tree(tree_dir: Path, n: int, seed: int) -> tuple[Path, dict[str, int], float | None]:
    """The mixed tree for (n, seed), generated unless a finished one is already there."""
    from benchmarks.generate import generate

    tree = tree_dir / f"mix-{n}-seed{seed}"
    marker = tree_dir / f"mix-{n}-seed{seed}.done"
    version = generator_version()
    if marker.exists():
        done = json.loads(marker.read_text())
        if done.get("generator") == version:
            return tree, done["counts"], None
    marker.unlink(missing_ok=True)
    shutil.rmtree(tree, ignore_errors=True)
    started = time.perf_counter()
    counts = generate(n, tree, seed, "mix")
    elapsed = time.perf_counter() - started
    marker.write_text(
        json.dumps({"n": n, "seed": seed, "seconds": elapsed, "generator": version, "counts": counts})
    )
    return tree, counts, elapsed


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls, and the first call's value."""
    times, first = [], None
    for trial in range(max(1, repeat)):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
        if trial == 0:
            first = value
    return statistics.median(times), first


def read_all(reader: Reader, claims: Sequence[Claim]) -> tuple[int, list[Problem]]:
    runs, problems = 0, []
    for claim in claims:
        result = reader.read(claim)
        runs += len(result.runs)
        problems += result.problems
    return runs, problems


def format_costs(
    tree: Path, written: dict[str, int], repeat: int
) -> tuple[float, list[Problem], list[FormatCost]]:
    """Walk time, walk problems, and each reader's cost over its claims."""
    readers = default_readers()
    walk_seconds, (claims, walk_problems) = median_time(lambda: _walk(tree, readers), repeat)
    costs = []
    for reader in readers:
        own = [c for c in claims if c.reader == reader.name]
        files = sorted({f for c in own for f in c.files})
        cost = FormatCost(reader.name, claims=len(own), written=written.get(reader.name), files=len(files))
        cost.size = sum(os.path.getsize(f) for f in files)
        cost.seconds, (cost.runs, cost.problems) = median_time(partial(read_all, reader, own), repeat)
        costs.append(cost)
    return walk_seconds, walk_problems, costs


def _walk(tree: Path, readers: Sequence[Reader]) -> tuple[list[Claim], list[Problem]]:
    walker = Walker(str(tree))
    claims = walker.walk(readers)
    return claims, walker.problems


def store_scan(tree: Path, cache: Path, repeat: int) -> dict[str, Any]:
    """Cold ``rescan()`` (new Store, empty cache) then warm (same Store, nothing changed), medians."""
    from dashboard.store import Store

    trials = []
    for _ in range(max(1, repeat)):
        shutil.rmtree(cache, ignore_errors=True)
        store = Store(roots=[tree], cache_dir=cache)
        started = time.perf_counter()
        snap = store.rescan()
        cold = time.perf_counter() - started
        parsed = store.parse_count
        started = time.perf_counter()
        store.rescan()
        warm = time.perf_counter() - started
        trials.append({"cold": cold, "warm": warm, "warm_parsed": store.parse_count - parsed})
        rows, problems = len(snap.runs), list(snap.problems)
        store.close()
    shutil.rmtree(cache, ignore_errors=True)
    out: dict[str, Any] = {k: statistics.median(t[k] for t in trials) for k in ("cold", "warm")}
    out.update(rows=rows, problems=problems, cold_parsed=parsed, warm_parsed=trials[0]["warm_parsed"])
    return out


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:,.1f} ms"


def table(walk: float, costs: list[FormatCost], store: dict[str, Any]) -> str:
    lines = [
        "| format | claims | runs (written / read) | files | MiB | total | per run | problems |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in costs:
        per_run = f"{c.seconds * 1000 / c.runs:.2f} ms" if c.runs else "–"
        written = "–" if c.written is None else f"{c.written:,}"
        lines.append(
            f"| {c.name} | {c.claims:,} | {written} / {c.runs:,} | {c.files:,} | {c.size / 2**20:.1f} "
            f"| {_ms(c.seconds)} | {per_run} | {len(c.problems)} |"
        )
    runs = sum(c.runs for c in costs)
    total = sum(c.seconds for c in costs)
    lines.append(
        f"| **all readers** | {sum(c.claims for c in costs):,} | {sum(c.written or 0 for c in costs):,} / "
        f"{runs:,} | {sum(c.files for c in costs):,} | {sum(c.size for c in costs) / 2**20:.1f} "
        f"| {_ms(total)} | {total * 1000 / max(runs, 1):.2f} ms | {sum(len(c.problems) for c in costs)} |"
    )
    lines += [
        "",
        "| whole tree | time | claims parsed | runs in table | problems |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| walk only (`Walker.walk`, every reader's `claim`) | {_ms(walk)} | 0 | | |",
        f"| `Store.rescan()` cold (empty cache) | {_ms(store['cold'])} | {store['cold_parsed']:,} "
        f"| {store['rows']:,} | {len(store['problems'])} |",
        f"| `Store.rescan()` warm (unchanged, same process) | {_ms(store['warm'])} | {store['warm_parsed']:,} "
        f"| {store['rows']:,} | {len(store['problems'])} |",
    ]
    return "\n".join(lines)


def report_problems(problems: list[Problem]) -> None:
    print(f"\n{len(problems)} problem(s) on generated files (a writer or a reader is wrong):")
    for problem in problems[:20]:
        print(f"- `{problem.reader}` {problem.path}: {problem.reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--tree-dir", type=Path, help="where the tree is generated and kept for reuse")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="trials per measurement; times are medians")
    args = parser.parse_args(argv)
    temporary = args.tree_dir is None
    tree_dir = Path(tempfile.mkdtemp(prefix="runboard-formats-")) if temporary else args.tree_dir
    tree_dir.mkdir(parents=True, exist_ok=True)
    try:
        tree, written, generated = ensure_tree(tree_dir, args.runs, args.seed)
        made = f"generated in {generated:.1f}s" if generated is not None else "reused"
        walk, walk_problems, costs = format_costs(tree, written, args.repeat)
        store = store_scan(tree, tree_dir / f"mix-{args.runs}-seed{args.seed}-cache", args.repeat)
        print(
            f"# Parse cost per format, {args.runs:,} runs ({os.cpu_count()} CPUs, Python "
            f"{sys.version.split()[0]}, median of {max(1, args.repeat)} trials)\n"
        )
        print(f"<!-- tree {tree} ({made}) -->\n")
        print(table(walk, costs, store))
        problems = walk_problems + [p for c in costs for p in c.problems] + store["problems"]
        if problems:
            report_problems(problems)
            return 1
    finally:
        if temporary:
            shutil.rmtree(tree_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
