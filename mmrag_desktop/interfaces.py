"""The classes plugins subclass and register through the hooks in :mod:`hookspecs`.

Each is small: a few declarative attributes plus one or two methods. The core never
imports a concrete plugin; it only sees these interfaces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .chunking import TextChunk, chunk_text, estimate_tokens
from .records import Candidate, Filters, Item, ItemHit, Query, RankedList

if TYPE_CHECKING:
    import numpy as np


class ExtractionError(Exception):
    """Raised by an extractor for a file it cannot read; the message is shown to the user
    (e.g. "PDF is encrypted"), and the index goes on with the next file."""


@dataclass(frozen=True)
class ExtractContext:
    """What an extractor may know about the index it feeds.

    ``chunk_tokens`` is the chunk size the active text encoder can embed whole;
    ``overlap_tokens`` the overlap between consecutive chunks of running text.
    ``media_dir`` is a library-owned folder where an extractor may write derived media
    (thumbnails, video keyframes, rendered views), named by content hash so re-extracting
    reuses them; None when the extractor runs outside a library (e.g. in a unit test).
    ``disabled_plugins`` names the plugins the user turned off, for an extractor that
    calls into another plugin's code directly (e.g. pictures → faces).
    ``languages`` are the languages the user's files are in (``Config.content_languages``,
    ISO 639-1 codes); empty when not set, and the extractor picks its own default.
    """

    chunk_tokens: int = 256
    overlap_tokens: int = 32
    media_dir: Path | None = None
    disabled_plugins: frozenset[str] = frozenset()
    languages: tuple[str, ...] = ()

    def chunk(self, text: str, *, line_offset: int = 1) -> list[TextChunk]:
        """Split running text into chunks that respect the encoder's token limit."""
        return chunk_text(text, self.chunk_tokens, self.overlap_tokens, line_offset=line_offset)

    def fits(self, text: str) -> bool:
        return estimate_tokens(text) <= self.chunk_tokens


class Extractor:
    """Turns one file into items.

    Subclasses set ``name``, the file ``extensions`` they read (lower case, with the
    dot) and ``version`` (bump it when the output changes, so files are re-extracted),
    and implement :meth:`extract`. ``priority`` breaks ties when two extractors claim an
    extension: the higher one wins. Raise :class:`ExtractionError` with a clear message
    for files that cannot be read; any other exception is recorded too, with its type.
    """

    name: ClassVar[str] = "extractor"
    extensions: ClassVar[tuple[str, ...]] = ()
    modality: ClassVar[str] = "text"
    media_type: ClassVar[str] = "application/octet-stream"
    version: ClassVar[str] = "1"
    priority: ClassVar[int] = 0
    #: Files larger than this are skipped with a reason (None: the library default).
    max_bytes: ClassVar[int | None] = None
    #: True if ``extract`` may run for the next file while this one is still being
    #: extracted (the indexer then overlaps them: decoding one file while a model runs
    #: on the other). Only for thread-safe extractors.
    concurrent: ClassVar[bool] = False

    def media_type_for(self, path: Path) -> str:
        return self.media_type

    def time_limit(self, path: Path, default: float) -> float:
        """Seconds the extraction of ``path`` may take: the library's limit, unless the
        work grows with something the extractor can see cheaply (a recording's length)."""
        return default

    def extract(self, path: Path, ctx: ExtractContext) -> Iterable[Item]:
        raise NotImplementedError


class Encoder:
    """Embeds items and queries of some modalities into one vector space.

    ``model_id`` names the model *and* its quantization/version; vectors are stored with
    the space it defines, so changing the model creates a new space and re-embeds
    instead of mixing incompatible vectors.
    """

    name: ClassVar[str] = "encoder"
    model_id: str = ""
    dim: int = 0
    metric: str = "cosine"
    modalities: frozenset[str] = frozenset({"text"})
    #: Longest input (in model tokens) embedded without truncation.
    max_tokens: int = 512
    #: Used when the user has not chosen encoders; set False for optional models.
    default: bool = True
    #: CPU threads to use (0: the runtime decides); set from the library's settings
    #: before the first embedding.
    threads: int = 0

    def accepts(self, item: Item) -> bool:
        """Whether this encoder can embed ``item`` (a text encoder declines empty text,
        e.g. a scanned page awaiting OCR). Declined items are not offered again."""
        return item.modality in self.modalities

    def embed_items(self, items: Sequence[Item]) -> np.ndarray:
        """Return a float32 array of shape (len(items), dim), L2-normalised for cosine."""
        raise NotImplementedError

    def embed_query(self, query: Query) -> np.ndarray | None:
        """Return a (dim,) float32 vector for the query, or None if this encoder cannot
        embed the query's modality."""
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def ensure_dim(self) -> None:
        """Make ``dim`` known before a space is created (an encoder that learns its
        dimension from the model file loads it here); the default needs nothing."""


