"""The preview pane: shows a hit at the place it was found.

Pictures (the item's rendition or the file), PDF pages rendered at the hit's page,
text and Markdown with the hit highlighted and scrolled into view, code with simple
syntax colouring and the hit's lines marked, CSV tables as a table with the hit's rows
selected, timed items (audio, video) as transcript at the timestamp (under the
recording's waveform with the hit's range marked, when the item's plugin drew one:
``meta["waveform"]``), and whatever a
plugin registers with ``register_previews`` for a media type (an SVG renderer). Files
are read and pages rendered on worker threads.
"""

from __future__ import annotations

import csv
import html
import io
import itertools
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QImage,
    QImageReader,
    QPainter,
    QPen,
    QPixmap,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from .highlight import highlight_html, pattern
from .i18n import locator_text
from .ops import run_op
from .preview_paths import home_relative as _home
from .results import Result
from .waveform import WaveformView

MAX_TEXT_BYTES = 2 * 1024 * 1024
MAX_TABLE_ROWS = 2000
_CODE_SUFFIXES = {".py", ".js", ".ts", ".tsx", ".jsx", ".c", ".h", ".cpp", ".hpp", ".cc", ".rs", ".go", ".java",
                  ".kt", ".rb", ".php", ".cs", ".swift", ".sh", ".bash", ".lua", ".scala", ".sql", ".r", ".m"}
_KEYWORDS = ["def", "class", "return", "if", "elif", "else", "for", "while", "in", "not", "and", "or", "import", "from", "as", "with", "try", "except", "finally", "raise", "yield", "lambda", "pass", "break", "continue", "None", "True", "False", "self", "fn", "let", "mut", "const", "var", "function", "public", "private", "static", "void", "int", "float", "double", "char", "struct", "enum", "impl", "match", "use", "package", "func", "type", "interface", "new", "null", "true", "false", "this", "async", "await"]


class CodeHighlighter(QSyntaxHighlighter):
    """Keywords, strings, numbers and comments: enough colour for reading, any language."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        def fmt(colour: str, bold: bool = False) -> QTextCharFormat:
            f = QTextCharFormat()
            f.setForeground(QColor(colour))
            if bold:
                f.setFontWeight(QFont.Weight.Bold)
            return f
        self.rules = [
            (re.compile(r"\b(" + "|".join(_KEYWORDS) + r")\b"), fmt("#8959a8", True)),
            (re.compile(r"\b\d+(\.\d+)?\b"), fmt("#f5871f")),
            (re.compile(r"(\"[^\"\n]*\"|'[^'\n]*')"), fmt("#718c00")),
            (re.compile(r"(#|//).*$"), fmt("#8e908c")),
        ]

    def highlightBlock(self, text: str) -> None:
        for regex, style in self.rules:
            for match in regex.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), style)


def _read_text(path: Path) -> str:
    with open(path, "rb") as handle:
        data = handle.read(MAX_TEXT_BYTES)
    for encoding in ("utf-8", "utf-16", "gb18030", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def _render_pdf_page(path: Path, page: int, width: int = 900) -> QImage:
    """Page ``page`` (1-based) rendered ``width`` px wide (worker thread)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        index = min(max(page - 1, 0), len(document) - 1)
        pdf_page = document[index]
        bitmap = pdf_page.render(scale=width / max(pdf_page.get_width(), 1), rev_byteorder=True)
        array = bitmap.to_numpy()
    finally:
        document.close()
    height, columns = array.shape[:2]
    channels = array.shape[2] if array.ndim == 3 else 1
    formats = {3: QImage.Format.Format_RGB888, 4: QImage.Format.Format_RGBA8888, 1: QImage.Format.Format_Grayscale8}
    data = array.tobytes()
    # copy(): the QImage must own its pixels once ``data`` goes away.
    return QImage(data, columns, height, columns * channels, formats[channels]).copy()


