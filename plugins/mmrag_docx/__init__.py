"""Built-in plugin: Word documents (.docx) through python-docx.

Paragraphs are grouped into sections by their Heading styles (``Title``, ``Heading 1``
…, or any style with an outline level), so each item is located by its heading path
(``Locator.section``) and starts with it. Tables are rendered row by row as ``column:
value`` pairs under their header row, each row a paragraph of its own so the chunker
never splits inside one. Content controls (``w:sdt``) are read too; headers, footers
and comments are not.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_desktop.records import Item, Locator
from mmrag_text.fit import prefixed_chunks

MMRAG_HOOK_API = "1"

__all__ = ["DocxExtractor", "register_extractors"]

SEPARATOR = " > "
#: Largest uncompressed size of the document part python-docx would load whole.
MAX_PART_BYTES = 256 << 20
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


@dataclass
class Section:
    path: tuple[str, ...]
    paragraphs: list[str] = field(default_factory=list)


def _outline_level(element: Any) -> int | None:
    values = element.xpath("./w:pPr/w:outlineLvl/@w:val")
    if values and str(values[0]).isdigit() and int(values[0]) < 9:
        return int(values[0]) + 1
    return None


def heading_level(paragraph: Any) -> int | None:
    """0 for a Title, 1–9 for headings, None for body text."""
    level = _outline_level(paragraph._p)
    if level is not None:
        return level
    style = paragraph.style
    for _ in range(10):  # follow based-on styles, with a bound against cycles
        if style is None:
            return None
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 0
        if match := _HEADING_STYLE.match(name):
            return int(match.group(1))
        level = _outline_level(style.element)
        if level is not None:
            return level
        style = style.base_style
    return None


def _cells(row: Any) -> list[str]:
    texts: list[str] = []
    seen: set[int] = set()
    for cell in row.cells:
        if id(cell._tc) in seen:  # a merged cell is returned once per grid column
            continue
        seen.add(id(cell._tc))
        texts.append(_SPACE.sub(" ", cell.text).strip())
    return texts


def render_table(table: Any) -> list[str]:
    """One line per row: the first row as the header, then ``column: value`` pairs."""
    rows = [_cells(row) for row in table.rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    header = rows[0]
    lines = [" | ".join(cell for cell in header if cell)]
    for row in rows[1:]:
        pairs = []
        for index, value in enumerate(row):
            if value:
                name = header[index] if index < len(header) and header[index] else f"column {index + 1}"
                pairs.append(f"{name}: {value}")
        lines.append("; ".join(pairs))
    return lines


def _blocks(document: Any) -> Iterator[Any]:
    """Body paragraphs and tables in document order, looking inside content controls."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    p_tag, tbl_tag, sdt_tag, content_tag = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")

    def walk(parent: Any) -> Iterator[Any]:
        for element in parent.iterchildren():
            if element.tag == p_tag:
                yield Paragraph(element, document.part)
            elif element.tag == tbl_tag:
                yield Table(element, document.part)
            elif element.tag == sdt_tag:
                for content in element.iterchildren(content_tag):
                    yield from walk(content)

    yield from walk(document.element.body)


def sections(document: Any) -> list[Section]:
    """The document's text grouped under its headings."""
    from docx.table import Table

    out = [Section(())]
    stack: list[tuple[int, str]] = []
    for block in _blocks(document):
        if isinstance(block, Table):
            out[-1].paragraphs.extend(render_table(block))
            continue
        text = _SPACE.sub(" ", block.text).strip()
        if not text:
            continue
        level = heading_level(block)
        if level is None:
            out[-1].paragraphs.append(text)
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, text))
        out.append(Section(tuple(title for _, title in stack)))
    return out


def _check_size(path: Path) -> None:
    """Refuse a document whose XML would inflate beyond :data:`MAX_PART_BYTES` (a zip
    bomb, or a document python-docx cannot hold in memory)."""
    with zipfile.ZipFile(path) as archive:
        size = sum(info.file_size for info in archive.infolist() if info.filename.endswith(".xml"))
    if size > MAX_PART_BYTES:
        raise ExtractionError(f"Word document too large to read ({size // (1 << 20)} MiB of XML)")


class DocxExtractor(Extractor):
    """Word documents, sectioned by heading."""

    name = "docx"
    extensions = (".docx",)
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    modality = "text"
    version = "1"

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        try:
            _check_size(path)
            document = docx.Document(str(path))
            parts = sections(document)
        except (
            PackageNotFoundError,
            zipfile.BadZipFile,
            KeyError,
            ValueError,
            OSError,
            SyntaxError,
            zlib.error,
        ) as exc:
            raise ExtractionError(
                f"not a readable Word document (damaged, encrypted, or another format): {exc}"
            ) from exc
        for index, section in enumerate(parts):
            name = SEPARATOR.join(section.path) or None
            if section.paragraphs:
                for chunk in prefixed_chunks(ctx, name or "", "\n\n".join(section.paragraphs)):
                    yield Item(text=chunk.text, kind="chunk", locator=Locator(section=name))
            elif name and (index + 1 == len(parts) or len(parts[index + 1].path) <= len(section.path)):
                # A heading with no text and no subsections: still findable by name.
                yield Item(text=name, kind="chunk", locator=Locator(section=name))


@hookimpl
def register_extractors(register: Callable[[Extractor], None]) -> None:
    register(DocxExtractor())
