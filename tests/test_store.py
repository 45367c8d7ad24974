"""The database: WAL, migrations, refusing newer or broken databases, both SQLite modules."""

from __future__ import annotations

import os
import subprocess
import sysconfig
from pathlib import Path

import pytest

from mmrag_desktop.errors import MMRagError
from mmrag_desktop.store import DB_NAME, Store
from mmrag_desktop.store.connection import sqlite_module
from mmrag_desktop.store.fts import index_text, match_expression, query_terms
from mmrag_desktop.store.schema import MIGRATIONS


def test_new_database_is_wal_and_at_latest_version(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store._query("PRAGMA journal_mode")[0][0] == "wal"
    assert store._query("SELECT version FROM schema_version")[0][0] == len(MIGRATIONS)
    assert store._query("SELECT vec_version()")[0][0].startswith("v")
    store.close()


def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with store.transaction() as db:
        db.execute("UPDATE schema_version SET version = 99")
    store.close()
    with pytest.raises(MMRagError, match="newer MM-RAG Desktop"):
        Store(tmp_path)


def test_garbage_database_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_bytes(b"this is not a database" * 100)
    with pytest.raises(MMRagError, match=r"unreadable|not a database"):
        Store(tmp_path)


def test_cjk_bigrams() -> None:
    assert index_text("设置网卡", "bigram").split() == ["设置", "置网", "网卡"]
    assert query_terms("怎么设置 the network", "bigram") == ["怎么", "么设", "设置", "network"]
    assert match_expression("the of", "bigram") is None
    # the trigram tokenizer cannot match two-character words at all
    assert query_terms("网卡", "trigram") == []


def test_trigram_mode_is_fixed_at_creation(tmp_path: Path) -> None:
    store = Store(tmp_path, fts_tokenizer="trigram")
    store.close()
    again = Store(tmp_path, fts_tokenizer="bigram")
    assert again.fts_mode == "trigram"
    again.close()


def test_forced_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMRAG_SQLITE", "pysqlite3")
    assert sqlite_module().__name__ == "pysqlite3.dbapi2"
    monkeypatch.setenv("MMRAG_SQLITE", "nonsense")
    with pytest.raises(MMRagError, match="MMRAG_SQLITE"):
        sqlite_module()


def test_stdlib_sqlite_without_extension_loading_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    if hasattr(sqlite3.Connection, "enable_load_extension"):
        pytest.skip("this Python's sqlite3 can load extensions")
    monkeypatch.setenv("MMRAG_SQLITE", "stdlib")
    with pytest.raises(MMRagError, match="cannot load extensions"):
        sqlite_module()


SYSTEM_PYTHON = Path("/usr/bin/python3.11")


@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="needs Debian's python3.11, whose sqlite3 loads extensions")
def test_store_works_on_a_python_whose_stdlib_sqlite_loads_extensions(tmp_path: Path) -> None:
    """Same code, other Python: Debian's system interpreter with its own sqlite3 module."""
    site_packages = sysconfig.get_paths()["purelib"]
    root = Path(__file__).resolve().parent.parent
    script = (
        "import sys; from pathlib import Path; import numpy as np\n"
        "from mmrag_desktop.store import Store\n"
        "from mmrag_desktop.store.connection import sqlite_module\n"
        "assert sqlite_module().__name__ == 'sqlite3', sqlite_module()\n"
        "s = Store(Path(sys.argv[1]))\n"
        "space = s.ensure_space('t', 'test-model', 4, 'cosine', ['text'])\n"
        "from mmrag_desktop.records import Item, Filters\n"
        "fid = s.record_file(source_id=s.add_source(Path('/x')).id, path='/x/a.txt', size=1, mtime_ns=1,\n"
        "    content_hash='h', status='indexed', items=[Item('设置网卡 hello')])\n"
        "iid = s._query('select id from items')[0][0]\n"
        "s.add_vectors(space, [iid], np.array([[1, 0, 0, 0]], dtype=np.float32))\n"
        "print(s.dense_search(space, np.array([1, 0, 0, 0], dtype=np.float32), 1, Filters())[0].item_id == iid,\n"
        "      s.fts_search('网卡', 5, Filters())[0].item_id == iid)\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{root}:{site_packages}", "MMRAG_SQLITE": "stdlib"}
    result = subprocess.run([str(SYSTEM_PYTHON), "-c", script, str(tmp_path)], env=env, capture_output=True,
                            text=True, timeout=120)
    if "numpy" in result.stderr and "ImportError" in result.stderr:
        pytest.skip("the venv's numpy is not importable from the system Python")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
