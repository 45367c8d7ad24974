"""Reading a 3D file with trimesh into what the extractor needs: names, size, counts,
and a bounded set of world-space triangles (or points) to render.

Every file is read as a scene (a glTF/GLB may hold many meshes placed by a node tree;
an STL holds one). Big meshes are sampled per geometry *before* their vertices are
transformed, so a 5-million-face scan costs a few hundred thousand triangles of work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh

from mmrag_desktop.interfaces import ExtractionError

from .render import DEFAULT_COLOR, MAX_FACES, sample_rows

#: trimesh's names for the formats we claim (the file extension is not always the type).
FILE_TYPES = {".obj": "obj", ".stl": "stl", ".ply": "ply", ".glb": "glb", ".gltf": "gltf", ".off": "off"}
# Names trimesh or exporters invent ("geometry_0", "mesh", "Object.001"): no search value.
_GENERATED = re.compile(r"^(?:geometry|mesh|node|object|scene|world|primitive|default)?[_.\-\s]*\d*$", re.I)


@dataclass
class Model:
    """What was read: names, counts, extents and the triangles to draw."""

    names: list[str] = field(default_factory=list)  # objects, meshes and nodes
    materials: list[str] = field(default_factory=list)
    units: str | None = None
    vertices: int = 0
    faces: int = 0
    points: int = 0  # vertices of point clouds (no faces)
    geometries: int = 0
    size: tuple[float, float, float] | None = None
    # World-space drawing data, at most MAX_FACES rows; points are degenerate
    # triangles (i, i, i), which the renderer draws as single pixels.
    draw_vertices: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    draw_faces: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))
    draw_colors: np.ndarray | None = None

    @property
    def density(self) -> float:
        """The fraction of the model's faces (or points) that is drawn."""
        return min(1.0, len(self.draw_faces) / max(self.faces + self.points, 1))


def read(path: Path, *, max_faces: int = MAX_FACES) -> Model:
    """Read ``path`` or raise :class:`ExtractionError` with a reason a person can act on."""
    suffix = path.suffix.lower()
    label = suffix.lstrip(".").upper()
    size = path.stat().st_size
    if size == 0:
        raise ExtractionError(f"empty {label} file (0 bytes)")
    if suffix == ".stl" and _check_stl(path, size):
        return _read_binary_stl(path, size, max_faces)
    try:
        scene = trimesh.load_scene(str(path), file_type=FILE_TYPES.get(suffix), process=False)
    except MemoryError:
        raise
    except Exception as exc:  # trimesh raises anything from ValueError to struct.error on bad bytes
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, ImportError):  # trimesh reached for an optional text-encoding guesser
            reason = "unrecognised content"
        raise ExtractionError(f"{label} file cannot be read (damaged, or not valid {label}): {reason}") from exc
    model = Model(units=scene.units)
    parts = _instances(scene)
    if not parts:
        raise ExtractionError(f"{label} file holds no 3D geometry (no mesh and no points)")
    _describe(scene, model)
    _collect(parts, model, max_faces)
    if model.faces == 0 and model.points == 0:
        raise ExtractionError(f"{label} file holds no 3D geometry (no mesh and no points)")
    return model


def _check_stl(path: Path, size: int) -> bool:
    """Whether ``path`` is a well-formed binary STL. A binary STL states its triangle
    count; a truncated one fails here with a clear reason instead of trimesh's fallback
    attempt at parsing it as text."""
    with path.open("rb") as handle:
        head = handle.read(84)
    if head[:5].lower() == b"solid":
        return False  # ASCII STL (or a binary one with a "solid" header: trimesh decides)
    if len(head) < 84:
        raise ExtractionError(f"STL file is truncated ({size} bytes, shorter than a binary STL header)")
    triangles = int.from_bytes(head[80:84], "little")
    expected = 84 + 50 * triangles
    if size < expected:  # trailing bytes after the triangles: trimesh decides
        raise ExtractionError(f"STL file is damaged or truncated: its header promises {triangles:,} triangles "
                              f"({expected:,} bytes) but the file has {size:,} bytes")
    return size == expected and triangles > 0


#: One binary STL record: normal, three corners, attribute bytes (50 bytes).
_STL_RECORD = np.dtype([("normal", "<f4", 3), ("corners", "<f4", (3, 3)), ("attribute", "<u2")])


