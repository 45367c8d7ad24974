"""The Markdown extractor: sections by heading, so a hit names where it sits.

A Markdown file is split at its headings (ATX ``#`` and setext underlines; headings
inside fenced code blocks and YAML front matter do not count), then each section is
chunked by paragraphs. Every item carries the heading path (``Install > Debian``) in
its locator and at the head of its text, so headings are searchable and a chunk deep in
a section still says what it is about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import ExtractContext, Extractor
from mmrag_desktop.records import Item, Locator

from .decode import read_text
from .fit import prefixed_chunks

MMRAG_HOOK_API = "1"

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_NOT_PARAGRAPH = re.compile(r"^ {0,3}(?:[-*+][ \t]|\d{1,9}[.)][ \t]|>|\||<|    |\t)")
SEPARATOR = " > "


@dataclass
class Section:
    """A heading's span of lines (the part before the first heading has no heading)."""

    level: int
    path: tuple[str, ...]
    heading_line: int  # 1-based; 0 for the part before the first heading
    body_start: int  # 1-based number of the first line after the heading
    lines: list[str] = field(default_factory=list)


def _front_matter_end(lines: list[str]) -> int:
    """Index after a YAML front-matter block at the top of the file (0 if none)."""
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return index + 1
    return 0


def split_sections(text: str) -> list[Section]:
    """Split Markdown source into sections; each keeps its body lines in order."""
    lines = text.split("\n")
    root = Section(level=0, path=(), heading_line=0, body_start=1)
    sections = [root]
    stack: list[tuple[int, str]] = []
    fence: str | None = None
    start = _front_matter_end(lines)
    root.lines.extend(lines[:start])

    def open_section(level: int, title: str, heading_line: int, body_start: int) -> None:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        sections.append(Section(level, tuple(t for _, t in stack), heading_line, body_start))

    for index in range(start, len(lines)):
        line = lines[index]
        number = index + 1
        current = sections[-1]
        if fence is not None:
            current.lines.append(line)
            stripped = line.strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                fence = None
            continue
        if match := _FENCE.match(line):
            fence = match.group(1)
            current.lines.append(line)
            continue
        if match := _ATX.match(line):
            title = (match.group(2) or "").strip()
            if title:
                open_section(len(match.group(1)), title, number, number + 1)
                continue
        if (match := _SETEXT.match(line)) and current.lines:
            paragraph = _trailing_paragraph(current.lines)
            if paragraph:
                del current.lines[len(current.lines) - len(paragraph) :]
                title = " ".join(p.strip() for p in paragraph)
                open_section(1 if match.group(1)[0] == "=" else 2, title, number - len(paragraph), number + 1)
                continue
        current.lines.append(line)
    return sections


def _trailing_paragraph(lines: list[str]) -> list[str]:
    """The plain paragraph lines at the end of ``lines`` a setext underline turns into a
    heading; empty when the last line is blank or not paragraph text."""
    paragraph: list[str] = []
    for line in reversed(lines):
        if not line.strip() or _NOT_PARAGRAPH.match(line) or _FENCE.match(line):
            break
        paragraph.insert(0, line)
    return paragraph


class MarkdownExtractor(Extractor):
    """Markdown documents, split by heading into sections."""

    name = "markdown"
    extensions = (".md", ".markdown", ".mdown", ".mkd", ".mdx")
    media_type = "text/markdown"
    modality = "text"
    version = "1"

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        sections = split_sections(read_text(path))
        for index, section in enumerate(sections):
            section_name = SEPARATOR.join(section.path) or None
            body = "\n".join(section.lines)
            if body.strip():
                for chunk in prefixed_chunks(ctx, section_name or "", body, line_offset=section.body_start):
                    yield Item(
                        text=chunk.text,
                        kind="chunk",
                        locator=Locator(line_start=chunk.line_start, line_end=chunk.line_end, section=section_name),
                    )
                continue
            following = sections[index + 1] if index + 1 < len(sections) else None
            if section_name and (following is None or following.level <= section.level):
                # A heading with no text and no subsections: still findable by its name.
                yield Item(
                    text=section_name,
                    kind="chunk",
                    locator=Locator(
                        line_start=section.heading_line, line_end=section.body_start - 1, section=section_name
                    ),
                )


@hookimpl
def register_extractors(register: Callable[[Extractor], None]) -> None:
    register(MarkdownExtractor())
