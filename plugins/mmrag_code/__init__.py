"""Built-in plugin: source code, split where a reader would split it.

Python is split along its syntax tree (:mod:`mmrag_code.python`), so a hit names the
function or method (``Locator.symbol``) and covers it whole. Other languages, and Python
that does not parse, are split by blank-line blocks merged up to the token budget
(:mod:`mmrag_code.blocks`), never inside a line unless one line alone is too long.
Every item records its language in ``meta["language"]``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import ExtractContext, Extractor
from mmrag_desktop.records import Item, Locator
from mmrag_text.decode import read_text

from .blocks import split_lines
from .languages import LANGUAGES
from .python import python_items

MMRAG_HOOK_API = "1"

__all__ = ["CodeExtractor", "register_extractors"]


class CodeExtractor(Extractor):
    """Source files of common programming languages (see :data:`LANGUAGES`)."""

    name = "code"
    extensions = tuple(LANGUAGES)
    media_type = "text/plain"
    modality = "text"
    version = "2"  # 2: section-header comments join the next definition

    def media_type_for(self, path: Path) -> str:
        return LANGUAGES.get(path.suffix.lower(), ("", self.media_type))[1]

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        source = read_text(path)
        if not source.strip():
            return
        language = LANGUAGES.get(path.suffix.lower(), ("text", ""))[0]
        lines = source.split("\n")
        meta: dict[str, object] = {"language": language}
        if language == "python":
            try:
                tree = ast.parse(source, filename=path.name)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                line = getattr(exc, "lineno", None)
                reason = getattr(exc, "msg", None) or type(exc).__name__
                meta["parse_error"] = f"{reason} (line {line})" if line else reason
            else:
                yield from python_items(lines, tree, ctx)
                return
        for block in split_lines(lines, 1, ctx.chunk_tokens):
            yield Item(
                text=block.text,
                kind="chunk",
                locator=Locator(line_start=block.line_start, line_end=block.line_end),
                meta=meta,
            )


@hookimpl
def register_extractors(register: Callable[[Extractor], None]) -> None:
    register(CodeExtractor())
