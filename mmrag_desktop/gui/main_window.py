"""The main window: library sidebar on the left, Search and Ask tabs on the right,
a welcome page until the library has a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, QUrl
from PySide6.QtGui import (
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QWidget,
)

from ..library import Library
from .ask_panel import AskPanel
from .indexing import IndexController
from .ops import run_op
from .query_input import save_clipboard_image
from .search_panel import SearchPanel
from .settings import SettingsDialog
from .sidebar import Sidebar
from .style import icon
from .watcher import SourceWatcher
from .welcome import WelcomePage

SAMPLE = Path(__file__).resolve().parent.parent / "sample"


class MainWindow(QMainWindow):
    def __init__(self, library: Library, *, watch: bool = True) -> None:
        super().__init__()
        self.library = library
        self.setWindowTitle("MM-RAG Desktop")
        self.resize(1280, 800)
        self.setAcceptDrops(True)

        self.indexer = IndexController(library, self)
        self.watcher = SourceWatcher(self) if watch else None
        self.sidebar = Sidebar()
        self.welcome = WelcomePage()
        self.search_panel = SearchPanel(library)
        self.ask_panel = AskPanel(library)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.search_panel, self.tr("Search"))
        self.tabs.addTab(self.ask_panel, self.tr("Ask"))
        settings_button = QToolButton()
        settings_button.setIcon(icon("settings"))
        settings_button.setAutoRaise(True)
        settings_button.setToolTip(self.tr("Settings (Ctrl+,)"))
        settings_button.clicked.connect(self.open_settings)
        self.tabs.setCornerWidget(settings_button, Qt.Corner.TopRightCorner)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.tabs)
        content = QWidget()
        from PySide6.QtWidgets import QVBoxLayout

        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(12, 10, 12, 8)
        content_layout.addWidget(self.stack)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.sidebar)
        split.addWidget(content)
        split.setStretchFactor(1, 1)
        split.setSizes([270, 1010])
        split.setChildrenCollapsible(False)
        self.setCentralWidget(split)

        # Wiring: widgets say what they want; the library does it on a worker.
        self.sidebar.add_requested.connect(self.add_folder)
        self.welcome.folder_chosen.connect(self.add_folder)
        self.welcome.sample_requested.connect(lambda: self.add_folder(str(SAMPLE)))
        self.sidebar.remove_requested.connect(self.remove_folder)
        self.sidebar.rescan_requested.connect(lambda: self.indexer.index())
        self.sidebar.pause_requested.connect(self.indexer.pause)
        self.sidebar.resume_requested.connect(self.indexer.resume)
        self.sidebar.cancel_requested.connect(self.indexer.cancel)
        self.indexer.started.connect(self.sidebar.indexing_started)
        self.indexer.progress.connect(self._on_progress)
        self.indexer.paused_changed.connect(self.sidebar.set_paused)
        self.indexer.finished.connect(self._on_indexed)
        self.indexer.failed.connect(lambda message: self.statusBar().showMessage(message, 10000))
        self.search_panel.box.pasted_image.connect(self.paste_image)
        self.search_panel.box.dropped.connect(self.drop_mime)
        # A problem's file opens its folder, where the user can fix or remove it.
        self.sidebar.problem_activated.connect(
            lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent))))
        if self.watcher is not None:
            self.watcher.changed.connect(self.indexer.update_files)
        self._last_refresh = 0.0

        for keys, slot in ((("Ctrl+F", "Ctrl+K"), self.focus_search), (("Ctrl+,",), self.open_settings),
                           (("Ctrl+Return", "Ctrl+Enter"), self.ask_shortcut), (("Esc",), self.escape)):
            for key in keys:
                QShortcut(QKeySequence(key), self, activated=slot)
        paste = QShortcut(QKeySequence(QKeySequence.StandardKey.Paste), self)
        paste.activated.connect(self.paste_image)
        self.refresh()

    # -- library state --------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload sources, counts and problems (worker thread) and update the widgets."""
        library = self.library

        def load() -> dict[str, Any]:
            status = library.status()
            return {"counts": library.source_counts(), "problems": status["problems"],
                    "modalities": sorted(m for m in status["modalities"] if m),
                    "scan": status["scan_problems"]}

        self._refresh_generation = getattr(self, "_refresh_generation", 0) + 1
        generation = self._refresh_generation
        # A slower earlier refresh must not overwrite a newer one.
        run_op(load, lambda state: self._show_state(state) if generation == self._refresh_generation else None)

    def _show_state(self, state: dict[str, Any]) -> None:
        counts = state["counts"]
        self.sidebar.set_sources(counts)
        problems = state["problems"] + [{"path": m.split(":")[0], "status": "folder", "reason": m} for m in state["scan"]]
        self.sidebar.set_problems(problems)
        self.search_panel.set_filter_choices(state["modalities"], list(counts))
        self.stack.setCurrentWidget(self.tabs if counts or self.indexer.is_busy() else self.welcome)
        self.sidebar.setVisible(bool(counts) or self.indexer.is_busy())
        if self.watcher is not None:
            roots = sorted(counts)
            if roots != getattr(self, "_watched_roots", None):
                self._watched_roots = roots
                self.watcher.set_roots([Path(r) for r in roots])

    def add_folder(self, folder: str) -> None:
        self.stack.setCurrentWidget(self.tabs)
        self.sidebar.show()
        self.indexer.index([Path(folder)])
        self.statusBar().showMessage(self.tr("Indexing %1…").replace("%1", folder), 5000)

    def remove_folder(self, folder: str) -> None:
        answer = QMessageBox.question(self, self.tr("Remove folder"), self.tr(
            "Remove %1 from the library? Your files are not touched; only the index is dropped.").replace("%1", folder))
        if answer == QMessageBox.StandardButton.Yes:
            run_op(lambda: self.library.remove_source(folder), lambda _n: (self.refresh(), self.search_panel.refresh()),
                   self._error)

    def _on_progress(self, event: Any) -> None:
        self.sidebar.indexing_progress(event)
        # Counts refresh now and then while indexing (not on every file).
        import time

        now = time.monotonic()
        if now - self._last_refresh > 2.0:
            self._last_refresh = now
            self.refresh()

    def _on_indexed(self, report: Any) -> None:
        summary = self.tr("Indexed: %1").replace("%1", self.sidebar.index_summary(report)) if report is not None else ""
        self.sidebar.indexing_finished(summary)
        if summary:
            self.statusBar().showMessage(summary, 8000)
        self.refresh()
        self.search_panel.refresh()
        QTimer.singleShot(0, self.indexer.run_queued)

    def _error(self, exc: BaseException) -> None:
        QMessageBox.warning(self, "MM-RAG Desktop", str(exc))

    # -- actions --------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.stack.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(self.search_panel)
        self.search_panel.box.setFocus()
        self.search_panel.box.selectAll()

    def escape(self) -> None:
        if self.tabs.currentWidget() is self.search_panel:
            self.search_panel.box.clear()
            self.search_panel.search("")
            self.search_panel.box.setFocus()

    def ask_shortcut(self) -> None:
        self.tabs.setCurrentWidget(self.ask_panel)
        if not self.ask_panel.question.toPlainText().strip() and self.search_panel.box.text().strip():
            self.ask_panel.question.setPlainText(self.search_panel.box.text().strip())
        self.ask_panel.question.setFocus()
        self.ask_panel.ask()

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.library, self)
        dialog.sources_changed.connect(self.refresh)
        dialog.language_changed.connect(self._offer_restart)
        dialog.exec()
        self.refresh()

    def _offer_restart(self, _language: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Language"),
                          self.tr("The new language is used from the next start. Restart now?"),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        if box.exec() == QMessageBox.StandardButton.Yes:
            self.restart()

    def restart(self) -> None:
        """Close (stopping indexing cleanly) and start the app again with the same options."""
        import sys

        from PySide6.QtCore import QCoreApplication, QProcess

        if sys.argv and sys.argv[0].endswith("__main__.py"):
            program, arguments = sys.executable, ["-m", "mmrag_desktop", *sys.argv[1:]]
        else:
            program, arguments = sys.argv[0], sys.argv[1:]
        if self.close():
            QProcess.startDetached(program, arguments)
            QCoreApplication.quit()

    def paste_image(self) -> None:
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        if mime is not None and mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
            self.search_by_file(Path(next(u for u in mime.urls() if u.isLocalFile()).toLocalFile()))
            return
        image = clipboard.image()
        if image.isNull():
            return
        self.search_by_file(save_clipboard_image(image, self.library.data_dir / "pasted"))

    def search_by_file(self, path: Path) -> None:
        self.stack.setCurrentWidget(self.tabs)
        self.tabs.setCurrentWidget(self.search_panel)
        self.search_panel.search_file(path)

    # -- drag and drop ----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if (mime.hasUrls() and any(u.isLocalFile() for u in mime.urls())) or mime.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_mime(event.mimeData())
        event.acceptProposedAction()

    def drop_mime(self, mime: Any) -> None:
        """Files dropped anywhere: a folder joins the library, a file is searched by."""
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
        if paths and paths[0].is_dir():
            for folder in paths:  # a dropped folder joins the library
                if folder.is_dir():
                    self.add_folder(str(folder))
        elif paths:
            self.search_by_file(paths[0])
        elif mime.hasImage():
            self.search_by_file(save_clipboard_image(mime.imageData(), self.library.data_dir / "pasted"))

    # -- closing ----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop indexing at a file boundary (committed work is kept) and let searches end."""
        if self.indexer.is_busy():
            self.statusBar().showMessage(self.tr("Stopping indexing…"))
        self.indexer.shutdown()
        for pool in (self.search_panel.pool, self.ask_panel.pool, self.search_panel.thumbnails.pool,
                     QThreadPool.globalInstance()):
            pool.waitForDone(10000)
        if self.ask_panel.cancel_event is not None:
            self.ask_panel.cancel_event.set()
        event.accept()
