"""Retrieval: run every retriever, fuse their ranked lists, group the hits by file.

Fusion is weighted reciprocal-rank fusion: an item's score is the sum over lists of
``weight / (rrf_k + rank)``. Only ranks are used, so BM25 scores and cosine
similarities never have to be put on one scale. Hits are then grouped per file
(hierarchical retrieval: the best files, each with its best items).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..records import FileHit, ItemHit, RankedList
from ..store import StoredItem
from ..store.fts import query_terms

SNIPPET_CHARS = 240


def weight_for(list_name: str, weights: Mapping[str, float], default: float) -> float:
    """The weight of a list: the most specific key that prefixes its name wins
    (``dense:multilingual-e5-small`` before ``dense``)."""
    best, best_len = default, -1
    for key, value in weights.items():
        if (list_name == key or list_name.startswith(key + ":")) and len(key) > best_len:
            best, best_len = value, len(key)
    return best


def fuse(
    lists: Sequence[RankedList],
    weights: Mapping[str, float],
    default_weights: Mapping[str, float],
    rrf_k: int,
) -> tuple[dict[int, float], dict[int, dict[str, int]]]:
    """Weighted RRF over ``lists``. Returns item scores and each item's per-list ranks."""
    scores: dict[int, float] = defaultdict(float)
    ranks: dict[int, dict[str, int]] = defaultdict(dict)
    for ranked in lists:
        weight = weight_for(ranked.name, weights, default_weights.get(ranked.name, 1.0))
        for rank, candidate in enumerate(ranked.candidates, start=1):
            scores[candidate.item_id] += weight / (rrf_k + rank)
            ranks[candidate.item_id][ranked.name] = rank
    return scores, ranks


def snippet(text: str, query: str | None, fts_mode: str = "bigram", width: int = SNIPPET_CHARS) -> str:
    """The window of ``text`` that holds the most query terms, on one line."""
    flat = re.sub(r"\s+", " ", text).strip()
    if len(flat) <= width:
        return flat
    terms = [t for t in query_terms(query or "", fts_mode) if t]
    best_start, best_hits = 0, -1
    lowered = flat.lower()
    positions = sorted(m.start() for t in terms for m in re.finditer(re.escape(t), lowered))
    for position in positions or [0]:
        start = max(0, position - width // 4)
        hits = sum(1 for p in positions if start <= p < start + width)
        if hits > best_hits:
            best_start, best_hits = start, hits
    window = flat[best_start : best_start + width]
    return ("…" if best_start > 0 else "") + window + ("…" if best_start + width < len(flat) else "")


def item_hits(
    scores: Mapping[int, float],
    ranks: Mapping[int, Mapping[str, int]],
    items: Mapping[int, StoredItem],
    query_text: str | None,
    fts_mode: str = "bigram",
) -> list[ItemHit]:
    """Fused items as hits, best first (items deleted since retrieval are dropped)."""
    hits = []
    for item_id, score in sorted(scores.items(), key=lambda kv: -kv[1]):
        stored = items.get(item_id)
        if stored is not None:
            hits.append(ItemHit(item_id, score, stored.modality, stored.kind, stored.locator,
                                snippet(stored.text, query_text, fts_mode), stored.text, dict(ranks.get(item_id, {})),
                                meta=stored.meta, path=Path(stored.path)))
    return hits


def group_by_file(hits: Sequence[ItemHit], items: Mapping[int, StoredItem], k: int,
                  items_per_file: int = 3) -> list[FileHit]:
    """The ``k`` best files, each with up to ``items_per_file`` best items; ``hits`` must
    be best first.

    A file scores as its best item; its other items only break ties (a small share of
    them), so a file of many middling chunks cannot outrank the file holding the
    single best match.
    """
    per_file: dict[int, list[ItemHit]] = defaultdict(list)
    for hit in hits:
        per_file[items[hit.item_id].file_id].append(hit)
    files: list[FileHit] = []
    for file_id, file_hits in per_file.items():
        top = file_hits[:items_per_file]
        score = top[0].score + 0.001 * sum(h.score for h in top[1:3])
        first = items[top[0].item_id]
        duplicates = dict.fromkeys(Path(items[d].path) for h in file_hits for d in h.duplicates
                                   if d in items and items[d].file_id != file_id)
        files.append(FileHit(file_id, Path(first.path), score, first.file_modality or first.modality,
                             first.media_type, tuple(top), tuple(duplicates)))
    files.sort(key=lambda f: -f.score)
    return files[:k]
