"""Reading untrusted result files, turning every failure into a readable reason.

Readers call ``load_json`` / ``read_text`` and catch ``UnreadableFile``; its
message is what the user sees in the problems panel.
"""

from __future__ import annotations

import codecs
import errno
import io
import json
import os
import stat
from typing import Any

import orjson

# Result files bigger than this are not parsed (a 2 GB "metrics.json" is a mistake,
# and reading it would stall every other run of the scan).
MAX_JSON_BYTES = 256 * 1024 * 1024
# Read size for files whose size ``fstat`` does not tell (pipes, /proc) or that grew.
READ_CHUNK = 1024 * 1024
LFS_PREFIX = b"version https://git-lfs.github.com/spec/"


class UnreadableFile(Exception):
    """A file that cannot be used; ``str(exc)`` is the user-facing reason."""


def open_failure_reason(exc: OSError) -> str:
    """The user-facing reason a file could not be opened or read (shared by every reader)."""
    if isinstance(exc, FileNotFoundError):
        return "file vanished while scanning"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "expected a file, found a folder"
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    return f"cannot read: {exc.strerror or exc}"


def read_bytes(path: str, limit: int = MAX_JSON_BYTES) -> bytes:
    try:
        # Unbuffered: a buffered ``read(limit + 1)`` allocates the whole limit up front,
        # which cost three times the rest of reading a small results file.
        with open(path, "rb", buffering=0) as handle:
            data = _read_upto(handle, limit)
    except OSError as exc:
        raise UnreadableFile(open_failure_reason(exc)) from None
    if len(data) > limit:
        raise _too_large(limit)
    return data


def _too_large(limit: int) -> UnreadableFile:
    return UnreadableFile(f"file larger than {limit // (1024 * 1024)} MB; not read")


def _read_upto(handle: io.FileIO, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes, to EOF. A regular file is read in one call sized from
    ``fstat`` (plus one byte, so growth since the stat is still seen and read on)."""
    info = os.fstat(handle.fileno())
    regular = stat.S_ISREG(info.st_mode)
    if regular and info.st_size > limit:
        raise _too_large(limit)
    want = info.st_size + 1 if regular and info.st_size else READ_CHUNK
    parts: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = handle.read(min(want, limit + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        if regular and total == info.st_size and len(chunk) < want:
            break  # the stat's size read and nothing past it: at EOF
        want = READ_CHUNK
    return b"".join(parts)


def _utf16_as_utf8(data: bytes) -> bytes:
    """UTF-16 with a byte-order mark (what PowerShell's ``>`` writes) re-encoded as UTF-8;
    other bytes unchanged. Its NUL bytes would otherwise make it look binary."""
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data
    try:
        return data.decode("utf-16").encode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableFile("UTF-16 text with undecodable bytes") from None


def _describe_bad_bytes(data: bytes) -> str | None:
    if not data.strip():
        return "empty file"
    if data.startswith(LFS_PREFIX):
        return "Git LFS pointer, not the real file (run `git lfs pull`)"
    if b"\x00" in data[:4096]:
        return "binary file, not text"
    return None


def load_json(path: str) -> Any:
    """Parse a JSON file. Accepts a UTF-8 BOM and the ``NaN``/``Infinity`` tokens
    Python's json module writes (orjson refuses them, so we fall back), and UTF-16
    with a byte-order mark."""
    data = _utf16_as_utf8(read_bytes(path))
    bad = _describe_bad_bytes(data)
    if bad:
        raise UnreadableFile(bad)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableFile("not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string"):
            raise UnreadableFile(f"truncated JSON (ends at line {exc.lineno})") from None
        raise UnreadableFile(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise UnreadableFile("JSON nested too deeply to read") from None


def load_json_object(path: str) -> dict[str, Any]:
    value = load_json(path)
    if not isinstance(value, dict):
        raise UnreadableFile(f"expected a JSON object, found {type(value).__name__}")
    return value


def read_text(path: str, limit: int = MAX_JSON_BYTES) -> str:
    """Decode a text file leniently: undecodable bytes become U+FFFD, CRLF is kept
    for the caller's ``splitlines``. UTF-16 with a byte-order mark is decoded as such."""
    data = _utf16_as_utf8(read_bytes(path, limit))
    bad = _describe_bad_bytes(data)
    if bad:
        raise UnreadableFile(bad)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8", errors="replace")
