"""The library database: the only module that writes SQL.

One SQLite file per library holds sources, files, items, the FTS5 index and one
sqlite-vec ``vec0`` table per embedding space. Every change to a file's items happens in
one transaction, so a crash or Ctrl-C leaves each file either fully indexed or untouched.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MMRagError
from ..records import Candidate, Filters, Item, Locator
from . import fts
from .connection import connect, sqlite_module
from .conversations import ConversationStore
from .schema import migrate

DB_NAME = "library.sqlite3"


@dataclass(frozen=True)
class SourceRow:
    id: int
    path: Path
    include: tuple[str, ...]
    exclude: tuple[str, ...]


@dataclass(frozen=True)
class FileRow:
    id: int
    source_id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str | None
    status: str
    extractor: str
    extractor_version: str
    reason: str | None = None


@dataclass(frozen=True)
class Space:
    id: int
    encoder: str
    model_id: str
    dim: int
    metric: str
    modalities: tuple[str, ...]

    @property
    def table(self) -> str:
        return f"vec_space_{self.id}"


@dataclass(frozen=True)
class StoredItem:
    id: int
    file_id: int
    path: str
    media_type: str
    file_modality: str
    modality: str
    kind: str
    text: str
    locator: Locator
    meta: dict[str, Any]


@dataclass
class _DenseCache:
    generation: int
    ids: np.ndarray
    matrix: np.ndarray


class Store(ConversationStore):
    """A library database. Thread-safe: one connection guarded by a lock, which is all a
    desktop app needs (SQLite serialises writers anyway)."""

    def __init__(self, data_dir: Path, *, fts_tokenizer: str = "bigram") -> None:
        self.data_dir = data_dir
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MMRagError(f"Cannot create the library folder {data_dir}: {exc.strerror}.") from exc
        self.path = data_dir / DB_NAME
        self._lock = threading.RLock()
        self._conn = connect(self.path)
        self._errors = sqlite_module().Error
        try:
            migrate(self._conn, fts_tokenizer)
            self.fts_mode = self.get_meta("fts_tokenizer") or "bigram"
        except self._errors as exc:
            self._conn.close()
            raise MMRagError(f"The library database {self.path} is unreadable ({exc}).") from exc
        except MMRagError:
            self._conn.close()
            raise
        self._dense: dict[int, _DenseCache] = {}
        self._spaces_by_model: dict[str, Space] = {}

    # -- plumbing ---------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- sources ----------------------------------------------------------------------

    def add_source(self, path: Path, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> SourceRow:
        """Add (or update the globs of) a source. Sources inside the new one are merged
        into it, their files kept, so no file ever belongs to two sources."""
        inner = [s for s in self.sources() if path in s.path.parents]
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sources (path, include_globs, exclude_globs, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET include_globs = excluded.include_globs, exclude_globs = excluded.exclude_globs",
                (str(path), json.dumps(list(include)), json.dumps(list(exclude)), time.time()),
            )
            (source_id,) = db.execute("SELECT id FROM sources WHERE path = ?", (str(path),)).fetchone()
            for old in inner:
                db.execute("UPDATE files SET source_id = ? WHERE source_id = ?", (source_id, old.id))
                db.execute("DELETE FROM sources WHERE id = ?", (old.id,))
        source = self.get_source(path)
        assert source is not None
        return source

    def get_source(self, path: Path) -> SourceRow | None:
        rows = self._query("SELECT id, path, include_globs, exclude_globs FROM sources WHERE path = ?", (str(path),))
        return _source(rows[0]) if rows else None

    def sources(self) -> list[SourceRow]:
        return [_source(r) for r in self._query("SELECT id, path, include_globs, exclude_globs FROM sources ORDER BY path")]

    def remove_source(self, source: SourceRow) -> int:
        """Remove a source with all its files, items and vectors; returns files removed."""
        ids = [r[0] for r in self._query("SELECT id FROM files WHERE source_id = ?", (source.id,))]
        with self.transaction() as db:
            self._delete_files(db, ids)
            db.execute("DELETE FROM sources WHERE id = ?", (source.id,))
        return len(ids)

    # -- files ------------------------------------------------------------------------

    def files_of_source(self, source_id: int) -> dict[str, FileRow]:
        rows = self._query(
            "SELECT id, source_id, path, size, mtime_ns, content_hash, status, extractor, extractor_version, reason "
            "FROM files WHERE source_id = ?",
            (source_id,),
        )
        return {r[2]: FileRow(*r) for r in rows}

    def file_by_path(self, path: str) -> FileRow | None:
        rows = self._query(
            "SELECT id, source_id, path, size, mtime_ns, content_hash, status, extractor, extractor_version, reason "
            "FROM files WHERE path = ?",
            (path,),
        )
        return FileRow(*rows[0]) if rows else None

    def touch_file(self, file_id: int, size: int, mtime_ns: int) -> None:
        with self.transaction() as db:
            db.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?", (size, mtime_ns, file_id))

    def move_file(self, file_id: int, source_id: int, new_path: str, size: int, mtime_ns: int) -> None:
        """A file was renamed or moved: keep its items and vectors, update the path."""
        with self.transaction() as db:
            db.execute("DELETE FROM files WHERE path = ? AND id != ?", (new_path, file_id))
            db.execute(
                "UPDATE files SET source_id = ?, path = ?, ext = ?, size = ?, mtime_ns = ? WHERE id = ?",
                (source_id, new_path, _ext(new_path), size, mtime_ns, file_id),
            )
            title = Path(new_path).name
            rows = db.execute("SELECT id, locator FROM items WHERE file_id = ?", (file_id,)).fetchall()
            for item_id, locator in rows:
                db.execute("UPDATE item_fts SET title = ? WHERE rowid = ?",
                           (self._fts_title(title, Locator.from_dict(json.loads(locator))), item_id))

    def delete_files(self, file_ids: Sequence[int]) -> None:
        with self.transaction() as db:
            self._delete_files(db, file_ids)

    def record_file(
        self,
        *,
        source_id: int,
        path: str,
        size: int,
        mtime_ns: int,
        content_hash: str | None,
        status: str,
        reason: str | None = None,
        extractor: str = "",
        extractor_version: str = "",
        media_type: str = "",
        modality: str = "",
        items: Sequence[Item] = (),
    ) -> int:
        """Replace everything known about ``path`` in one transaction: the file row, its
        items and their FTS rows. Vectors are added later by the embedding pass."""
        with self.transaction() as db:
            old = db.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
            if old:
                self._delete_items_of(db, [old[0]])
                db.execute(
                    "UPDATE files SET source_id=?, ext=?, size=?, mtime_ns=?, content_hash=?, media_type=?, modality=?, "
                    "extractor=?, extractor_version=?, status=?, reason=?, indexed_at=? WHERE id=?",
                    (source_id, _ext(path), size, mtime_ns, content_hash, media_type, modality, extractor,
                     extractor_version, status, reason, time.time(), old[0]),
                )
                file_id = int(old[0])
            else:
                cursor = db.execute(
                    "INSERT INTO files (source_id, path, ext, size, mtime_ns, content_hash, media_type, modality, "
                    "extractor, extractor_version, status, reason, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (source_id, path, _ext(path), size, mtime_ns, content_hash, media_type, modality, extractor,
                     extractor_version, status, reason, time.time()),
                )
                file_id = int(cursor.lastrowid)
            title = Path(path).name
            for ordinal, item in enumerate(items):
                cursor = db.execute(
                    "INSERT INTO items (file_id, ordinal, modality, kind, text, locator, meta) VALUES (?,?,?,?,?,?,?)",
                    (file_id, ordinal, item.modality, item.kind, item.text,
                     json.dumps(item.locator.to_dict(), ensure_ascii=False), json.dumps(dict(item.meta), ensure_ascii=False)),
                )
                if item.text.strip():
                    db.execute(
                        "INSERT INTO item_fts (rowid, title, body) VALUES (?, ?, ?)",
                        (cursor.lastrowid, self._fts_title(title, item.locator), fts.index_text(item.text, self.fts_mode)),
                    )
            return file_id

    def _fts_title(self, file_name: str, locator: Locator) -> str:
        section = locator.section or locator.symbol or ""
        return fts.index_text(f"{file_name} {section}", self.fts_mode)

    def _delete_items_of(self, db: Any, file_ids: Sequence[int]) -> None:
        if not file_ids:
            return
        marks = ",".join("?" * len(file_ids))
        item_ids = [r[0] for r in db.execute(f"SELECT id FROM items WHERE file_id IN ({marks})", list(file_ids))]
        for start in range(0, len(item_ids), 500):
            chunk = item_ids[start : start + 500]
            inner = ",".join("?" * len(chunk))
            db.execute(f"DELETE FROM item_fts WHERE rowid IN ({inner})", chunk)
            for space in self.spaces():
                db.execute(f"DELETE FROM {space.table} WHERE item_id IN ({inner})", chunk)
                self._bump_generation(db, space)
        db.execute(f"DELETE FROM items WHERE file_id IN ({marks})", list(file_ids))

    def _delete_files(self, db: Any, file_ids: Sequence[int]) -> None:
        for start in range(0, len(file_ids), 500):
            chunk = list(file_ids[start : start + 500])
            self._delete_items_of(db, chunk)
            db.execute(f"DELETE FROM files WHERE id IN ({','.join('?' * len(chunk))})", chunk)

    def find_moved_file(self, content_hash: str, missing_paths: set[str]) -> FileRow | None:
        """An indexed file with this content whose path has disappeared (a rename)."""
        rows = self._query(
            "SELECT id, source_id, path, size, mtime_ns, content_hash, status, extractor, extractor_version, reason "
            "FROM files WHERE content_hash = ? AND status = 'indexed'",
            (content_hash,),
        )
        for row in rows:
            if row[2] in missing_paths:
                return FileRow(*row)
        return None

    # -- spaces and vectors -----------------------------------------------------------

    def spaces(self) -> list[Space]:
        return [
            Space(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])))
            for r in self._query("SELECT id, encoder, model_id, dim, metric, modalities FROM spaces ORDER BY id")
        ]

    def ensure_space(self, encoder: str, model_id: str, dim: int, metric: str, modalities: Iterable[str]) -> Space:
        """The space for ``model_id``, created (with its vec0 table) on first use.
        Called on every dense search, so known spaces are remembered (they never change)."""
        known = self._spaces_by_model.get(model_id)
        if known is not None and known.dim == dim:
            return known
        for space in self.spaces():
            if space.model_id == model_id:
                if space.dim != dim:
                    raise MMRagError(f"Model {model_id} now reports {dim} dimensions but the library holds {space.dim}.")
                self._spaces_by_model[model_id] = space
                return space
        if metric not in ("cosine", "l2", "l1"):
            raise MMRagError(f"Encoder {encoder} uses unsupported metric {metric!r}.")
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO spaces (encoder, model_id, dim, metric, modalities, created_at) VALUES (?,?,?,?,?,?)",
                (encoder, model_id, int(dim), metric, json.dumps(sorted(modalities)), time.time()),
            )
            space_id = int(cursor.lastrowid)
            db.execute(
                f"CREATE VIRTUAL TABLE vec_space_{space_id} USING vec0("
                f"item_id INTEGER PRIMARY KEY, embedding float[{int(dim)}] distance_metric={metric})"
            )
        return next(s for s in self.spaces() if s.id == space_id)

    def items_to_embed(self, space: Space, limit: int, after_id: int = 0) -> list[StoredItem]:
        """Items of the space's modalities with no vector there yet (and not declined).
        A space that embeds text also gets the text of items of other modalities (a
        picture's labels and OCR text, a recording's transcript)."""
        marks = ",".join("?" * len(space.modalities))
        rows = self._query(
            f"SELECT {_ITEM_COLUMNS} FROM items i JOIN files f ON f.id = i.file_id "
            f"WHERE i.id > ? AND (i.modality IN ({marks}) OR (? AND i.text != '')) "
            f"AND NOT EXISTS (SELECT 1 FROM {space.table} v WHERE v.item_id = i.id) "
            "AND NOT EXISTS (SELECT 1 FROM vectorless n WHERE n.item_id = i.id AND n.space_id = ?) "
            "ORDER BY i.id LIMIT ?",
            (after_id, *space.modalities, "text" in space.modalities, space.id, limit),
        )
        return [_stored_item(r) for r in rows]

    def count_to_embed(self, space: Space) -> int:
        marks = ",".join("?" * len(space.modalities))
        return int(self._query(
            f"SELECT count(*) FROM items i WHERE (i.modality IN ({marks}) OR (? AND i.text != '')) "
            f"AND NOT EXISTS (SELECT 1 FROM {space.table} v WHERE v.item_id = i.id) "
            "AND NOT EXISTS (SELECT 1 FROM vectorless n WHERE n.item_id = i.id AND n.space_id = ?)",
            (*space.modalities, "text" in space.modalities, space.id),
        )[0][0])

    def add_vectors(self, space: Space, item_ids: Sequence[int], vectors: np.ndarray, declined: Sequence[int] = ()) -> None:
        """Store vectors for items that still exist (an item deleted meanwhile is skipped)."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with self.transaction() as db:
            for item_id, vector in zip(item_ids, vectors, strict=True):
                if db.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone():
                    db.execute(f"INSERT OR REPLACE INTO {space.table} (item_id, embedding) VALUES (?, ?)",
                               (int(item_id), vector.tobytes()))
            for item_id in declined:
                db.execute("INSERT OR IGNORE INTO vectorless (item_id, space_id) SELECT id, ? FROM items WHERE id = ?",
                           (space.id, int(item_id)))
            self._bump_generation(db, space)

    def _bump_generation(self, db: Any, space: Space) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            (f"generation:{space.id}",),
        )

    def _generation(self, space: Space) -> int:
        value = self.get_meta(f"generation:{space.id}")
        return int(value) if value else 0

    def dense_search(self, space: Space, vector: np.ndarray, k: int, filters: Filters) -> list[Candidate]:
        """Exact nearest neighbours in ``space``.

        The vectors are kept in memory as one float32 matrix, loaded from the vec0 table
        and reloaded when the space changes: exact search at ~13 ms per 100k×384 on two
        cores, where sqlite-vec's own KNN takes ~60 ms and its int8/bit forms are slower or
        lose recall (benchmarks/results/). The vec0 table stays the store of record.
        """
        cache = self._dense_matrix(space)
        if cache.ids.size == 0:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if space.metric == "cosine":
            norm = float(np.linalg.norm(query)) or 1.0
            scores = cache.matrix @ (query / norm)
        else:
            scores = -np.linalg.norm(cache.matrix - query, axis=1)
        ids = cache.ids
        if not filters.is_empty():
            allowed = self.filtered_item_ids(filters)
            mask = np.isin(ids, allowed)
            ids, scores = ids[mask], scores[mask]
        if ids.size == 0:
            return []
        top = min(k, ids.size)
        order = np.argpartition(-scores, top - 1)[:top]
        order = order[np.argsort(-scores[order], kind="stable")]
        return [Candidate(int(ids[i]), float(scores[i])) for i in order]

    def _dense_matrix(self, space: Space) -> _DenseCache:
        generation = self._generation(space)
        cache = self._dense.get(space.id)
        if cache is not None and cache.generation == generation:
            return cache
        cache = self._load_matrix_file(space, generation) or self._build_matrix(space, generation)
        self._dense[space.id] = cache
        return cache

    def _matrix_paths(self, space: Space, generation: int) -> tuple[Path, Path]:
        # Keyed by this database's random id too, so a cache left beside a replaced or
        # restored database file can never be mistaken for the current one.
        folder = self.data_dir / "vector-cache" / self._library_id()
        stem = f"space-{space.id}-gen-{generation}"
        return folder / f"{stem}.ids.npy", folder / f"{stem}.vectors.npy"

    def _library_id(self) -> str:
        library_id = self.get_meta("library_id")
        if library_id is None:
            library_id = uuid.uuid4().hex
            with self.transaction() as db:
                db.execute("INSERT OR IGNORE INTO meta VALUES ('library_id', ?)", (library_id,))
            library_id = self.get_meta("library_id") or library_id
        return library_id

    def _load_matrix_file(self, space: Space, generation: int) -> _DenseCache | None:
        """The matrix saved by an earlier process for this exact generation, memory-mapped
        (a new CLI process then searches 100k vectors without re-reading vec0)."""
        ids_path, vectors_path = self._matrix_paths(space, generation)
        try:
            ids = np.load(ids_path)
            matrix = np.load(vectors_path, mmap_mode="r")
        except (OSError, ValueError):
            return None
        if matrix.shape != (ids.size, space.dim):
            return None
        return _DenseCache(generation, ids, matrix)

    def _build_matrix(self, space: Space, generation: int) -> _DenseCache:
        rows = self._query(f"SELECT item_id, embedding FROM {space.table}")
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), space.dim).copy()
        if space.metric == "cosine" and len(rows):
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            matrix /= np.where(norms == 0, 1, norms)
        self._save_matrix_file(space, generation, ids, matrix)
        return _DenseCache(generation, ids, matrix)

    def _save_matrix_file(self, space: Space, generation: int, ids: np.ndarray, matrix: np.ndarray) -> None:
        """Best effort: write atomically (temp file + rename), drop older generations.
        The cache is derived data; any failure only costs the next process a rebuild."""
        ids_path, vectors_path = self._matrix_paths(space, generation)
        try:
            ids_path.parent.mkdir(parents=True, exist_ok=True)
            for path, array in ((vectors_path, matrix), (ids_path, ids)):
                temporary = path.with_suffix(f".{os.getpid()}.tmp")
                with open(temporary, "wb") as handle:
                    np.save(handle, array)
                os.replace(temporary, path)
            for old in ids_path.parent.glob(f"space-{space.id}-gen-*"):
                if not old.name.startswith(f"space-{space.id}-gen-{generation}."):
                    old.unlink(missing_ok=True)
        except OSError:
            pass

    # -- full text --------------------------------------------------------------------

    def fts_search(self, text: str, k: int, filters: Filters) -> list[Candidate]:
        expression = fts.match_expression(text, self.fts_mode)
        if expression is None:
            return []
        where, params = self._filter_sql(filters)
        # bm25() is lower-is-better; the title (file name, section) weighs double.
        sql = (
            "SELECT item_fts.rowid, -bm25(item_fts, 2.0, 1.0) AS score FROM item_fts "
            + ("JOIN items i ON i.id = item_fts.rowid JOIN files f ON f.id = i.file_id " if where else "")
            + "WHERE item_fts MATCH ? "
            + (f"AND {where} " if where else "")
            + "ORDER BY bm25(item_fts, 2.0, 1.0) LIMIT ?"
        )
        try:
            rows = self._query(sql, (expression, *params, k))
        except self._errors as exc:
            raise MMRagError(f"Full-text search failed for {text!r}: {exc}.") from exc
        return [Candidate(int(r[0]), float(r[1])) for r in rows]

    def _filter_sql(self, filters: Filters) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if filters.folders:
            parts = []
            for folder in filters.folders:
                prefix = str(folder).rstrip("/\\")
                parts.append("(f.path = ? OR substr(f.path, 1, ?) = ?)")
                params.extend([prefix, len(prefix) + 1, prefix + "/"])
            clauses.append("(" + " OR ".join(parts) + ")")
        if filters.file_types:
            clauses.append(f"f.ext IN ({','.join('?' * len(filters.file_types))})")
            params.extend(t.lower().lstrip(".") for t in filters.file_types)
        if filters.modalities:
            clauses.append(f"i.modality IN ({','.join('?' * len(filters.modalities))})")
            params.extend(filters.modalities)
        if filters.modified_after is not None:
            clauses.append("f.mtime_ns >= ?")
            params.append(int(filters.modified_after * 1e9))
        if filters.modified_before is not None:
            clauses.append("f.mtime_ns <= ?")
            params.append(int(filters.modified_before * 1e9))
        if filters.near is not None:
            # A box of +-km around the point (no place names, no geocoding).
            lat, lon, km = filters.near
            dlat = km / 111.32
            dlon = km / (111.32 * max(math.cos(math.radians(lat)), 0.01))
            clauses.append("json_extract(i.meta, '$.lat') BETWEEN ? AND ? AND json_extract(i.meta, '$.lon') BETWEEN ? AND ?")
            params.extend([lat - dlat, lat + dlat, lon - dlon, lon + dlon])
        return " AND ".join(clauses), params

    def filtered_item_ids(self, filters: Filters) -> np.ndarray:
        where, params = self._filter_sql(filters)
        rows = self._query(
            f"SELECT i.id FROM items i JOIN files f ON f.id = i.file_id WHERE {where or '1'}", params
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    # -- reading items ----------------------------------------------------------------

    def items_by_id(self, item_ids: Iterable[int]) -> dict[int, StoredItem]:
        ids = list(dict.fromkeys(int(i) for i in item_ids))
        found: dict[int, StoredItem] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self._query(
                f"SELECT {_ITEM_COLUMNS} FROM items i JOIN files f ON f.id = i.file_id "
                f"WHERE i.id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update((r[0], _stored_item(r)) for r in rows)
        return found

    # -- status -----------------------------------------------------------------------

    def counts(self) -> dict[str, Any]:
        by_status = dict(self._query("SELECT status, count(*) FROM files GROUP BY status"))
        by_modality = dict(self._query("SELECT modality, count(*) FROM files WHERE status = 'indexed' GROUP BY modality"))
        items = self._query("SELECT count(*) FROM items")[0][0]
        spaces = []
        for space in self.spaces():
            vectors = self._query(f"SELECT count(*) FROM {space.table}")[0][0]
            spaces.append({"model_id": space.model_id, "encoder": space.encoder, "dim": space.dim,
                           "metric": space.metric, "modalities": list(space.modalities), "vectors": vectors,
                           "pending": self.count_to_embed(space)})
        return {"files": by_status, "modalities": by_modality, "items": items, "spaces": spaces}

    def source_counts(self) -> dict[int, dict[str, Any]]:
        """Per source: indexed files by modality and files by status (the GUI's sidebar)."""
        out: dict[int, dict[str, Any]] = {}
        for source_id, modality, status, count in self._query(
                "SELECT source_id, modality, status, count(*) FROM files GROUP BY source_id, modality, status"):
            entry = out.setdefault(source_id, {"modalities": {}, "files": {}})
            entry["files"][status] = entry["files"].get(status, 0) + count
            if status == "indexed":
                entry["modalities"][modality or ""] = entry["modalities"].get(modality or "", 0) + count
        return out

    def problems(self, limit: int = 1000) -> list[FileRow]:
        rows = self._query(
            "SELECT id, source_id, path, size, mtime_ns, content_hash, status, extractor, extractor_version, reason "
            "FROM files WHERE status IN ('failed', 'skipped') ORDER BY status, path LIMIT ?",
            (limit,),
        )
        return [FileRow(*r) for r in rows]


_ITEM_COLUMNS = "i.id, i.file_id, f.path, f.media_type, f.modality, i.modality, i.kind, i.text, i.locator, i.meta"


def _stored_item(row: Sequence[Any]) -> StoredItem:
    return StoredItem(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
                      Locator.from_dict(json.loads(row[8])), json.loads(row[9]))


def _source(row: Sequence[Any]) -> SourceRow:
    return SourceRow(row[0], Path(row[1]), tuple(json.loads(row[2])), tuple(json.loads(row[3])))


def _ext(path: str) -> str:
    suffix = Path(path).suffix
    return suffix[1:].lower() if suffix else ""
