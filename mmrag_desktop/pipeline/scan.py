"""Walking a source folder: which files are candidates for indexing.

Hidden and excluded paths are pruned early; symlinked folders are followed once (a
loop is detected by device+inode); an unreadable folder is reported and skipped.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class FoundFile:
    path: str
    size: int
    mtime_ns: int


@dataclass
class ScanProblems:
    messages: list[str] = field(default_factory=list)


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a path glob (``**`` spans folders, ``*`` does not) to a regex."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.IGNORECASE if os.name == "nt" else 0)


def matches_any(relative: str, patterns: Sequence[str]) -> bool:
    return any(glob_regex(p).match(relative) for p in patterns)


def _is_hidden(entry: os.DirEntry[str]) -> bool:
    if entry.name.startswith("."):
        return True
    if os.name == "nt":  # pragma: no cover - Windows only
        try:
            attributes = entry.stat(follow_symlinks=False).st_file_attributes  # type: ignore[attr-defined]
        except OSError:
            return False
        return bool(attributes & (stat.FILE_ATTRIBUTE_HIDDEN | stat.FILE_ATTRIBUTE_SYSTEM))  # type: ignore[attr-defined]
    return False


def _links_to_ancestor(link: str) -> bool:
    """Whether the symlinked folder ``link`` points to a folder that contains it."""
    try:
        target = os.path.realpath(link)
        parent = os.path.realpath(os.path.dirname(link))
    except OSError:  # pragma: no cover - realpath raises only on odd platforms
        return False
    return parent == target or parent.startswith(target.rstrip(os.sep) + os.sep)


def scan(
    root: Path,
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    skip_hidden: bool = True,
    follow_symlinks: bool = True,
    problems: ScanProblems | None = None,
) -> Iterator[FoundFile]:
    """Yield the regular files under ``root`` (or ``root`` itself when it is a file)."""
    problems = problems if problems is not None else ScanProblems()
    try:
        root_stat = root.stat()
    except OSError as exc:
        problems.messages.append(f"{root}: cannot read ({exc.strerror})")
        return
    if stat.S_ISREG(root_stat.st_mode):
        yield FoundFile(str(root), root_stat.st_size, root_stat.st_mtime_ns)
        return
    visited: set[tuple[int, int]] = {(root_stat.st_dev, root_stat.st_ino)}
    stack: list[Path] = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listing = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            problems.messages.append(f"{folder}: folder skipped ({exc.strerror or exc})")
            continue
        subfolders: list[Path] = []
        for entry in listing:
            if skip_hidden and _is_hidden(entry):
                continue
            relative = os.path.relpath(entry.path, root).replace(os.sep, "/")
            try:
                is_link = entry.is_symlink()
                if is_link and not follow_symlinks:
                    continue
                info = entry.stat(follow_symlinks=True)
            except OSError as exc:
                problems.messages.append(f"{entry.path}: skipped ({exc.strerror or exc})")
                continue
            if stat.S_ISDIR(info.st_mode):
                if matches_any(relative + "/", exclude):
                    continue
                if is_link and _links_to_ancestor(entry.path):
                    # Following it would walk the source's parent (a link to ".." in
                    # a source indexed the user's whole home folder under link paths).
                    problems.messages.append(f"{entry.path}: symlink loop skipped (points to a folder above it)")
                    continue
                key = (info.st_dev, info.st_ino)
                if key in visited:  # a symlink loop or a second link to the same folder
                    continue
                visited.add(key)
                subfolders.append(Path(entry.path))
            elif stat.S_ISREG(info.st_mode):
                if matches_any(relative, exclude) or (include and not matches_any(relative, include)):
                    continue
                yield FoundFile(entry.path, info.st_size, info.st_mtime_ns)
        stack.extend(reversed(subfolders))
