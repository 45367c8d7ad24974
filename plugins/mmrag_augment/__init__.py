"""The built-in augmentation stage and the conversation condenser.

Augmenters (between retrieval and generation, in priority order): ``instruction-guard``
(10) drops sentences aimed at the assistant, ``mmr`` (20) removes near-duplicates,
``compress`` (50) keeps the query-relevant sentences within the token budget. Query
transform: ``condense`` turns a follow-up into a standalone query. Each stage's effect is
measured in benchmarks/results/rag.md.
"""

from __future__ import annotations

from mmrag_desktop import hookimpl

from .compress import Compress
from .condense import Condense
from .guard import InstructionGuard
from .mmr import MMRDeduplicate


@hookimpl
def register_augmenters(register):  # type: ignore[no-untyped-def]
    register(InstructionGuard())
    register(MMRDeduplicate())
    register(Compress())


@hookimpl
def register_query_transforms(register):  # type: ignore[no-untyped-def]
    register(Condense())
