"""Picks up new, changed and deleted files in the library's folders while the app runs.

``QFileSystemWatcher`` (inotify, FSEvents, ReadDirectoryChangesW underneath) watches
every folder of every source, and the files themselves up to a cap (an edit in place
does not touch its folder). A folder change is diffed against the last listing of that
folder; the changed paths are batched for a moment and handed to the indexer, which
re-indexes exactly those files instead of rescanning the sources.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from .ops import run_op

#: inotify allows 8192 watches per user by default; stay well below it.
MAX_WATCHED = 4000


def _listing(folder: str) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    info = entry.stat()
                except OSError:
                    continue
                out[entry.path] = (info.st_size, info.st_mtime_ns) if entry.is_file() else (-1, 0)
    except OSError:
        pass
    return out


def _walk(roots: Iterable[Path]) -> dict[str, dict[str, tuple[int, int]]]:
    """Listing of every non-hidden folder under ``roots`` (worker thread)."""
    folders: dict[str, dict[str, tuple[int, int]]] = {}
    stack = [str(r) for r in roots]
    while stack and len(folders) < MAX_WATCHED:
        folder = stack.pop()
        listing = _listing(folder)
        folders[folder] = listing
        stack.extend(p for p, (size, _) in listing.items() if size == -1 and not Path(p).name.startswith("."))
    return folders


class SourceWatcher(QObject):
    #: Paths (files) that were created, changed or deleted, batched.
    changed = Signal(list)

    def __init__(self, parent: QObject | None = None, delay_ms: int = 700) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_folder)
        self._watcher.fileChanged.connect(self._on_file)
        self._listings: dict[str, dict[str, tuple[int, int]]] = {}
        self._pending: set[str] = set()
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self._flush)

    def set_roots(self, roots: list[Path]) -> None:
        """Watch these folders (replacing the previous set); listing runs off the GUI thread."""
        run_op(lambda: _walk(roots), self._install)

    def _install(self, listings: dict[str, dict[str, tuple[int, int]]]) -> None:
        old = self._watcher.directories() + self._watcher.files()
        if old:
            self._watcher.removePaths(old)
        self._listings = listings
        folders = list(listings)
        if folders:
            self._watcher.addPaths(folders)
        room = MAX_WATCHED - len(folders)
        files = [p for listing in listings.values() for p, (size, _) in listing.items() if size >= 0][: max(room, 0)]
        if files:
            self._watcher.addPaths(files)

    def watched(self) -> list[str]:
        return self._watcher.directories() + self._watcher.files()

    def _on_folder(self, folder: str) -> None:
        before = self._listings.get(folder, {})
        after = _listing(folder)
        self._listings[folder] = after
        for path in set(before) | set(after):
            if before.get(path, (0, 0))[0] == -1 and path not in after:  # a sub-folder went away
                self._pending.update(self._files_under(path))
                continue
            if before.get(path) != after.get(path):
                if after.get(path, (0, 0))[0] == -1:  # a new sub-folder: watch it and its files
                    if not Path(path).name.startswith("."):
                        self._watcher.addPath(path)
                        sub = _listing(path)
                        self._listings[path] = sub
                        self._pending.update(p for p, (size, _) in sub.items() if size >= 0)
                    continue
                self._pending.add(path)
                if path in after and path not in before and len(self.watched()) < MAX_WATCHED:
                    self._watcher.addPath(path)
        self._timer.start()

    def _files_under(self, folder: str) -> list[str]:
        """Files last seen under ``folder`` (forgetting their listings)."""
        files: list[str] = []
        for known in [f for f in self._listings if f == folder or f.startswith(folder + os.sep)]:
            files.extend(p for p, (size, _) in self._listings.pop(known).items() if size >= 0)
        return files

    def _on_file(self, path: str) -> None:
        self._pending.add(path)
        if os.path.exists(path) and path not in self._watcher.files():
            self._watcher.addPath(path)  # editors that replace a file drop the watch
        self._timer.start()

    def _flush(self) -> None:
        if self._pending:
            paths, self._pending = sorted(self._pending), set()
            self.changed.emit(paths)
