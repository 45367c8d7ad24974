"""The preview pane on real hits: a PDF page rendered at the hit, a table with the hit's
rows selected, code with its line range marked, a plugin's own preview, thumbnails."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QColor, QImage, QPageSize, QPainter, QPdfWriter, QTransform

from mmrag_desktop.gui.preview import PreviewPane
from mmrag_desktop.gui.search_panel import run_search
from mmrag_desktop.gui.thumbnails import ThumbnailLoader
from mmrag_desktop.records import Filters
from mmrag_desktop.testing import temporary_library


def _pdf(path: Path, pages: list[str]) -> Path:
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A5))
    painter = QPainter(writer)
    for number, text in enumerate(pages):
        if number:
            writer.newPage()
        painter.drawText(200, 400, text)
    painter.end()
    return path


def _first(library, text: str, name: str):  # type: ignore[no-untyped-def]
    results = run_search(library, text, Filters())
    return next(r for r in results if r.hit.path.name == name)


def test_previews_open_at_the_hit(qtbot, tmp_path: Path, corpus: Path) -> None:
    _pdf(corpus / "report.pdf", ["Introduction and scope of the report.",
                                  "The quarterly budget for the Lisbon office grew by nine percent."])
    with temporary_library(tmp_path / "lib") as library:
        library.index([corpus])
        pane = PreviewPane()
        qtbot.addWidget(pane)
        pane.resize(600, 700)
        pane.show()

        pdf = _first(library, "quarterly budget Lisbon", "report.pdf")
        assert pdf.item.locator.page == 2
        pane.show_result(pdf, "quarterly budget")
        qtbot.waitUntil(lambda: pane.mode() == "image" and not pane.image.original.isNull(), timeout=20000)
        assert "budget" in pane.caption.text()
        page = pane.image.original.toImage()
        assert page.width() == 900 and page.pixelColor(5, 5) == QColor("white")  # a rendered page, not a blank

        table = _first(library, "Toronto King Street", "offices.csv")
        pane.show_result(table, "Toronto")
        qtbot.waitUntil(lambda: pane.mode() == "table", timeout=10000)
        selected = sorted({i.row() for i in pane.table.selectedIndexes()})
        locator = table.item.locator
        assert len(selected) == locator.row_end - locator.row_start + 1
        assert pane.table.verticalHeaderItem(selected[0]).text() == str(locator.row_start)
        cities = {pane.table.item(r, 0).text() for r in selected}
        assert "Toronto" in cities or locator.row_start > 5

        code = _first(library, "whole days between two dates", "dates.py")
        pane.show_result(code, "")
        qtbot.waitUntil(lambda: pane.mode() == "code", timeout=10000)
        lines = code.item.locator.line_end - code.item.locator.line_start + 1
        assert len(pane.code.extraSelections()) == lines
        assert pane.code.textCursor().blockNumber() == code.item.locator.line_start - 1


@dataclass(frozen=True)
class _Preview:
    media_type: str
    name: str

    def render(self, meta) -> str:  # type: ignore[no-untyped-def]
        return ('<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40">'
                '<rect width="80" height="40" fill="#2b8a3e"/></svg>')


def test_a_plugin_preview_is_used_for_its_media_type(qtbot, tmp_path: Path, corpus: Path) -> None:
    with temporary_library(tmp_path / "lib") as library:
        library.index([corpus])
        hit = _first(library, "rsync backup", "backups.md")
        pane = PreviewPane([("example", _Preview(hit.hit.media_type, "example-map"))])
        qtbot.addWidget(pane)
        pane.show_result(hit, "")
        assert pane.mode() == "image"
        pixel = pane.image.original.toImage().pixelColor(10, 10)
        assert pixel == QColor("#2b8a3e")


def test_thumbnails_are_made_off_the_gui_thread_and_cached(qtbot, tmp_path: Path) -> None:
    picture = tmp_path / "big.png"
    image = QImage(1200, 800, QImage.Format.Format_RGB32)
    image.fill(QColor("#1c7ed6"))
    image.save(str(picture))
    loader = ThumbnailLoader(side=100)
    assert loader.get(str(picture)) is None  # not yet: loading in the background
    with qtbot.waitSignal(loader.ready, timeout=10000) as blocker:
        pass
    path, thumb = blocker.args
    assert path == str(picture) and thumb.width() == 100 and thumb.height() in (66, 67)
    assert loader.get(str(picture)) is thumb  # memory cache
    assert list(loader.folder.glob("*.png"))  # disk cache for the next start
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    loader.get(str(broken))
    with qtbot.waitSignal(loader.ready, timeout=10000) as blocker:
        pass
    assert blocker.args == [str(broken), None]


def test_a_region_in_a_picture_is_outlined_on_its_rendition(tmp_path: Path) -> None:
    from mmrag_desktop.gui.preview import _outlined

    original = tmp_path / "scan.png"
    big = QImage(1000, 500, QImage.Format.Format_RGB32)
    big.fill(QColor("white"))
    big.save(str(original))
    rendition = tmp_path / "thumb.png"
    small = QImage(200, 100, QImage.Format.Format_RGB32)
    small.fill(QColor("white"))
    small.save(str(rendition))
    # bbox (x, y, w, h) in the original's pixels → a fifth of that on the rendition.
    shown = _outlined(str(rendition), original, (100.0, 50.0, 200.0, 100.0))
    outline = QColor("#fab005")
    assert shown.pixelColor(20, 20) == outline and shown.pixelColor(40, 10) == outline  # left and top edges
    assert shown.pixelColor(40, 20) == QColor("white") and shown.pixelColor(150, 80) == QColor("white")
    # Stored turned (portrait file, landscape rendition after EXIF orientation): same scale.
    turned = tmp_path / "turned.png"
    big.transformed(QTransform().rotate(90)).save(str(turned))
    assert _outlined(str(rendition), turned, (100.0, 50.0, 200.0, 100.0)).pixelColor(20, 20) == outline
    # No region: the rendition as it is.
    assert _outlined(str(rendition), original, None).pixelColor(20, 20) == QColor("white")
