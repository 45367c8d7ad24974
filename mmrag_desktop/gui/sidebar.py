"""The library sidebar: folders with their counts, live indexing progress, problems."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..pipeline.ingest import IndexProgress


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Sidebar(QWidget):
    add_requested = Signal(str)
    remove_requested = Signal(str)
    rescan_requested = Signal()
    pause_requested = Signal()
    resume_requested = Signal()
    cancel_requested = Signal()
    problem_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 6, 10)
        layout.setSpacing(8)
        heading = QLabel(self.tr("Library"))
        heading.setObjectName("sectionHeading")
        layout.addWidget(heading)
        self.sources = QListWidget()
        self.sources.setObjectName("sources")
        self.sources.setWordWrap(True)
        self.sources.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.sources, 3)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self.tr("Add folder…"))
        self.add_button.clicked.connect(self._pick_folder)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.clicked.connect(self._remove)
        self.rescan_button = QPushButton(self.tr("Rescan"))
        self.rescan_button.setToolTip(self.tr("Look for new, changed and deleted files in every folder"))
        self.rescan_button.clicked.connect(self.rescan_requested)
        for button in (self.add_button, self.remove_button, self.rescan_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)

        self.progress_box = QWidget()
        self.progress_box.setObjectName("progressBox")
        box = QVBoxLayout(self.progress_box)
        box.setContentsMargins(0, 6, 0, 0)
        box.setSpacing(4)
        self.phase = QLabel()
        self.phase.setObjectName("progressPhase")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.current = QLabel()
        self.current.setObjectName("progressFile")
        self.current.setTextFormat(Qt.TextFormat.PlainText)
        self.rate = QLabel()
        self.rate.setObjectName("progressRate")
        controls = QHBoxLayout()
        self.pause_button = QPushButton(self.tr("Pause"))
        self.pause_button.clicked.connect(self._toggle_pause)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel_requested)
        controls.addWidget(self.pause_button)
        controls.addWidget(self.cancel_button)
        for widget in (self.phase, self.bar, self.current, self.rate):
            box.addWidget(widget)
        box.addLayout(controls)
        layout.addWidget(self.progress_box)
        self.progress_box.hide()
        self.paused = False

        self.problems_heading = QLabel()
        self.problems_heading.setObjectName("sectionHeading")
        layout.addWidget(self.problems_heading)
        self.problems = QListWidget()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # reasons wrap
        self.problems.itemActivated.connect(lambda item: self.problem_activated.emit(item.data(Qt.ItemDataRole.UserRole)))
        layout.addWidget(self.problems, 2)
        self.set_problems([])

    # -- sources --------------------------------------------------------------------------

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder to the library"))
        if folder:
            self.add_requested.emit(folder)

    def _remove(self) -> None:
        item = self.sources.currentItem()
        if item is not None:
            self.remove_requested.emit(item.data(Qt.ItemDataRole.UserRole))

    def set_sources(self, counts: dict[str, dict[str, Any]]) -> None:
        current = self.sources.currentItem()
        keep = current.data(Qt.ItemDataRole.UserRole) if current else None
        self.sources.clear()
        for path, info in counts.items():
            modalities = info.get("modalities", {})
            files = info.get("files", {})
            summary = self.folder_summary(modalities, files.get("failed", 0) + files.get("skipped", 0))
            item = QListWidgetItem(f"{Path(path).name or path}\n{summary}")
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip(path)
            self.sources.addItem(item)
            if path == keep:
                self.sources.setCurrentItem(item)
        self.remove_button.setEnabled(bool(counts))
        self.rescan_button.setEnabled(bool(counts))

    # -- progress -------------------------------------------------------------------------

    def indexing_started(self) -> None:
        self.paused = False
        self.pause_button.setText(self.tr("Pause"))
        self.phase.setText(self.tr("Looking for files…"))
        self.bar.setRange(0, 0)
        self.current.setText("")
        self.rate.setText("")
        self.progress_box.show()

    def indexing_progress(self, event: IndexProgress) -> None:
        labels = {"scan": self.tr("Looking for files…"), "extract": self.tr("Reading files"),
                  "embed": self.tr("Understanding content"), "done": self.tr("Finishing…")}
        self.phase.setText(labels.get(event.phase, event.phase) + (
            f"  {event.done} / {event.total}" if event.total else ""))
        if event.total:
            self.bar.setRange(0, event.total)
            self.bar.setValue(event.done)
        else:
            self.bar.setRange(0, 0)
        if event.current:
            name = Path(event.current).name
            self.current.setText(name if len(name) < 48 else name[:22] + "…" + name[-22:])
            self.current.setToolTip(event.current)
        if event.phase == "extract" and event.done:
            self.rate.setText(self.tr("%1 files/s · about %2 left").replace("%1", f"{event.rate:.1f}")
                              .replace("%2", _duration(event.eta_seconds)))
        elif event.phase == "embed" and event.done:
            self.rate.setText(self.tr("%1 passages/s · about %2 left").replace("%1", f"{event.rate:.1f}")
                              .replace("%2", _duration(event.eta_seconds)))

    def modality_label(self, name: str | None) -> str:
        """A modality's name in the interface language (a plugin's own modality as is)."""
        labels = {"text": self.tr("text"), "image": self.tr("image"), "audio": self.tr("audio"),
                  "video": self.tr("video"), "3d": self.tr("3D")}
        return labels.get(name or "", name or "?")

    def folder_summary(self, modalities: dict[str | None, int], not_indexed: int = 0) -> str:
        """"4 audio, 2 image, 1 not indexed": what a folder holds, per modality."""
        parts = [self.tr("%1 %2", "count, then what (e.g. 4 audio)").replace("%1", str(count))
                 .replace("%2", self.modality_label(name))
                 for name, count in sorted(modalities.items(), key=lambda kv: kv[0] or "")]
        if not_indexed:
            parts.append(self.tr("%1 not indexed").replace("%1", str(not_indexed)))
        return self.tr(", ").join(parts) or self.tr("not indexed yet")

    def index_summary(self, report: Any) -> str:
        """An indexing run's outcome (an ``IndexReport``) in the interface language."""
        counts = [(self.tr("%1 added"), report.added), (self.tr("%1 updated"), report.updated),
                  (self.tr("%1 unchanged"), report.unchanged)]
        counts += [(label, value) for label, value in (
            (self.tr("%1 moved"), report.moved), (self.tr("%1 removed"), report.removed),
            (self.tr("%1 failed"), report.failed), (self.tr("%1 skipped"), report.skipped),
            (self.tr("%1 embedded"), report.embedded)) if value]
        text = self.tr(", ").join(label.replace("%1", str(value)) for label, value in counts)
        text = self.tr("%1 in %2 s").replace("%1", text).replace("%2", f"{report.seconds:.1f}")
        return self.tr("%1 (cancelled)").replace("%1", text) if report.cancelled else text

    def indexing_finished(self, summary: str) -> None:
        self.progress_box.hide()
        self.phase.setText(summary)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.pause_button.setText(self.tr("Resume") if paused else self.tr("Pause"))
        if paused:
            self.rate.setText(self.tr("Paused"))

    def _toggle_pause(self) -> None:
        (self.resume_requested if self.paused else self.pause_requested).emit()

    # -- problems -------------------------------------------------------------------------

    def set_problems(self, problems: list[dict[str, Any]]) -> None:
        self.problems.clear()
        for problem in problems:
            item = QListWidgetItem(f"{Path(problem['path']).name} — {problem.get('reason') or problem['status']}")
            item.setData(Qt.ItemDataRole.UserRole, problem["path"])
            item.setToolTip(f"{html.escape(problem['path'])}\n{problem['status']}: {problem.get('reason') or ''}")
            self.problems.addItem(item)
        self.problems_heading.setText(self.tr("Problems (%1)").replace("%1", str(len(problems))))
        self.problems.setVisible(bool(problems))
        self.problems_heading.setVisible(bool(problems))
