"""Queries that carry a file: a photo, a voice clip, or any indexed file type ("more
like this").

The core does not know what a file holds; it asks the extractor that would index the
file for its modality, so ``Query(modality=..., path=...)`` reaches the query transforms
and encoders that handle it (a picture's labels and OCR text, a clip's transcript).
When no transform turned the file into text, its own items' text is used, so every
indexable file type can be a query.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .errors import MMRagError
from .interfaces import ExtractContext, ExtractionError, Extractor
from .records import Query

#: How much of a file's own text a "more like this" query uses.
MAX_CHARS = 2000


def extractor_for(extractors: Mapping[str, Extractor], path: Path) -> Extractor | None:
    """The extractor the indexer would use (longest matching suffix wins)."""
    name = path.name.lower()
    for dot in (i for i, ch in enumerate(name) if ch == "."):
        extractor = extractors.get(name[dot:])
        if extractor is not None:
            return extractor
    return None


def file_query(extractors: Mapping[str, Extractor], path: Path | str, text: str | None = None,
               modality: str | None = None) -> Query:
    """A query for ``path`` (plus optional typed ``text``), in the file's modality."""
    resolved = Path(path).expanduser().resolve()
    if not resolved.is_file():
        raise MMRagError(f"No such file: {path}")
    if modality is None:
        extractor = extractor_for(extractors, resolved)
        if extractor is None:
            raise MMRagError(f"No plugin reads {resolved.suffix or 'this kind of'} files, so it cannot be a query.")
        modality = extractor.modality
    typed = (text or "").strip()
    return Query(text=typed or None, modality=modality, path=resolved, original=typed)


def own_text(extractors: Mapping[str, Extractor], path: Path, ctx: ExtractContext) -> str:
    """The text of the file's first items, up to :data:`MAX_CHARS`."""
    extractor = extractor_for(extractors, path)
    if extractor is None:
        return ""
    parts: list[str] = []
    size = 0
    try:
        for item in extractor.extract(path, ctx):
            if item.text.strip():
                parts.append(item.text.strip())
                size += len(parts[-1])
            if size >= MAX_CHARS:
                break
    except ExtractionError as exc:
        raise MMRagError(f"{path.name} cannot be read as a query: {exc}") from exc
    return "\n".join(parts)[:MAX_CHARS]
