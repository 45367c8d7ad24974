"""More like this: the query file is not a result of its own search, its copies are."""

from __future__ import annotations

from pathlib import Path

from mmrag_desktop.hits import without_file
from mmrag_desktop.library import Library
from mmrag_desktop.records import FileHit, ItemHit, Locator
from mmrag_desktop.testing import write


def _hit(path: Path, duplicates: tuple[Path, ...] = ()) -> FileHit:
    item = ItemHit(1, 0.5, "text", "chunk", Locator(), "", "")
    return FileHit(1, path, 0.5, "text", "text/plain", (item,), duplicates)


def test_the_file_goes_and_its_first_copy_takes_its_place(tmp_path: Path) -> None:
    query, copy, copy2, other = (tmp_path / n for n in ("a.jpg", "b.png", "c.png", "d.png"))
    kept = without_file([_hit(query, (copy, copy2)), _hit(other)], query)
    assert [(h.path, h.duplicates) for h in kept] == [(copy, (copy2,)), (other, ())]
    assert without_file([_hit(query)], query) == []


def test_cli_search_by_an_indexed_file_lists_other_files(fts_library: Library, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mmrag_desktop.cli import cli

    docs = tmp_path / "docs"
    write(docs / "tomatoes.md", "Tomatoes need full sun and regular watering in summer.")
    write(docs / "tomato-care.txt", "Water tomatoes regularly; they want full sun.")
    fts_library.index([docs])
    data_dir = str(fts_library.data_dir)
    fts_library.close()
    result = CliRunner().invoke(cli, ["--data-dir", data_dir, "search", "--file", str(docs / "tomatoes.md"), "--json"])
    assert result.exit_code == 0, result.output
    assert str(docs / "tomatoes.md") not in result.output and str(docs / "tomato-care.txt") in result.output
