#!/usr/bin/env python3
"""Start the real desktop app on the sample library and save screenshots of its main
states, so anyone can look at them: empty (welcome), indexing, text results, image
grid, a file-similarity search, a preview, and the Ask tab (an answer with citations
when this build has generation).

Usage: .venv/bin/python scripts/screenshots.py [OUT_DIR]   (default docs/screenshots)
Runs itself under Xvfb when there is no display (apt: xvfb). Uses a fresh temporary
library, never yours. ``--lang zh_CN`` takes them in Chinese.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _reexec_under_xvfb() -> None:
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not shutil.which("xvfb-run"):
        sys.exit("No display and no xvfb-run: install xvfb (scripts/install.sh does on Debian/Ubuntu).")
    os.execvp("xvfb-run", ["xvfb-run", "-a", "-s", "-screen 0 1400x900x24", sys.executable, *sys.argv])


def main() -> None:
    _reexec_under_xvfb()
    import argparse

    parser = argparse.ArgumentParser(description="Screenshots of the desktop app's main states.")
    parser.add_argument("out", nargs="?", help="folder for the PNGs (default docs/screenshots)")
    parser.add_argument("--lang", default="en", help="interface language, e.g. zh_CN")
    options = parser.parse_args()
    args, lang = [options.out] if options.out else [], options.lang
    out = Path(args[0] if args else ROOT / "docs" / "screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mmrag-shots-"))
    os.environ["MMRAG_THUMB_CACHE"] = str(work / "thumbs")

    from PySide6.QtCore import QCoreApplication, QElapsedTimer
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    from mmrag_desktop.gui import i18n
    from mmrag_desktop.gui.app import create_app
    from mmrag_desktop.gui.main_window import SAMPLE, MainWindow
    from mmrag_desktop.library import Library

    app = create_app([])
    i18n.install(app, lang)
    library = Library(work / "library")
    window = MainWindow(library)
    window.resize(1360, 840)
    window.show()
    saved: list[str] = []

    def wait(condition, seconds: float = 120.0) -> bool:  # type: ignore[no-untyped-def]
        timer = QElapsedTimer()
        timer.start()
        while not condition():
            QCoreApplication.processEvents()
            time.sleep(0.01)
            if timer.elapsed() > seconds * 1000:
                return False
        for _ in range(20):  # let layouts and queued paints settle
            QCoreApplication.processEvents()
            time.sleep(0.01)
        return True

    def shot(name: str) -> None:
        path = out / f"{name}.png"
        window.grab().save(str(path))
        saved.append(str(path))
        print(f"saved {path}")

    wait(lambda: window.stack.currentWidget() is window.welcome, 10)
    shot("01-empty")

    # Indexing: a copy of the sample plus pictures, so the grid has something to show.
    corpus = work / "sample"
    shutil.copytree(SAMPLE, corpus)
    pictures = corpus / "pictures"
    pictures.mkdir()
    for name, colour, label in (("sunset-beach", "#f08c00", "Sunset"), ("forest-path", "#2f9e44", "Forest"),
                                ("city-night", "#364fc7", "City"), ("red-bicycle", "#e03131", "Bicycle")):
        image = QImage(640, 420, QImage.Format.Format_RGB32)
        image.fill(QColor(colour))
        painter = QPainter(image)
        painter.setPen(QColor("white"))
        painter.setFont(QFont("sans", 48, QFont.Weight.Bold))
        painter.drawText(image.rect(), 0x84, label)  # AlignCenter
        painter.end()
        image.save(str(pictures / f"{name}.png"))
    # A second folder with enough files that indexing is pictured mid-way; it leaves the
    # library again before the searches, so it does not crowd their results.
    journal = work / "journal"
    journal.mkdir()
    for i in range(60):
        (journal / f"journal-{i:02d}.md").write_text(
            f"# Journal {i}\n\n" + " ".join(f"Day {i}, entry {j}: notes about the garden, travel and work."
                                           for j in range(12)), "utf-8")
    captured: list[bool] = []

    def on_progress(event) -> None:  # type: ignore[no-untyped-def]
        # Runs after the sidebar's own slot has shown this event: picture it mid-way.
        if event.phase == "embed" and event.total and event.done >= event.total // 3 and not captured:
            captured.append(True)
            shot("02-indexing")

    finished: list[object] = []
    window.indexer.finished.connect(finished.append)
    window.add_folder(str(corpus))
    wait(lambda: len(finished) == 1, 600)
    window.indexer.progress.connect(on_progress)
    window.add_folder(str(journal))
    wait(lambda: len(finished) == 2, 600)
    window.indexer.progress.disconnect(on_progress)
    library.remove_source(journal)
    window.refresh()
    wait(lambda: window.sidebar.sources.count() == 1, 30)

    searched: list[int] = []
    window.search_panel.searched.connect(searched.append)
    window.search_panel.box.setText("how do I make a backup of my files")
    window.search_panel.box.commit()
    wait(lambda: bool(searched), 60)
    shot("03-text-results")

    searched.clear()
    window.search_panel.box.setText("怎么设置网络代理")
    window.search_panel.box.commit()
    wait(lambda: bool(searched), 60)
    shot("04-chinese-results")

    searched.clear()
    window.search_panel.box.setText("function that parses dates")
    window.search_panel.box.commit()
    wait(lambda: bool(searched), 60)
    wait(lambda: window.search_panel.preview.mode() == "code", 10)
    shot("05-code-preview")

    searched.clear()
    window.search_panel.box.setText("bicycle sunset forest city")
    window.search_panel.box.commit()
    wait(lambda: bool(searched), 60)
    grid = window.search_panel.results.grid
    wait(lambda: grid.isVisible() and all(not grid.item(i).icon().isNull() for i in range(grid.count())), 20)
    if grid.count():
        shot("06-image-grid")
    else:
        print("image grid: no plugin in this build indexes pictures (.png); no grid to show")

    searched.clear()
    window.search_by_file(corpus / "notes" / "backups.md")
    wait(lambda: bool(searched), 60)
    shot("07-similar-to-file")

    window.tabs.setCurrentWidget(window.ask_panel)
    panel = window.ask_panel
    if panel.available:
        answered: list[object] = []
        panel.answered.connect(answered.append)
        panel.failed.connect(answered.append)  # e.g. no generator model installed: picture the message
        panel.question.setPlainText("Which command copies my home folder to the external drive?")
        panel.ask()
        wait(lambda: bool(answered), 300)
        if panel.citations:
            first = min(panel.citations)
            from PySide6.QtCore import QUrl

            panel._on_link(QUrl(f"cite:{first}"))
            wait(lambda: panel.preview.mode() != "empty", 10)
        shot("08-answer-with-citations")
    else:
        wait(lambda: True, 1)
        shot("08-ask-not-installed")

    window.close()
    library.close()
    shutil.rmtree(work, ignore_errors=True)
    print(f"{len(saved)} screenshots in {out}")


if __name__ == "__main__":
    main()
