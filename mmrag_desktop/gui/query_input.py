"""Turning what the user drops, pastes or says into a :class:`~mmrag_desktop.records.Query`.

The GUI names no modality of its own: a file's modality is the one its extractor
declares (whatever plugins are installed), else the MIME type's major part. A text-like
file becomes a text query made of its own words, so "find things like this PDF" works
with the text retrievers; other files are passed by path and it is up to the plugins
(query transforms, encoders for that modality) to search by them.
"""

from __future__ import annotations

import mimetypes
import time
from pathlib import Path
from typing import Any

from ..library import Library
from ..records import Query

#: How much of a text-like file becomes the query text.
QUERY_TEXT_CHARS = 1500


def modality_of(library: Library, path: Path) -> str:
    name = path.name.lower()
    for dot in (i for i, ch in enumerate(name) if ch == "."):
        extractor = library.extractors.get(name[dot:])
        if extractor is not None:
            return str(extractor.modality)
    mime, _ = mimetypes.guess_type(path.name)
    return mime.split("/")[0] if mime else "text"


def query_for_file(library: Library, path: Path) -> Query:
    """A query "like this file" (worker thread: it may read the file)."""
    path = Path(path)
    # The library's own mapping, where a plugin issue added one, wins.
    for name in ("query_for_file", "file_query"):
        method = getattr(library, name, None)
        if callable(method):
            return method(path)
    modality = modality_of(library, path)
    if modality != "text":
        return Query(text=None, modality=modality, path=path, original=None)
    return Query(text=_text_of(library, path), modality="text", path=path, original=None)


def _text_of(library: Library, path: Path) -> str:
    name = path.name.lower()
    extractor = next((library.extractors[name[i:]] for i, ch in enumerate(name)
                      if ch == "." and name[i:] in library.extractors), None)
    if extractor is not None:
        from ..interfaces import ExtractContext

        text: list[str] = []
        for item in extractor.extract(path, ExtractContext()):
            text.append(item.text)
            if sum(map(len, text)) > QUERY_TEXT_CHARS:
                break
        return " ".join(text)[:QUERY_TEXT_CHARS]
    with open(path, "rb") as handle:
        return handle.read(QUERY_TEXT_CHARS * 4).decode("utf-8", "replace")[:QUERY_TEXT_CHARS]


def save_clipboard_image(image: Any, folder: Path) -> Path:
    """Write a pasted QImage to a PNG the query can point at."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"pasted-{time.strftime('%Y%m%d-%H%M%S')}.png"
    image.save(str(target), "PNG")
    return target
