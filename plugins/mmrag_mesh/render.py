"""A small software renderer: triangles → a shaded picture, in numpy, no GPU or OpenGL.

Orthographic camera, z-buffer, flat Lambert shading lit from the viewer's upper left,
two-sided (meshes from the wild have inconsistent winding, so no back-face culling).
Every triangle is rasterised by testing the pixel centres inside its bounding box, all
triangles of a batch at once; each triangle also stamps the pixel under its centroid,
so a dense mesh whose triangles are smaller than a pixel still renders as a closed
surface. Time and memory are bounded: at most ``max_faces`` triangles are drawn (a
fixed-seed sample of a bigger mesh) and candidate pixels are processed in batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Triangles drawn per view; a bigger mesh is sampled (at 320 px, 150k sampled
#: triangles of a dense scan, splatted 2×2, still cover its surface).
MAX_FACES = 150_000
#: Candidate pixels tested per batch (bounds the renderer's working memory to ~150 MB).
BATCH_PIXELS = 2_000_000
BACKGROUND = 255
DEFAULT_COLOR = (190, 190, 196)


@dataclass(frozen=True)
class View:
    """A camera direction (from the model towards the camera) and the image's up."""

    name: str
    toward_camera: tuple[float, float, float]
    up: tuple[float, float, float]


def canonical_views(up_axis: str = "y") -> tuple[View, ...]:
    """Front, side, top and a three-quarter view for a Y-up (glTF, OBJ) or Z-up (STL,
    CAD) model."""
    if up_axis == "z":
        return (
            View("front", (0, -1, 0), (0, 0, 1)),
            View("side", (1, 0, 0), (0, 0, 1)),
            View("top", (0, 0, 1), (0, 1, 0)),
            View("three-quarter", (1.0, -1.2, 0.8), (0, 0, 1)),
        )
    return (
        View("front", (0, 0, 1), (0, 1, 0)),
        View("side", (1, 0, 0), (0, 1, 0)),
        View("top", (0, 1, 0), (0, 0, -1)),
        View("three-quarter", (1.0, 0.8, 1.2), (0, 1, 0)),
    )


def sample_rows(count: int, max_rows: int, seed: int = 0) -> np.ndarray:
    """Row numbers of at most ``max_rows`` of ``count`` faces: all of them, or a sorted
    fixed-seed sample, so the same file always renders the same picture."""
    if count <= max_rows:
        return np.arange(count)
    keep = np.random.default_rng(seed).choice(count, size=max_rows, replace=False)
    keep.sort()
    return keep


def _camera(view: View) -> np.ndarray:
    """Rows: the image's right, up and towards-camera axes in model coordinates."""
    z = np.asarray(view.toward_camera, dtype=np.float64)
    z /= np.linalg.norm(z)
    x = np.cross(np.asarray(view.up, dtype=np.float64), z)
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z])


