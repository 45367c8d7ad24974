"""Incremental indexing: unchanged, changed, deleted, renamed files; skip rules; bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mmrag_desktop.config import Config
from mmrag_desktop.library import Library
from mmrag_desktop.testing import write


def _item_ids(library: Library, path: Path) -> list[int]:
    row = library.store.file_by_path(str(path))
    assert row is not None
    return [r[0] for r in library.store._query("SELECT id FROM items WHERE file_id = ? ORDER BY id", (row.id,))]


def test_second_run_skips_unchanged_files(fts_library: Library, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    for n in range(5):
        write(docs / f"note{n}.txt", f"Note number {n} about gardening and tomatoes.")
    first = fts_library.index([docs])
    assert first.added == 5
    second = fts_library.index([docs])
    assert (second.added, second.updated, second.unchanged, second.removed) == (0, 0, 5, 0)


def test_changed_file_is_reextracted_and_touched_file_is_not(fts_library: Library, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    note = write(docs / "a.txt", "The red bicycle is in the garage.")
    touched = write(docs / "b.txt", "Unchanged content about violins.")
    fts_library.index([docs])
    before = _item_ids(fts_library, touched)
    note.write_text("The blue canoe is in the boathouse.", "utf-8")
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 5_000_000_000))
    report = fts_library.index([docs])
    assert report.updated == 1 and report.unchanged == 1
    assert _item_ids(fts_library, touched) == before  # same content: items kept
    assert [h.path for h in fts_library.search("canoe")] == [note]
    assert fts_library.search("bicycle") == []


def test_deleted_files_leave_the_index(fts_library: Library, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    gone = write(docs / "gone.txt", "A note about penguins.")
    write(docs / "kept.txt", "A note about giraffes.")
    fts_library.index([docs])
    gone.unlink()
    report = fts_library.index([docs])
    assert report.removed == 1
    assert fts_library.search("penguins") == []
    assert fts_library.store._query("SELECT count(*) FROM item_fts")[0][0] == 1


def test_renamed_file_keeps_items_and_vectors(library: Library, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    old = write(docs / "old name.txt", "Quarterly report on solar panel efficiency in northern climates.")
    library.index([docs])
    ids = _item_ids(library, old)
    # The text space (the image plugin's space has nothing to embed here).
    space = next(s for s in library.store.spaces() if "text" in s.modalities)
    assert library.store._query(f"SELECT count(*) FROM {space.table}")[0][0] == len(ids)
    new = docs / "sub" / "new name.txt"
    new.parent.mkdir()
    old.rename(new)
    report = library.index([docs])
    assert (report.moved, report.added, report.removed, report.embedded) == (1, 0, 0, 0)
    assert _item_ids(library, new) == ids
    hits = library.search("solar panels in cold places")
    assert hits[0].path == new
    # the file name is searchable under its new name only
    assert [h.path for h in library.search("new name", retrievers=("bm25",))] == [new]


def test_hidden_excluded_and_unsupported_files_are_skipped(fts_library: Library, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "visible.txt", "zebra crossing")
    write(docs / ".hidden.txt", "zebra hidden")
    write(docs / ".git" / "HEAD.txt", "zebra git")
    write(docs / "node_modules" / "pkg" / "readme.txt", "zebra module")
    write(docs / "drafts" / "draft.txt", "zebra draft")
    (docs / "photo.xyz").write_bytes(b"\x00\x01")
    fts_library.add_source(docs, exclude=["drafts/**"])
    report = fts_library.index([docs])
    assert report.added == 1 and report.unsupported == 1
    assert [h.path.name for h in fts_library.search("zebra")] == ["visible.txt"]


def test_include_globs_restrict_a_source(fts_library: Library, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "keep.md", "# Otters\n\nRiver otters.")
    write(docs / "skip.txt", "Sea otters.")
    fts_library.add_source(docs, include=["**/*.md"])
    fts_library.index()
    assert [h.path.name for h in fts_library.search("otters")] == ["keep.md"]


def test_symlink_loop_and_unreadable_folder_do_not_stop_indexing(
    fts_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    write(docs / "a" / "one.txt", "walrus one")
    write(docs / "locked" / "two.txt", "walrus two")
    (docs / "a" / "loop").symlink_to(docs, target_is_directory=True)
    # The suite runs as root in CI, where chmod 000 does not stop reads; simulate the
    # operating system refusing this one folder instead.
    real_scandir = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = fts_library.index([docs])
    assert report.added == 1
    assert any("locked" in p and "Permission denied" in p for p in report.problems)
    assert any("locked" in p for p in fts_library.status()["scan_problems"])



def test_symlink_to_a_folder_above_the_source_is_not_followed(fts_library: Library, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "one.txt", "walrus one")
    write(tmp_path / "outside" / "private.txt", "walrus private")
    (docs / "up").symlink_to("..", target_is_directory=True)
    report = fts_library.index([docs])
    assert report.added == 1  # not outside/private.txt reached through docs/up/outside
    assert any("up" in p and "symlink loop" in p for p in report.problems)

def test_bad_input_is_recorded_and_the_rest_is_indexed(fts_library: Library, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "good.txt", "The good file mentions a lighthouse.")
    (docs / "empty.txt").write_bytes(b"")
    (docs / "junk.txt").write_bytes(os.urandom(4096))
    (docs / "latin1.txt").write_bytes("caf\xe9 au lait lighthouse".encode("latin-1"))
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog")
    big = docs / "huge.txt"
    with big.open("wb") as handle:
        handle.write(b"lighthouse " * (5 * 1024 * 1024))  # 55 MB
    report = fts_library.index([docs])
    problems = {Path(p["path"]).name: p for p in fts_library.status()["problems"]}
    assert problems["junk.txt"]["status"] == "failed" and "binary" in problems["junk.txt"]["reason"]
    assert problems["broken.pdf"]["status"] == "failed" and problems["broken.pdf"]["reason"].startswith("pdf")
    assert problems["huge.txt"]["status"] == "skipped" and "MB limit" in problems["huge.txt"]["reason"]
    assert "empty.txt" not in problems and "latin1.txt" not in problems
    assert {h.path.name for h in fts_library.search("lighthouse")} == {"good.txt", "latin1.txt"}
    assert report.failed == 2 and report.skipped == 1
    # an unchanged failed file is not retried, a fixed one is
    assert fts_library.index([docs]).failed == 0
    (docs / "junk.txt").write_text("now a readable lighthouse note", "utf-8")
    assert fts_library.index([docs]).updated == 1
    assert "junk.txt" in {h.path.name for h in fts_library.search("lighthouse")}


def test_size_limit_is_configurable(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "big.txt", "heron " * 400_000)  # 2.4 MB
    with Library(tmp_path / "lib", config=Config(encoders=(), max_file_mb=1)) as lib:
        assert lib.index([docs]).skipped == 1
    with Library(tmp_path / "lib2", config=Config(encoders=(), max_file_mb=5)) as lib:
        assert lib.index([docs]).added == 1


def test_model_change_creates_a_new_space_and_reembeds(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "a.txt", "Notes on sourdough bread baking.")
    with Library(tmp_path / "lib", config=Config(encoders=())) as lib:
        lib.index([docs])
        assert lib.store.spaces() == []
    with Library(tmp_path / "lib") as lib:  # default encoder now active
        report = lib.index([docs])
        assert report.unchanged == 1 and report.embedded == 1
        (space,) = [s for s in lib.store.spaces() if "text" in s.modalities]
        assert space.model_id.startswith("multilingual-e5-small")
        assert all(s["pending"] == 0 for s in lib.status()["spaces"])


def test_nested_sources_never_share_a_file(fts_library: Library, tmp_path: Path) -> None:
    from mmrag_desktop.errors import MMRagError

    docs = tmp_path / "docs"
    write(docs / "sub" / "a.txt", "pelican")
    write(docs / "b.txt", "puffin")
    fts_library.index([docs / "sub"])
    fts_library.index([docs])  # the parent absorbs the inner source and keeps its files
    assert [s.path for s in fts_library.sources()] == [docs]
    report = fts_library.index()
    assert (report.unchanged, report.added, report.updated) == (2, 0, 0)
    with pytest.raises(MMRagError, match="already part of the source"):
        fts_library.add_source(docs / "sub")
