"""The 3D model extractor (mmrag_mesh) on meshes built at test time with trimesh.creation,
exported to every claimed format; rendered views checked by their pixels."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

import mmrag_mesh
from mmrag_desktop.interfaces import ExtractContext, ExtractionError
from mmrag_desktop.records import Item
from mmrag_desktop.testing import run_hook, temporary_library
from mmrag_mesh.render import View, canonical_views, render
from mmrag_mesh.summary import words


def extract(path: Path, ctx: ExtractContext) -> list[Item]:
    (extractor,) = run_hook("register_extractors", mmrag_mesh)
    return list(extractor.extract(path, ctx))


@pytest.fixture
def media_ctx(tmp_path: Path) -> ExtractContext:
    return ExtractContext(chunk_tokens=128, overlap_tokens=8, media_dir=tmp_path / "media")


def chair_scene() -> trimesh.Scene:
    """A seat, four legs and a back: named nodes and materials, like an exported model."""
    scene = trimesh.Scene()
    wood = trimesh.visual.material.PBRMaterial(name="WalnutWood", baseColorFactor=[120, 80, 40, 255])
    seat = trimesh.creation.box((1.0, 0.1, 1.0))
    seat.visual = trimesh.visual.TextureVisuals(material=wood)
    scene.add_geometry(seat, node_name="Seat", geom_name="SeatMesh",
                       transform=trimesh.transformations.translation_matrix([0, 0.5, 0]))
    for n, (x, z) in enumerate([(-0.45, -0.45), (0.45, -0.45), (-0.45, 0.45), (0.45, 0.45)], start=1):
        leg = trimesh.creation.cylinder(radius=0.05, height=1.0)
        leg.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))  # Y-up legs
        scene.add_geometry(leg, node_name=f"ChairLeg{n}", geom_name=f"leg_{n}",
                           transform=trimesh.transformations.translation_matrix([x, 0, z]))
    scene.add_geometry(trimesh.creation.box((1.0, 1.0, 0.1)), node_name="Backrest",
                       transform=trimesh.transformations.translation_matrix([0, 1.05, -0.45]))
    return scene


def pixel_std(item: Item) -> float:
    with Image.open(item.meta["image"]) as image:
        return float(np.asarray(image.convert("L"), dtype=np.float64).std())


def test_registers_one_extractor_for_every_format() -> None:
    (extractor,) = run_hook("register_extractors", mmrag_mesh)
    assert set(extractor.extensions) == {".obj", ".stl", ".ply", ".glb", ".gltf", ".off"}
    assert extractor.media_type_for(Path("a.STL")) == "model/stl"


def test_glb_metadata_names_size_and_counts(tmp_path: Path, media_ctx: ExtractContext) -> None:
    path = tmp_path / "DiningChair_v2.glb"
    chair_scene().export(path)
    items = extract(path, media_ctx)
    meta = [i for i in items if i.kind == "metadata"]
    assert len(meta) == 1 and meta[0].modality == "text"
    text = meta[0].text
    assert "Dining Chair" in text  # file-name words, split as a person types them
    for name in ("Seat", "ChairLeg1", "Backrest", "WalnutWood"):
        assert name in text
    assert "Words:" in text and "leg" in text.split("Words:")[1]
    assert "Size: 1 × 2.05 × 1 m" in text  # glTF is metres; legs from y = -0.5, back to 1.55
    leg_faces = len(trimesh.creation.cylinder(radius=0.05, height=1.0).faces)
    assert f"{2 * 12 + 4 * leg_faces:,} faces in 6 parts" in text


@pytest.mark.parametrize("suffix", [".obj", ".stl", ".ply", ".off", ".glb", ".gltf"])
def test_every_format_gives_metadata_and_four_rendered_views(tmp_path: Path, media_ctx: ExtractContext,
                                                             suffix: str) -> None:
    mesh = trimesh.creation.cylinder(radius=0.5, height=2.0, sections=24)
    path = tmp_path / f"water_tank{suffix}"
    mesh.export(path)
    items = extract(path, media_ctx)
    assert items[0].kind == "metadata" and "water tank" in items[0].text
    assert f"{len(mesh.faces):,} faces" in items[0].text
    views = [i for i in items if i.kind == "view"]
    assert [v.meta["view"] for v in views] == ["front", "side", "top", "three-quarter"]
    # The result grid shows the three-quarter view for the file, whichever item matched.
    assert {i.meta["thumbnail"] for i in items} == {views[-1].meta["image"]}
    for view in views:
        assert view.modality == "image" and view.locator.section == f"{view.meta['view']} view"
        image_path = Path(view.meta["image"])
        assert image_path.is_absolute() and image_path.parent.parent == media_ctx.media_dir
        with Image.open(image_path) as image:
            assert image.format == "PNG" and max(image.size) <= 512
        assert pixel_std(view) > 20  # a shaded shape on white, not a blank picture
        assert "water tank" in view.text


def test_views_show_the_shape_from_different_sides(tmp_path: Path, media_ctx: ExtractContext) -> None:
    # A long bar (Y-up OBJ): the front view is wide and short, the top view wide and deep.
    path = tmp_path / "bar.obj"
    trimesh.creation.box((4.0, 0.5, 1.0)).export(path)
    views = {i.meta["view"]: i for i in extract(path, media_ctx) if i.kind == "view"}

    def covered(name: str) -> tuple[int, int]:
        with Image.open(views[name].meta["image"]) as image:
            ink = np.asarray(image.convert("L")) < 250
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        return cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1  # width, height in pixels

    front_w, front_h = covered("front")
    top_w, top_h = covered("top")
    assert front_w / front_h == pytest.approx(8, rel=0.1)
    assert top_w / top_h == pytest.approx(4, rel=0.1)
    assert views["front"].meta["image"] != views["top"].meta["image"]


def test_colours_come_from_the_file(tmp_path: Path, media_ctx: ExtractContext) -> None:
    # A texture (sampled at the UVs), a material's base colour and no colour at all.
    textured = trimesh.creation.box()
    texture = Image.new("RGB", (8, 8), (200, 30, 30))
    textured.visual = trimesh.visual.TextureVisuals(uv=np.full((len(textured.vertices), 2), 0.5), image=texture)
    textured.export(tmp_path / "red.glb")
    chair_scene().export(tmp_path / "walnut.glb")
    trimesh.creation.box().export(tmp_path / "plain.obj")

    def mean_colour(name: str) -> np.ndarray:
        view = next(i for i in extract(tmp_path / name, media_ctx) if i.meta.get("view") == "three-quarter")
        with Image.open(view.meta["image"]) as image:
            pixels = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)
        return pixels[pixels.min(axis=1) < 245].mean(axis=0)  # the model, not the white background

    red, walnut, plain = mean_colour("red.glb"), mean_colour("walnut.glb"), mean_colour("plain.obj")
    assert red[0] > 2 * red[1] and red[0] > 2 * red[2]
    assert walnut[0] > walnut[1] > walnut[2]  # brown: more red than green than blue
    assert abs(plain[0] - plain[2]) < 15  # grey


def test_renderer_keeps_the_nearest_surface_and_shades_by_angle() -> None:
    # Two overlapping squares, the red one nearer the camera: red must win the overlap.
    square = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=float)
    vertices = np.concatenate([square, square + np.array([0.5, 0.5, 1.0])])
    faces = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6], [4, 6, 7]])
    colors = np.array([[0, 0, 255], [0, 0, 255], [255, 0, 0], [255, 0, 0]], dtype=np.uint8)
    front = View("front", (0, 0, 1), (0, 1, 0))
    image = render(vertices, faces, front, size=64, face_colors=colors)
    centre = image[32, 32]  # inside both squares
    assert centre[0] > 100 and centre[2] == 0
    # Seen from behind, the blue one is nearer.
    back = render(vertices, faces, View("back", (0, 0, -1), (0, 1, 0)), size=64, face_colors=colors)
    assert back[32, 32][2] > 100 and back[32, 32][0] == 0
    # A face turned away from the light is darker than one facing it.
    box = trimesh.creation.box()
    lit = render(box.vertices, box.faces, canonical_views()[3], size=64)
    assert len({tuple(p) for p in lit.reshape(-1, 3)}) >= 4  # background + three differently lit faces


def test_huge_mesh_is_sampled_and_still_renders_a_closed_surface(tmp_path: Path) -> None:
    # A 20,480-face sphere drawn through a 2,000-face budget (the path a 5M-face scan takes).
    path = tmp_path / "scan.stl"
    trimesh.creation.icosphere(subdivisions=5).export(path)
    from mmrag_mesh.model import read

    model = read(path, max_faces=2_000)
    assert model.faces == 20_480 and len(model.draw_faces) == 2_000
    assert model.size == pytest.approx((2, 2, 2), abs=0.01)  # the exact box, not the sample's
    # At 64 px a face covers a quarter of a pixel: the sub-pixel regime of a dense scan.
    image = render(model.draw_vertices, model.draw_faces, canonical_views("z")[0], size=64,
                   density=model.density)
    ink = np.asarray(image).min(axis=2) < 250
    disc = ink[16:48, 16:48]  # well inside the sphere's outline
    assert disc.mean() > 0.97, f"holes in a sampled surface: {1 - disc.mean():.1%}"


def test_point_cloud_is_indexed_with_its_points(tmp_path: Path, media_ctx: ExtractContext) -> None:
    path = tmp_path / "lidar_scan.ply"
    trimesh.PointCloud(np.random.default_rng(1).random((500, 3))).export(path)
    items = extract(path, media_ctx)
    assert "Point cloud: 500 points" in items[0].text and "faces" not in items[0].text
    views = [i for i in items if i.kind == "view"]
    assert len(views) == 4 and all(pixel_std(v) > 5 for v in views)


def test_without_a_media_folder_only_metadata_is_produced(tmp_path: Path, ctx: ExtractContext) -> None:
    path = tmp_path / "cube.off"
    trimesh.creation.box().export(path)
    items = extract(path, ctx)
    assert [i.kind for i in items] == ["metadata"]


def test_same_content_reuses_its_rendered_views(tmp_path: Path, media_ctx: ExtractContext) -> None:
    first, second = tmp_path / "a.ply", tmp_path / "b.ply"
    trimesh.creation.icosphere(2).export(first)
    second.write_bytes(first.read_bytes())
    views_a = [i.meta["image"] for i in extract(first, media_ctx) if i.kind == "view"]
    stamp = {p: os.stat(p).st_mtime_ns for p in views_a}
    views_b = [i.meta["image"] for i in extract(second, media_ctx) if i.kind == "view"]
    assert views_a == views_b
    assert {p: os.stat(p).st_mtime_ns for p in views_b} == stamp  # not rendered again


def test_image_plugin_describes_the_views_when_installed(tmp_path: Path, media_ctx: ExtractContext,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The image plugin is written on another branch; a stand-in module with its
    # documented signature checks that the picture, not the path, is handed over.
    import sys
    import types

    seen: list[tuple[int, int]] = []

    def describe(image: Image.Image) -> str:
        seen.append(image.size)
        return "labels: barrel, drum"

    monkeypatch.setitem(sys.modules, "mmrag_image", types.SimpleNamespace(describe=describe))
    path = tmp_path / "tank.obj"
    trimesh.creation.cylinder(radius=1, height=2).export(path)
    views = [i for i in extract(path, media_ctx) if i.kind == "view"]
    assert seen == [(320, 320)] * 4
    assert all(v.text.endswith("labels: barrel, drum") and "view of 3D model tank" in v.text for v in views)


def test_a_failing_image_plugin_leaves_metadata_text_and_a_warning(tmp_path: Path, media_ctx: ExtractContext,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    # Seen in a frozen build that lacked the label files: the views must still be indexed.
    import sys
    import types

    def describe(image: Image.Image) -> str:
        raise FileNotFoundError("imagenet1k_clean_names.json")

    monkeypatch.setitem(sys.modules, "mmrag_image", types.SimpleNamespace(describe=describe))
    path = tmp_path / "tank.obj"
    trimesh.creation.cylinder(radius=1, height=2).export(path)
    views = [i for i in extract(path, media_ctx) if i.kind == "view"]
    assert len(views) == 4 and all("3D model tank (OBJ file tank.obj)" in v.text for v in views)
    assert "describe failed on a view of tank.obj: FileNotFoundError" in caplog.text


def test_file_name_words() -> None:
    assert words("ChairLeg_02-final.v3") == ["Chair", "Leg", "02", "final", "v", "3"]
    assert words("HTTPServerRack") == ["HTTP", "Server", "Rack"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.glb", b"", "empty GLB file"),
        ("truncated.stl", "truncate", "STL file is damaged or truncated"),
        ("short.stl", b"\x00" * 40, "STL file is truncated"),
        ("noise.glb", b"glTF" + bytes(range(256)) * 4, "GLB file cannot be read"),
        ("notes.obj", b"this is a shopping list\nnot a mesh\n", "no 3D geometry"),
        ("nothing.ply", b"ply\nformat ascii 1.0\nelement vertex 0\nend_header\n", "no 3D geometry"),
        ("broken.off", b"OFF\n3 1 0\n1 2\n", "OFF file cannot be read"),
        ("lost.gltf", b'{"asset": {"version": "2.0"}, "buffers": [{"uri": "gone.bin", "byteLength": 9}]}',
         "GLTF file cannot be read"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, media_ctx: ExtractContext, name: str,
                                             content: bytes | str, reason: str) -> None:
    path = tmp_path / name
    if content == "truncate":
        data = trimesh.creation.icosphere(2).export(file_type="stl")
        content = data[: len(data) // 2]
    path.write_bytes(content)  # type: ignore[arg-type]
    with pytest.raises(ExtractionError, match=reason):
        extract(path, media_ctx)


def test_models_are_found_by_name_and_bad_ones_recorded_in_a_library(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    chair_scene().export(models / "dining_chair.glb")
    trimesh.creation.icosphere(2).export(models / "globe.stl")
    (models / "empty.glb").write_bytes(b"")
    with temporary_library(tmp_path / "lib", mmrag_mesh) as library:
        report = library.index([models])
        assert report.added == 2 and report.failed == 1
        problems = {Path(p["path"]).name: p["reason"] for p in library.status()["problems"]}
        assert "empty GLB file" in problems["empty.glb"]
        hits = library.search("walnut backrest")
        assert [h.path.name for h in hits] == ["dining_chair.glb"]
        assert hits[0].modality == "3d"
        views = [h for h in library.search("three-quarter view globe")[0].items if h.kind == "view"]
        assert views and views[0].modality == "image"
        assert library.search("globe")[0].media_type == "model/stl"
