"""Augmentation: from the fused, reranked item hits to the evidence a generator reads.

Every step is an :class:`~mmrag_desktop.interfaces.Augmenter` plugin run in priority
order (the built-ins: drop instructions aimed at the assistant, de-duplicate, compress
to the token budget). A step that raises is skipped for this question and its plugin is
disabled with the reason, like any hook. The result is cut to the budget's item count,
so a third-party augmenter cannot blow up the prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..interfaces import Augmenter, EvidenceBudget
from ..records import ItemHit, Query


def run_augmenters(query: Query, hits: list[ItemHit], augmenters: Sequence[tuple[str, Augmenter]],
                   budget: EvidenceBudget, *, on_error: Callable[[str, str], None] | None = None) -> list[ItemHit]:
    current = list(hits)
    for plugin, augmenter in sorted(augmenters, key=lambda pair: pair[1].priority):
        try:
            current = list(augmenter.augment(query, current, budget))
        except Exception as exc:
            if on_error is not None:
                on_error(plugin, f"augmenter {augmenter.name} raised {type(exc).__name__}: {exc}")
    return current[: budget.items]

