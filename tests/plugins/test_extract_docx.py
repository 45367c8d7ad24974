"""The Word extractor (mmrag_docx): heading sections, tables as rows, bad files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

import mmrag_docx
from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_desktop.testing import run_hook
from mmrag_docx import DocxExtractor, register_extractors


def extract(path: Path, ctx: ExtractContext) -> list:
    # Through the plugin's own hook, as the app gets it.
    (extractor,) = run_hook("register_extractors", mmrag_docx)
    return list(extractor.extract(path, ctx))


def build(path: Path) -> None:
    document = docx.Document()
    document.add_heading("Annual Report", level=0)
    document.add_paragraph("Summary before any heading.")
    document.add_heading("Install", level=1)
    document.add_paragraph("General install notes.")
    document.add_heading("Debian", level=2)
    document.add_paragraph("Run apt install mmrag.")
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(
        table.rows,
        [("Step", "Command", "Note"), ("1", "apt update", ""), ("2", "apt install", "needs root")],
        strict=True,
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_heading("Empty leaf", level=2)
    document.add_heading("使用说明", level=1)
    document.add_paragraph("离线搜索你的文件。")
    body = document.element.body
    sdt = parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtContent><w:p><w:r><w:t>Inside a content control.</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>"
    )
    body.insert(len(body) - 1, sdt)  # before the final sectPr
    document.save(path)


def test_registers_docx_extractor() -> None:
    registered: list[Extractor] = []
    register_extractors(registered.append)
    assert [type(e) for e in registered] == [DocxExtractor]
    assert registered[0].extensions == (".docx",)


def test_sections_by_heading_and_tables_as_rows(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    path = tmp_path / "report.docx"
    build(path)
    items = extract(path, ctx)
    within_budget(items, ctx)
    by_section = {item.locator.section: item.text for item in items}
    assert list(by_section) == [
        "Annual Report",
        "Annual Report > Install",
        "Annual Report > Install > Debian",
        "Annual Report > Install > Empty leaf",
        "Annual Report > 使用说明",
    ]
    assert by_section["Annual Report"] == "Annual Report\n\nSummary before any heading."
    assert by_section["Annual Report > Install > Debian"] == (
        "Annual Report > Install > Debian\n\nRun apt install mmrag.\n\nStep | Command | Note\n\n"
        "Step: 1; Command: apt update\n\nStep: 2; Command: apt install; Note: needs root"
    )
    assert by_section["Annual Report > Install > Empty leaf"] == "Annual Report > Install > Empty leaf"
    assert by_section["Annual Report > 使用说明"] == (
        "Annual Report > 使用说明\n\n离线搜索你的文件。\n\nInside a content control."
    )
    assert all(item.kind == "chunk" and item.locator.line_start is None for item in items)


def test_long_section_is_chunked_with_prefix(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    document = docx.Document()
    document.add_heading("Settings", level=1)
    for n in range(30):
        document.add_paragraph(f"Paragraph {n} explains setting{n} in some detail for readers.")
    path = tmp_path / "long.docx"
    document.save(path)
    items = extract(path, ctx)
    assert len(items) > 3
    within_budget(items, ctx)
    assert all(item.text.startswith("Settings\n\nParagraph") and item.locator.section == "Settings" for item in items)
    assert "setting29" in items[-1].text


def test_document_without_headings(tmp_path: Path, ctx: ExtractContext) -> None:
    document = docx.Document()
    document.add_paragraph("Just one paragraph, no headings.")
    document.add_paragraph("")
    path = tmp_path / "plain.docx"
    document.save(path)
    (item,) = extract(path, ctx)
    assert item.text == "Just one paragraph, no headings."
    assert item.locator.section is None
    empty = tmp_path / "empty.docx"
    docx.Document().save(empty)
    assert extract(empty, ctx) == []


def test_corrupt_docx_is_refused(tmp_path: Path, ctx: ExtractContext) -> None:
    not_zip = tmp_path / "bad.docx"
    not_zip.write_bytes(b"PK\x03\x04 but then garbage" * 10)
    with pytest.raises(ExtractionError, match="not a readable Word document"):
        extract(not_zip, ctx)

    good = tmp_path / "good.docx"
    docx.Document().save(good)
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(ExtractionError, match="not a readable Word document"):
        extract(truncated, ctx)

    other_zip = tmp_path / "other.docx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    with pytest.raises(ExtractionError, match="not a readable Word document"):
        extract(other_zip, ctx)
