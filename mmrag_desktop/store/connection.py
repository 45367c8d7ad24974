"""Opening SQLite with sqlite-vec loaded, whatever Python the user runs.

Many Python builds (pyenv's, python.org's on macOS) compile ``sqlite3`` without
extension loading, so sqlite-vec cannot load through it. ``pysqlite3`` (the
``pysqlite3-binary`` wheel) bundles a current SQLite that can. We prefer it when it is
installed, fall back to the standard module when that can load extensions, and say
clearly what to install when neither works. ``MMRAG_SQLITE=stdlib|pysqlite3`` forces one.
"""

from __future__ import annotations

import os
import sqlite3 as _stdlib_sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import MMRagError


def _stdlib_can_load_extensions() -> bool:
    return hasattr(_stdlib_sqlite3.Connection, "enable_load_extension")


def sqlite_module() -> ModuleType:
    """Return the DB-API module to use (``sqlite3`` or ``pysqlite3.dbapi2``)."""
    forced = os.environ.get("MMRAG_SQLITE", "").strip().lower()
    if forced not in ("", "stdlib", "pysqlite3"):
        raise MMRagError(f"MMRAG_SQLITE must be 'stdlib' or 'pysqlite3', not {forced!r}.")
    if forced != "stdlib":
        try:
            import pysqlite3.dbapi2 as pysqlite3  # type: ignore[import-not-found]

            return pysqlite3
        except ImportError:
            if forced == "pysqlite3":
                raise MMRagError("MMRAG_SQLITE=pysqlite3 but pysqlite3 is not installed (pip install pysqlite3-binary).") from None
    if _stdlib_can_load_extensions():
        return _stdlib_sqlite3
    raise MMRagError(
        "This Python's sqlite3 cannot load extensions, which sqlite-vec needs. "
        "Install pysqlite3-binary (pip install pysqlite3-binary) or use a Python built with extension loading."
    )


def connect(path: Path | str, *, read_only: bool = False) -> Any:
    """Open ``path`` with sqlite-vec loaded, WAL journaling and sane pragmas.

    Autocommit mode: transactions are explicit (see :meth:`Store.transaction`).
    """
    import sqlite_vec

    module = sqlite_module()
    uri = f"file:{Path(path).as_posix()}{'?mode=ro' if read_only else ''}"
    try:
        conn = module.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=30.0)
    except module.Error as exc:
        raise MMRagError(f"Cannot open the library database {path}: {exc}.") from exc
    try:
        conn.enable_load_extension(True)
        sqlite_vec.load(conn)
        conn.enable_load_extension(False)
        if not read_only:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
    except module.DatabaseError as exc:
        conn.close()
        raise MMRagError(f"The library database {path} is unreadable or not a database ({exc}).") from exc
    return conn