def render(
    vertices: np.ndarray,
    faces: np.ndarray,
    view: View,
    *,
    size: int = 320,
    face_colors: np.ndarray | None = None,
    margin: float = 0.06,
    density: float = 1.0,
) -> np.ndarray:
    """Render triangles (``faces`` index ``vertices``) to an RGB uint8 array of shape
    (size, size, 3) on a white background. ``face_colors`` is (len(faces), 3) uint8 or
    None for a neutral grey; pass at most :data:`MAX_FACES` faces (see :func:`sample_rows`)
    and, for a sample, ``density`` = the fraction of the mesh's faces it holds."""
    image = np.full((size * size, 3), BACKGROUND, dtype=np.uint8)
    if len(faces) == 0:
        return image.reshape(size, size, 3)
    camera = _camera(view)
    tri = vertices[faces].astype(np.float64) @ camera.T  # (m, 3 corners, xyz in camera space)
    # Fit the projected model into the picture, keeping its proportions.
    lo = tri[..., :2].reshape(-1, 2).min(axis=0)
    hi = tri[..., :2].reshape(-1, 2).max(axis=0)
    span = float(max(hi[0] - lo[0], hi[1] - lo[1])) or 1.0
    scale = size * (1 - 2 * margin) / span
    centre = (lo + hi) / 2
    px = (tri[..., 0] - centre[0]) * scale + size / 2
    py = size / 2 - (tri[..., 1] - centre[1]) * scale  # image rows grow downwards
    depth = tri[..., 2]  # larger is nearer the camera

    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    lengths = np.linalg.norm(normals, axis=1)
    normals /= np.where(lengths > 0, lengths, 1.0)[:, None]
    light = np.array([-0.4, 0.5, 1.0])
    light /= np.linalg.norm(light)
    intensity = 0.28 + 0.72 * np.abs(normals @ light)
    base = np.asarray(DEFAULT_COLOR, dtype=np.float64) if face_colors is None else face_colors[:, :3].astype(np.float64)
    shade = np.clip(base * intensity[:, None], 0, 255).astype(np.uint8)

    zbuf = np.full(size * size, -np.inf)
    # Centroid stamps: every triangle marks the pixel under its centroid, whatever its
    # size. Points (faces (i, i, i), e.g. a point cloud) get a 3×3 dot, or they vanish.
    # A triangle smaller than a pixel, or standing in for 1/density triangles of a
    # sampled mesh, gets a square splat of about four times the area it represents
    # (side at most 4 px), so the surface stays closed.
    cx = np.clip(px.mean(axis=1).astype(np.int64), 0, size - 1)
    cy = np.clip(py.mean(axis=1).astype(np.int64), 0, size - 1)
    cz = depth.mean(axis=1)
    points = (faces[:, 0] == faces[:, 1]) & (faces[:, 1] == faces[:, 2])
    area = 0.5 * np.abs((px[:, 1] - px[:, 0]) * (py[:, 2] - py[:, 0]) - (px[:, 2] - px[:, 0]) * (py[:, 1] - py[:, 0]))
    side = np.clip(np.ceil(np.sqrt(4.0 * area / max(density, 1e-6))), 1, 4).astype(np.int64)
    side[points] = 3
    side[~points & (side * side <= area)] = 1  # big triangles are filled by the rasteriser
    stamps = [(np.arange(len(faces)), 0, 0)]
    for width in (2, 3, 4):
        chosen = np.flatnonzero(side == width)
        offsets = range(-(width // 2), width - width // 2)
        stamps += [(chosen, dx, dy) for dy in offsets for dx in offsets if (dx or dy) and len(chosen)]
    tri = np.concatenate([chosen for chosen, _, _ in stamps])
    x = np.clip(np.concatenate([cx[chosen] + dx for chosen, dx, _ in stamps]), 0, size - 1)
    y = np.clip(np.concatenate([cy[chosen] + dy for chosen, _, dy in stamps]), 0, size - 1)
    _merge(zbuf, image, y * size + x, cz[tri], tri, shade)
    _rasterise(zbuf, image, px, py, depth, shade, size)
    return image.reshape(size, size, 3)


def _rasterise(zbuf: np.ndarray, image: np.ndarray, px: np.ndarray, py: np.ndarray, depth: np.ndarray,
               shade: np.ndarray, size: int) -> None:
    """Fill every pixel whose centre lies inside a triangle, nearest triangle winning."""
    x0 = np.clip(np.floor(px.min(axis=1) - 0.5).astype(np.int64) + 1, 0, size)
    x1 = np.clip(np.ceil(px.max(axis=1) - 0.5).astype(np.int64), -1, size - 1)
    y0 = np.clip(np.floor(py.min(axis=1) - 0.5).astype(np.int64) + 1, 0, size)
    y1 = np.clip(np.ceil(py.max(axis=1) - 0.5).astype(np.int64), -1, size - 1)
    width = np.maximum(x1 - x0 + 1, 0)
    height = np.maximum(y1 - y0 + 1, 0)
    # Twice the signed area; a degenerate triangle keeps only its centroid stamp.
    area = (px[:, 1] - px[:, 0]) * (py[:, 2] - py[:, 0]) - (px[:, 2] - px[:, 0]) * (py[:, 1] - py[:, 0])
    count = width * height
    todo = np.flatnonzero((count > 0) & (np.abs(area) > 1e-12))
    if len(todo) == 0:
        return
    ends = np.cumsum(count[todo])
    start = 0
    while start < len(todo):
        # Take triangles until the batch holds BATCH_PIXELS candidates (at least one).
        base = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, base + BATCH_PIXELS, side="right")), start + 1)
        batch = todo[start:stop]
        start = stop
        n = count[batch]
        owner = np.repeat(np.arange(len(batch)), n)
        offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        w = width[batch][owner]
        x = x0[batch][owner] + offset % w
        y = y0[batch][owner] + offset // w
        tri = batch[owner]
        sx, sy = x + 0.5, y + 0.5
        # Barycentric weights of the pixel centre from the edge functions.
        ax, ay, bx, by, qx, qy = px[tri, 0], py[tri, 0], px[tri, 1], py[tri, 1], px[tri, 2], py[tri, 2]
        inv = 1.0 / area[tri]
        w0 = ((bx - sx) * (qy - sy) - (qx - sx) * (by - sy)) * inv
        w1 = ((qx - sx) * (ay - sy) - (ax - sx) * (qy - sy)) * inv
        w2 = 1.0 - w0 - w1
        inside = (w0 >= -1e-9) & (w1 >= -1e-9) & (w2 >= -1e-9)
        if not inside.any():
            continue
        tri, w0, w1, w2 = tri[inside], w0[inside], w1[inside], w2[inside]
        z = w0 * depth[tri, 0] + w1 * depth[tri, 1] + w2 * depth[tri, 2]
        _merge(zbuf, image, y[inside] * size + x[inside], z, tri, shade)


def _merge(zbuf: np.ndarray, image: np.ndarray, pixel: np.ndarray, z: np.ndarray, tri: np.ndarray,
           shade: np.ndarray) -> None:
    """Write each pixel's nearest candidate where it beats the z-buffer (an unbuffered
    maximum per pixel; equal depths keep any one of the tied triangles)."""
    np.maximum.at(zbuf, pixel, z)
    won = z >= zbuf[pixel]
    image[pixel[won]] = shade[tri[won]]
