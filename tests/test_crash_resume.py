"""Kill the indexer process mid-run, then resume: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mmrag_desktop.library import Library
from mmrag_desktop.store import DB_NAME


def _count(db: Path, sql: str) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _make_corpus(folder: Path, files: int, paragraphs_per_file: int) -> None:
    folder.mkdir()
    for n in range(files):
        paragraphs = [f"Document {n}, paragraph {p}: notes about topic {n % 17} and item {p}." * 2
                      for p in range(paragraphs_per_file)]
        (folder / f"doc{n:04d}.md").write_text(f"# Doc {n}\n\n" + "\n\n".join(paragraphs), "utf-8")


def _kill_when(process: subprocess.Popen[str], db: Path, sql: str, threshold: int, timeout: float = 240) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"indexer finished before it could be killed: {process.stderr.read() if process.stderr else ''}")
        seen = _count(db, sql) if db.exists() else 0
        if seen >= threshold:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return seen
        time.sleep(0.02)
    process.kill()
    pytest.fail("indexer made no progress")


def _spawn(data: Path, docs: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mmrag_desktop", "--data-dir", str(data), "index", "-q", str(docs)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _assert_complete(data: Path, docs: Path, files: int) -> None:
    with Library(data) as lib:
        report = lib.index([docs])
        assert report.added == 0 and report.unchanged == files  # nothing redone
        status = lib.status()
        assert status["files"] == {"indexed": files}
        db = lib.store
        per_file = db._query("SELECT file_id, count(*), count(DISTINCT ordinal) FROM items GROUP BY file_id")
        assert len(per_file) == files
        assert all(total == distinct for _f, total, distinct in per_file)  # no duplicated items
        assert db._query("SELECT count(*) FROM item_fts")[0][0] == status["items"]
        (space,) = [s for s in status["spaces"] if "text" in s["modalities"]]  # no pictures here
        assert space["vectors"] == status["items"] and space["pending"] == 0


@pytest.mark.slow
def test_kill_during_extraction_then_resume(tmp_path: Path) -> None:
    docs, data = tmp_path / "docs", tmp_path / "lib"
    _make_corpus(docs, 150, 1)
    process = _spawn(data, docs)
    killed_at = _kill_when(process, data / DB_NAME, "SELECT count(*) FROM files", 40)
    committed = _count(data / DB_NAME, "SELECT count(*) FROM files")
    assert 40 <= committed < 150, killed_at
    # resume in a fresh process, as a user would
    resumed = subprocess.run([sys.executable, "-m", "mmrag_desktop", "--data-dir", str(data), "index", "--json",
                              str(docs)], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f'"added": {150 - committed}' in resumed.stdout  # committed files were not redone
    _assert_complete(data, docs, 150)


@pytest.mark.slow
def test_kill_during_embedding_then_resume(tmp_path: Path) -> None:
    docs, data = tmp_path / "docs", tmp_path / "lib"
    _make_corpus(docs, 30, 16)
    process = _spawn(data, docs)
    _kill_when(process, data / DB_NAME, "SELECT count(*) FROM meta WHERE key LIKE 'generation:%' AND value >= 2", 1)
    with Library(data) as lib:
        pending = next(s["pending"] for s in lib.status()["spaces"] if "text" in s["modalities"])
        assert pending > 0  # killed part-way through embedding
    _assert_complete(data, docs, 30)
