"""First run: what the app does, and a button to add the first folder."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class WelcomePage(QWidget):
    folder_chosen = Signal(str)
    sample_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        title = QLabel(self.tr("Welcome to MM-RAG Desktop"))
        title.setObjectName("welcomeTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        intro = self.tr("Search your documents, notes, code, tables and pictures by meaning — in English and "
                        "Chinese — and ask questions about them. Everything stays on this computer.")
        how = self.tr("Add the folders you want to search; they are indexed in the background and kept up to date.")
        text = QLabel(f"{intro}\n\n{how}")
        text.setObjectName("welcomeText")
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setFixedWidth(560)
        # Centred by stretches, not by an alignment flag: an aligned label is not given
        # the height its wrapped text needs.
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(text)
        centred.addStretch(1)
        layout.addSpacing(10)
        layout.addLayout(centred)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.add_button = QPushButton(self.tr("Add a folder…"))
        self.add_button.setObjectName("primaryButton")
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self._pick)
        self.sample_button = QPushButton(self.tr("Try the sample library"))
        self.sample_button.clicked.connect(self.sample_requested)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.sample_button)
        buttons.addStretch(1)
        layout.addSpacing(16)
        layout.addLayout(buttons)
        hint = QLabel(self.tr("Tip: drop a file on the window to find similar ones."))
        hint.setObjectName("hint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addSpacing(8)
        layout.addWidget(hint)
        layout.addStretch(3)

    def _pick(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder to the library"))
        if folder:
            self.folder_chosen.emit(folder)
