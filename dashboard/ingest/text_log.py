"""Plain-text training logs: ``train.log``, ``stdout.txt``, ``nohup.out``...

Asked last, after every structured reader, so it only sees folders nobody else
claimed. The claim goes by file names; whether a file really is a training log
is decided by its content: a file with no line matching a pattern contributes
nothing, and a folder with no usable line gives no run and no problem.

Each log file with usable lines is one run (``key`` = file name). Lines are
streamed and pre-filtered (a 50 MB log reads in seconds), and a large
text file that is not a log (a corpus) is abandoned after its first 16 MB.

Users add patterns of their own with ``make_reader(extra_patterns)``: regexes
with a named group ``step``, an optional ``total`` and other named groups as
metrics. They are tried before the built-in ones.
"""

from __future__ import annotations

import codecs
import io
import math
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from .base import Claim, Folder, Problem, ReadResult, Run, Series
from .files import LFS_PREFIX, open_failure_reason

NAME = "text_log"
VERSION = 1

LOG_SUFFIXES = (".log", ".txt", ".out", ".err")
LOG_PREFIXES = ("train_log", "stdout", "stderr")
# Names that end like a log but are never one.
NOT_LOG_PREFIXES = (
    "requirements", "readme", "license", "licence", "copying", "notice", "changelog", "changes",
    "authors", "contributing", "citation", "cmakelists", "vocab", "merges", "robots", "constraints",
)  # fmt: skip
NOT_LOG_SUFFIXES = frozenset((
    ".py", ".json", ".jsonl", ".yaml", ".yml", ".csv", ".tsv", ".md", ".rst", ".ipynb", ".sh", ".toml",
    ".cfg", ".ini", ".pt", ".pth", ".bin", ".ckpt", ".safetensors", ".npy", ".npz", ".pkl", ".gz",
    ".zip", ".tar", ".png", ".jpg", ".html",
))  # fmt: skip
# Log stems too generic to name a run; the folder name is used instead.
GENERIC_STEMS = frozenset(
    {"log", "train", "training", "train_log", "stdout", "stderr", "output", "out", "nohup"}
)

HEAD_BYTES = 8192
SNIFF_CHARS = 16 * 1024 * 1024  # a file with no usable line in its first 16 MB is not a log
MAX_CHARS = 1024 * 1024 * 1024  # stop reading a log after 1 GB
NAN = float("nan")

# ------------------------------------------------------------------ values

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?i:nan|inf(?:inity)?)"
# A value: a number, a glued unit (stripped: ``12.3ms``, ``95%``, ``0.5s/it``), then the token's end.
_VALUE = rf"({_NUM})([A-Za-zµ%]{{0,8}}(?:/[A-Za-z]{{1,8}})?)\.?(?=[\s,;|)\]}}]|$)"
_VALUE_RE = re.compile(_VALUE)
# Units that may follow nan/inf (``step_avg:nanms``); ``nanogpt`` is a word, not a missing number.
_MISSING_UNITS = frozenset({"", "ms", "s", "us", "µs", "ns", "sec", "min", "h", "%"})


def _number(text: str, unit: str) -> float | None:
    """A matched number: finite float, NaN (missing) for nan/inf, None for a word like ``nanogpt``."""
    value = float(text)
    if math.isfinite(value):
        return value
    return NAN if text[-1].isdigit() or unit.lower() in _MISSING_UNITS else None


def parse_value(token: str) -> float | None:
    """A number with its glued unit stripped (``12.3ms`` -> 12.3); NaN for
    ``nan``/``inf`` (read as missing); None when the token is not a number."""
    m = _VALUE_RE.fullmatch(token.strip())
    return None if m is None else _number(m.group(1), m.group(2))


# ---------------------------------------------------------------- patterns

Values = list[tuple[str, float]]
# What one log line says: its step, the total steps if given, its metric values.
Hit = tuple[int, int | None, Values]


@dataclass(frozen=True)
class Pattern:
    """A named way to read a line: ``parse(line)`` returns a Hit or None."""

    name: str
    parse: Callable[[str], Hit | None]


_COLON_PAIRS = re.compile(rf"([A-Za-z_]\w*):{_VALUE}")
_KV_PAIRS = re.compile(rf"([A-Za-z_][\w./-]*)\s*[=:]\s*{_VALUE}")
_SPACED_PAIR = re.compile(rf"([A-Za-z_][\w./-]*)\s+{_VALUE}")
_SPACED_LINE = re.compile(rf"\s*(?:[A-Za-z_][\w./-]*\s+{_VALUE}\s*)+")
_SEGMENT = re.compile(rf"[\s:#>-]*([A-Za-z_][\w./-]*(?: [A-Za-z_][\w./-]*){{0,3}})\s*[=:]?\s*{_VALUE}\s*")
_SEGMENT_SPLIT = re.compile(r"[,;|\t]")

