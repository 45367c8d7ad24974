"""HTML to sectioned plain text with the standard library's tolerant parser.

The parser keeps what a reader reads: the title, the headings, the running text.
Scripts, styles, navigation (by element, ARIA role or a class such as ``navbar``),
sidebars, footers, generated tables of contents, form widgets and hidden elements are
dropped. The text is cut into sections at ``h1``–``h6``; each line of a section
remembers the source line it came from, so chunks can point back into the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements whose content is never text for a reader.
SKIP = frozenset(
    {"script", "style", "noscript", "template", "svg", "math", "canvas", "iframe", "object", "embed",
     "nav", "aside", "footer", "select", "button", "datalist"}
)  # fmt: skip
# Class or id words of site chrome and generated tables of contents (a TOC only repeats
# the headings the sections already carry).
SKIP_CLASSES = frozenset(
    {"nav", "navbar", "navheader", "navfooter", "navigation", "breadcrumb", "breadcrumbs", "menu", "sidebar",
     "toc", "skip-link", "cookie-banner"}
)  # fmt: skip
SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search"})
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
HEADINGS = {f"h{level}": level for level in range(1, 7)}
# Elements that end a paragraph (a blank line for the chunker) or a line.
PARAGRAPH = frozenset(
    {"p", "div", "section", "article", "main", "header", "blockquote", "pre", "table", "ul", "ol", "dl",
     "li", "tr", "dt", "dd", "figure", "figcaption", "hr", "address", "details", "summary", "form",
     "fieldset", "caption", "body"}
)  # fmt: skip
LINE = frozenset({"br"})
CELL = frozenset({"td", "th"})
_SPACE = re.compile(r"\s+")


@dataclass
class Section:
    """Text under one heading path; ``lines`` and ``origins`` run in parallel."""

    path: tuple[str, ...]
    lines: list[str] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)


class SectionParser(HTMLParser):
    """Feed it a document, then read :attr:`title` and :attr:`sections`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.sections: list[Section] = [Section(())]
        self._skip: list[str] = []  # open elements whose content is dropped
        self._pre = 0
        self._in_title = False
        self._title_parts: list[str] = []
        self._heading: tuple[int, list[str]] | None = None
        self._stack: list[tuple[int, str]] = []
        self._line: list[str] = []
        self._line_origin = 0
        self._row_cells = 0

    # -- text assembly -------------------------------------------------
    def _flush_line(self) -> None:
        text = "".join(self._line)
        text = text.rstrip() if self._pre else _SPACE.sub(" ", text).strip()  # keep indentation in <pre>
        self._line = []
        if text.strip():
            section = self.sections[-1]
            section.lines.append(text)
            section.origins.append(self._line_origin)

    def _break_paragraph(self) -> None:
        self._flush_line()
        section = self.sections[-1]
        if section.lines and section.lines[-1]:
            section.lines.append("")
            section.origins.append(section.origins[-1])

    def _add_text(self, text: str) -> None:
        if not self._line or not "".join(self._line).strip():
            self._line_origin = self.getpos()[0]
        self._line.append(text)

    # -- parser callbacks ----------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip:
            if tag not in VOID:
                self._skip.append(tag)
            return
        attributes = dict(attrs)
        hidden = "hidden" in attributes or attributes.get("aria-hidden") == "true"
        words = f"{attributes.get('class') or ''} {attributes.get('id') or ''}".lower().split()
        chrome = not SKIP_CLASSES.isdisjoint(words)
        if tag == "title" and not self.title:
            self._in_title = True
            return
        if tag not in VOID and (tag in SKIP or hidden or chrome or attributes.get("role") in SKIP_ROLES):
            self._skip.append(tag)
            return
        if tag in HEADINGS:
            self._break_paragraph()
            self._heading = (HEADINGS[tag], [])
        elif tag in PARAGRAPH:
            self._break_paragraph()
            if tag == "tr":
                self._row_cells = 0
        elif tag in LINE:
            self._flush_line()
        elif tag in CELL:
            if self._row_cells:
                self._add_text(" | ")
            self._row_cells += 1
        if tag == "pre":
            self._pre += 1
        elif tag == "img" and attributes.get("alt"):
            self._data(f" {attributes['alt']} ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag in ("body", "html"):
                self._skip.clear()  # an unclosed <nav> must not swallow the document
            elif tag in self._skip:
                while self._skip and self._skip.pop() != tag:
                    pass
            return
        if tag == "title" and self._in_title:
            self._in_title = False
            self.title = _SPACE.sub(" ", "".join(self._title_parts)).strip()
            return
        if tag in HEADINGS and self._heading is not None:
            level, parts = self._heading
            self._heading = None
            title = _SPACE.sub(" ", "".join(parts)).strip()
            if title:
                self._break_paragraph()
                while self._stack and self._stack[-1][0] >= level:
                    self._stack.pop()
                self._stack.append((level, title))
                self.sections.append(Section(tuple(t for _, t in self._stack)))
        elif tag in PARAGRAPH:
            self._break_paragraph()
        if tag == "pre" and self._pre:
            self._pre -= 1

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self._title_parts.append(data)
            return
        self._data(data)

    def _data(self, data: str) -> None:
        if self._heading is not None:
            self._heading[1].append(data)
            return
        if not self._pre:
            self._add_text(_SPACE.sub(" ", data))
            return
        # Preformatted text keeps its lines.
        first, *rest = data.split("\n")
        self._add_text(first)
        line = self.getpos()[0]
        for offset, text in enumerate(rest, start=1):
            self._flush_line()
            self._line_origin = line + offset
            self._line = [text]

    def close(self) -> None:
        super().close()
        self._flush_line()
