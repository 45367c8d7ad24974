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
    ax, ay, bx, by, qx, qy = px[:, 0], py[:, 0], px[:, 1], py[:, 1], px[:, 2], py[:, 2]
    area = (bx - ax) * (qy - ay) - (qx - ax) * (by - ay)
    count = width * height
    todo = np.flatnonzero((count > 0) & (np.abs(area) > 1e-12))
    if len(todo) == 0:
        return
    # Barycentric weights w0, w1 and the depth are linear in the pixel position: per
    # triangle, their value at the first pixel centre of its box and their steps per
    # pixel in x and y. Then each candidate pixel costs a few multiply-adds.
    inv = 1.0 / area[todo]
    ax, ay, bx, by, qx, qy = ax[todo], ay[todo], bx[todo], by[todo], qx[todo], qy[todo]
    z0, z1, z2 = depth[todo, 0], depth[todo, 1], depth[todo, 2]
    step_x = np.stack([(by - qy) * inv, (qy - ay) * inv, np.zeros_like(inv)], axis=1)
    step_y = np.stack([(qx - bx) * inv, (ax - qx) * inv, np.zeros_like(inv)], axis=1)
    origin = np.stack([(bx * qy - qx * by) * inv, (qx * ay - ax * qy) * inv, np.zeros_like(inv)], axis=1)
    for coef in (step_x, step_y):
        coef[:, 2] = coef[:, 0] * (z0 - z2) + coef[:, 1] * (z1 - z2)
    origin[:, 2] = z2 + origin[:, 0] * (z0 - z2) + origin[:, 1] * (z1 - z2)
    sx, sy = x0[todo] + 0.5, y0[todo] + 0.5
    first = origin + step_x * sx[:, None] + step_y * sy[:, None]  # (w0, w1, z) at the box's first pixel
    ends = np.cumsum(count[todo])
    start = 0
    while start < len(todo):
        # Take triangles until the batch holds BATCH_PIXELS candidates (at least one).
        base = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, base + BATCH_PIXELS, side="right")), start + 1)
        rows = np.arange(start, stop)
        start = stop
        n = count[todo[rows]]
        offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        w = np.repeat(width[todo[rows]], n)
        lx, ly = offset % w, offset // w
        values = (np.repeat(first[rows], n, axis=0) + np.repeat(step_x[rows], n, axis=0) * lx[:, None]
                  + np.repeat(step_y[rows], n, axis=0) * ly[:, None])
        w0, w1 = values[:, 0], values[:, 1]
        inside = (w0 >= -1e-9) & (w1 >= -1e-9) & (w0 + w1 <= 1 + 1e-9)
        if not inside.any():
            continue
        owner = np.repeat(todo[rows], n)[inside]
        pixel = (np.repeat(y0[todo[rows]], n) + ly)[inside] * size + (np.repeat(x0[todo[rows]], n) + lx)[inside]
        _merge(zbuf, image, pixel, values[inside, 2], owner, shade)


def _merge(zbuf: np.ndarray, image: np.ndarray, pixel: np.ndarray, z: np.ndarray, tri: np.ndarray,
           shade: np.ndarray) -> None:
    """Write each pixel's nearest candidate where it beats the z-buffer (an unbuffered
    maximum per pixel; equal depths keep any one of the tied triangles)."""
    np.maximum.at(zbuf, pixel, z)
    won = z >= zbuf[pixel]
    image[pixel[won]] = shade[tri[won]]
