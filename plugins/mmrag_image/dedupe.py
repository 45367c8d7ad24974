"""Near-duplicate pictures (resized, recompressed, lightly edited copies) are shown as
one result with the copies listed, not as ten results of one photo.

A reranker that keeps the order and folds each visual hit whose perceptual hash is
within :data:`MAX_BITS` of a better-ranked one into it, together with the other items
of the same copy (its OCR text shares the copy's thumbnail).
"""

from __future__ import annotations

from dataclasses import replace

from mmrag_desktop.interfaces import Reranker
from mmrag_desktop.records import ItemHit, Query

from .picture import hamming

#: Hamming distance (of 64 bits) under which two pictures count as copies; measured:
#: a resized or re-encoded photo differs in 0-4 bits, unrelated photos in 20-40.
MAX_BITS = 6


class NearDuplicateFolder(Reranker):
    name = "near-duplicates"

    def rerank(self, query: Query, hits: list[ItemHit]) -> list[ItemHit]:
        kept: list[ItemHit] = []
        kept_hashes: list[tuple[int, str, str]] = []  # (index in kept, phash, thumbnail)
        folded_thumbs: dict[str, int] = {}  # thumbnail of a folded copy -> index of its keeper
        for hit in hits:
            thumb = str(hit.meta.get("image") or "")
            code = hit.meta.get("phash")
            if thumb and thumb in folded_thumbs:
                keeper = folded_thumbs[thumb]
                kept[keeper] = replace(kept[keeper], duplicates=(*kept[keeper].duplicates, hit.item_id))
                continue
            if isinstance(code, str):
                match = next((i for i, other, other_thumb in kept_hashes
                              if other_thumb != thumb and hamming(code, other) <= MAX_BITS), None)
                if match is not None:
                    kept[match] = replace(kept[match], duplicates=(*kept[match].duplicates, hit.item_id))
                    folded_thumbs[thumb] = match
                    continue
                kept_hashes.append((len(kept), code, thumb))
            kept.append(hit)
        return kept
