"""Library methods the desktop app relies on: watcher updates, per-source counts, and
turning plugins off and on (persisted)."""

from __future__ import annotations

from pathlib import Path

from mmrag_desktop.config import Config
from mmrag_desktop.library import Library
from mmrag_desktop.testing import fixture_corpus, temporary_library, write


def test_update_files_indexes_exactly_the_changed_paths(tmp_path: Path) -> None:
    corpus = fixture_corpus(tmp_path / "docs")
    with temporary_library(tmp_path / "lib") as library:
        library.index([corpus])
        new = write(corpus / "notes" / "garden.md", "# Garden\n\nTomatoes need watering every morning.")
        changed = write(corpus / "notes" / "backups.md", "# Backups\n\nUse borgbackup for encrypted archives.")
        deleted = corpus / "code" / "dates.py"
        deleted.unlink()
        hidden = write(corpus / ".secret" / "keys.txt", "tomatoes password")
        outside = write(tmp_path / "elsewhere.txt", "tomatoes elsewhere")
        report = library.update_files([new, changed, deleted, hidden, outside, corpus / "notes" / "诗.txt"])
        assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 1)
        assert library.search("tomatoes watering")[0].path == new
        assert library.search("borgbackup")[0].path == changed
        assert library.store.file_by_path(str(deleted)) is None
        assert library.store.file_by_path(str(hidden)) is None
        assert library.store.file_by_path(str(outside)) is None


def test_update_files_keeps_a_moved_files_items(tmp_path: Path) -> None:
    corpus = fixture_corpus(tmp_path / "docs")
    with temporary_library(tmp_path / "lib") as library:
        library.index([corpus])
        old = corpus / "notes" / "backups.md"
        new = corpus / "archive" / "backups-2024.md"
        new.parent.mkdir()
        old.rename(new)
        report = library.update_files([old, new])
        assert report.moved == 1 and report.added == 0 and report.removed == 0
        assert library.search("rsync")[0].path == new


def test_source_counts_by_modality_and_status(tmp_path: Path) -> None:
    corpus = fixture_corpus(tmp_path / "docs")
    (corpus / "broken.pdf").write_bytes(b"not a pdf")
    with temporary_library(tmp_path / "lib") as library:
        library.index([corpus])
        counts = library.source_counts()
        assert counts[str(corpus)]["modalities"] == {"text": 6}
        assert counts[str(corpus)]["files"] == {"indexed": 6, "failed": 1}


def test_turning_a_plugin_off_is_persisted_and_reversible(tmp_path: Path) -> None:
    data = tmp_path / "lib"
    with Library(data, config=Config(encoders=())) as library:
        assert ".docx" in library.extractors
        library.set_plugin_enabled("docx", False)
        assert ".docx" not in library.extractors
        row = next(r for r in library.plugin_listing() if r["name"] == "docx")
        assert row["state"] == "disabled" and row["reason"] == "turned off in settings"
    with Library(data) as library:
        assert library.config.disabled_plugins == ("docx",)
        assert ".docx" not in library.extractors
        library.set_plugin_enabled("docx", True)
        assert ".docx" in library.extractors
    with Library(data) as library:
        assert library.config.disabled_plugins == ()
