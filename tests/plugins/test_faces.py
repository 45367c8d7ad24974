"""Faces: "photos of this person" with the real dlib models (face_recognition_models)
on real photographs (tests/data: Eileen Collins, Barack Obama in two different photos,
Joe Biden), through the whole library with real sqlite-vec."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

import mmrag_faces
from mmrag_desktop.library import Library
from mmrag_desktop.records import Locator
from mmrag_desktop.testing import run_hook
from mmrag_faces import FaceEncoder, FaceRetriever, face_items

DATA = Path(__file__).parent.parent / "data"

pytestmark = pytest.mark.skipif(not mmrag_faces.installed(), reason="dlib-bin has no wheel for this platform")


def _no_face() -> Image.Image:
    image = Image.new("RGB", (320, 240), (40, 120, 200))
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 40, 160, 160), fill=(250, 200, 0))
    draw.rectangle((180, 120, 300, 230), fill=(30, 90, 30))
    return image


def test_plugin_registers_the_face_space_and_the_same_person_retriever() -> None:
    (encoder,) = run_hook("register_encoders", mmrag_faces)
    (retriever,) = run_hook("register_retrievers", mmrag_faces)
    assert isinstance(encoder, FaceEncoder) and (encoder.dim, encoder.metric) == (128, "l2")
    assert isinstance(retriever, FaceRetriever)


@pytest.mark.slow
def test_faces_are_located_scaled_and_switchable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photo = Image.open(DATA / "astronaut-256.jpg").convert("RGB")
    (face,) = face_items(photo, key="k", media_dir=tmp_path, locator=Locator(page=2), scale=4.0, thumbnail="t.jpg")
    x, y, w, h = face.locator.bbox  # type: ignore[misc]
    # Boxes are in pixels of the original (here 4x the decoded picture): Collins' face
    # sits around (88..133, 41..85) in the 256-px photo.
    assert 300 < x < 400 and 120 < y < 200 and 150 < w < 220 and 150 < h < 220 and face.locator.page == 2
    assert face.kind == "face" and face.text == "" and face.meta["image"] == "t.jpg"
    assert Image.open(face.meta["chip"]).size == (150, 150)
    assert face_items(_no_face(), key="n", media_dir=tmp_path) == []
    # The object detector saw no person: the face detector is not run at all.
    assert face_items(photo, key="k", media_dir=tmp_path, people=False) == []
    monkeypatch.setitem(mmrag_faces.SETTINGS, "gate", False)  # MMRAG_IMAGE_FACES=all
    assert len(face_items(photo, key="k", media_dir=tmp_path, people=False)) == 1
    monkeypatch.setitem(mmrag_faces.SETTINGS, "faces", False)
    assert face_items(photo, key="k", media_dir=tmp_path) == []


@pytest.mark.slow
def test_a_face_model_failure_costs_the_faces_not_the_picture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(image: Image.Image) -> list[object]:
        raise RuntimeError("dlib exploded")

    monkeypatch.setattr(mmrag_faces.FACES, "find", broken)
    photo = Image.open(DATA / "astronaut-256.jpg").convert("RGB")
    assert face_items(photo, key="k", media_dir=tmp_path) == []


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Library, Path]]:
    folder = tmp_path_factory.mktemp("photos")
    for name in ("astronaut-256.jpg", "obama-256.jpg", "biden-256.jpg"):
        (folder / name).write_bytes((DATA / name).read_bytes())
    _no_face().save(folder / "garden.jpg", quality=90)
    (folder / "broken.jpg").write_bytes((DATA / "obama-256.jpg").read_bytes()[:300])  # cut off mid-header
    lib = Library(tmp_path_factory.mktemp("lib"))
    report = lib.index([folder])
    assert (report.added, report.failed) == (4, 1), report
    yield lib, folder
    lib.close()


def _faces_by_file(lib: Library) -> dict[str, list[dict[str, object]]]:
    db = sqlite3.connect(lib.store.path)
    try:
        rows = db.execute("SELECT f.path, i.locator FROM items i JOIN files f ON f.id = i.file_id WHERE i.kind = 'face'")
        found: dict[str, list[dict[str, object]]] = {}
        for path, locator in rows:
            found.setdefault(Path(path).name, []).append(json.loads(locator))
        return found
    finally:
        db.close()


@pytest.mark.slow
def test_every_face_gets_a_vector_and_a_picture_without_faces_gets_none(library: tuple[Library, Path]) -> None:
    lib, _ = library
    faces = _faces_by_file(lib)
    assert sorted(faces) == ["astronaut-256.jpg", "biden-256.jpg", "obama-256.jpg"]
    assert all(len(boxes) == 1 and len(boxes[0]["bbox"]) == 4 for boxes in faces.values())  # type: ignore[arg-type]
    spaces = {s["model_id"]: s for s in lib.status()["spaces"]}
    face_space = spaces[FaceEncoder.model_id]
    assert (face_space["vectors"], face_space["pending"]) == (3, 0)


@pytest.mark.slow
def test_a_broken_picture_is_a_recorded_failure(library: tuple[Library, Path]) -> None:
    lib, folder = library
    db = sqlite3.connect(lib.store.path)
    try:
        (status, reason), = db.execute("SELECT status, reason FROM files WHERE path = ?", (str(folder / "broken.jpg"),))
    finally:
        db.close()
    assert status == "failed" and "damaged or truncated" in reason


@pytest.mark.slow
def test_another_photo_of_the_same_person_finds_only_that_person(library: tuple[Library, Path], tmp_path: Path) -> None:
    lib, _ = library
    query = tmp_path / "speech.jpg"
    query.write_bytes((DATA / "obama2-256.jpg").read_bytes())  # a different photo: Congress, 2009
    hits = lib.search(lib.file_query(query), k=4)
    assert hits[0].path.name == "obama-256.jpg"
    best = hits[0].items[0]
    assert best.kind == "face" and best.locator.bbox is not None and "faces" in best.ranks
    # Biden and Collins are other people: nothing of theirs is in the faces list.
    assert all("faces" not in item.ranks for hit in hits[1:] for item in hit.items)


@pytest.mark.slow
def test_a_flipped_cropped_rescaled_photo_finds_the_person(library: tuple[Library, Path], tmp_path: Path) -> None:
    lib, _ = library
    photo = Image.open(DATA / "astronaut-256.jpg").convert("RGB")
    variant = ImageOps.mirror(photo).crop((40, 10, 220, 200)).resize((400, 422))
    variant = Image.fromarray(np.clip(np.asarray(variant, dtype=np.int16) + 25, 0, 255).astype(np.uint8))  # brighter
    query = tmp_path / "variant.png"
    variant.save(query)
    hits = lib.search(lib.file_query(query), k=3, retrievers=["faces"])
    assert [h.path.name for h in hits] == ["astronaut-256.jpg"]


@pytest.mark.slow
def test_a_query_picture_without_a_face_adds_no_face_list(library: tuple[Library, Path], tmp_path: Path) -> None:
    lib, _ = library
    query = tmp_path / "garden-again.png"
    _no_face().resize((300, 225)).save(query)
    assert lib.search(lib.file_query(query), k=3, retrievers=["faces"]) == []
    assert lib.search(lib.file_query(query), k=3)[0].path.name == "garden.jpg"


@pytest.mark.slow
def test_faces_in_video_keyframes_carry_their_time(tmp_path: Path) -> None:
    from speech_media import slide, write_video

    from mmrag_desktop.interfaces import ExtractContext
    from mmrag_video import VideoExtractor

    canvas = Image.new("RGB", (480, 272), (20, 20, 20))
    canvas.paste(Image.open(DATA / "obama-256.jpg").convert("RGB"), (110, 8))
    video = write_video(tmp_path / "interview.mp4", [(slide("title", (0, 0, 150), (480, 272)), 3.0), (canvas, 3.0)])
    items = list(VideoExtractor().extract(video, ExtractContext(media_dir=tmp_path / "media")))
    (face,) = [i for i in items if i.kind == "face"]
    assert face.locator.time_start == pytest.approx(3.0, abs=0.6) and face.locator.bbox is not None
    assert Path(face.meta["chip"]).is_file() and Path(face.meta["image"]).is_file()  # the keyframe's rendition
    # Each face follows its keyframe.
    assert items[items.index(face) - 1].kind == "keyframe"


def test_turning_the_faces_plugin_off_stops_the_picture_extractor_looking(tmp_path: Path) -> None:
    from mmrag_desktop.interfaces import ExtractContext
    from mmrag_image.extract import ImageExtractor

    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes((DATA / "astronaut-256.jpg").read_bytes())
    kinds = [i.kind for i in ImageExtractor().extract(photo, ExtractContext(media_dir=tmp_path / "m"))]
    assert "face" in kinds
    off = ExtractContext(media_dir=tmp_path / "m", disabled_plugins=frozenset({"faces"}))
    assert "face" not in [i.kind for i in ImageExtractor().extract(photo, off)]