def _outlined(picture: str, original: Path, bbox: tuple[float, float, float, float] | None) -> QImage:
    """The rendition ``picture`` with the hit's region outlined: ``bbox`` is in pixels of
    the upright ``original`` (a face, a block of text), the rendition a smaller copy."""
    image = QImage(picture)
    size = QImageReader(str(original)).size() if bbox else None
    if image.isNull() or size is None or not size.isValid():
        return image
    width, height = size.width(), size.height()
    if (width > height) != (image.width() > image.height()):
        width, height = height, width  # the file is stored turned (EXIF orientation)
    sx, sy = image.width() / width, image.height() / height
    x, y, w, h = bbox  # type: ignore[misc]
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    painter = QPainter(image)
    pen = QPen(QColor("#fab005"))
    pen.setWidth(max(2, round(image.width() / 160)))
    painter.setPen(pen)
    painter.drawRect(QRectF(x * sx, y * sy, w * sx, h * sy))
    painter.end()
    return image


def _read_table(path: Path) -> list[list[str]]:
    text = _read_text(path)
    dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    return list(itertools.islice(csv.reader(io.StringIO(text), dialect), MAX_TABLE_ROWS))


class FittedImage(QLabel):
    """A picture scaled down (never up) to fit the label, rescaled on resize."""

    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(120, 120)
        self.original = QPixmap()

    def set_image(self, image: QImage) -> None:
        self.original = QPixmap.fromImage(image)
        self._fit()

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self.original.isNull():
            self.clear()
            return
        size = self.original.size()
        if size.width() > self.width() or size.height() > self.height():
            size = size.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        self.setPixmap(self.original.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                            Qt.TransformationMode.SmoothTransformation))


