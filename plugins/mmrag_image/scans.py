"""Scanned PDF pages: the PDF plugin's "no text layer" pages, rendered and OCR'd.

Registered for ``.pdf`` with a higher priority than the PDF plugin, this extractor runs
the PDF plugin's own extractor and only replaces its ``scanned-page`` items: each such
page is rendered (PDFium, under the PDF plugin's lock), and becomes a visual item
(thumbnail, labels, text) plus its OCR text in chunks located by page and bounding box
(in PDF points from the page's top-left corner). Disable this plugin and PDFs are read
exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from PIL import Image

from mmrag_desktop.interfaces import ExtractContext, Extractor
from mmrag_desktop.records import Item, Locator

#: Rendering resolution for OCR: 150 dpi reads 9-point print reliably.
DPI = 150


class ScannedPdfExtractor(Extractor):
    name = "pdf+ocr"
    extensions = (".pdf",)
    media_type = "application/pdf"
    modality = "text"
    priority = 10

    def __init__(self) -> None:
        import mmrag_pdf

        self._pdf = mmrag_pdf
        self._inner = mmrag_pdf.PdfExtractor()
        self.version = f"{self._inner.version}+ocr1"

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        from . import picture as pic
        from .extract import picture_items

        key = None
        for item in self._inner.extract(path, ctx):
            if item.kind != "scanned-page" or item.locator.page is None:
                yield item
                continue
            image, scale = self._render(path, item.locator.page)
            if key is None:
                key = pic.content_key(path.read_bytes())
            picture = pic.Picture(image, image.width, image.height, "PDF page")
            # No object detection on a page of text: it costs a network run and finds
            # "book" or "tv" at best.
            for produced in picture_items(picture, f"{key}-p{item.locator.page}", ctx, kind="scanned-page",
                                          locator=Locator(page=item.locator.page), detect=False):
                if produced.locator.bbox is not None:  # pixels at DPI -> PDF points
                    produced = _in_points(produced, scale)
                yield produced

    def _render(self, path: Path, page_number: int) -> tuple[Image.Image, float]:
        import pypdfium2 as pdfium

        with self._pdf.PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(path)
            try:
                page = pdf[page_number - 1]
                try:
                    width, height = page.get_size()
                    # Bounded: a poster-sized page is rendered no larger than 2,400 px.
                    scale = min(DPI / 72, 2400 / max(width, height, 1))
                    bitmap = page.render(scale=scale)
                    return bitmap.to_pil().convert("RGB"), scale
                finally:
                    page.close()
            finally:
                pdf.close()


def _in_points(item: Item, scale: float) -> Item:
    assert item.locator.bbox is not None
    box = tuple(round(v / scale, 1) for v in item.locator.bbox)
    return replace(item, locator=replace(item.locator, bbox=box))
