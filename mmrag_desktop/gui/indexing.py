"""Indexing off the GUI thread, with pause, resume, cancel and a queue.

One worker thread runs ``Library.index`` (whole sources) or ``Library.update_files``
(files a watcher reported). Progress arrives by signal. Pausing blocks the worker inside
its progress callback, which the indexer calls between files, so a pause never splits a
file's transaction; cancelling sets the indexer's cancel event, which also stops at a
file boundary, so whatever was committed stays and the next run resumes from there.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..errors import MMRagError
from ..library import Library
from ..pipeline.ingest import IndexProgress

log = logging.getLogger(__name__)


def _lower_priority() -> None:
    """Background indexing yields the CPU to the window, as desktop indexers do: on
    Linux a thread has its own nice value, inherited by the threads it starts (per-file
    extraction, the model runtime's pool when created here)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class IndexController(QObject):
    started = Signal()
    progress = Signal(object)  # IndexProgress
    finished = Signal(object)  # IndexReport, or None after a failure
    failed = Signal(str)
    paused_changed = Signal(bool)

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._running_flag = threading.Event()
        self._running_flag.set()  # set = not paused
        self._queued_full: list[Path] | None = None
        self._queued_files: set[str] = set()
        self._closing = False
        self._active = threading.Event()

    # -- state ------------------------------------------------------------------------

    def is_busy(self) -> bool:
        return self._active.is_set()

    def is_paused(self) -> bool:
        return not self._running_flag.is_set()

    # -- requests (GUI thread) ----------------------------------------------------------

    def index(self, paths: list[Path] | None = None) -> None:
        """Index these folders (added as sources when new) or every source."""
        if self.is_busy():
            self._queued_full = (self._queued_full or []) + list(paths or [])
            return
        self._start(lambda progress, cancel: self.library.index(paths or None, progress=progress, cancel=cancel))

    def update_files(self, paths: list[str]) -> None:
        """Re-index just these files (from the file watcher)."""
        if self.is_busy():
            self._queued_files.update(paths)
            return
        self._start(lambda progress, cancel: self.library.update_files(paths, progress=progress, cancel=cancel))

    def pause(self) -> None:
        if self.is_busy() and not self.is_paused():
            self._running_flag.clear()
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if self.is_paused():
            self._running_flag.set()
            self.paused_changed.emit(False)

    def cancel(self) -> None:
        self._queued_full, self._queued_files = None, set()
        self._cancel.set()
        self.resume()

    def shutdown(self, timeout: float = 30.0) -> bool:
        """Stop at the next file boundary and wait; committed work is kept. Returns
        whether the worker ended within ``timeout``."""
        self._closing = True
        self.cancel()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # -- worker -------------------------------------------------------------------------

    def _start(self, job: Any) -> None:
        # Worker threads hand the GIL back every switch interval; at Python's default
        # 5 ms, the GUI thread can wait several intervals behind extraction, commits and
        # searches. 1 ms keeps the event loop's waits short (the throughput cost is small).
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        # A full garbage collection walks every object (Qt wrappers, model runtimes: ~100 ms
        # here) with the GIL held, on whichever thread triggers it. Objects alive now are
        # the app's long-lived ones: freezing them keeps later collections short.
        gc.freeze()
        self._cancel = threading.Event()
        self._running_flag.set()
        cancel = self._cancel

        def on_progress(event: IndexProgress) -> None:  # worker thread
            self.progress.emit(event)
            # Paused: wait here, between files, until resumed or cancelled.
            while not self._running_flag.wait(0.2):
                if cancel.is_set():
                    break

        def work() -> None:
            _lower_priority()
            try:
                report = job(on_progress, cancel)
            except MMRagError as exc:
                self.failed.emit(str(exc))
                report = None
            except Exception as exc:  # a bug: report it, never kill the app
                log.exception("indexing failed")
                self.failed.emit(f"{type(exc).__name__}: {exc}")
                report = None
            self._active.clear()
            if not self._closing:
                self.finished.emit(report)

        self._active.set()
        # Daemon: quitting never waits on a hung extractor. Closing the window first asks
        # the worker to stop at a file boundary (``shutdown``); a file whose transaction
        # was cut off at exit is simply redone next time, as after a crash.
        self._thread = threading.Thread(target=work, name="mmrag-index", daemon=True)
        self.started.emit()
        self._thread.start()

    def run_queued(self) -> None:
        """Start what was requested while busy (called when a run finished)."""
        if self.is_busy() or self._closing:
            return
        if self._queued_full is not None:
            paths, self._queued_full = self._queued_full, None
            self._queued_files = set()
            self.index(paths or None)
        elif self._queued_files:
            files, self._queued_files = sorted(self._queued_files), set()
            self.update_files(files)