_MODDED_RE = re.compile(r"\s*step:(\d+)(?:/(\d+))?\s")
_LLMC_RE = re.compile(r"\s*s:(\d+)\s")
_LLMC_NAMES = {"trl": "train_loss", "tel": "val_loss"}
_BUILD_RE = re.compile(rf"\s*(\d+) (train|val|hella) {_VALUE}\s*$")
_BUILD_NAMES = {"train": "train_loss", "val": "val_loss", "hella": "hellaswag_acc_norm"}
_STEP_RE = re.compile(
    r"\b(?:[Gg]lobal[_ ][Ss]tep|GLOBAL_STEP|[Ss]tep|STEP|[Ii]ter(?:ation)?|ITER(?:ATION)?)\b"
    r"\s*[=:#]?\s*\[?\s*(\d+)(?:\s*/\s*(\d+))?\]?"
)
_BRACKET_RE = re.compile(r"\[\s*(\d+)\s*/\s*(\d+)\s*\]")
_STEP_WORDS = frozenset({"step", "iter", "iteration", "global_step", "s"})


def _maybe_builtin(line: str) -> bool:
    """A cheap pre-filter (substring tests, far faster than a regex search): every
    line a built-in pattern can read passes; most code, tables and prose do not."""
    return (
        "tep" in line  # step, Step
        or "ter" in line  # iter, Iteration
        or "s:" in line
        or "[" in line
        or "TE" in line
        or line.lstrip()[:1].isdigit()
    )


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def _values(triples: list[tuple[str, str, str]], rename: dict[str, str] | None = None) -> Values:
    out: Values = []
    for key, text, unit in triples:
        value = _number(text, unit)
        if value is not None:
            out.append(((rename or {}).get(key, key), value))
    return out


def _modded_nanogpt(line: str) -> Hit | None:
    """``step:N/T train_loss:X train_time:Yms step_avg:Zms`` (modded-nanogpt)."""
    m = _MODDED_RE.match(line)
    if m is None:
        return None
    return int(m.group(1)), _int(m.group(2)), _values(_COLON_PAIRS.findall(line, m.end()))


def _llmc(line: str) -> Hit | None:
    """``s:N trl:X`` / ``s:N tel:X`` (llm.c); trl/tel renamed to train_loss/val_loss."""
    m = _LLMC_RE.match(line)
    if m is None:
        return None
    return int(m.group(1)), None, _values(_COLON_PAIRS.findall(line, m.end()), _LLMC_NAMES)


def _build_nanogpt(line: str) -> Hit | None:
    """``N train X`` / ``N val X`` / ``N hella X`` (build-nanogpt's log.txt)."""
    m = _BUILD_RE.match(line)
    if m is None:
        return None
    return int(m.group(1)), None, _values([(_BUILD_NAMES[m.group(2)], m.group(3), m.group(4))])


