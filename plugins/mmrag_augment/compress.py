"""Context compression: keep the sentences most relevant to the query, within the
generator's token budget, each hit keeping its own locator (narrowed to the lines that
were kept when the hit has a line range).

Prompt processing is the cost of answering on a CPU (about 180 tokens/s with the default
model on two cores), so every evidence token must earn its place. Sentences are scored by
the query terms they contain (CJK bigrams count, like full-text search), weighted by the
hit's rank, with a bonus for the sentence after a hit (an answer often follows its
heading). Kept sentences stay in document order."""

from __future__ import annotations

from dataclasses import replace

from mmrag_desktop.interfaces import Augmenter, EvidenceBudget
from mmrag_desktop.records import ItemHit, Locator, Query

from .text import Sentence, sentences, terms


class Compress(Augmenter):
    name = "compress"
    priority = 50

    def augment(self, query: Query, hits: list[ItemHit], budget: EvidenceBudget) -> list[ItemHit]:
        wanted = terms(" ".join(filter(None, [query.original, query.text])))
        pool = hits[: budget.items * 2]
        scored: list[tuple[float, int, int]] = []  # (score, hit index, sentence index)
        split: list[list[Sentence]] = [sentences(h.text) for h in pool]
        for i, parts in enumerate(split):
            rank_weight = 1.0 / (1 + 0.35 * i)
            previous = 0.0
            for j, sentence in enumerate(parts):
                bag = terms(sentence.text)
                matched = len(bag & wanted) / (len(wanted) or 1)
                value = rank_weight * (matched + 0.3 * previous + (0.05 if j == 0 else 0.0))
                scored.append((value, i, j))
                previous = matched
        scored.sort(key=lambda t: (-t[0], t[1], t[2]))
        keep: dict[int, set[int]] = {}
        used = 0
        for value, i, j in scored:
            if value <= 0 and keep:
                break
            if i not in keep and len(keep) >= budget.items:
                continue
            cost = budget.count(split[i][j].text) + (12 if i not in keep else 1)
            if used + cost > budget.tokens:
                continue
            keep.setdefault(i, set()).add(j)
            used += cost
        out: list[ItemHit] = []
        for i in sorted(keep):
            hit = pool[i]
            chosen = [split[i][j] for j in sorted(keep[i])]
            text = " … ".join(s.text for s in chosen) if len(chosen) > 1 else chosen[0].text
            out.append(replace(hit, text=text, locator=_narrow(hit.locator, chosen)))
        return out


def _narrow(locator: Locator, kept: list[Sentence]) -> Locator:
    if locator.line_start is None:
        return locator
    first = locator.line_start + min(s.line for s in kept)
    last = locator.line_start + max(s.end for s in kept)
    return replace(locator, line_start=first, line_end=last)
