"""Walk a root and let readers claim folders, never leaving the root.

The walk only lists names; it reads no file. Links are resolved and checked:
a link leading outside the root, a link loop, or a folder that cannot be
listed becomes a problem and the rest of the tree is still walked.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from .base import Claim, Problem, Reader

# Folders that never hold results and can be huge.
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})


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

    def sub(self, name: str) -> Listing | None:
        if name not in self.dirs:
            return None
        return self.walker.listing(os.path.join(self.path, name))


class Walker:
    """Lists folders under one root; collects the problems it meets on the way."""

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root)
        self.problems: list[Problem] = []
        self._listed: dict[str, Listing | None] = {}

    def _problem(self, path: str, reason: str) -> None:
        self.problems.append(Problem(path=path, reader="walk", reason=reason))

    def listing(self, path: str) -> Listing | None:
        if path in self._listed:
            return self._listed[path]
        result = self._list(path)
        self._listed[path] = result
        return result

    def _list(self, path: str) -> Listing | None:
        files: set[str] = set()
        dirs: set[str] = set()
        links: set[str] = set()
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    self._sort_entry(entry, files, dirs, links)
        except PermissionError:
            self._problem(path, "permission denied: folder not listed")
            return None
        except FileNotFoundError:
            self._problem(path, "folder vanished while scanning")
            return None
        except NotADirectoryError:
            self._problem(path, "expected a folder, found a file")
            return None
        except OSError as exc:
            self._problem(path, f"cannot list folder: {exc.strerror or exc}")
            return None
        return Listing(
            path=path, files=frozenset(files), dirs=frozenset(dirs), walker=self, links=frozenset(links)
        )

    def _sort_entry(self, entry: os.DirEntry[str], files: set[str], dirs: set[str], links: set[str]) -> None:
        try:
            if entry.is_symlink():
                self._sort_link(entry, files, dirs, links)
            elif entry.is_dir(follow_symlinks=False):
                dirs.add(entry.name)
            elif entry.is_file(follow_symlinks=False):
                files.add(entry.name)
        except OSError as exc:  # vanished between listing and looking
            self._problem(entry.path, f"cannot inspect: {exc.strerror or exc}")

    def _sort_link(self, entry: os.DirEntry[str], files: set[str], dirs: set[str], links: set[str]) -> None:
        try:
            os.stat(entry.path)
        except OSError as exc:
            reason = "symlink loop" if exc.errno == errno.ELOOP else "broken symlink"
            self._problem(entry.path, f"{reason}; not followed")
            return
        target = os.path.realpath(entry.path)
        if not is_inside(target, self.root):
            self._problem(entry.path, "link leads outside the root; not followed")
            return
        if os.path.isdir(target):
            dirs.add(entry.name)
            links.add(entry.name)
        elif os.path.isfile(target):
            files.add(entry.name)

    def walk(self, readers: Sequence[Reader]) -> list[Claim]:
        """Every claim under the root, in a stable (sorted) order.

        Folders reached through symlinks are walked last, so a folder linked from
        elsewhere keeps its real path as its run id and the link is the duplicate.
        """
        claims: list[Claim] = []
        seen_real: dict[str, str] = {}
        stack = [self.root]
        linked: list[str] = []
        while stack or linked:
            path = stack.pop() if stack else linked.pop(0)
            real = os.path.realpath(path)
            if real in seen_real:
                if is_inside(os.path.realpath(os.path.dirname(path)), real):
                    self._problem(path, f"symlink loop: leads back to {seen_real[real]}; not followed")
                else:
                    self._problem(path, f"same folder as {seen_real[real]} (linked); scanned once")
                continue
            seen_real[real] = path
            folder = self.listing(path)
            if folder is None:
                continue
            pruned: frozenset[str] = frozenset()
            for reader in readers:
                claim = reader.claim(folder)
                if claim is not None:
                    claims.append(claim)
                    pruned = claim.prune
                    break
            for name in sorted(folder.dirs, reverse=True):
                if name in pruned or name in SKIPPED_DIRS or name.startswith("."):
                    continue
                (linked if name in folder.links else stack).append(os.path.join(path, name))
        claims.sort(key=lambda c: c.folder)
        return claims
