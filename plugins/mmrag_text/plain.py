"""The plain-text extractor: any file that is just running text.

The file is streamed in segments of about a million characters cut at paragraph (or
line) boundaries, so a multi-gigabyte log never sits in memory whole; each segment is
chunked to the encoder's budget with its true line numbers.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar, TextIO

from mmrag_desktop.interfaces import ExtractContext, Extractor
from mmrag_desktop.records import Item, Locator

from .decode import clean_text, open_text
from .fit import prefixed_chunks

_MEDIA_TYPES = {
    ".rst": "text/x-rst",
    ".org": "text/x-org",
    ".tex": "text/x-tex",
    ".ltx": "text/x-tex",
    ".bib": "text/x-bibtex",
    ".adoc": "text/asciidoc",
    ".asciidoc": "text/asciidoc",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
}


def iter_segments(stream: TextIO, segment_chars: int) -> Iterator[tuple[str, int]]:
    """Yield ``(text, first_line)`` segments of a text stream, cut after a blank line
    when one lies in the second half of the buffer, else after the last newline."""
    buffer = ""
    line = 1
    while True:
        block = stream.read(segment_chars)
        if block:
            buffer += clean_text(block)
            if len(buffer) < segment_chars:
                continue
            cut = buffer.rfind("\n\n")
            if cut < len(buffer) // 2:
                cut = buffer.rfind("\n")
            cut = cut + 1 if cut >= 0 else len(buffer)
        else:
            cut = len(buffer)
        piece, buffer = buffer[:cut], buffer[cut:]
        if piece.strip():
            yield piece, line
        line += piece.count("\n")
        if not block:
            return


class PlainTextExtractor(Extractor):
    """Plain text (notes, logs, reStructuredText, Org, LaTeX sources, subtitles …)."""

    name = "text"
    extensions = (
        ".txt", ".text", ".log", ".rst", ".org", ".tex", ".ltx", ".bib",
        ".adoc", ".asciidoc", ".nfo", ".srt", ".vtt",
    )  # fmt: skip
    media_type = "text/plain"
    modality = "text"
    version = "1"
    #: Characters read per segment; small values only make sense in tests.
    segment_chars: ClassVar[int] = 1 << 20

    def media_type_for(self, path: Path) -> str:
        suffix = path.suffix.lower()
        return _MEDIA_TYPES.get(suffix) or mimetypes.types_map.get(suffix) or self.media_type

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        with open_text(path) as stream:
            for segment, first_line in iter_segments(stream, self.segment_chars):
                for chunk in prefixed_chunks(ctx, "", segment, line_offset=first_line):
                    yield Item(
                        text=chunk.text,
                        kind="chunk",
                        locator=Locator(line_start=chunk.line_start, line_end=chunk.line_end),
                    )
