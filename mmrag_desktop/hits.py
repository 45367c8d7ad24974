"""Small operations on search results shared by the command line and the desktop app."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .records import FileHit


def without_file(hits: list[FileHit], path: Path) -> list[FileHit]:
    """Hits for "more like ``path``" without ``path`` itself: it is not "like" itself.
    Copies of it that a reranker folded into its hit stay, the first in its place, so a
    search by a photo still shows where else the same photo is kept."""
    same = path.resolve()
    kept = []
    for hit in hits:
        if hit.path.resolve() != same:
            kept.append(hit)
            continue
        copies = [p for p in hit.duplicates if p.resolve() != same]
        if copies:
            kept.append(replace(hit, path=copies[0], duplicates=tuple(copies[1:])))
    return kept
