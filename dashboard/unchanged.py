"""The fast path of a rescan: prove nothing changed with one ``stat`` per folder and file.

After a full scan, the store records every folder mtime the walk relied on and every
claimed file's ``(size, mtime_ns, ctime_ns)``. If all still hold, the tree is as it
was and the last snapshot stands, without walking or looking anything up. Anything
uncertain — a change within the mtime tick, a problem met while walking (a broken
link's target may appear without any mtime moving), a run whose "running" status
is about to expire — disables the fast path for that scan.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

Stat = tuple[str, int, int, int, int]  # path, size, mtime_ns, ctime_ns, inode


@dataclass(frozen=True)
class UnchangedCheck:
    folders: tuple[tuple[str, tuple[int, int, int]], ...]  # (path, (mtime_ns, ctime_ns, inode))
    files: tuple[Stat, ...]
    expires_at: float | None  # when a status derived from recency must be recomputed

    def holds(self, now: float) -> bool:
        if self.expires_at is not None and now >= self.expires_at:
            return False
        stat = os.stat
        try:
            for path, (mtime_ns, ctime_ns, inode) in self.folders:
                st = stat(path)
                if st.st_mtime_ns != mtime_ns or st.st_ctime_ns != ctime_ns or st.st_ino != inode:
                    return False
            for path, size, mtime_ns, ctime_ns, inode in self.files:
                st = stat(path)
                if (
                    st.st_mtime_ns != mtime_ns
                    or st.st_size != size
                    or st.st_ctime_ns != ctime_ns
                    or st.st_ino != inode
                ):
                    return False
        except OSError:
            return False
        return True


def build_check(
    folders: Iterable[tuple[str, tuple[int, int, int]]], files: Iterable[Stat], expires_at: float | None
) -> UnchangedCheck | None:
    """A check over these stats, or None when a file is missing (it must be looked at again)."""
    checked_files = tuple(files)
    if any(size < 0 for _, size, _, _, _ in checked_files):
        return None
    return UnchangedCheck(folders=tuple(folders), files=checked_files, expires_at=expires_at)
