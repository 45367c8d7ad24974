"""Background operations for the GUI, in the spirit of Anki's ``QueryOp``.

``run_op(fn, success=…, failure=…)`` runs ``fn()`` on a worker thread of a
``QThreadPool`` and calls ``success(result)`` or ``failure(exception)`` back on the GUI
thread through a queued signal. Widgets stay declarative: they say what to compute and
what to do with the answer, never touch threads, and the event loop never waits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

log = logging.getLogger(__name__)

#: Ops whose callbacks have not run yet; keeps their relay objects alive.
_pending: set[Op] = set()
_pending_lock = threading.Lock()


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted from a worker are delivered there."""

    succeeded = Signal(object)
    failed = Signal(object)


class Op(QRunnable):
    def __init__(
        self,
        fn: Callable[[], Any],
        success: Callable[[Any], None] | None = None,
        failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.relay = _Relay()
        self.relay.succeeded.connect(lambda result: self._finish(success, result), Qt.ConnectionType.QueuedConnection)
        self.relay.failed.connect(lambda exc: self._finish(failure or _log_failure, exc),
                                  Qt.ConnectionType.QueuedConnection)
        self.finished = threading.Event()

    def run(self) -> None:  # worker thread
        try:
            result = self.fn()
        except BaseException as exc:
            self.finished.set()
            self.relay.failed.emit(exc)
            return
        self.finished.set()
        self.relay.succeeded.emit(result)

    def _finish(self, callback: Callable[[Any], None] | None, value: Any) -> None:  # GUI thread
        with _pending_lock:
            _pending.discard(self)
        if callback is None:
            return
        try:
            callback(value)
        except RuntimeError as exc:  # the widget it reports to was closed meanwhile
            if "already deleted" not in str(exc):
                raise


def _log_failure(exc: BaseException) -> None:
    log.warning("background operation failed: %s: %s", type(exc).__name__, exc)


_image_plugins_loaded = False


def _load_image_plugins() -> None:
    """Create Qt's image-format plugins on the GUI thread, once.

    Ops read pictures (thumbnails, previews). The first use of a plugin creates it and
    moves it to the GUI thread; from a worker, that move waits for a GUI-thread lock
    while the worker holds the GIL, and if the GUI thread is just then disconnecting a
    signal, which waits for the GIL, neither ever goes on (seen: a thumbnail test hung in
    a clean-clone CI run). Probing a few bytes of no known format makes the reader try,
    and so create, every plugin here."""
    global _image_plugins_loaded
    if _image_plugins_loaded:
        return
    _image_plugins_loaded = True
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImageReader

    probe = QBuffer()
    probe.setData(QByteArray(b"\0" * 32))
    probe.open(QIODevice.OpenModeFlag.ReadOnly)
    QImageReader(probe).canRead()


def run_op(
    fn: Callable[[], Any],
    success: Callable[[Any], None] | None = None,
    failure: Callable[[BaseException], None] | None = None,
    *,
    pool: QThreadPool | None = None,
) -> Op:
    """Run ``fn`` on a worker; call from the GUI thread."""
    _load_image_plugins()
    op = Op(fn, success, failure)
    with _pending_lock:
        _pending.add(op)
    (pool or QThreadPool.globalInstance()).start(op)
    return op


def make_pool(threads: int) -> QThreadPool:
    pool = QThreadPool()
    pool.setMaxThreadCount(threads)
    return pool
