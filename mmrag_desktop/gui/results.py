"""The result list: a thumbnail grid for visual hits and rows with highlighted snippets
(and a play button for timed hits) for everything else.

A hit is visual when its best item carries a rendition (``meta["image"]``) or its file
is a picture; it is timed when its locator has a start time. No modality is named here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..records import FileHit, ItemHit
from .highlight import highlight_html
from .i18n import locator_text
from .preview_paths import home_relative as _home
from .style import icon
from .thumbnails import ThumbnailLoader


@dataclass(frozen=True)
class Result:
    hit: FileHit
    meta: dict[str, Any]

    @property
    def item(self) -> ItemHit:
        return self.hit.best

    @property
    def picture(self) -> str | None:
        """The file to show as the thumbnail, if this hit is visual: the picture an
        extractor chose to stand for the whole file (``meta["thumbnail"]``), else the
        hit item's own rendition."""
        image = self.meta.get("thumbnail") or self.meta.get("image")
        if image:
            return str(image)
        if self.hit.media_type.startswith("image/"):
            return str(self.hit.path)
        return None

    @property
    def timed(self) -> bool:
        return self.item.locator.time_start is not None


def is_visual(result: Result) -> bool:
    return result.picture is not None


class _Grid(QListWidget):
    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self.fit_rows()

    def fit_rows(self) -> None:
        """Item widgets as wide as the view, as tall as their wrapped text needs."""
        width = self.viewport().width()
        for row in range(self.count()):
            item = self.item(row)
            widget = self.itemWidget(item)
            if widget is None:
                continue
            layout = widget.layout()
            height = layout.heightForWidth(width) if layout is not None and layout.hasHeightForWidth() else -1
            item.setSizeHint(QSize(width, max(height, widget.minimumSizeHint().height())))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem() is not None:
            self.itemDoubleClicked.emit(self.currentItem())
            return
        super().keyPressEvent(event)


