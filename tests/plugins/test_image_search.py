"""Pictures and scans through the whole library: index, text→image, image→image,
near-duplicate grouping, recorded failures, and `mmrag search --image/--file` as a user
runs it. Real models (e5, EfficientNet-Lite0, RapidOCR) and real sqlite-vec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mmrag_desktop.library import Library

pytestmark = pytest.mark.slow


def _scene(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (480, 360), tuple(int(v) for v in rng.integers(0, 255, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.integers(0, 440), rng.integers(0, 320)
        box = (x, y, x + rng.integers(20, 160), y + rng.integers(20, 160))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    return image


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, text_picture) -> Path:
    folder = tmp_path_factory.mktemp("pictures")
    text_picture(["Hardware Store Receipt", "Hammer and nails 17.50"]).save(folder / "IMG_0001.png")
    for seed in range(4):
        _scene(seed).save(folder / f"scene{seed}.jpg", quality=90)
    _scene(1).resize((360, 270)).save(folder / "scene1-copy.jpg", quality=60)  # a near-identical copy
    scan = text_picture(["Quarterly invoice from Contoso", "Amount due 1200"], size=(1240, 1754))
    scan.save(folder / "scan.pdf", "PDF", resolution=150)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(300))
    Image.new("L", (10_000, 10_000), 255).save(folder / "huge.png", compress_level=1)
    return folder


@pytest.fixture(scope="module")
def library(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    lib = Library(tmp_path_factory.mktemp("lib"))
    report = lib.index([corpus])
    assert report.failed == 2, report
    yield lib
    lib.close()


def test_picture_found_by_a_word_written_in_it(library: Library) -> None:
    hits = library.search("receipt", k=3)
    assert hits[0].path.name == "IMG_0001.png"
    data = hits[0].to_json()
    assert Path(data["image"]).exists() and data["modality"] == "image"


def test_scanned_page_found_by_its_words_with_page_and_box(library: Library) -> None:
    hits = library.search("Contoso invoice", k=3)
    assert hits[0].path.name == "scan.pdf"
    located = [item.locator for item in hits[0].items if item.locator.bbox is not None]
    assert located and located[0].page == 1


def test_image_query_finds_the_near_identical_picture_once(library: Library, tmp_path: Path) -> None:
    query_file = tmp_path / "query.png"
    _scene(2).resize((300, 225)).save(query_file)
    hits = library.search(library.file_query(query_file), k=5, retrievers=["dense"])
    assert hits[0].path.name == "scene2.jpg"
    # scene1 and its copy are one result with the copy listed.
    names = [h.path.name for h in hits]
    assert not ({"scene1.jpg", "scene1-copy.jpg"} <= set(names))
    grouped = [h for h in hits if h.duplicates]
    assert grouped and {grouped[0].path.name, grouped[0].duplicates[0].name} == {"scene1.jpg", "scene1-copy.jpg"}


def test_failures_are_recorded_with_reasons(library: Library) -> None:
    problems = {Path(p["path"]).name: p["reason"] for p in library.status()["problems"]}
    assert "megapixel limit" in problems["huge.png"]
    assert "damaged" in problems["broken.jpg"] or "not an image" in problems["broken.jpg"]


def test_cli_search_with_an_image_and_with_any_file(library: Library, corpus: Path, tmp_path: Path,
                                                   text_picture) -> None:
    base = [sys.executable, "-m", "mmrag_desktop", "--data-dir", str(library.data_dir), "search", "--json"]
    shot = tmp_path / "photo-of-receipt.png"
    text_picture(["Hardware Store Receipt"]).save(shot)
    result = subprocess.run([*base, "--image", str(shot)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["path"].endswith("IMG_0001.png"), result.stdout[:3000]
    note = tmp_path / "note.txt"
    note.write_text("Please pay the Contoso invoice before the quarter ends.")
    result = subprocess.run([*base, "--file", str(note)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["path"].endswith("scan.pdf")


def test_text_space_embeds_the_text_of_picture_items(library: Library) -> None:
    # The visual item (modality "image") is in the text space too, so a paraphrase
    # with no word of the picture's own reaches it through the text encoder alone.
    hits = library.search("a till slip from a shop selling tools", k=3, retrievers=["dense"])
    assert hits[0].path.name == "IMG_0001.png"
    visual = [item for item in hits[0].items if item.kind == "image"]
    assert visual and "dense:multilingual-e5-small" in visual[0].ranks
