"""Walk a root and let readers claim folders, never leaving the root.

The walk only lists names; it reads no file. Links are resolved and checked:
a link leading outside the root, a link loop, or a folder that cannot be
listed becomes a problem and the rest of the tree is still walked.

The walk is incremental. A folder's listing changes only when its own mtime
does, so a folder whose mtime (and that of every sub-folder its claim looked
into) is unchanged since the previous walk reuses its previous claim without
being listed again: a rescan of an unchanged tree is one ``stat`` per folder.
A folder changed within the last few seconds is always listed again, because a
second change inside the same mtime tick would be invisible ("racy" mtimes).
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from .base import Claim, Problem, Reader

# Folders that never hold results and can be huge.
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})
# Bumped when DirState changes shape, so states cached by an older version are ignored.
STATE_VERSION = 4
# A folder's (mtime_ns, ctime_ns, inode). mtime moves when entries are added or removed; ctime and
# the inode tell a folder swapped in under the same name and mtime (mv, cp -a, rsync -a restores).
Stamp = tuple[int, int, int]


def stamp_of(path: str) -> Stamp:
    st = os.stat(path)
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def printable(path: str) -> str:
    """A path as text even when its bytes are not UTF-8 (shown with backslash escapes)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


# A folder modified this recently (ns) is listed again on the next walk, whatever its mtime says.
RACY_NS = 2_000_000_000


def is_inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


@dataclass
class Listing:
    """A vetted listing of one folder (implements ``base.Folder``)."""

    path: str
    files: frozenset[str]
    dirs: frozenset[str]
    walker: Walker = field(repr=False)
    links: frozenset[str] = frozenset()  # the sub-folders in ``dirs`` reached through a symlink
    stamp: Stamp = (0, 0, 0)
    problems: tuple[Problem, ...] = ()
    has_links: bool = False  # any entry (file or folder) is a symlink

    def sub(self, name: str) -> Listing | None:
        if name not in self.dirs:
            return None
        return self.walker.consult(os.path.join(self.path, name))


@dataclass(frozen=True)
class DirState:
    """What one folder contributed to a walk, kept to be reused by the next one."""

    stamp: Stamp
    claim: Claim | None
    # Paths of the sub-folders to walk next, in reverse order (a stack pops the last).
    children: tuple[str, ...]
    linked: tuple[str, ...]  # paths of sub-folders reached through links, walked after the real tree
    problems: tuple[Problem, ...]
    deps: tuple[tuple[str, Stamp], ...]  # (sub-folder, stamp) the claim looked into
    racy: bool


