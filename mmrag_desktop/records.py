"""Plain records passed between the pipeline stages and across the plugin boundary.

Everything here is a small frozen dataclass with no behaviour beyond conversion to
and from JSON-able dicts, so plugins can build them without touching the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Locator:
    """Where inside a file an item sits, so a hit can open at the right place.

    All fields are optional; an extractor fills those that make sense for its format.
    Lines and pages are 1-based; times are seconds; bbox is (x, y, width, height) in
    pixels of the page or image the item comes from.
    """

    page: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    time_start: float | None = None
    time_end: float | None = None
    bbox: tuple[float, float, float, float] | None = None
    row_start: int | None = None
    row_end: int | None = None
    section: str | None = None
    sheet: str | None = None
    symbol: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Locator:
        if not data:
            return cls()
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if known.get("bbox") is not None:
            known["bbox"] = tuple(known["bbox"])
        return cls(**known)

    def describe(self, labels: Mapping[str, str] | None = None) -> str:
        """Short human form, e.g. ``p. 3`` or ``lines 10-24``. ``labels`` replaces the
        English templates of :data:`LOCATOR_LABELS` (the GUI passes translated ones)."""
        words = {**LOCATOR_LABELS, **(labels or {})}
        parts: list[str] = []
        if self.sheet:
            parts.append(words["sheet"].format(sheet=self.sheet))
        if self.page is not None:
            parts.append(words["page"].format(page=self.page))
        if self.line_start is not None:
            end = self.line_end if self.line_end is not None else self.line_start
            parts.append(words["lines"].format(start=self.line_start, end=end) if end != self.line_start
                         else words["line"].format(line=end))
        if self.row_start is not None:
            end = self.row_end if self.row_end is not None else self.row_start
            parts.append(words["rows"].format(start=self.row_start, end=end) if end != self.row_start
                         else words["row"].format(row=end))
        if self.time_start is not None:
            parts.append(_format_time(self.time_start))
        if self.symbol:
            parts.append(self.symbol)
        elif self.section:
            parts.append(words["section"].format(section=self.section))
        return words["separator"].join(parts)


#: English templates of :meth:`Locator.describe` (``str.format`` fields in braces).
LOCATOR_LABELS: dict[str, str] = {
    "sheet": "sheet {sheet}", "page": "p. {page}", "lines": "lines {start}-{end}", "line": "line {line}",
    "rows": "rows {start}-{end}", "row": "row {row}", "section": "§ {section}", "separator": ", ",
}


def _format_time(seconds: float) -> str:
    minutes, sec = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes}:{sec:02d}"


@dataclass(frozen=True)
class Item:
    """One retrievable unit produced by an extractor: a text chunk, a PDF page, a table
    row group, a code symbol (later: an image, an audio segment, a video keyframe).

    ``text`` goes into full-text search and into text encoders. ``kind`` says what the
    unit is (``chunk``, ``page``, ``rows``, ``symbol``, ``scanned-page`` …); ``meta`` is
    free-form JSON-able data a plugin wants to keep with the item.
    """

    text: str
    modality: str = "text"
    kind: str = "chunk"
    locator: Locator = field(default_factory=Locator)
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Query:
    """A query in any modality. Text queries carry ``text``; file queries carry ``path``.

    ``original`` keeps the text the user typed when a query transform rewrote it.
    """

    text: str | None = None
    modality: str = "text"
    path: Path | None = None
    original: str | None = None
    #: Earlier turns of a conversation, oldest first, as (role, text) with role "user" or
    #: "assistant", so a transform can turn a follow-up into a standalone query.
    history: tuple[tuple[str, str], ...] = ()
    #: The languages the user's files are in (``Config.content_languages``; empty: not
    #: set), for a transform that must know them, e.g. to hear a spoken query.
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    """Restrictions on what a search may return. Empty fields mean "no restriction"."""

    folders: tuple[Path, ...] = ()
    file_types: tuple[str, ...] = ()  # extensions without the dot, e.g. ("pdf", "md")
    modalities: tuple[str, ...] = ()
    modified_after: float | None = None  # unix time
    modified_before: float | None = None
    #: (latitude, longitude, km): only items whose ``meta`` records ``lat``/``lon``
    #: (decimal degrees, e.g. a photo's GPS position) within about ``km`` of the point.
    near: tuple[float, float, float] | None = None

    def is_empty(self) -> bool:
        return not (self.folders or self.file_types or self.modalities) and (
            self.modified_after is None and self.modified_before is None and self.near is None
        )


@dataclass(frozen=True)
class Candidate:
    """One entry of a retriever's ranked list (best first). ``score`` is the
    retriever's own score (higher is better); fusion only uses the rank."""

    item_id: int
    score: float


