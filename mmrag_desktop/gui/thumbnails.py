"""Thumbnails for the result grid: decoded and scaled on worker threads, cached in
memory and on disk, delivered to the GUI by signal.

The picture comes from the hit's ``meta["image"]`` (the rendition an extractor wrote
under the library's media folder: a keyframe, a rendered view, a scanned page) when
there is one, else from the file itself. ``QImage`` is safe off the GUI thread;
``QPixmap`` is made on the GUI thread when the image arrives.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader

from .ops import make_pool, run_op

MEMORY_ITEMS = 400


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("MMRAG_THUMB_CACHE") or Path(user_cache_dir("mmrag-desktop")) / "thumbnails")


def _key(path: Path, side: int) -> str:
    try:
        info = path.stat()
        stamp = f"{info.st_size}:{info.st_mtime_ns}"
    except OSError:
        stamp = "?"
    return hashlib.sha1(f"{path}|{stamp}|{side}".encode()).hexdigest()


def make_thumbnail(path: Path, side: int, folder: Path | None = None) -> QImage | None:
    """Read ``path`` scaled so its longer side is ``side`` px (worker thread)."""
    key = _key(path, side)
    cached = folder / f"{key}.png" if folder else None
    if cached is not None and cached.exists():
        image = QImage(str(cached))
        if not image.isNull():
            return image
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if not reader.canRead():
        return None
    if size.isValid() and max(size.width(), size.height()) > side:
        reader.setScaledSize(size.scaled(QSize(side, side), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        return None
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            image.save(str(cached), "PNG")
        except OSError:
            pass
    return image


class ThumbnailLoader(QObject):
    #: (source path, image or None when the file cannot be read as a picture)
    ready = Signal(str, object)

    def __init__(self, side: int = 192, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.side = side
        self.pool = make_pool(2)
        self.folder = cache_dir()
        self._memory: OrderedDict[str, QImage | None] = OrderedDict()
        self._inflight: set[str] = set()

    def get(self, path: str) -> QImage | None:
        """The cached image, or None (and a load is started) when not loaded yet."""
        if path in self._memory:
            self._memory.move_to_end(path)
            return self._memory[path]
        if path not in self._inflight:
            self._inflight.add(path)
            run_op(lambda: make_thumbnail(Path(path), self.side, self.folder),
                   lambda image: self._store(path, image), lambda _exc: self._store(path, None), pool=self.pool)
        return None

    def _store(self, path: str, image: QImage | None) -> None:
        self._inflight.discard(path)
        self._memory[path] = image
        while len(self._memory) > MEMORY_ITEMS:
            self._memory.popitem(last=False)
        self.ready.emit(path, image)
