"""Built-in plugin: PDF documents, page by page, through PDFium (pypdfium2).

Each page's text layer becomes one item (or several for a long page), located by its
1-based page number, so a hit opens on the right page. A page with no text layer but
with something drawn on it (a scan) becomes a ``scanned-page`` item with empty text and
``meta["needs_ocr"] = True``, for an OCR plugin to find and fill in later.

PDFium is not thread-safe, not even across different documents: every call into it
goes through :data:`PDFIUM_LOCK`, which other plugins that use pypdfium2 (OCR,
previews) should take as well. The lock is never held while an item is handed out.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_desktop.records import Item, Locator
from mmrag_text.fit import prefixed_chunks

MMRAG_HOOK_API = "1"

#: Serialises every PDFium call in the process.
PDFIUM_LOCK = threading.RLock()

_LOAD_ERRORS = {
    pdfium_c.FPDF_ERR_FILE: "cannot open the file",
    pdfium_c.FPDF_ERR_FORMAT: "not a PDF, or the file is damaged or truncated",
    pdfium_c.FPDF_ERR_PASSWORD: "PDF is encrypted (a password is needed)",
    pdfium_c.FPDF_ERR_SECURITY: "PDF uses an unsupported security scheme",
    pdfium_c.FPDF_ERR_PAGE: "PDF page tree is damaged",
}
# Control characters PDFium leaves in extracted text (soft hyphens as \x02, etc.).
_CONTROL = str.maketrans({c: None for c in [*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF]})
# Dot leaders of tables of contents ("5.1 README . . . . . . 29"): noise for search.
_LEADER = re.compile(r"(?:[ \t]*\.){4,}[ \t]*")


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        raise ExtractionError(_LOAD_ERRORS.get(code, f"PDF cannot be read ({exc})")) from exc


def _page_text(pdf: pdfium.PdfDocument, index: int) -> tuple[str, bool]:
    """The page's text layer, and whether anything at all is drawn on the page."""
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
        finally:
            textpage.close()
        drawn = pdfium_c.FPDFPage_CountObjects(page.raw) > 0
    finally:
        page.close()
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL)
    return _LEADER.sub(" … ", text), drawn


class PdfExtractor(Extractor):
    """PDF files: text per page; scanned pages flagged for OCR."""

    name = "pdf"
    extensions = (".pdf",)
    media_type = "application/pdf"
    modality = "text"
    version = "1"

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        with PDFIUM_LOCK:
            pdf = _open(path)
        try:
            with PDFIUM_LOCK:
                count = len(pdf)
            if count == 0:
                raise ExtractionError("PDF has no pages (the file may be damaged)")
            readable = 0
            for index in range(count):
                number = index + 1
                try:
                    with PDFIUM_LOCK:
                        text, drawn = _page_text(pdf, index)
                except pdfium.PdfiumError:
                    continue  # one damaged page does not lose the rest of the document
                readable += 1
                if not text.strip():
                    if drawn:
                        yield Item(text="", kind="scanned-page", locator=Locator(page=number), meta={"needs_ocr": True})
                    continue
                chunks = prefixed_chunks(ctx, "", text)
                for part, chunk in enumerate(chunks, start=1):
                    meta = {"part": part, "parts": len(chunks)} if len(chunks) > 1 else {}
                    yield Item(text=chunk.text, kind="page", locator=Locator(page=number), meta=meta)
            if readable == 0:
                raise ExtractionError("no page of the PDF can be read (the file is damaged)")
        finally:
            with PDFIUM_LOCK:
                pdf.close()


@hookimpl
def register_extractors(register: Callable[[Extractor], None]) -> None:
    register(PdfExtractor())
