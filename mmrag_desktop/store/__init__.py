"""SQLite storage: schema, migrations, FTS5 and sqlite-vec spaces. The only package that writes SQL."""

from .store import DB_NAME, FileRow, SourceRow, Space, Store, StoredItem

__all__ = ["DB_NAME", "FileRow", "SourceRow", "Space", "Store", "StoredItem"]
