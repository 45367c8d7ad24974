"""Maximal-marginal-relevance de-duplication: near-identical chunks (a file copied into
two folders, overlapping chunks, a page and its OCR twin) would spend the evidence budget
on one fact twice. Each next hit is the one best balancing its retrieval rank against
its similarity to hits already chosen; hits nearly identical to a chosen one are dropped."""

from __future__ import annotations

from mmrag_desktop.interfaces import Augmenter, EvidenceBudget
from mmrag_desktop.records import ItemHit, Query

from .text import jaccard, terms


class MMRDeduplicate(Augmenter):
    name = "mmr"
    priority = 20

    def __init__(self, lambda_: float = 0.7, duplicate: float = 0.8, window: int = 20) -> None:
        self.lambda_ = lambda_
        self.duplicate = duplicate
        self.window = window

    def augment(self, query: Query, hits: list[ItemHit], budget: EvidenceBudget) -> list[ItemHit]:
        pool = hits[: self.window]
        if len(pool) < 2:
            return hits
        top = max(h.score for h in pool) or 1.0
        bags = {h.item_id: terms(h.text) for h in pool}
        chosen: list[ItemHit] = []
        remaining = list(pool)
        while remaining:
            best, best_value = None, float("-inf")
            for hit in remaining:
                similar = max((jaccard(bags[hit.item_id], bags[c.item_id]) for c in chosen), default=0.0)
                if similar >= self.duplicate:
                    continue
                value = self.lambda_ * hit.score / top - (1 - self.lambda_) * similar
                if value > best_value:
                    best, best_value = hit, value
            if best is None:
                break
            chosen.append(best)
            remaining.remove(best)
        return chosen + hits[self.window :]
