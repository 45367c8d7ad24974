"""The search box: search as you type (debounced), Enter commits, ↑/↓ walk the history,
Esc clears."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLineEdit, QWidget

HISTORY = 100


class SearchBox(QLineEdit):
    #: (text, committed): committed is True for Enter, False for typing.
    search = Signal(str, bool)
    #: Ctrl+V with a picture (and no text) on the clipboard.
    pasted_image = Signal()
    #: A file or folder dropped on the box (a line edit would otherwise insert its URL).
    dropped = Signal(object)  # QMimeData

    def __init__(self, parent: QWidget | None = None, delay_ms: int = 250) -> None:
        super().__init__(parent)
        self.setObjectName("searchBox")
        self.setClearButtonEnabled(True)
        self.history: list[str] = []
        self._position = 0
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(lambda: self.search.emit(self.text().strip(), False))
        self.textEdited.connect(lambda _text: self._timer.start())
        self.returnPressed.connect(self.commit)

    def commit(self) -> None:
        self._timer.stop()
        text = self.text().strip()
        if text:
            if text in self.history:
                self.history.remove(text)
            self.history.append(text)
            del self.history[:-HISTORY]
        self._position = len(self.history)
        self.search.emit(text, True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _has_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if _has_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if _has_files(event.mimeData()):
            event.acceptProposedAction()
            self.dropped.emit(event.mimeData())
        else:
            super().dropEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Up and self.history:
            self._position = max(self._position - 1, 0)
            self.setText(self.history[self._position])
            self._timer.start()
        elif key == Qt.Key.Key_Down and self.history:
            self._position = min(self._position + 1, len(self.history))
            self.setText(self.history[self._position] if self._position < len(self.history) else "")
            self._timer.start()
        elif event.matches(QKeySequence.StandardKey.Paste) and _clipboard_has_picture():
            self.pasted_image.emit()
        elif key == Qt.Key.Key_Escape:
            self.clear()
            self._timer.stop()
            self.search.emit("", True)
        else:
            super().keyPressEvent(event)


def _clipboard_has_picture() -> bool:
    mime = QGuiApplication.clipboard().mimeData()
    if mime is None:
        return False
    if mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
        return True
    return mime.hasImage() and not mime.hasText()


def _has_files(mime: QMimeData) -> bool:
    return (mime.hasUrls() and any(u.isLocalFile() for u in mime.urls())) or mime.hasImage()