class Walker:
    """Walks one root; collects claims and the problems met on the way."""

    def __init__(self, root: str, previous: dict[str, DirState] | None = None) -> None:
        # Paths are built from the root as given (the store's run ids are cut from it);
        # containment is checked against where it really is.
        self.root = root
        self.real_root = os.path.realpath(root)
        self.problems: list[Problem] = []
        self.states: dict[str, DirState] = {}
        self.listed = 0  # folders actually listed (not reused), for tests and benchmarks
        self._previous = previous or {}
        self._consulted: dict[str, Listing | None] = {}
        self._scan_ns = time.time_ns()

    # ------------------------------------------------------------ listing
    def consult(self, path: str) -> Listing | None:
        """A sub-folder listing asked for by a claim; remembered as that claim's dependency."""
        if path not in self._consulted:
            self._consulted[path] = self._list(path)
        return self._consulted[path]

    def _list(self, path: str) -> Listing | None:
        problems: list[Problem] = []
        files: set[str] = set()
        dirs: set[str] = set()
        links: set[str] = set()
        self._saw_link = False
        try:
            stamp = stamp_of(path)
            with os.scandir(path) as entries:
                for entry in entries:
                    self._sort_entry(entry, files, dirs, links, problems)
        except PermissionError:
            self.problems.append(Problem(path, "walk", "permission denied: folder not listed"))
            return None
        except FileNotFoundError:
            self.problems.append(Problem(path, "walk", "folder vanished while scanning"))
            return None
        except NotADirectoryError:
            self.problems.append(Problem(path, "walk", "expected a folder, found a file"))
            return None
        except OSError as exc:
            self.problems.append(Problem(path, "walk", f"cannot list folder: {exc.strerror or exc}"))
            return None
        self.listed += 1
        return Listing(
            path=path, files=frozenset(files), dirs=frozenset(dirs), walker=self, links=frozenset(links),
            stamp=stamp, problems=tuple(problems), has_links=self._saw_link,
        )  # fmt: skip

    def _sort_entry(
        self,
        entry: os.DirEntry[str],
        files: set[str],
        dirs: set[str],
        links: set[str],
        problems: list[Problem],
    ) -> None:
        try:
            entry.name.encode("utf-8")
        except UnicodeEncodeError:  # ids, CSV and the page are text: such a name cannot be shown
            problems.append(Problem(printable(entry.path), "walk", "name is not valid UTF-8; not scanned"))
            return
        try:
            if entry.is_symlink():
                self._saw_link = True
                self._sort_link(entry, files, dirs, links, problems)
            elif entry.is_dir(follow_symlinks=False):
                dirs.add(entry.name)
            elif entry.is_file(follow_symlinks=False):
                files.add(entry.name)
        except OSError as exc:  # vanished between listing and looking
            problems.append(Problem(entry.path, "walk", f"cannot inspect: {exc.strerror or exc}"))

    def _sort_link(
        self,
        entry: os.DirEntry[str],
        files: set[str],
        dirs: set[str],
        links: set[str],
        problems: list[Problem],
    ) -> None:
        try:
            os.stat(entry.path)
        except OSError as exc:
            reason = "symlink loop" if exc.errno == errno.ELOOP else "broken symlink"
            problems.append(Problem(entry.path, "walk", f"{reason}; not followed"))
            return
        target = os.path.realpath(entry.path)
        if not is_inside(target, self.real_root):
            problems.append(Problem(entry.path, "walk", "link leads outside the root; not followed"))
            return
        if os.path.isdir(target):
            dirs.add(entry.name)
            links.add(entry.name)
        elif os.path.isfile(target):
            files.add(entry.name)

    # ------------------------------------------------------------ one folder
    def _reusable(self, path: str) -> DirState | None:
        previous = self._previous.get(path)
        if previous is None or previous.racy:
            return None
        try:
            if stamp_of(path) != previous.stamp:
                return None
            for dep, stamp in previous.deps:
                if stamp_of(dep) != stamp:
                    return None
        except OSError:
            return None
        return previous

    def _state(self, path: str, readers: Sequence[Reader]) -> DirState | None:
        reused = self._reusable(path)
        if reused is not None:
            return reused
        folder = self._list(path)
        if folder is None:
            return None
        self._consulted = {}
        claim: Claim | None = None
        for reader in readers:
            claim = reader.claim(folder)
            if claim is not None:
                break
        pruned = claim.prune if claim is not None else frozenset()
        consulted = [(p, sub) for p, sub in sorted(self._consulted.items()) if sub is not None]
        deps = tuple((p, sub.stamp) for p, sub in consulted)
        problems = list(folder.problems)
        for p, sub in self._consulted.items():
            if sub is not None and os.path.basename(p) in pruned:
                problems.extend(sub.problems)  # nobody walks a pruned folder: report its problems here
        walkable = sorted(
            name
            for name in folder.dirs
            if name not in pruned and name not in SKIPPED_DIRS and not name.startswith(".")
        )
        # A folder holding a link (good or bad) is listed again every time: where a link leads can
        # change — its target appearing, vanishing, or a link further on re-pointed outside the
        # root — without this folder's stamp moving. Links are rare; the cost is small.
        links_seen = folder.has_links or any(sub.has_links for _, sub in consulted)
        stamps = (folder.stamp, *(s for _, s in deps))
        racy = bool(problems) or links_seen or any(self._scan_ns - s[0] < RACY_NS for s in stamps)
        return DirState(
            stamp=folder.stamp,
            claim=claim,
            children=tuple(os.path.join(path, n) for n in reversed(walkable) if n not in folder.links),
            linked=tuple(os.path.join(path, n) for n in walkable if n in folder.links),
            problems=tuple(problems),
            deps=deps,
            racy=racy,
        )

    @staticmethod
    def _duplicate(path: str, real: str, first: str) -> Problem:
        if is_inside(os.path.realpath(os.path.dirname(path)), real):
            return Problem(path, "walk", f"symlink loop: leads back to {first}; not followed")
        return Problem(path, "walk", f"same folder as {first} (linked); scanned once")

    # ------------------------------------------------------------ the walk
    def walk(self, readers: Sequence[Reader]) -> list[Claim]:
        """Every claim under the root, in a stable (sorted) order.

        Folders reached through symlinks are walked last, so a folder linked from
        elsewhere keeps its real path as its run id and the link is the duplicate.
        """
        claims: list[Claim] = []
        walked: dict[str, str] = {}  # real path -> the path it was walked as
        # (path, real path): they differ only below a followed link.
        # Same object when equal: below a real path, children are their own real paths (no join).
        start_real = self.root if self.root == self.real_root else self.real_root
        stack: list[tuple[str, str]] = [(self.root, start_real)]
        linked: list[tuple[str, str]] = []
        while stack or linked:
            path, real = stack.pop() if stack else linked.pop(0)
            if real in walked:
                self.problems.append(self._duplicate(path, real, walked[real]))
                continue
            if not is_inside(real, self.real_root):  # a link further on was re-pointed outside
                self.problems.append(Problem(path, "walk", "link leads outside the root; not followed"))
                continue
            walked[real] = path
            state = self._state(path, readers)
            if state is None:
                continue
            self.states[path] = state
            if state.problems:
                self.problems.extend(state.problems)
            if state.claim is not None:
                claims.append(state.claim)
            if path is real:
                stack.extend((child, child) for child in state.children)
            else:
                stack.extend((child, os.path.join(real, os.path.basename(child))) for child in state.children)
            linked.extend((link, os.path.realpath(link)) for link in state.linked)
        claims.sort(key=lambda c: c.folder)
        return claims