def _segment_pairs(parts: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """``key=value`` / ``key: value`` anywhere; ``train loss 2.3`` when the
    line separates its pairs with commas or bars (nanoGPT's ``iter N: loss X, time Yms``)
    or holds only ``key value`` pairs."""
    if not any("," in p or "|" in p or ";" in p for p in parts):  # the common, fast case
        found = [pair for p in parts for pair in _KV_PAIRS.findall(p)]
        if found:
            return found
        return [pair for p in parts if _SPACED_LINE.fullmatch(p) for pair in _SPACED_PAIR.findall(p)]
    pairs: list[tuple[str, str, str]] = []
    for segment in (s for p in parts for s in _SEGMENT_SPLIT.split(p)):
        whole = _SEGMENT.fullmatch(segment)
        if whole is not None:
            pairs.append((whole.group(1).replace(" ", "_"), whole.group(2), whole.group(3)))
            continue
        found = _KV_PAIRS.findall(segment)
        if not found and _SPACED_LINE.fullmatch(segment):
            found = _SPACED_PAIR.findall(segment)
        pairs.extend(found)
    return pairs


def _generic(line: str) -> Hit | None:
    """Any ``key=value`` / ``key: value`` pairs on a line holding a step
    (``step=N``, ``step N``, ``Step: N``, ``iter N``, ``[N/T]``)."""
    m = _STEP_RE.search(line) or _BRACKET_RE.search(line)
    if m is None:
        return None
    pairs = _segment_pairs((line[: m.start()], line[m.end() :]))
    return int(m.group(1)), _int(m.group(2)), _values([p for p in pairs if p[0].lower() not in _STEP_WORDS])


BUILTIN_PATTERNS = (
    Pattern("modded_nanogpt", _modded_nanogpt),
    Pattern("llmc", _llmc),
    Pattern("build_nanogpt", _build_nanogpt),
    Pattern("generic", _generic),
)


def user_pattern(regex: str) -> Pattern:
    """A user's regex as a Pattern. Raises ValueError with a readable reason."""
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        raise ValueError(f"text_log pattern {regex!r} is not a valid regex: {exc}") from None
    groups = set(compiled.groupindex)
    metrics = sorted(groups - {"step", "total"})
    if "step" not in groups or not metrics:
        raise ValueError(
            f"text_log pattern {regex!r} needs a named group 'step' and at least one metric group"
        )

    def parse(line: str) -> Hit | None:
        m = compiled.search(line)
        if m is None or not (m.group("step") or "").strip().isdigit():
            return None
        total = (m.group("total") or "").strip() if "total" in groups else ""
        values: Values = []
        for name in metrics:
            value = parse_value(m.group(name) or "")
            if value is not None:
                values.append((name, value))
        return int(m.group("step")), int(total) if total.isdigit() else None, values

    return Pattern(f"user:{regex}", parse)


# ------------------------------------------------------------------ reading


@dataclass
class LogData:
    """Everything read from one log file."""

    values: dict[str, dict[int, float]] = field(default_factory=dict)
    total: int | None = None
    max_step: int | None = None
    usable_lines: int = 0
    missing_values: int = 0
    traceback_at_end: bool = False
    truncated: bool = False
    patterns: dict[str, int] = field(default_factory=dict)

    def add(self, hit: Hit, pattern: str) -> bool:
        """Record a line's values (last one wins per step); False when it has none."""
        step, total, values = hit
        if not values:
            return False
        for key, value in values:
            points = self.values.get(key)
            if points is None:
                points = self.values[key] = {}
            if value == value:
                points[step] = value
            else:  # NaN: missing; it never erases a real value for the same step
                self.missing_values += 1
                points.setdefault(step, value)
        self.usable_lines += 1
        self.patterns[pattern] = self.patterns.get(pattern, 0) + 1
        if self.max_step is None or step > self.max_step:
            self.max_step = step
        if total is not None:
            self.total = total
        self.traceback_at_end = False
        return True


def _encoding(head: bytes) -> str | None:
    """The text encoding of a file from its first bytes; None when it is binary."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # PowerShell's `>` writes UTF-16
    return None if b"\x00" in head else "utf-8-sig"


def _lines(handle: io.BufferedReader, encoding: str) -> Iterator[str]:
    """Lines split on \\n, \\r\\n and lone \\r (progress bars); undecodable bytes become U+FFFD."""
    return io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline=None)


def read_log(path: str, patterns: tuple[Pattern, ...]) -> tuple[LogData | None, str | None]:
    """Stream one file: (its data or None when not a log, a problem reason or None)."""
    user = tuple(p for p in patterns if p.name.startswith("user:"))
    builtin = [p for p in patterns if not p.name.startswith("user:")]
    data = LogData()
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
            if head.startswith(LFS_PREFIX):
                return None, "Git LFS pointer, not the real file (run `git lfs pull`)"
            encoding = _encoding(head)
            if encoding is None:
                return None, "binary file, not text"
            handle.seek(0)
            chars = 0
            for line in _lines(handle, encoding):
                chars += len(line)
                if chars > SNIFF_CHARS and not data.usable_lines:
                    return None, None
                if chars > MAX_CHARS:
                    data.truncated = True
                    break
                _read_line(line, data, user, builtin)
    except OSError as exc:
        return None, open_failure_reason(exc)
    return (data if data.usable_lines else None), None


def _read_line(line: str, data: LogData, user: tuple[Pattern, ...], builtin: list[Pattern]) -> None:
    """Try the user's patterns, then the built-in ones, the last one that matched first
    (a log repeats one format, so this saves most failed attempts)."""
    if "Traceback (most recent call last)" in line:  # also behind a "[rank0]: " prefix
        data.traceback_at_end = True
        return
    for pattern in user:
        hit = pattern.parse(line)
        if hit is not None and data.add(hit, pattern.name):
            return
    if not _maybe_builtin(line):
        return
    for i, pattern in enumerate(builtin):
        hit = pattern.parse(line)
        if hit is not None and data.add(hit, pattern.name):
            if i:
                builtin.insert(0, builtin.pop(i))
            return


# ------------------------------------------------------------------ runs


def _series(values: dict[str, dict[int, float]]) -> dict[str, Series]:
    out: dict[str, Series] = {}
    for name, points in values.items():
        steps = sorted(points)
        y = np.array([points[s] for s in steps], dtype=np.float64)
        if np.isfinite(y).any():
            out[name] = Series(name, x=np.array(steps, dtype=np.float64), y=y)
    return out


def _notes(data: LogData) -> list[str]:
    notes = []
    used = ", ".join(f"{name} ({count} lines)" for name, count in sorted(data.patterns.items()))
    notes.append(f"Read from a plain-text log; patterns used: {used}.")
    if "llmc" in data.patterns:
        notes.append("llm.c keys trl and tel are shown as train_loss and val_loss.")
    if data.missing_values:
        notes.append(f"{data.missing_values} values logged as nan/inf were read as missing.")
    if data.traceback_at_end:
        notes.append("The log ends with a Python traceback after its last step: status failed.")
    if data.truncated:
        notes.append(f"Only the first {MAX_CHARS // 1024**2} MB of this log were read.")
    return notes


def _status(data: LogData) -> str:
    if data.traceback_at_end:
        return "failed"
    if data.total is not None and data.max_step is not None and data.max_step >= data.total:
        return "completed"
    return "unknown"


def _run(path: str, data: LogData, name: str) -> Run:
    series = _series(data.values)
    metrics = {k: v for k, s in series.items() if (v := s.last_finite()) is not None}
    return Run(
        key=os.path.basename(path),
        name=name,
        source=NAME,
        path=path,
        experiment=os.path.basename(os.path.dirname(path)) or None,
        status=_status(data),
        step=data.max_step,
        params={"max_steps": data.total} if data.total is not None else {},
        metrics=dict(sorted(metrics.items())),
        series=series,
        files=[path],
        notes=_notes(data),
    )


def _run_name(path: str, several: bool) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem.lower() not in GENERIC_STEMS:
        return stem
    folder = os.path.basename(os.path.dirname(path))
    return f"{folder}/{stem}" if several else folder


def is_log_name(name: str) -> bool:
    """Whether a file name looks like a plain-text log (content decides later)."""
    low = name.lower()
    if low.startswith(".") or low.startswith(NOT_LOG_PREFIXES) or low == "a.out":
        return False
    if low.endswith(LOG_SUFFIXES):
        return True
    if low == "log" or low.startswith(LOG_PREFIXES):
        return os.path.splitext(low)[1] not in NOT_LOG_SUFFIXES
    return False


class TextLogReader:
    """Plain-text logs, read with the built-in patterns plus the user's."""

    name = NAME

    def __init__(self, extra_patterns: list[str] | None = None) -> None:
        extra = list(extra_patterns or [])
        self.patterns = tuple(user_pattern(p) for p in extra) + BUILTIN_PATTERNS
        # Changing the user's patterns changes the output: re-parse cached logs.
        self.version = VERSION + 1000 * zlib.crc32("\n".join(extra).encode())

    def claim(self, folder: Folder) -> Claim | None:
        files = sorted(os.path.join(folder.path, n) for n in folder.files if is_log_name(n))
        return Claim(reader=NAME, folder=folder.path, files=tuple(files)) if files else None

    def read(self, claim: Claim) -> ReadResult:
        result = ReadResult()
        logs: list[tuple[str, LogData]] = []
        for path in claim.files:
            data, reason = read_log(path, self.patterns)
            if reason is not None:
                result.problems.append(Problem(path, NAME, reason))
            if data is not None:
                logs.append((path, data))
        for path, data in logs:
            result.runs.append(_run(path, data, _run_name(path, several=len(logs) > 1)))
        return result


def make_reader(extra_patterns: list[str]) -> TextLogReader:
    """A reader that also tries ``extra_patterns`` (regexes with a named group
    ``step``, optionally ``total``, and metric groups) before the built-in ones.
    Raises ValueError for an invalid pattern, so settings can report it."""
    return TextLogReader(extra_patterns)


READER = make_reader([])
