"""Pre-retrieval: turning folders into indexed items and vectors, incrementally.

Two passes, both resumable:

1. *Extract*: scan the sources, skip files unchanged since last time (size + mtime, then
   content hash), follow renames (same content at a new path keeps its items and
   vectors), drop deleted files, and run the extractor of every new or changed file.
   Each file is committed in its own transaction with all its items, so a crash or
   Ctrl-C never leaves half a file, and committed files are not redone.
2. *Embed*: every item that has no vector yet in an active space is embedded, in
   batches sorted by length (less padding), and committed batch by batch. A model
   change creates a new space, so this pass is also how a library re-embeds.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import Config
from ..interfaces import Encoder, ExtractContext, ExtractionError, Extractor
from ..records import Item
from ..store import FileRow, SourceRow, Space, Store
from .scan import FoundFile, ScanProblems, matches_any, scan


@dataclass(frozen=True)
class IndexProgress:
    phase: str  # "scan" | "extract" | "embed" | "done"
    done: int
    total: int
    current: str = ""
    rate: float = 0.0  # units per second (files while extracting, items while embedding)
    eta_seconds: float | None = None


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    removed: int = 0
    failed: int = 0
    skipped: int = 0
    unsupported: int = 0
    embedded: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.added} added", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        for label, value in (("moved", self.moved), ("removed", self.removed), ("failed", self.failed),
                             ("skipped", self.skipped), ("embedded", self.embedded)):
            if value:
                parts.append(f"{value} {label}")
        return ", ".join(parts) + f" in {self.seconds:.1f} s" + (" (cancelled)" if self.cancelled else "")


ProgressCallback = Callable[[IndexProgress], None]


@dataclass
class _Extraction:
    thread: threading.Thread
    outcome: dict[str, object]
    started: float


class _Rate:
    """Throughput and ETA over the work done so far."""

    def __init__(self, total: int) -> None:
        self.total, self.started = total, time.perf_counter()

    def progress(self, phase: str, done: int, current: str = "") -> IndexProgress:
        elapsed = max(time.perf_counter() - self.started, 1e-6)
        rate = done / elapsed
        eta = (self.total - done) / rate if rate > 0 else None
        return IndexProgress(phase, done, self.total, current, rate, eta)


def file_hash(path: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class Indexer:
    """Runs both passes for a set of sources. Built by :class:`Library` per ``index`` call."""

    def __init__(
        self,
        store: Store,
        config: Config,
        extractors: dict[str, Extractor],
        encoders: Sequence[Encoder],
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        media_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.extractors = extractors
        self.encoders = encoders
        self.progress = progress or (lambda p: None)
        self.cancel = cancel or threading.Event()
        #: Extractions started ahead of their turn (see :meth:`_prefetch`), by path.
        self._pending: dict[str, _Extraction] = {}
        text_limits = [e.max_tokens for e in encoders if "text" in e.modalities]
        self.context = ExtractContext(
            chunk_tokens=min([config.chunk_tokens, *text_limits]),
            overlap_tokens=config.overlap_tokens,
            media_dir=media_dir,
            disabled_plugins=frozenset(config.disabled_plugins),
            languages=tuple(config.content_languages),
        )

    # -- pass 1 -----------------------------------------------------------------------

    def run(self, sources: Sequence[SourceRow]) -> IndexReport:
        report = IndexReport()
        started = time.perf_counter()
        self.progress(IndexProgress("scan", 0, 0))
        problems = ScanProblems()
        found: dict[int, list[FoundFile]] = {}
        known: dict[int, dict[str, FileRow]] = {}
        for source in sources:
            found[source.id] = list(scan(
                source.path,
                include=source.include,
                exclude=tuple(self.config.exclude) + tuple(source.exclude),
                skip_hidden=self.config.skip_hidden,
                follow_symlinks=self.config.follow_symlinks,
                problems=problems,
            ))
            known[source.id] = self.store.files_of_source(source.id)
            self.progress(IndexProgress("scan", sum(len(f) for f in found.values()), 0, str(source.path)))
        report.problems.extend(problems.messages)

        seen = {f.path for files in found.values() for f in files}
        missing = {path for rows in known.values() for path in rows if path not in seen}
        work: list[tuple[SourceRow, FoundFile]] = []
        for source in sources:
            rows = known[source.id]
            for entry in found[source.id]:
                row = rows.get(entry.path)
                extractor = self._extractor_for(entry.path)
                if extractor is None:
                    report.unsupported += 1
                    if row is not None:
                        missing.add(entry.path)  # it was indexed by a plugin that is gone
                    continue
                if row is not None and row.size == entry.size and row.mtime_ns == entry.mtime_ns and (
                    row.status != "indexed"
                    or (row.extractor == extractor.name and row.extractor_version == extractor.version)
                ):
                    report.unchanged += 1
                    continue
                work.append((source, entry))

        rate = _Rate(len(work))
        for done, (source, entry) in enumerate(work):
            if self.cancel.is_set():
                report.cancelled = True
                break
            self.progress(rate.progress("extract", done, entry.path))
            if done + 1 < len(work):
                self._prefetch(work[done + 1][1])
            self._index_file(source, entry, known[source.id].get(entry.path), missing, report)
        self._pending.clear()
        if not report.cancelled:
            self.progress(rate.progress("extract", len(work)))
            # Rows whose path vanished and was not claimed by a move are gone for good.
            gone = [row.id for rows in known.values() for path, row in rows.items() if path in missing]
            self._remove_and_embed(gone, report)
        return self._done(report, started)

    def run_files(self, files: Sequence[tuple[SourceRow, str]]) -> IndexReport:
        """Re-index exactly these paths (a file watcher's new, changed and deleted files)
        without walking their sources. Paths the source's rules exclude are ignored."""
        report = IndexReport()
        started = time.perf_counter()
        present: list[tuple[SourceRow, FoundFile]] = []
        missing: set[str] = set()
        for source, path in files:
            relative = Path(path).relative_to(source.path).as_posix() if Path(path) != source.path else Path(path).name
            hidden = self.config.skip_hidden and any(part.startswith(".") for part in Path(relative).parts)
            excluded = matches_any(relative, tuple(self.config.exclude) + tuple(source.exclude)) or (
                source.include and not matches_any(relative, source.include))
            try:
                info = os.stat(path)
            except OSError:
                info = None
            if info is not None and stat.S_ISREG(info.st_mode) and not hidden and not excluded:
                present.append((source, FoundFile(path, info.st_size, info.st_mtime_ns)))
            elif self.store.file_by_path(path) is not None:
                missing.add(path)
        rate = _Rate(len(present))
        for done, (source, entry) in enumerate(present):
            if self.cancel.is_set():
                report.cancelled = True
                break
            self.progress(rate.progress("extract", done, entry.path))
            row = self.store.file_by_path(entry.path)
            if self._extractor_for(entry.path) is None:
                report.unsupported += 1
                if row is not None:
                    missing.add(entry.path)
            elif row is not None and row.size == entry.size and row.mtime_ns == entry.mtime_ns:
                report.unchanged += 1
            else:
                self._index_file(source, entry, row, missing, report)
        if not report.cancelled:
            gone = [row.id for row in (self.store.file_by_path(p) for p in sorted(missing)) if row is not None]
            self._remove_and_embed(gone, report)
        return self._done(report, started)

    def _remove_and_embed(self, gone: list[int], report: IndexReport) -> None:
        """The end of a completed extract pass: drop deleted files, then embed."""
        self.store.delete_files(gone)
        report.removed = len(gone)
        report.embedded = self.embed_pending()
        report.cancelled = self.cancel.is_set()

    def _done(self, report: IndexReport, started: float) -> IndexReport:
        report.seconds = time.perf_counter() - started
        self.progress(IndexProgress("done", 1, 1))
        return report

    def _extractor_for(self, path: str) -> Extractor | None:
        name = Path(path).name.lower()
        # Longest matching suffix wins, so ".tar.gz" can beat ".gz".
        for dot in (i for i, ch in enumerate(name) if ch == "."):
            extractor = self.extractors.get(name[dot:])
            if extractor is not None:
                return extractor
        return None

    def _index_file(self, source: SourceRow, entry: FoundFile, row: FileRow | None, missing: set[str], report: IndexReport) -> None:
        extractor = self._extractor_for(entry.path)
        assert extractor is not None
        common = {"source_id": source.id, "path": entry.path, "size": entry.size, "mtime_ns": entry.mtime_ns}
        limit = self._size_limit(extractor)
        if entry.size > limit:
            self.store.record_file(**common, content_hash=None, status="skipped",
                                   reason=f"larger than the {limit / 1048576:.0f} MB limit for {extractor.name} files",
                                   extractor=extractor.name, extractor_version=extractor.version)
            report.skipped += 1
            return
        try:
            digest = file_hash(entry.path)
        except OSError as exc:
            self.store.record_file(**common, content_hash=None, status="failed",
                                   reason=f"cannot read: {exc.strerror or exc}", extractor=extractor.name)
            report.failed += 1
            return
        if row is None and missing:
            moved = self.store.find_moved_file(digest, missing)
            if moved is not None and moved.extractor_version == extractor.version:
                self.store.move_file(moved.id, source.id, entry.path, entry.size, entry.mtime_ns)
                missing.discard(moved.path)
                report.moved += 1
                return
        if (row is not None and row.content_hash == digest and row.status == "indexed"
                and row.extractor == extractor.name and row.extractor_version == extractor.version):
            self.store.touch_file(row.id, entry.size, entry.mtime_ns)
            report.unchanged += 1
            return
        try:
            items = self._extract_with_timeout(extractor, Path(entry.path))
        except ExtractionError as exc:
            self._record_failure(common, digest, extractor, str(exc), report)
            return
        except MemoryError:
            self._record_failure(common, digest, extractor, "out of memory while extracting", report)
            return
        except Exception as exc:  # a broken file or a plugin bug: keep going either way
            self._record_failure(common, digest, extractor, f"{type(exc).__name__}: {exc}", report)
            return
        self.store.record_file(**common, content_hash=digest, status="indexed", extractor=extractor.name,
                               extractor_version=extractor.version, media_type=extractor.media_type_for(Path(entry.path)),
                               modality=extractor.modality, items=items)
        if row is None:
            report.added += 1
        else:
            report.updated += 1

    def _start_extraction(self, extractor: Extractor, path: Path) -> _Extraction:
        outcome: dict[str, object] = {}

        def work() -> None:
            try:
                outcome["items"] = list(extractor.extract(path, self.context))
            except BaseException as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=work, name=f"extract {path.name}", daemon=True)
        thread.start()
        return _Extraction(thread, outcome, time.perf_counter())

    def _size_limit(self, extractor: Extractor) -> int:
        return extractor.max_bytes if extractor.max_bytes is not None else int(self.config.max_file_mb * 1024 * 1024)

    def _prefetch(self, entry: FoundFile) -> None:
        """Start extracting the next file now if its extractor allows it (``concurrent``),
        so its decoding overlaps this file's model inference and database write. (If the
        file then needs no extraction, e.g. it was moved, the result is dropped.)"""
        extractor = self._extractor_for(entry.path)
        if (extractor is not None and getattr(extractor, "concurrent", False) and entry.path not in self._pending
                and entry.size <= self._size_limit(extractor)):
            self._pending[entry.path] = self._start_extraction(extractor, Path(entry.path))

    def _extract_with_timeout(self, extractor: Extractor, path: Path) -> list[Item]:
        """Run the extractor on a daemon thread and give up after the configured time.

        A Python thread cannot be killed: a truly hung extractor keeps its thread until it
        returns, but indexing goes on and the file is recorded with the reason.
        """
        pending = self._pending.pop(str(path), None)
        if pending is None:
            pending = self._start_extraction(extractor, path)
        thread, outcome = pending.thread, pending.outcome
        limit = extractor.time_limit(path, self.config.extract_timeout_s)
        thread.join(max(0.0, limit - (time.perf_counter() - pending.started)))
        if thread.is_alive():
            raise ExtractionError(f"timed out after {limit:g} s")
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["items"]  # type: ignore[return-value]

    def _record_failure(self, common: dict, digest: str, extractor: Extractor, reason: str, report: IndexReport) -> None:
        self.store.record_file(**common, content_hash=digest, status="failed", reason=f"{extractor.name}: {reason}",
                               extractor=extractor.name, extractor_version=extractor.version)
        report.failed += 1

    # -- pass 2 -----------------------------------------------------------------------

    def embed_pending(self) -> int:
        embedded = 0
        for encoder in self.encoders:
            space = self.store.ensure_space(encoder.name, encoder.model_id, encoder.dim, encoder.metric, encoder.modalities)
            embedded += self._embed_space(encoder, space)
        return embedded

    def _embed_space(self, encoder: Encoder, space: Space) -> int:
        total = self.store.count_to_embed(space)
        if total == 0:
            return 0
        rate = _Rate(total)
        done, after_id = 0, 0
        window = max(self.config.embed_batch * 16, 256)
        while not self.cancel.is_set():
            pending = self.store.items_to_embed(space, window, after_id)
            if not pending:
                break
            after_id = pending[-1].id
            # Sorting a window by length keeps similar lengths in one batch (less padding).
            pending.sort(key=lambda s: len(s.text))
            for start in range(0, len(pending), self.config.embed_batch):
                if self.cancel.is_set():
                    break
                batch = pending[start : start + self.config.embed_batch]
                items = [Item(s.text, s.modality, s.kind, s.locator, s.meta) for s in batch]
                accepted = [i for i, item in enumerate(items) if encoder.accepts(item)]
                declined = [batch[i].id for i in sorted(set(range(len(batch))) - set(accepted))]
                vectors = encoder.embed_items([items[i] for i in accepted]) if accepted else np.zeros((0, space.dim))
                self.store.add_vectors(space, [batch[i].id for i in accepted], vectors, declined)
                done += len(batch)
                self.progress(rate.progress("embed", done, batch[-1].path))
        return done
