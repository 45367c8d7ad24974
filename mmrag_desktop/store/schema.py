"""Schema migrations. Each entry upgrades the database by one version, inside a
transaction; ``schema_version`` records where a database stands, so an older app refuses
a newer database instead of corrupting it."""

from __future__ import annotations

from typing import Any

from ..errors import MMRagError

MIGRATIONS: list[str] = [
    # 1: sources, files, items, spaces, FTS and settings.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        include_globs TEXT NOT NULL DEFAULT '[]',
        exclude_globs TEXT NOT NULL DEFAULT '[]',
        added_at REAL NOT NULL
    );
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        path TEXT NOT NULL UNIQUE,
        ext TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash TEXT,
        media_type TEXT NOT NULL DEFAULT '',
        modality TEXT NOT NULL DEFAULT '',
        extractor TEXT NOT NULL DEFAULT '',
        extractor_version TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('indexed', 'failed', 'skipped')),
        reason TEXT,
        indexed_at REAL NOT NULL
    );
    CREATE INDEX files_source ON files(source_id);
    CREATE INDEX files_hash ON files(content_hash);
    CREATE INDEX files_status ON files(status);
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        modality TEXT NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        locator TEXT NOT NULL,
        meta TEXT NOT NULL
    );
    CREATE INDEX items_file ON items(file_id);
    CREATE INDEX items_modality ON items(modality);
    CREATE TABLE spaces (
        id INTEGER PRIMARY KEY,
        encoder TEXT NOT NULL,
        model_id TEXT NOT NULL UNIQUE,
        dim INTEGER NOT NULL,
        metric TEXT NOT NULL,
        modalities TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    -- Items an encoder declined (e.g. a scanned page with no text yet), so the
    -- embedding pass does not offer them again; cleared when the item goes.
    CREATE TABLE vectorless (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        space_id INTEGER NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
        PRIMARY KEY (item_id, space_id)
    ) WITHOUT ROWID;
    """,
    # 2: conversations of `mmrag ask` / `mmrag chat`, one row per turn.
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        text TEXT NOT NULL,
        -- user turns: the standalone query retrieval ran with
        query TEXT,
        -- assistant turns: JSON list of citations, and whether the evidence supported it
        citations TEXT NOT NULL DEFAULT '[]',
        supported INTEGER,
        created_at REAL NOT NULL
    );
    CREATE INDEX turns_conversation ON turns(conversation_id, id);
    """,
]


def current_version(conn: Any) -> int:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'").fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: Any, fts_tokenizer: str) -> None:
    """Bring the database to the latest version; refuse one from a newer app."""
    version = current_version(conn)
    latest = len(MIGRATIONS)
    if version > latest:
        raise MMRagError(
            f"This library was written by a newer MM-RAG Desktop (schema {version}, this version knows {latest}). "
            "Upgrade the app to open it."
        )
    if version == latest:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if version == 0:
            conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO schema_version VALUES (0)")
        for number in range(version, latest):
            for statement in _split(MIGRATIONS[number]):
                conn.execute(statement)
            if number == 0:
                _create_fts(conn, fts_tokenizer)
        conn.execute("UPDATE schema_version SET version = ?", (latest,))
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def _create_fts(conn: Any, fts_tokenizer: str) -> None:
    if fts_tokenizer not in ("bigram", "trigram"):
        raise MMRagError(f"Unknown full-text tokenizer {fts_tokenizer!r} (use 'bigram' or 'trigram').")
    tokenize = "trigram" if fts_tokenizer == "trigram" else "unicode61 remove_diacritics 2"
    # title: file name and section path; body: the item text (CJK pre-split in bigram mode).
    conn.execute(f"CREATE VIRTUAL TABLE item_fts USING fts5(title, body, tokenize='{tokenize}')")
    conn.execute("INSERT INTO meta VALUES ('fts_tokenizer', ?)", (fts_tokenizer,))


def _split(script: str) -> list[str]:
    statements, buffer = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        buffer.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(buffer).strip().rstrip(";"))
            buffer = []
    if "".join(buffer).strip():
        statements.append("\n".join(buffer).strip())
    return [s for s in statements if s]
