"""The PDF extractor (mmrag_pdf), on PDFs written at test time by conftest.build_pdf."""

from __future__ import annotations

from pathlib import Path

import pytest

import mmrag_pdf
from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_desktop.testing import run_hook
from mmrag_pdf import PdfExtractor, register_extractors


def extract(path: Path, ctx: ExtractContext) -> list:
    # Through the plugin's own hook, as the app gets it.
    (extractor,) = run_hook("register_extractors", mmrag_pdf)
    return list(extractor.extract(path, ctx))


def test_registers_pdf_extractor() -> None:
    registered: list[Extractor] = []
    register_extractors(registered.append)
    assert [type(e) for e in registered] == [PdfExtractor]
    assert registered[0].extensions == (".pdf",)
    assert registered[0].media_type == "application/pdf"


def test_one_item_per_page_with_page_locator(make_pdf, ctx: ExtractContext) -> None:
    path = make_pdf([["Alpha page one", "mentions invoices (2024)"], ["Beta page two"], ["Gamma page three"]])
    items = extract(path, ctx)
    assert [item.locator.page for item in items] == [1, 2, 3]
    assert all(item.kind == "page" and item.locator.line_start is None for item in items)
    assert items[0].text == "Alpha page one\nmentions invoices (2024)"
    assert items[1].text == "Beta page two"
    assert "Gamma" in items[2].text


def test_long_page_is_chunked_and_keeps_its_page(make_pdf, ctx: ExtractContext, within_budget) -> None:
    long_page = [f"Line {n} of the long page says something about topic{n}." for n in range(60)]
    path = make_pdf([["Short first page"], long_page])
    items = extract(path, ctx)
    page_two = [item for item in items if item.locator.page == 2]
    assert len(page_two) > 3
    within_budget(items, ctx)
    assert [item.meta["part"] for item in page_two] == list(range(1, len(page_two) + 1))
    assert all(item.meta["parts"] == len(page_two) for item in page_two)
    text = "\n".join(item.text for item in page_two)
    assert "topic0" in text and "topic59" in text


def test_page_without_text_layer_is_flagged_for_ocr(make_pdf, ctx: ExtractContext) -> None:
    path = make_pdf([["Typed page"], None, [], ["Last page"]])
    items = extract(path, ctx)
    assert [(item.locator.page, item.kind) for item in items] == [
        (1, "page"),
        (2, "scanned-page"),  # an image and no text: a scan
        (4, "page"),  # page 3 is blank: nothing to find, nothing to OCR
    ]
    scanned = items[1]
    assert scanned.text == ""
    assert scanned.meta == {"needs_ocr": True}


def test_encrypted_pdf_is_refused_with_reason(make_pdf, ctx: ExtractContext) -> None:
    path = make_pdf([["secret"]], encrypted=True)
    with pytest.raises(ExtractionError, match="encrypted"):
        extract(path, ctx)


@pytest.mark.parametrize("keep", [0, 9, 200, 0.5, -40])
def test_truncated_or_empty_pdf_is_refused(make_pdf, ctx: ExtractContext, keep: float) -> None:
    path = make_pdf([["Page one text"], ["Page two text"]])
    data = path.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else (keep if keep >= 0 else len(data) + keep)
    path.write_bytes(data[:cut])
    with pytest.raises(ExtractionError, match=r"damaged|truncated"):
        extract(path, ctx)


def test_not_a_pdf_at_all(tmp_path: Path, ctx: ExtractContext) -> None:
    path = tmp_path / "fake.pdf"
    path.write_text("this is plain text pretending to be a PDF")
    with pytest.raises(ExtractionError, match="not a PDF"):
        extract(path, ctx)


def test_stopping_early_closes_the_document(make_pdf, ctx: ExtractContext) -> None:
    path = make_pdf([["one"], ["two"], ["three"]])
    iterator = iter(PdfExtractor().extract(path, ctx))
    assert next(iterator).locator.page == 1
    iterator.close()  # runs the generator's cleanup
    # the file can be replaced and read again (no dangling handle state)
    path.write_bytes(path.read_bytes())
    assert len(extract(path, ctx)) == 3


def test_table_of_contents_leaders_and_numbers_survive(make_pdf, ctx: ExtractContext, within_budget) -> None:
    toc = [
        f"5.{n} Section about e.g. topic{n} . . . . . . . . . . . . . . . . . . . . . {n + 20}" for n in range(1, 30)
    ]
    items = extract(make_pdf([toc]), ctx)
    within_budget(items, ctx)
    text = "\n".join(item.text for item in items)
    assert ". . . ." not in text
    assert "5.1 Section about e.g. topic1 … 21" in text
    assert "5.29 Section about e.g. topic29 … 49" in text
