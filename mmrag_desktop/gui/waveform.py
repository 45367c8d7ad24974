"""A recording's waveform picture with a hit's time range marked on it.

Generic: any item whose meta has ``waveform`` (a picture drawn by its plugin) and
``duration`` (seconds the picture spans) gets it in the preview pane; the GUI draws only
the translucent band over ``[time_start, time_end] / duration``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

HEIGHT = 80
MARK = QColor(255, 193, 7, 90)  # amber, translucent: the bars stay visible under it
EDGE = QColor(230, 119, 0)


class WaveformView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewWaveform")
        self.setFixedHeight(HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.image = QImage()
        #: The marked range as fractions of the width (None: nothing marked).
        self.marked: tuple[float, float] | None = None

    def show_for(self, meta: dict[str, Any], start: float | None, end: float | None) -> bool:
        """Show ``meta["waveform"]`` with ``[start, end]`` marked; hide (and return
        False) when the item has no readable waveform."""
        path = meta.get("waveform")
        image = QImage(str(path)) if path else QImage()  # a 600x80 PNG: quick to read here
        if image.isNull():
            self.image, self.marked = QImage(), None
            self.hide()
            return False
        self.image = image
        self.marked = None
        duration = meta.get("duration")
        if isinstance(duration, (int, float)) and duration > 0 and start is not None:
            first = min(max(start / duration, 0.0), 1.0)
            last = min(max((end if end is not None else start) / duration, first), 1.0)
            self.marked = (first, last)
        self.setToolTip(self.tr("Waveform of the recording; the match is marked") if self.marked else "")
        self.show()
        self.update()
        return True

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if self.image.isNull():
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        area = QRectF(self.rect())
        painter.drawImage(area, self.image)
        if self.marked is not None:
            left = area.left() + self.marked[0] * area.width()
            # At least 2 px wide, so a short word in an hour-long recording still shows.
            width = max(2.0, (self.marked[1] - self.marked[0]) * area.width())
            band = QRectF(left, area.top(), width, area.height())
            painter.fillRect(band, MARK)
            painter.setPen(QPen(EDGE, 1))
            painter.drawLine(band.topLeft(), band.bottomLeft())
            painter.drawLine(band.topRight(), band.bottomRight())
        painter.end()
