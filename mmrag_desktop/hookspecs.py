"""The plugin contract: every hook MM-RAG Desktop calls, documented and versioned.

Plugins implement these with ``@mmrag_desktop.hookimpl`` and are found through the
``mmrag`` entry-point group (the built-in plugins are registered the very same way).
Hooks *receive* a ``register`` callable, as in simonw's ``llm``: one plugin can register
many things, conditionally, and the core decides how to keep them. The classes a plugin
registers are defined in :mod:`mmrag_desktop.interfaces`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pluggy import HookimplMarker, HookspecMarker

if TYPE_CHECKING:
    from .library import Library

#: Version of the hook contract (1.1 added ``SearchBackend.items_meta``; 1.2
#: ``register_augmenters`` and ``Generator.chat``). Minor bumps add
#: hooks or optional attributes; a major bump changes a signature. Plugins may declare
#: ``MMRAG_HOOK_API = "1"`` (the major versions they support, comma-separated); a plugin
#: declaring none is assumed to be written for the current major version.
HOOK_API_VERSION = "1.2"

hookspec = HookspecMarker("mmrag")
hookimpl = HookimplMarker("mmrag")


@hookspec
def register_extractors(register: Callable[[Any], None]) -> None:
    """Register :class:`~mmrag_desktop.interfaces.Extractor` instances that turn files
    into items. Example: ``register(MarkdownExtractor())``."""


@hookspec
def register_encoders(register: Callable[[Any], None]) -> None:
    """Register :class:`~mmrag_desktop.interfaces.Encoder` instances; each owns one
    embedding space and declares the modalities it embeds. Register only encoders whose
    model is present, so a missing model disables dense search instead of crashing."""


@hookspec
def register_retrievers(register: Callable[[Any], None]) -> None:
    """Register :class:`~mmrag_desktop.interfaces.Retriever` instances (BM25, dense
    search over every space, a third party's graph search …). Their ranked lists are
    merged by weighted reciprocal-rank fusion."""


@hookspec
def register_query_transforms(register: Callable[[Any], None]) -> None:
    """Register :class:`~mmrag_desktop.interfaces.QueryTransform` instances, applied in
    order of ``priority`` before retrieval (rewrite, expand, image → caption …)."""


@hookspec
def register_rerankers(register: Callable[[Any], None]) -> None:
    """Register :class:`~mmrag_desktop.interfaces.Reranker` instances that reorder the
    fused item list before it is grouped by file."""


@hookspec
def register_augmenters(register: Callable[[Any], None]) -> None:
    """Register :class:`~mmrag_desktop.interfaces.Augmenter` instances that prepare the
    evidence an answer is generated from (de-duplicate, compress, rerank), in order of
    their ``priority``. Example: ``register(MMRDeduplicate())``."""


@hookspec
def register_generators(register: Callable[[Any], None]) -> None:
    """Register :class:`~mmrag_desktop.interfaces.Generator` instances that answer a
    question from evidence, declaring the modality they output (``text`` first)."""


@hookspec
def register_previews(register: Callable[[Any], None]) -> None:
    """Register GUI preview factories for a modality or media type (optional; only the
    desktop app calls this)."""


@hookspec
def startup(library: Library) -> None:
    """Called once when a :class:`~mmrag_desktop.library.Library` opens."""


@hookspec
def shutdown(library: Library) -> None:
    """Called once when a :class:`~mmrag_desktop.library.Library` closes."""