class ResultsView(QWidget):
    selected = Signal(object)  # Result
    opened = Signal(object)  # Result
    play = Signal(object)  # Result

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        thumbnails.ready.connect(self._thumbnail_ready)
        self.results: list[Result] = []
        self.query = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.summary = QLabel()
        self.summary.setObjectName("resultSummary")
        layout.addWidget(self.summary)
        self.grid = _Grid()
        self.grid.setObjectName("imageGrid")
        self.grid.setViewMode(QListWidget.ViewMode.IconMode)
        self.grid.setIconSize(QSize(160, 120))
        self.grid.setGridSize(QSize(176, 156))
        self.grid.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.grid.setMovement(QListWidget.Movement.Static)
        self.grid.setWordWrap(True)
        self.grid.setUniformItemSizes(True)
        layout.addWidget(self.grid, 1)
        self.rows = _Grid()
        self.rows.setObjectName("resultRows")
        self.rows.setSpacing(2)
        self.rows.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.rows, 2)
        self.hint = QLabel(self.tr("Type to search your files, or drop a file on the window to find similar ones.\n"
                                   "Results include everything indexed so far, also while indexing runs."))
        self.hint.setObjectName("placeholder")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint, 2)
        for view in (self.grid, self.rows):
            view.currentItemChanged.connect(lambda current, _prev: self._select(current))
            view.itemClicked.connect(self._select)
            view.itemDoubleClicked.connect(lambda item: self.opened.emit(item.data(Qt.ItemDataRole.UserRole)))
        self._grid_items: dict[str, list[QListWidgetItem]] = {}
        self.set_results([], "")

    def _select(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.selected.emit(item.data(Qt.ItemDataRole.UserRole))

    def set_message(self, text: str) -> None:
        self.summary.setText(text)

    def set_results(self, results: list[Result], query: str) -> None:
        self.results, self.query = results, query
        self.grid.clear()
        self.rows.clear()
        self._grid_items = {}
        visual = [r for r in results if is_visual(r)]
        other = [r for r in results if not is_visual(r)]
        for result in visual:
            item = QListWidgetItem(result.hit.path.name)
            item.setData(Qt.ItemDataRole.UserRole, result)
            item.setToolTip(str(result.hit.path))
            item.setSizeHint(QSize(172, 152))
            picture = result.picture or ""
            image = self.thumbnails.get(picture)
            if image is not None:
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            self._grid_items.setdefault(picture, []).append(item)
            self.grid.addItem(item)
        for result in other:
            self._add_row(result)
        self.hint.setVisible(not results and not query)
        self._put_best_first(bool(results) and is_visual(results[0]))
        self.grid.setVisible(bool(visual))
        self.rows.setVisible(bool(other) or (not visual and bool(query)))
        self._fit_grid()
        QTimer.singleShot(0, self._fit_grid)  # again once the new layout has its width
        if results:
            self.summary.setText(self.tr("%n result(s)", "", len(results)))
        elif query:
            self.summary.setText(self.tr("No results for “%1”.").replace("%1", query))
        else:
            self.summary.setText("")

    def _put_best_first(self, pictures_first: bool) -> None:
        """The view holding the best hit goes on top: with every picture above the rows,
        a text question (\"what was said about the budget\") showed two rows of
        unrelated photos above its answer in a small library."""
        layout = self.layout()
        first, second = (self.grid, self.rows) if pictures_first else (self.rows, self.grid)
        if layout.indexOf(first) < layout.indexOf(second):
            return
        stretch = {self.grid: 1, self.rows: 2}
        start = min(layout.indexOf(self.grid), layout.indexOf(self.rows))
        for view in (self.grid, self.rows):
            layout.removeWidget(view)
        layout.insertWidget(start, first, stretch[first])
        layout.insertWidget(start + 1, second, stretch[second])

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._fit_grid()

    def _fit_grid(self) -> None:
        """With text hits below, the grid is only as tall as its rows of pictures need
        (at most two rows, then it scrolls); alone it takes the whole height."""
        if not self.rows.isVisible() or not self.grid.count():
            self.grid.setMinimumHeight(0)
            self.grid.setMaximumHeight(16777215)
            return
        per_row = max(self.grid.viewport().width() // self.grid.gridSize().width(), 1)
        rows = min(-(-self.grid.count() // per_row), 2)
        # Fixed, not just capped: the layout's stretch would otherwise give it a third.
        self.grid.setFixedHeight(rows * self.grid.gridSize().height() + 2 * self.grid.frameWidth() + 8)

    def _add_row(self, result: Result) -> None:
        item = QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, result)
        widget = QWidget()
        widget.setObjectName("resultRow")
        outer = QHBoxLayout(widget)
        outer.setContentsMargins(10, 8, 10, 8)
        if result.timed:
            button = QToolButton()
            button.setObjectName("playButton")
            button.setIcon(icon("play"))
            button.setAutoRaise(True)
            button.setToolTip(self.tr("Play from %1").replace("%1", locator_text(result.item.locator)))
            button.clicked.connect(lambda _=False, r=result: self.play.emit(r))
            outer.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(2)
        where = locator_text(result.item.locator)
        title = QLabel(f"<b>{_esc(result.hit.path.name)}</b>"
                       + (f"&nbsp;&nbsp;<span style='color:palette(mid)'>{_esc(where)}</span>" if where else ""))
        title.setTextFormat(Qt.TextFormat.RichText)
        folder = QLabel(_esc(_home(Path(result.hit.path).parent)))
        folder.setObjectName("resultFolder")
        snippet = QLabel(highlight_html(result.item.snippet, self.query))
        snippet.setObjectName("resultSnippet")
        snippet.setTextFormat(Qt.TextFormat.RichText)
        snippet.setWordWrap(True)
        for label in (title, folder, snippet):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            text.addWidget(label)
        outer.addLayout(text, 1)
        self.rows.addItem(item)
        self.rows.setItemWidget(item, widget)
        self.rows.fit_rows()

    def _thumbnail_ready(self, path: str, image: QImage | None) -> None:
        for item in self._grid_items.get(path, []):
            if image is not None:
                item.setIcon(QIcon(QPixmap.fromImage(image)))

    def first(self) -> Result | None:
        return self.results[0] if self.results else None


def _esc(text: str) -> str:
    import html

    return html.escape(text)