class PreviewPane(QWidget):
    #: A link in a preview (e.g. a transcript) asked for another file.
    open_requested = Signal(str)

    def __init__(self, previews: list[tuple[str, Any]] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPane")
        self.plugin_previews = {getattr(d, "media_type", None): d for _, d in (previews or [])}
        self.current: Result | None = None
        self._token = 0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        header = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("previewTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setWordWrap(True)
        header.addWidget(self.title, 1)
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.setToolTip(self.tr("Open with the default application (Enter)"))
        self.open_button.clicked.connect(self.open_file)
        self.folder_button = QPushButton(self.tr("Show in folder"))
        self.folder_button.clicked.connect(self.show_in_folder)
        header.addWidget(self.open_button)
        header.addWidget(self.folder_button)
        layout.addLayout(header)
        self.where = QLabel()
        self.where.setObjectName("previewWhere")
        self.where.setTextFormat(Qt.TextFormat.PlainText)
        self.where.setWordWrap(True)
        layout.addWidget(self.where)
        self.waveform = WaveformView()
        layout.addWidget(self.waveform)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.placeholder = QLabel(self.tr("Select a result to preview it here."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("placeholder")
        self.image = FittedImage()
        self.image_scroll = self.image
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.code = QPlainTextEdit()
        self.code.setReadOnly(True)
        self.code.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.code.setFont(QFont("monospace"))
        self.highlighter = CodeHighlighter(self.code.document())
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for widget in (self.placeholder, self.image_scroll, self.text, self.code, self.table):
            self.stack.addWidget(widget)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setObjectName("previewCaption")
        layout.addWidget(self.caption)
        self.clear()

    # -- actions ------------------------------------------------------------------------

    def open_file(self) -> None:
        if self.current is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.current.hit.path)))

    def show_in_folder(self) -> None:
        if self.current is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.current.hit.path).parent)))

    def clear(self) -> None:
        self.current = None
        self.title.setText("")
        self.where.setText("")
        self.caption.setText("")
        self.open_button.hide()
        self.folder_button.hide()
        self.waveform.show_for({}, None, None)
        self.stack.setCurrentWidget(self.placeholder)

    # -- showing ------------------------------------------------------------------------

    def mode(self) -> str:
        """Which view is showing (tests and screenshots use it)."""
        return {self.placeholder: "empty", self.image_scroll: "image", self.text: "text", self.code: "code",
                self.table: "table"}[self.stack.currentWidget()]

    def show_result(self, result: Result, query: str = "") -> None:
        self.current = result
        self._token += 1
        token = self._token
        hit, item = result.hit, result.item
        path = Path(hit.path)
        self.title.setText(f"<b>{html.escape(path.name)}</b>")
        self.title.setToolTip(str(path))
        where = locator_text(item.locator)
        spoken = result.meta.get("language")  # a transcript's language (speech plugins set it)
        self.where.setText(_home(path.parent) + (f"  ·  {where}" if where else "") + (f"  ·  {spoken}" if spoken else ""))
        self.open_button.show()
        self.folder_button.show()
        self.caption.setText("")
        self.waveform.show_for(result.meta, item.locator.time_start, item.locator.time_end)
        plugin = self.plugin_previews.get(hit.media_type)
        if plugin is not None and callable(getattr(plugin, "render", None)):
            self._show_svg(plugin.render(result.meta))
            return
        if result.picture is not None:
            picture = result.picture  # the grid's picture: a 3D model's front view alone is often a flat square
            # A face or a block of text in a picture file: outline where it is.
            box = item.locator.bbox if hit.media_type.startswith("image/") else None
            self._busy()
            run_op(lambda: _outlined(picture, path, box), lambda image: self._show_image(token, image, item.text))
            return
        if item.locator.page is not None and path.suffix.lower() == ".pdf":
            self._busy()
            page = item.locator.page
            run_op(lambda: _render_pdf_page(path, page),
                   lambda image: self._show_image(token, image, item.snippet, highlight=query),
                   lambda exc: self._show_plain(token, item.text, query, f"({exc})"))
            return
        if item.locator.time_start is not None:
            self._show_transcript(result, query)
            return
        if path.suffix.lower() in (".csv", ".tsv") and item.locator.row_start is not None:
            self._busy()
            run_op(lambda: _read_table(path), lambda rows: self._show_table(token, rows, item.locator),
                   lambda exc: self._show_plain(token, item.text, query, str(exc)))
            return
        if not path.exists() or path.suffix.lower() in (".pdf", ".docx", ".xlsx", ".xls", ".html", ".htm"):
            self._show_plain(token, item.text, query)
            return
        self._busy()
        run_op(lambda: _read_text(path), lambda text: self._show_file_text(token, text, result, query),
               lambda exc: self._show_plain(token, item.text, query, str(exc)))

    def _busy(self) -> None:
        self.caption.setText(self.tr("Loading…"))

    def _show_svg(self, svg: str) -> None:
        image = QImage.fromData(QByteArray(svg.encode("utf-8")), "SVG")
        self.image.set_image(image)
        self.stack.setCurrentWidget(self.image_scroll)

    def _show_image(self, token: int, image: QImage, caption: str = "", highlight: str = "") -> None:
        if token != self._token:
            return
        if image.isNull():
            self.caption.setText(self.tr("This picture cannot be shown."))
            self.stack.setCurrentWidget(self.placeholder)
            return
        self.image.set_image(image)
        self.stack.setCurrentWidget(self.image_scroll)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setText(highlight_html(caption[:600], highlight) if caption else "")

    def _show_plain(self, token: int, text: str, query: str, note: str = "") -> None:
        if token != self._token:
            return
        self.text.setHtml(f"<div style='white-space:pre-wrap'>{highlight_html(text, query)}</div>")
        self.stack.setCurrentWidget(self.text)
        self.caption.setText(note)

    def _show_transcript(self, result: Result, query: str) -> None:
        item = result.item
        stamp = locator_text(item.locator)
        self.text.setHtml(f"<p><b>{html.escape(stamp)}</b></p>"
                          f"<div style='white-space:pre-wrap'>{highlight_html(item.text, query)}</div>")
        self.stack.setCurrentWidget(self.text)
        self.caption.setText(self.tr("Transcript at %1").replace("%1", stamp))

    def _show_table(self, token: int, rows: list[list[str]], locator: Any) -> None:
        if token != self._token:
            return
        self.caption.setText("")
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        self.table.clear()
        self.table.setColumnCount(max((len(r) for r in rows), default=0))
        self.table.setRowCount(len(body))
        self.table.setHorizontalHeaderLabels(header)
        # Numbered as in the file (the header is row 1), like the locator's rows.
        self.table.setVerticalHeaderLabels([str(n + 2) for n in range(len(body))])
        for r, row in enumerate(body):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self.stack.setCurrentWidget(self.table)
        # Locator rows are the file's row numbers, as a spreadsheet shows them (the header
        # is row 1), so data row n sits at body index n - 2.
        start = max((locator.row_start or 2) - 2, 0)
        end = max((locator.row_end or locator.row_start or 2) - 2, start)
        self.table.clearSelection()
        self.table.setSelectionMode(QTableWidget.SelectionMode.MultiSelection)
        for r in range(start, min(end + 1, len(body))):
            self.table.selectRow(r)
        self.table.setSelectionMode(QTableWidget.SelectionMode.ExtendedSelection)
        if start < len(body):
            self.table.scrollToItem(self.table.item(start, 0) or QTableWidgetItem(),
                                    QTableWidget.ScrollHint.PositionAtCenter)

    def _show_file_text(self, token: int, text: str, result: Result, query: str) -> None:
        if token != self._token:
            return
        item = result.item
        path = Path(result.hit.path)
        self.caption.setText("")
        if path.suffix.lower() in _CODE_SUFFIXES and item.locator.line_start is not None:
            self._show_code(text, item.locator.line_start, item.locator.line_end or item.locator.line_start)
            return
        self.text.setPlainText(text)
        document = self.text.document()
        selections = []
        mark = QTextCharFormat()
        mark.setBackground(QColor("#fff3bf"))
        mark.setForeground(QColor("#000"))
        # The hit: its line range when the extractor recorded one, else the item's first
        # line found in the file.
        anchor = QTextCursor()
        locator = item.locator
        if locator.line_start is not None:
            first = document.findBlockByLineNumber(locator.line_start - 1)
            last = document.findBlockByLineNumber((locator.line_end or locator.line_start) - 1)
            if first.isValid():
                anchor = QTextCursor(first)
                end = last if last.isValid() else first
                anchor.setPosition(end.position() + max(end.length() - 1, 0), QTextCursor.MoveMode.KeepAnchor)
        if anchor.isNull():
            first_line = next((line.strip() for line in item.text.splitlines() if line.strip()), "")
            if first_line:
                anchor = document.find(first_line[:80])
        if not anchor.isNull():
            selection = QTextEdit.ExtraSelection()
            selection.cursor, selection.format = QTextCursor(anchor), mark
            selections.append(selection)
        regex = pattern(query)
        if regex is not None:
            term_format = QTextCharFormat()
            term_format.setBackground(QColor("#ffd43b"))
            term_format.setForeground(QColor("#000"))
            for match in regex.finditer(text):
                cursor = QTextCursor(document)
                cursor.setPosition(match.start())
                cursor.setPosition(match.end(), QTextCursor.MoveMode.KeepAnchor)
                selection = QTextEdit.ExtraSelection()
                selection.cursor, selection.format = cursor, term_format
                selections.append(selection)
                if len(selections) > 500:
                    break
        self.text.setExtraSelections(selections)
        self.stack.setCurrentWidget(self.text)
        if not anchor.isNull():
            cursor = QTextCursor(anchor)
            cursor.setPosition(anchor.selectionStart())
            self.text.setTextCursor(cursor)
            self.text.ensureCursorVisible()
            # Put the hit near the top rather than at the bottom edge.
            bar = self.text.verticalScrollBar()
            bar.setValue(min(bar.maximum(), bar.value() + self.text.viewport().height() // 3))
            self.text.ensureCursorVisible()

    def _show_code(self, text: str, first: int, last: int) -> None:
        self.code.setPlainText(text)
        document = self.code.document()
        mark = QTextCharFormat()
        mark.setBackground(QColor(255, 230, 120, 90))
        mark.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selections = []
        for line in range(first, last + 1):
            block = document.findBlockByLineNumber(line - 1)
            if not block.isValid():
                break
            selection = QTextEdit.ExtraSelection()
            selection.cursor = QTextCursor(block)
            selection.format = mark
            selections.append(selection)
        self.code.setExtraSelections(selections)
        self.stack.setCurrentWidget(self.code)
        cursor = QTextCursor(document.findBlockByLineNumber(max(first - 1, 0)))
        self.code.setTextCursor(cursor)
        self.code.centerCursor()
        self.caption.setText(self.tr("Lines %1–%2").replace("%1", str(first)).replace("%2", str(last)))
