"""Built-in plugin: web pages saved to disk (.html, .htm, .xhtml).

Uses only the standard library's ``html.parser`` (:mod:`mmrag_html.parse`): the text a
reader reads, split into sections at ``h1``–``h6``. Each item is located by its heading
path (``Locator.section``) and the source lines it came from, and begins with the page
title and heading path so both are searchable. The encoding is the one the page
declares in a ``<meta>`` charset, else the shared detection of :mod:`mmrag_text.decode`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_desktop.records import Item, Locator
from mmrag_text.decode import MAX_READ_BYTES, decode_bytes
from mmrag_text.fit import mapped_chunks, shorten

from .parse import SectionParser

MMRAG_HOOK_API = "1"

__all__ = ["HtmlExtractor", "declared_charset", "register_extractors"]

SEPARATOR = " > "
_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_\-:.]+)""", re.IGNORECASE)
# What browsers actually use for some declared names (WHATWG Encoding Standard).
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf-16": "utf-8",  # a page that can declare it in ASCII is not UTF-16
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
}


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in a ``<meta>`` near its start, if any."""
    match = _CHARSET.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii", "replace").lower()
    return _ALIASES.get(name, name)


class HtmlExtractor(Extractor):
    """HTML pages: title, headings and running text, sectioned by heading."""

    name = "html"
    extensions = (".html", ".htm", ".xhtml")
    media_type = "text/html"
    modality = "text"
    version = "1"

    def media_type_for(self, path: Path) -> str:
        return "application/xhtml+xml" if path.suffix.lower() == ".xhtml" else self.media_type

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        try:
            size = path.stat().st_size
            if size > MAX_READ_BYTES:
                raise ExtractionError(f"HTML file too large ({size // (1 << 20)} MiB)")
            data = path.read_bytes()
        except OSError as exc:
            raise ExtractionError(f"cannot read file: {exc.strerror or exc}") from exc
        if not data.strip():
            return
        parser = SectionParser()
        parser.feed(decode_bytes(data, declared=declared_charset(data)))
        parser.close()
        title = parser.title
        meta = {"title": title} if title else {}
        found = False
        for section in parser.sections:
            name = SEPARATOR.join(section.path) or None
            heads = [title] if title and (not section.path or section.path[0] != title) else []
            if name:
                heads.append(name)
            prefix = "\n".join(heads)
            for chunk in mapped_chunks(ctx, prefix, section.lines, section.origins):
                found = True
                yield Item(
                    text=chunk.text,
                    kind="chunk",
                    locator=Locator(line_start=chunk.line_start, line_end=chunk.line_end, section=name),
                    meta=meta,
                )
        if not found and title:
            yield Item(text=shorten(title, ctx.chunk_tokens), kind="chunk", meta=meta)


@hookimpl
def register_extractors(register: Callable[[Extractor], None]) -> None:
    register(HtmlExtractor())
