"""The Search tab: the box, filters, results and preview, searching on a worker.

Every search runs through ``Library.search`` on a one-thread pool; a newer query makes
older answers stale (they are dropped when they arrive), so typing never waits for a
search and results never arrive out of order.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .. import hits
from ..library import Library
from ..records import Filters, Query
from .mic import MicButton
from .ops import make_pool, run_op
from .preview import PreviewPane
from .query_input import query_for_file
from .results import Result, ResultsView
from .search_box import SearchBox
from .style import icon
from .thumbnails import ThumbnailLoader

RESULTS = 30
_DAY = 86400.0


def without_file(results: list[Result], path: Path) -> list[Result]:
    """Results for "more like ``path``" without ``path`` itself (see :func:`hits.without_file`)."""
    return [replace(result, hit=hit) for result in results for hit in hits.without_file([result.hit], path)]


def run_search(library: Library, query: str | Query, filters: Filters, k: int = RESULTS) -> list[Result]:
    """Search and fetch each best item's meta (worker thread)."""
    hits = library.search(query, k=k, filters=filters)
    metas = library.items_meta([h.best.item_id for h in hits]) if hits else {}
    return [Result(h, metas.get(h.best.item_id, {})) for h in hits]


class SearchPanel(QWidget):
    searched = Signal(int)  # number of results, after each search
    status = Signal(str)

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.pool = make_pool(1)
        self._generation = 0
        self.last_query: str | Query = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)

        row = QHBoxLayout()
        self.box = SearchBox()
        self.box.setPlaceholderText(self.tr("Search your files — or drop a file here to find similar ones"))
        self.box.search.connect(self._on_text)
        row.addWidget(self.box, 1)
        self.mic = MicButton()
        self.mic.recorded.connect(lambda path: self.search_file(Path(path)))
        row.addWidget(self.mic)
        self.attach = QToolButton()
        self.attach.setIcon(icon("attach"))
        self.attach.setAutoRaise(True)
        self.attach.setToolTip(self.tr("Search by a file (like dropping it on the window)"))
        self.attach.clicked.connect(self._pick_file)
        row.addWidget(self.attach)
        layout.addLayout(row)

        filters = QHBoxLayout()
        filters.setSpacing(6)
        self.modality = QComboBox()
        self.modality.setObjectName("modalityFilter")
        self.folder = QComboBox()
        self.folder.setObjectName("folderFilter")
        self.date = QComboBox()
        self.date.setObjectName("dateFilter")
        for label, days in ((self.tr("Any time"), None), (self.tr("Past day"), 1), (self.tr("Past week"), 7),
                            (self.tr("Past month"), 31), (self.tr("Past year"), 366)):
            self.date.addItem(label, days)
        for combo in (self.modality, self.folder, self.date):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
            filters.addWidget(combo)
        self.query_label = QLabel()
        self.query_label.setObjectName("queryLabel")
        filters.addWidget(self.query_label, 1)
        layout.addLayout(filters)
        self.set_filter_choices([], [])

        self.thumbnails = ThumbnailLoader(parent=self)
        self.results = ResultsView(self.thumbnails)
        self.preview = PreviewPane(library.previews())
        self.results.selected.connect(lambda r: self.preview.show_result(r, self._query_text()))
        self.results.opened.connect(self.open_result)
        self.results.play.connect(self.play_result)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.results)
        split.addWidget(self.preview)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        layout.addWidget(split, 1)

    # -- filters --------------------------------------------------------------------------

    def set_filter_choices(self, modalities: list[str], folders: list[str]) -> None:
        for combo, values, everything in ((self.modality, modalities, self.tr("All kinds")),
                                          (self.folder, folders, self.tr("All folders"))):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, None)
            for value in values:
                combo.addItem(Path(value).name if combo is self.folder else value, value)
            index = combo.findData(current)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

    def filters(self) -> Filters:
        days = self.date.currentData()
        return Filters(
            modalities=(self.modality.currentData(),) if self.modality.currentData() else (),
            folders=(Path(self.folder.currentData()),) if self.folder.currentData() else (),
            modified_after=time.time() - days * _DAY if days else None,
        )

    # -- searching ------------------------------------------------------------------------

    def _query_text(self) -> str:
        query = self.last_query
        return query if isinstance(query, str) else (query.original or "")

    def _on_text(self, text: str, committed: bool) -> None:
        self.query_label.setText("")
        self.search(text)

    def search(self, query: str | Query) -> None:
        self.last_query = query
        self._generation += 1
        generation = self._generation
        if isinstance(query, str) and not query.strip():
            self.results.set_results([], "")
            self.preview.clear()
            return
        filters = self.filters()
        self.results.set_message(self.tr("Searching…"))
        library = self.library
        run_op(lambda: run_search(library, query, filters),
               lambda results: self._show(generation, results),
               lambda exc: self._failed(generation, exc), pool=self.pool)

    def search_file(self, path: Path) -> None:
        """"Find things like this": a query made from a dropped, pasted or recorded file."""
        self.box.clear()
        self.query_label.setText(self.tr("Like: %1").replace("%1", path.name))
        self._generation += 1
        generation = self._generation
        filters = self.filters()
        self.results.set_message(self.tr("Searching by %1…").replace("%1", path.name))
        library = self.library

        def work() -> tuple[Query, list[Result]]:
            query = query_for_file(library, path)
            return query, without_file(run_search(library, query, filters, RESULTS + 1), path)[:RESULTS]

        def done(value: tuple[Query, list[Result]]) -> None:
            self.last_query = value[0]
            self._show(generation, value[1])

        run_op(work, done, lambda exc: self._failed(generation, exc), pool=self.pool)

    def refresh(self) -> None:
        if self.last_query:
            self.search(self.last_query)

    def _show(self, generation: int, results: list[Result]) -> None:
        if generation != self._generation:
            return  # a newer query is on its way
        self.results.set_results(results, self._query_text())
        if results:
            self.preview.show_result(results[0], self._query_text())
        else:
            self.preview.clear()
        self.searched.emit(len(results))

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.results.set_results([], "")
            self.results.set_message(self.tr("Search failed: %1").replace("%1", str(exc)))

    # -- opening ------------------------------------------------------------------------

    def _pick_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, self.tr("Search by a file"))
        if path:
            self.search_file(Path(path))

    def open_result(self, result: Result) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(result.hit.path)))

    def play_result(self, result: Result) -> None:
        """Play a timed hit from its start in the app; where this machine cannot (no
        output device, no decoder), the system player opens the file instead."""
        self.preview.show_result(result, self._query_text())
        if not hasattr(self, "player"):
            from .player import Player

            self.player = Player()
        start = result.item.locator.time_start or 0.0
        if not self.player.play(Path(result.hit.path), start, lambda _exc: self.open_result(result)):
            self.open_result(result)

    def current_results(self) -> list[Any]:
        return self.results.results