@dataclass(frozen=True)
class RankedList:
    """The output of one retriever for one query; ``name`` keys the fusion weight,
    e.g. ``bm25`` or ``dense:multilingual-e5-small``."""

    name: str
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class ItemHit:
    """A retrieved item with its fused score and, for ``--explain``, the rank it had in
    each retriever's list (1-based)."""

    item_id: int
    score: float
    modality: str
    kind: str
    locator: Locator
    snippet: str
    text: str
    ranks: Mapping[str, int] = field(default_factory=dict)
    #: The item's extractor meta (e.g. ``image``: the thumbnail a GUI shows).
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: Ids of near-identical items a reranker folded into this hit (e.g. copies of a photo).
    duplicates: tuple[int, ...] = ()
    #: The file the item belongs to (set by the library; None for hits built by hand).
    path: Path | None = None


@dataclass(frozen=True)
class FileHit:
    """A file in the result list with its best items (hierarchical file → item)."""

    file_id: int
    path: Path
    score: float
    modality: str
    media_type: str
    items: tuple[ItemHit, ...]
    #: Other files whose near-identical items were folded into this hit, shown as a group.
    duplicates: tuple[Path, ...] = ()

    @property
    def best(self) -> ItemHit:
        return self.items[0]

    def to_json(self, explain: bool = False) -> dict[str, Any]:
        best = self.best
        data: dict[str, Any] = {
            "path": str(self.path),
            "score": round(self.score, 6),
            "modality": self.modality,
            "media_type": self.media_type,
            "locator": best.locator.to_dict(),
            "snippet": best.snippet,
            "items": [
                {
                    "score": round(hit.score, 6),
                    "kind": hit.kind,
                    "locator": hit.locator.to_dict(),
                    "snippet": hit.snippet,
                    **({"image": hit.meta["image"]} if hit.meta.get("image") else {}),
                    # The spoken language of a transcript segment (set by speech extractors).
                    **({"language": hit.meta["language"]} if hit.meta.get("language") else {}),
                    **({"ranks": dict(hit.ranks)} if explain else {}),
                }
                for hit in self.items
            ],
        }
        image = next((hit.meta["image"] for hit in self.items if hit.meta.get("image")), None)
        if image:
            data["image"] = image
        if self.duplicates:
            data["duplicates"] = [str(p) for p in self.duplicates]
        if explain:
            data["ranks"] = dict(best.ranks)
        return data


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: ``[n]`` in the answer text is this file + locator."""

    n: int
    path: Path
    locator: Locator
    modality: str
    snippet: str

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "path": str(self.path), "locator": self.locator.to_dict(), "modality": self.modality,
                "snippet": self.snippet}


@dataclass(frozen=True)
class Answer:
    """What :meth:`Library.ask` returns. ``evidence`` is what the generator was shown
    (numbered 1..n in order, so ``[n]`` indexes it); ``supported`` is False when the
    evidence did not support an answer and ``text`` says so instead."""

    text: str
    citations: tuple[Citation, ...]
    evidence: tuple[ItemHit, ...]
    supported: bool
    conversation_id: int | None = None
    #: The standalone query retrieval ran with (a follow-up rewritten with its context).
    query: str | None = None
    #: Seconds per stage (retrieve, augment, first_token, generate) and token counts.
    timings: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "evidence": [
                {"n": n, "path": str(hit.path) if hit.path else None, "locator": hit.locator.to_dict(),
                 "modality": hit.modality, "kind": hit.kind, "text": hit.text}
                for n, hit in enumerate(self.evidence, start=1)
            ],
            "supported": self.supported,
            "conversation_id": self.conversation_id,
            "query": self.query,
        }
