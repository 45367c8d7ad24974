"""Hybrid retrieval on real files with the real default encoder, in English and Chinese."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mmrag_desktop.library import Library
from mmrag_desktop.records import Filters
from mmrag_desktop.testing import write

SAMPLE = Path(__file__).resolve().parent.parent / "mmrag_desktop" / "sample"


@pytest.fixture(scope="module")
def sample_library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    lib = Library(tmp_path_factory.mktemp("sample") / "lib")
    report = lib.index([SAMPLE])
    assert report.failed == 0 and report.added >= 5
    yield lib
    lib.close()


def test_dense_finds_paraphrases_bm25_cannot(sample_library: Library) -> None:
    query = "how do I keep a copy of my documents on another disk"
    dense = sample_library.search(query, retrievers=("dense",), k=3)
    assert dense[0].path.name == "backups.md"


def test_chinese_two_character_words_match_in_full_text(sample_library: Library) -> None:
    hits = sample_library.search("代理", retrievers=("bm25",))
    assert hits and hits[0].path.name == "网络代理设置.md"
    assert hits[0].best.locator.section is not None


def test_cross_lingual_query_reaches_chinese_document(sample_library: Library) -> None:
    hits = sample_library.search("configure a proxy server for apt", k=3)
    assert "网络代理设置.md" in [h.path.name for h in hits]


def test_table_row_question(sample_library: Library) -> None:
    hits = sample_library.search("Berlin office phone number", k=3)
    assert hits[0].path.name == "offices.csv"
    assert hits[0].best.locator.row_start is not None


def test_code_symbol_search(sample_library: Library) -> None:
    hits = sample_library.search("function that parses a date typed by a user", k=3)
    assert hits[0].path.name == "dates.py"
    assert hits[0].best.locator.symbol == "parse_date"


def test_hybrid_lists_both_retrievers_in_explain(sample_library: Library) -> None:
    hits = sample_library.search("launch date moved", k=3)
    assert hits[0].path.name == "meeting-2024-03.txt"
    ranks = hits[0].best.ranks
    assert "bm25" in ranks and any(name.startswith("dense:") for name in ranks)
    data = hits[0].to_json(explain=True)
    assert data["path"] == str(SAMPLE / "notes" / "meeting-2024-03.txt")
    assert set(data) >= {"path", "score", "modality", "locator", "snippet", "ranks"}


def test_filters_by_type_and_folder(sample_library: Library) -> None:
    only_md = sample_library.search("settings", filters=Filters(file_types=("md",)), k=10)
    assert only_md and all(h.path.suffix == ".md" for h in only_md)
    in_code = sample_library.search("date", filters=Filters(folders=(SAMPLE / "code",)), k=10)
    assert [h.path.name for h in in_code] == ["dates.py"]
    future = sample_library.search("date", filters=Filters(modified_after=time.time() + 3600), k=10)
    assert future == []


def test_results_are_grouped_per_file(sample_library: Library) -> None:
    hits = sample_library.search("backup restore rsync drive", k=10)
    paths = [h.path for h in hits]
    assert len(paths) == len(set(paths))
    assert hits[0].path.name == "backups.md" and len(hits[0].items) >= 2


def test_fusion_weights_change_the_order(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "literal.txt", "Zephyr zephyr zephyr: the word appears here many times.")
    write(docs / "meaning.txt", "A gentle west wind blew softly across the summer fields.")
    with Library(tmp_path / "lib") as lib:
        lib.index([docs])
        bm25_heavy = lib.search("zephyr", weights={"bm25": 1.0, "dense": 0.0})
        assert bm25_heavy[0].path.name == "literal.txt"
        dense_only = lib.search("a soft breeze", retrievers=("dense",))
        assert dense_only[0].path.name == "meaning.txt"


def test_vector_matrix_is_cached_on_disk_for_the_next_process(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs / "a.txt", "Migrating birds navigate by the stars.")
    write(docs / "b.txt", "Sourdough needs a lively starter.")
    with Library(tmp_path / "lib") as lib:
        lib.index([docs])
        first = [h.path for h in lib.search("how do birds find their way", retrievers=("dense",))]
    cached = list((tmp_path / "lib" / "vector-cache").rglob("*.vectors.npy"))
    assert len(cached) == 1
    with Library(tmp_path / "lib") as lib:  # a new process would start here
        assert [h.path for h in lib.search("how do birds find their way", retrievers=("dense",))] == first
        (docs / "b.txt").unlink()
        write(docs / "c.txt", "Birds migrate south in autumn.")
        lib.index([docs])
        hits = [h.path.name for h in lib.search("bird migration", retrievers=("dense",))]
        assert set(hits) == {"a.txt", "c.txt"}  # the stale generation was not used
    assert len(list((tmp_path / "lib" / "vector-cache").rglob("*.vectors.npy"))) == 1
