"""A map-less SVG preview of a GPX item: the thinned track, start and end, waypoints."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

MEDIA_TYPE = "application/gpx+xml"


@dataclass(frozen=True)
class PreviewDescriptor:
    """What ``register_previews`` registers: the GUI shows ``render(item.meta)`` (an SVG
    document) for hits whose file has ``media_type``."""

    media_type: str
    name: str
    render: Callable[[Mapping[str, Any]], str]


def _points(meta: Mapping[str, Any]) -> tuple[list[tuple[float, float]], list[tuple[float, float, str]]]:
    line = [(float(p[0]), float(p[1])) for p in meta.get("polyline") or ()]
    marks = [(float(w["lat"]), float(w["lon"]), str(w.get("name") or "")) for w in meta.get("waypoints") or ()]
    return line, marks


def render_svg(meta: Mapping[str, Any], width: int = 320, height: int = 240, padding: int = 12) -> str:
    """An SVG string for an item's ``meta`` (as stored by the GPX extractor)."""
    line, marks = _points(meta)
    title = escape(str(meta.get("name") or ("Waypoints" if marks else "GPX")))
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title>{title}</title>'
            f'<rect width="{width}" height="{height}" fill="#f7f7f2"/>')
    everything = line + [(lat, lon) for lat, lon, _ in marks]
    if not everything:
        return head + (f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" font-size="12" '
                       'fill="#777">no coordinates</text></svg>')
    mid_lat = math.radians(sum(p[0] for p in everything) / len(everything))
    scale_x = max(math.cos(mid_lat), 0.01)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return lon * scale_x, -lat

    projected = [xy(*p) for p in everything]
    min_x, max_x = min(p[0] for p in projected), max(p[0] for p in projected)
    min_y, max_y = min(p[1] for p in projected), max(p[1] for p in projected)
    span = max(max_x - min_x, max_y - min_y, 1e-9)
    scale = min((width - 2 * padding) / max(max_x - min_x, span * 1e-3),
                (height - 2 * padding) / max(max_y - min_y, span * 1e-3))
    off_x = (width - (max_x - min_x) * scale) / 2
    off_y = (height - (max_y - min_y) * scale) / 2

    def screen(lat: float, lon: float) -> str:
        x, y = xy(lat, lon)
        return f"{off_x + (x - min_x) * scale:.1f},{off_y + (y - min_y) * scale:.1f}"

    parts = [head]
    if len(line) > 1:
        parts.append(f'<polyline fill="none" stroke="#d0402b" stroke-width="2" stroke-linejoin="round" '
                     f'points="{" ".join(screen(*p) for p in line)}"/>')
    for (lat, lon), colour, label in ((line[0], "#2b8a3e", "start"), (line[-1], "#1c3d8c", "end")) if line else ():
        cx, cy = screen(lat, lon).split(",")
        parts.append(f'<circle class="{label}" cx="{cx}" cy="{cy}" r="4" fill="{colour}"/>')
    for lat, lon, label in marks:
        cx, cy = screen(lat, lon).split(",")
        parts.append(f'<circle class="waypoint" cx="{cx}" cy="{cy}" r="3" fill="#e8a317">'
                     f"<title>{escape(label)}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)


GPX_MAP = PreviewDescriptor(MEDIA_TYPE, "gpx-map", render_svg)