def _read_binary_stl(path: Path, size: int, max_faces: int) -> Model:
    """Binary STL without trimesh: memory-map the records, copy only the sampled ones and
    reduce the mapped corners for the bounding box, so a 250 MB scan costs well under a
    second and little memory (trimesh would build 15 million float64 vertices first)."""
    records = np.memmap(path, dtype=_STL_RECORD, mode="r", offset=84, shape=((size - 84) // 50,))
    count = len(records)
    corners = np.asarray(records["corners"][sample_rows(count, max_faces)], dtype=np.float64)
    corners = corners[np.isfinite(corners).all(axis=(1, 2))]
    if len(corners) == 0:
        raise ExtractionError("STL file holds no usable triangles (all coordinates are invalid)")
    # The exact bounding box reads every corner once, straight from the mapped file
    # (one strided reduction per axis; NaN is skipped by fmin/fmax).
    every = records["corners"]
    lo = np.array([np.fmin.reduce(every[:, :, k], axis=None) for k in range(3)], dtype=np.float64)
    hi = np.array([np.fmax.reduce(every[:, :, k], axis=None) for k in range(3)], dtype=np.float64)
    del every, records
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):  # infinities: the sample's box
        flat = corners.reshape(-1, 3)
        lo, hi = flat.min(axis=0), flat.max(axis=0)
    model = Model(vertices=3 * count, faces=count, geometries=1, size=tuple(float(v) for v in hi - lo))  # type: ignore[arg-type]
    model.draw_vertices = corners.reshape(-1, 3)
    model.draw_faces = np.arange(len(model.draw_vertices), dtype=np.int64).reshape(-1, 3)
    return model


def _instances(scene: trimesh.Scene) -> list[tuple[np.ndarray, object]]:
    """(transform, geometry) for every placed mesh or point cloud in the scene."""
    parts = []
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        geometry = scene.geometry.get(name)
        if isinstance(geometry, trimesh.Trimesh | trimesh.PointCloud):
            parts.append((np.asarray(transform, dtype=np.float64), geometry))
    return parts


def _describe(scene: trimesh.Scene, model: Model) -> None:
    names: list[str] = []
    for name in [*scene.geometry.keys(), *scene.graph.nodes]:
        if isinstance(name, str) and not _GENERATED.match(name.strip()) and name != scene.graph.base_frame:
            names.append(name.strip())
    materials = []
    for geometry in scene.geometry.values():
        material = getattr(getattr(geometry, "visual", None), "material", None)
        name = getattr(material, "name", None)
        if isinstance(name, str) and name.strip() and not _GENERATED.match(name.strip()):
            materials.append(name.strip())
    model.names = list(dict.fromkeys(names))
    model.materials = list(dict.fromkeys(materials))


def _collect(parts: list[tuple[np.ndarray, object]], model: Model, max_faces: int) -> None:
    total = sum(len(g.faces) if isinstance(g, trimesh.Trimesh) and len(g.faces) else len(g.vertices) for _, g in parts)
    verts: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    colors: list[np.ndarray] = []
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    offset = 0
    for index, (transform, geometry) in enumerate(parts):
        model.geometries += 1
        vertices = np.asarray(geometry.vertices, dtype=np.float64)
        if isinstance(geometry, trimesh.Trimesh) and len(geometry.faces):
            model.vertices += len(vertices)
            model.faces += len(geometry.faces)
            source = np.asarray(geometry.faces, dtype=np.int64)
        else:  # a point cloud, or a mesh that lost its faces: draw its points
            model.points += len(vertices)
            source = np.repeat(np.arange(len(vertices), dtype=np.int64)[:, None], 3, axis=1)
        if len(source) == 0:
            continue
        # Each part gets its share of the budget (at least one face).
        budget = max(1, int(max_faces * len(source) / max(total, 1)))
        rows = sample_rows(len(source), budget, seed=index)
        chosen = source[rows]
        used, local = np.unique(chosen, return_inverse=True)
        local = local.reshape(-1)  # NumPy versions differ in the inverse's shape
        world = vertices[used] @ transform[:3, :3].T + transform[:3, 3]
        finite = np.isfinite(world).all(axis=1)
        if not finite.all():  # NaN/inf coordinates: drop the faces that touch them
            keep = finite[local.reshape(-1, 3)].all(axis=1)
            rows, chosen, local = rows[keep], chosen[keep], local.reshape(-1, 3)[keep].ravel()
        if len(chosen) == 0:
            continue
        lo = np.minimum(lo, world[finite].min(axis=0))
        hi = np.maximum(hi, world[finite].max(axis=0))
        verts.append(world)
        faces.append(local.reshape(-1, 3) + offset)
        colors.append(_face_colors(geometry, rows, chosen))
        offset += len(world)
    if verts:
        model.draw_vertices = np.concatenate(verts)
        model.draw_faces = np.concatenate(faces)
        model.draw_colors = np.concatenate(colors)
        model.size = tuple(float(v) for v in hi - lo)  # type: ignore[assignment]


def _face_colors(geometry: object, rows: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """RGB per chosen face (``rows`` of the geometry's faces, ``chosen`` their vertex
    indices): the file's face/vertex colours, a material's main colour, or grey."""
    grey = np.tile(np.asarray(DEFAULT_COLOR, dtype=np.uint8), (len(chosen), 1))
    visual = getattr(geometry, "visual", None)
    try:
        if isinstance(geometry, trimesh.PointCloud):
            colors = np.asarray(geometry.colors)
            if colors.ndim == 2 and len(colors) == len(geometry.vertices):
                return colors[chosen[:, 0], :3].astype(np.uint8)
            return grey
        kind = getattr(visual, "kind", None)
        if kind == "vertex":
            vertex = np.asarray(visual.vertex_colors)[:, :3].astype(np.float64)  # type: ignore[union-attr]
            return vertex[chosen].mean(axis=1).astype(np.uint8)
        if kind == "face":
            return np.asarray(visual.face_colors)[rows, :3].astype(np.uint8)  # type: ignore[union-attr]
        if kind == "texture":
            material = visual.material  # type: ignore[union-attr]
            textured = any(getattr(material, a, None) is not None for a in ("image", "baseColorTexture"))
            if textured and getattr(visual, "uv", None) is not None:
                # The texture's colour under each vertex (trimesh samples it at the UVs).
                vertex = np.asarray(visual.to_color().vertex_colors)[:, :3].astype(np.float64)  # type: ignore[union-attr]
                return vertex[chosen].mean(axis=1).astype(np.uint8)
            main = np.asarray(material.main_color)[:3].astype(np.uint8)
            return np.tile(main, (len(chosen), 1))
    except Exception:  # odd visuals never stop the render; fall back to grey
        return grey
    return grey