class SearchBackend(Protocol):
    """The read-only view of the library a retriever searches (implemented by the core)."""

    def fts_search(self, text: str, k: int, filters: Filters) -> list[Candidate]: ...

    def dense_search(self, encoder: Encoder, vector: np.ndarray, k: int, filters: Filters) -> list[Candidate]: ...

    def encoders_for(self, modality: str) -> list[Encoder]: ...

    def items_meta(self, item_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The ``meta`` each extractor stored with these items (unknown ids are left out)."""
        ...


class Retriever:
    """Produces ranked lists of item ids for a query.

    ``weight`` is the default fusion weight of each list it returns; the user's settings
    may override it per list name.
    """

    name: ClassVar[str] = "retriever"
    weight: float = 1.0

    def search(self, query: Query, backend: SearchBackend, k: int, filters: Filters) -> list[RankedList]:
        raise NotImplementedError


class QueryTransform:
    """Rewrites a query before retrieval. Return the query unchanged when not applicable."""

    name: ClassVar[str] = "transform"
    priority: ClassVar[int] = 0

    def transform(self, query: Query) -> Query:
        raise NotImplementedError


class Reranker:
    """Reorders fused item hits (best first); may drop hits."""

    name: ClassVar[str] = "reranker"

    def rerank(self, query: Query, hits: list[ItemHit]) -> list[ItemHit]:
        raise NotImplementedError


class Generator:
    """Answers a question from evidence; streams output chunks of ``output_modality``.

    A text generator driven by a chat model also implements :meth:`chat` (the core
    builds the messages: fixed system prompt, delimited evidence, question) and
    :meth:`count_tokens`; ``generate`` is the simple entry point for other outputs.
    """

    name: ClassVar[str] = "generator"
    output_modality: ClassVar[str] = "text"

    def configure(self, config: Any) -> None:
        """Receive the library's settings (model choice, threads) before first use."""

    def generate(self, question: str, evidence: Sequence[ItemHit], **options: Any) -> Iterator[str]:
        raise NotImplementedError

    def chat(self, messages: Sequence[dict[str, str]], *, max_tokens: int = 256,
             cancel: Any = None) -> Iterator[str]:
        """Stream the reply to chat ``messages`` (``{"role", "content"}`` dicts) as text
        pieces; stop early when ``cancel`` (a ``threading.Event``) is set."""
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def start_probability(self, messages: Sequence[dict[str, str]], text: str) -> float | None:
        """The model's probability that its reply to ``messages`` starts with the first
        token of ``text``; None when this generator cannot tell (the default).

        The core asks it for the refusal mark before streaming: a small model that gives
        its "not in the files" a percent or more of probability and then answers anyway has
        mostly made the answer up (docs/rag.md). A chat-model generator reads it from the
        logits at the prompt's end and keeps the prompt in its cache, so the reply that
        follows does not process the prompt again."""
        return None

    def runtime(self) -> str:
        """One line on what runs this generator (engine, CPU features, GPU offload), shown
        by ``mmrag models list`` so a user can see what their build does; "" if unknown."""
        return ""


class Augmenter:
    """One step of the augmentation stage between retrieval and generation: reorder,
    drop or shorten evidence (de-duplication, compression to a token budget, reranking).

    Augmenters run in order of ``priority`` (low first). ``default`` False registers one
    that runs only when the user names it in the ``augmenters`` setting.
    """

    name: ClassVar[str] = "augmenter"
    priority: ClassVar[int] = 0
    default: ClassVar[bool] = True

    def augment(self, query: Query, hits: list[ItemHit], budget: EvidenceBudget) -> list[ItemHit]:
        raise NotImplementedError


@dataclass(frozen=True)
class EvidenceBudget:
    """How much evidence generation can afford: ``tokens`` of context (counted with
    ``count``, the generator's tokenizer when one is loaded) in at most ``items`` hits."""

    tokens: int = 320
    items: int = 5
    counter: Callable[[str], int] | None = None

    def count(self, text: str) -> int:
        return self.counter(text) if self.counter is not None else estimate_tokens(text)
