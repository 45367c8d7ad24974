"""Small spherical-geometry helpers (stdlib only): haversine length, thinning a
polyline, bounding boxes and the distance from a point to a polyline."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

EARTH_RADIUS_KM = 6371.0088

LatLon = tuple[float, float]


def haversine_km(a: LatLon, b: LatLon) -> float:
    """Great-circle distance between two (lat, lon) points in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def path_length_km(points: Sequence[LatLon]) -> float:
    return sum(haversine_km(points[i - 1], points[i]) for i in range(1, len(points)))


def thin(points: Sequence[LatLon], limit: int = 200) -> list[LatLon]:
    """At most ``limit`` points, evenly spaced along the sequence, first and last kept."""
    if len(points) <= limit:
        return list(points)
    if limit < 2:
        return [points[0]][:limit]
    last = len(points) - 1
    picked = sorted({round(i * last / (limit - 1)) for i in range(limit)})
    return [points[i] for i in picked]


def bounding_box(points: Sequence[LatLon]) -> tuple[float, float, float, float] | None:
    """(min_lat, min_lon, max_lat, max_lon), or None for no points."""
    if not points:
        return None
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    return (min(lats), min(lons), max(lats), max(lons))


def _project(origin: LatLon, point: LatLon) -> tuple[float, float]:
    """Local equirectangular projection around ``origin``, in km."""
    dlon = (point[1] - origin[1] + 180.0) % 360.0 - 180.0
    x = math.radians(dlon) * math.cos(math.radians(origin[0])) * EARTH_RADIUS_KM
    y = math.radians(point[0] - origin[0]) * EARTH_RADIUS_KM
    return x, y


def distance_to_polyline_km(point: LatLon, polyline: Sequence[LatLon]) -> float:
    """Shortest distance from ``point`` to a polyline (its segments, or its only
    vertex). Segments are measured in a projection centred on ``point`` (exact enough
    for ranking; a vertex distance is exact), so the result is never above the
    haversine distance to the nearest vertex."""
    if not polyline:
        return math.inf
    best = min(haversine_km(point, vertex) for vertex in polyline)
    projected = [_project(point, vertex) for vertex in polyline]
    for (x1, y1), (x2, y2) in pairwise(projected):
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        if length2 == 0.0:
            continue
        t = max(0.0, min(1.0, -(x1 * dx + y1 * dy) / length2))
        best = min(best, math.hypot(x1 + t * dx, y1 + t * dy))
    return best


def valid_coordinate(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0
