"""The settings dialog: folders and exclude rules, models, plugins, performance and
language. Every change goes through the library (``update_config``, sources,
``set_plugin_enabled``, the model manager API when present), which persists it in the
library's settings.json."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..library import Library
from .ops import run_op

LANGUAGES = (("", ""), ("en", "English"), ("zh_CN", "简体中文"))


class _Progress(QObject):
    progressed = Signal(object, object)  # Python ints: byte counts pass 2**31


class SettingsDialog(QDialog):
    sources_changed = Signal()
    language_changed = Signal(str)

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.setWindowTitle(self.tr("Settings"))
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)
        self.tabs.addTab(self._folders_tab(), self.tr("Folders"))
        self.tabs.addTab(self._models_tab(), self.tr("Models"))
        self.tabs.addTab(self._plugins_tab(), self.tr("Plugins"))
        self.tabs.addTab(self._performance_tab(), self.tr("Performance"))
        self.tabs.addTab(self._language_tab(), self.tr("Language"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Save).clicked.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    # -- folders --------------------------------------------------------------------------

    def _folders_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel(self.tr("Folders in this library:")))
        self.folders = QListWidget()
        layout.addWidget(self.folders, 1)
        row = QHBoxLayout()
        add = QPushButton(self.tr("Add folder…"))
        add.clicked.connect(self._add_folder)
        remove = QPushButton(self.tr("Remove"))
        remove.clicked.connect(self._remove_folder)
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(QLabel(self.tr("Skip files and folders matching (one glob per line, e.g. **/drafts/**):")))
        self.excludes = QPlainTextEdit("\n".join(self.library.config.exclude))
        self.excludes.setObjectName("excludes")
        layout.addWidget(self.excludes, 1)
        self._load_folders()
        return page

    def _load_folders(self) -> None:
        run_op(self.library.sources, lambda rows: (self.folders.clear(),
                                                   self.folders.addItems([str(s.path) for s in rows])))

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder to the library"))
        if folder:
            run_op(lambda: self.library.add_source(folder), lambda _s: (self._load_folders(),
                                                                        self.sources_changed.emit()), self._error)

    def _remove_folder(self) -> None:
        item = self.folders.currentItem()
        if item is not None:
            path = item.text()
            run_op(lambda: self.library.remove_source(path), lambda _n: (self._load_folders(),
                                                                        self.sources_changed.emit()), self._error)

    # -- models ---------------------------------------------------------------------------

    def _models_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.models = QTableWidget(0, 5)
        self.models.setHorizontalHeaderLabels([self.tr("Model"), self.tr("Role"), self.tr("Size"),
                                               self.tr("State"), self.tr("Use for search")])
        self.models.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.models.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.models.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.models.verticalHeader().hide()
        layout.addWidget(self.models, 1)
        self.models.itemSelectionChanged.connect(self._selection_changed)
        row = QHBoxLayout()
        self.install_button = QPushButton(self.tr("Download…"))
        self.install_button.clicked.connect(self._install_model)
        self.import_button = QPushButton(self.tr("Import a file…"))
        self.import_button.clicked.connect(self._import_model)
        self.remove_model_button = QPushButton(self.tr("Remove"))
        self.remove_model_button.clicked.connect(self._remove_model)
        for button, method in ((self.install_button, "install_model"), (self.import_button, "import_model"),
                               (self.remove_model_button, "remove_model")):
            if not callable(getattr(self.library, method, None)):
                button.setEnabled(False)
                button.setToolTip(self.tr("The model manager is not part of this build."))
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.encoder_boxes: dict[str, QCheckBox] = {}
        self._load_models()
        return page

    def _load_models(self) -> None:
        run_op(self.library.model_listing, self._show_models)

    def _show_models(self, rows: list[dict[str, Any]]) -> None:
        self.models.setRowCount(len(rows))
        self.encoder_boxes = {}
        for r, row in enumerate(rows):
            name = str(row.get("encoder") or row.get("id") or row.get("name") or "?")
            size = row.get("size")
            state = (self.tr("in use") if row.get("active") else self.tr("installed") if row.get("installed")
                     else self.tr("not installed"))
            cells = [name if not row.get("encoder") else f"{row['encoder']} ({row.get('id')})",
                     str(row.get("role", "")), f"{size / 1048576:.0f} MB" if isinstance(size, (int, float)) else "",
                     state]
            for c, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, row.get("id") or name)
                self.models.setItem(r, c, item)
            if row.get("encoder"):
                box = QCheckBox()
                box.setChecked(bool(row.get("active")))
                self.encoder_boxes[str(row["encoder"])] = box
                self.models.setCellWidget(r, 4, box)
        self.models.resizeColumnsToContents()
        self.models.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self._selection_changed()

    def _selection_changed(self) -> None:
        state = self.models.item(self.models.currentRow(), 3) if self.models.currentRow() >= 0 else None
        installable = callable(getattr(self.library, "install_model", None))
        self.install_button.setEnabled(installable and state is not None
                                       and state.text() == self.tr("not installed"))

    def _selected_model(self) -> str | None:
        item = self.models.item(self.models.currentRow(), 0) if self.models.currentRow() >= 0 else None
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _install_model(self) -> None:
        name = self._selected_model()
        if not name:
            return
        # Per mille, not bytes: Qt's progress values are 32-bit and models pass 2 GB.
        dialog = QProgressDialog(self.tr("Downloading %1…").replace("%1", name), self.tr("Cancel"), 0, 1000, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        cancel = threading.Event()
        dialog.canceled.connect(cancel.set)
        relay = _Progress(self)
        relay.progressed.connect(lambda done, total: dialog.setValue(min(1000, done * 1000 // total)) if total
                                 else dialog.setMaximum(0))  # size not published: a busy bar
        library = self.library

        def done(_path: Any) -> None:
            dialog.close()
            self._load_models()

        def failed(exc: BaseException) -> None:
            dialog.close()
            if not cancel.is_set():
                self._error(exc)

        run_op(lambda: library.install_model(name, on_progress=relay.progressed.emit, cancel=cancel), done, failed)

    def _import_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import a model file"), "",
                                              self.tr("Models (*.onnx *.gguf);;All files (*)"))
        if not path:
            return
        roles = sorted({str(r) for r in (self.models.item(i, 1).text() for i in range(self.models.rowCount())) if r})
        detect = self.tr("Detect from the file")
        role, ok = QInputDialog.getItem(self, self.tr("Import a model file"), self.tr("Use it as:"),
                                        [detect, *roles], 0, False)
        if not ok:
            return
        chosen = None if role == detect else role
        run_op(lambda: self.library.import_model(Path(path), chosen), lambda _r: self._load_models(), self._error)

    def _remove_model(self) -> None:
        name = self._selected_model()
        if name:
            run_op(lambda: self.library.remove_model(name), lambda _r: self._load_models(), self._error)

    # -- plugins --------------------------------------------------------------------------

    def _plugins_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.plugins = QTableWidget(0, 5)
        self.plugins.setObjectName("pluginTable")
        self.plugins.setHorizontalHeaderLabels([self.tr("On"), self.tr("Plugin"), self.tr("Source"), self.tr("State"),
                                                self.tr("Problem")])
        self.plugins.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.plugins.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.plugins.verticalHeader().hide()
        layout.addWidget(self.plugins, 1)
        layout.addWidget(QLabel(self.tr("A plugin that fails or is incompatible is turned off with the reason.")))
        self.plugin_boxes: dict[str, QCheckBox] = {}
        self._show_plugins(self.library.plugin_listing())
        return page

    def _show_plugins(self, rows: list[dict[str, Any]]) -> None:
        self.plugins.setRowCount(len(rows))
        self.plugin_boxes = {}
        for r, row in enumerate(rows):
            box = QCheckBox()
            box.setChecked(row["state"] == "enabled")
            box.setEnabled(row["state"] in ("enabled", "disabled"))
            self.plugin_boxes[row["name"]] = box
            self.plugins.setCellWidget(r, 0, box)
            hooks = ", ".join(row.get("hooks") or [])
            for c, value in enumerate([row["name"], f"{row['source']} {row['version']}", row["state"],
                                       row.get("reason") or ""], start=1):
                item = QTableWidgetItem(value)
                item.setToolTip(f"{row['name']}: {hooks}" if c == 1 else value)
                if c == 4 and value:
                    item.setForeground(Qt.GlobalColor.red)
                self.plugins.setItem(r, c, item)
        self.plugins.resizeColumnsToContents()
        self.plugins.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)

    # -- performance and language -----------------------------------------------------------

    def _performance_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.threads = QSpinBox()
        self.threads.setRange(0, max(os.cpu_count() or 1, 1) * 2)
        self.threads.setSpecialValueText(self.tr("Automatic"))
        self.threads.setValue(self.library.config.threads)
        form.addRow(self.tr("CPU threads for models:"), self.threads)
        self.runtime_label = QLabel(self.tr("GPU: used automatically when the model runtime finds one."))
        self.runtime_label.setWordWrap(True)
        self.runtime_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.runtime_label)
        if callable(getattr(self.library, "generator_runtimes", None)):
            # What the installed build does (CPU features, GPU offload): imports the
            # runtime, so off the GUI thread.
            run_op(self.library.generator_runtimes, self._show_runtimes)
        return page

    def _show_runtimes(self, runtimes: list[dict[str, str]]) -> None:
        lines = [self.tr("GPU: used automatically when the model runtime finds one.")]
        lines += [self.tr("Answers (%1): %2").replace("%1", r["generator"]).replace("%2", r["runtime"])
                  for r in runtimes if r["runtime"]]
        self.runtime_label.setText("\n".join(lines))

    def _language_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.language = QComboBox()
        self.language.setObjectName("languageCombo")
        for code, name in LANGUAGES:
            self.language.addItem(name or self.tr("System default"), code)
        self.language.setCurrentIndex(max(self.language.findData(self.library.config.language), 0))
        form.addRow(self.tr("Language:"), self.language)
        return page

    # -- saving -------------------------------------------------------------------------

    def save(self) -> None:
        library = self.library
        changes: dict[str, Any] = {}
        excludes = tuple(line.strip() for line in self.excludes.toPlainText().splitlines() if line.strip())
        if excludes != tuple(library.config.exclude):
            changes["exclude"] = excludes
        if self.threads.value() != library.config.threads:
            changes["threads"] = self.threads.value()
        language = self.language.currentData()
        if language != library.config.language:
            changes["language"] = language
        wanted = tuple(sorted(name for name, box in self.encoder_boxes.items() if box.isChecked()))
        current = tuple(sorted(e.name for e in library.encoders))
        if self.encoder_boxes and wanted != current:
            changes["encoders"] = wanted
        try:
            for row in library.plugin_listing():
                box = self.plugin_boxes.get(row["name"])
                if box is not None and box.isEnabled() and box.isChecked() != (row["state"] == "enabled"):
                    library.set_plugin_enabled(row["name"], box.isChecked())
            if changes:
                library.update_config(**changes)
        except Exception as exc:
            self._error(exc)
            return
        if "language" in changes:
            self.language_changed.emit(language)
        self.accept()

    def _error(self, exc: BaseException) -> None:
        QMessageBox.warning(self, self.tr("Settings"), str(exc))
