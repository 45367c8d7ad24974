"""Starting the desktop app: parse options, open the library, show the window."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from ..errors import MMRagError
from ..library import Library
from . import i18n
from .main_window import MainWindow
from .style import STYLE


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="mmrag-desktop", description="MM-RAG Desktop")
    parser.add_argument("--data-dir", type=Path, default=None, help="library folder (env MMRAG_DATA_DIR)")
    parser.add_argument("--safe-mode", action="store_true", help="load the built-in plugins only")
    parser.add_argument("--lang", default=None, help="interface language (en, zh_CN)")
    return parser.parse_known_args(argv)


def create_app(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("MM-RAG Desktop")
    app.setOrganizationName("mmrag")
    app.setDesktopFileName("mmrag-desktop")
    icon = Path(__file__).resolve().parent / "icons" / "mmrag.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    app.setStyleSheet(STYLE)
    return app  # type: ignore[return-value]


def run(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args, qt_args = parse(argv)
    import os

    app = create_app(qt_args)
    data_dir = args.data_dir or os.environ.get("MMRAG_DATA_DIR") or None
    try:
        library = Library(data_dir, safe_mode=args.safe_mode)
    except MMRagError as exc:
        QMessageBox.critical(None, "MM-RAG Desktop", str(exc))
        return 1
    i18n.install(app, i18n.pick_language(args.lang or library.config.language))
    window = MainWindow(library)
    window.show()
    gc.collect()
    gc.freeze()  # start-up objects live as long as the app; keep them out of later collections
    try:
        return app.exec()
    finally:
        library.close()
