"""The result list puts the view with the best hit on top (pictures or rows)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from mmrag_desktop.gui.results import Result, ResultsView
from mmrag_desktop.gui.thumbnails import ThumbnailLoader
from mmrag_desktop.records import FileHit, ItemHit, Locator


def _result(path: Path, score: float, media_type: str) -> Result:
    item = ItemHit(1, score, media_type.split("/")[0], "chunk", Locator(), "snippet", "text")
    return Result(FileHit(1, path, score, media_type.split("/")[0], media_type, (item,)), {})


def test_the_best_hit_decides_whether_pictures_or_rows_come_first(qtbot, tmp_path: Path) -> None:
    photo = tmp_path / "cat.png"
    Image.new("RGB", (8, 8), "orange").save(photo)
    view = ResultsView(ThumbnailLoader())
    qtbot.addWidget(view)
    layout = view.layout()
    note = _result(tmp_path / "budget.md", 0.9, "text/markdown")
    picture = _result(photo, 0.5, "image/png")
    view.set_results([note, picture], "what was said about the budget")
    assert layout.indexOf(view.rows) < layout.indexOf(view.grid)
    view.set_results([picture, note], "the cat photo")
    assert layout.indexOf(view.grid) < layout.indexOf(view.rows)
    assert (layout.stretch(layout.indexOf(view.grid)), layout.stretch(layout.indexOf(view.rows))) == (1, 2)


def test_an_extractors_thumbnail_stands_for_the_file(tmp_path: Path) -> None:
    hit = _result(tmp_path / "chair.glb", 0.9, "model/gltf-binary").hit
    assert Result(hit, {"image": "/m/front.png", "thumbnail": "/m/three-quarter.png"}).picture == "/m/three-quarter.png"
    assert Result(hit, {"thumbnail": "/m/three-quarter.png"}).picture == "/m/three-quarter.png"  # the text item too
    assert Result(hit, {"image": "/m/front.png"}).picture == "/m/front.png"
    assert Result(hit, {}).picture is None


def test_more_like_a_file_drops_the_file_but_keeps_its_folded_copies(tmp_path: Path) -> None:
    from dataclasses import replace

    from mmrag_desktop.gui.search_panel import without_file

    query, copy, other = tmp_path / "IMG_0001.jpg", tmp_path / "chelsea.png", tmp_path / "horse.png"
    itself = _result(query, 0.9, "image/jpeg")
    itself = replace(itself, hit=replace(itself.hit, duplicates=(copy,)))
    kept = without_file([itself, _result(other, 0.5, "image/png")], query)
    assert [r.hit.path for r in kept] == [copy, other]
    assert kept[0].hit.duplicates == ()
    assert [r.hit.path for r in without_file([_result(query, 0.9, "image/jpeg")], query)] == []
