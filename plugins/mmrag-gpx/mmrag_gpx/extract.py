"""GPX files → one item per track or route, plus items for the waypoints.

The text of an item is what full-text and dense search see: name, description, start
and end (time and coordinates), length and the file's waypoint names. Every item's text
starts with ``GPX`` so the ``near`` retriever can find GPX items through full-text
search; its ``meta`` keeps the geometry (start, end, bounding box, a polyline thinned
to at most 200 points) for that retriever and for the map preview.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from mmrag_desktop.interfaces import ExtractContext, Extractor
from mmrag_desktop.records import Item, Locator

from .geo import LatLon, bounding_box, path_length_km, thin
from .parse import GpxDocument, Track, Waypoint, parse_gpx

#: Most points kept in an item's polyline (meta) — enough for a preview and for ranking.
POLYLINE_POINTS = 200
#: Marker word every GPX item's text starts with (used by the ``near`` retriever).
MARKER = "GPX"
WAYPOINTS_SECTION = "Waypoints"


def _coord(point: LatLon) -> str:
    return f"{point[0]:.5f}, {point[1]:.5f}"


def _round(point: LatLon) -> list[float]:
    return [round(point[0], 6), round(point[1], 6)]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC ") if moment else ""


def _duration(track: Track) -> str:
    if not (track.start_time and track.end_time) or track.end_time < track.start_time:
        return ""
    minutes, seconds = divmod(int((track.end_time - track.start_time).total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    return f", duration {hours}:{minutes:02d}:{seconds:02d}"


def _shorten(words: str) -> str:
    parts = words.split()
    return " ".join(parts[: len(parts) // 2]) + " …" if len(parts) > 1 else ""


def _fit(text: str, ctx: ExtractContext) -> str:
    """Last resort: cut ``text`` until it fits the encoder's token budget."""
    while not ctx.fits(text) and len(text) > 16:
        text = text[: int(len(text) * 0.8)].rstrip() + " …"
    return text


def track_item(track: Track, number: int, waypoint_names: Sequence[str], ctx: ExtractContext) -> Item:
    points = track.points
    label = track.name or f"{track.kind.title()} {number}"
    length = sum(path_length_km(segment) for segment in track.segments)  # gaps between segments not counted
    desc = track.desc
    names = list(waypoint_names)

    def render() -> str:
        lines = [f"{MARKER} {track.kind}: {label}"]
        if desc:
            lines.append(f"Description: {desc}")
        if points:
            lines.append(f"Start: {_when(track.start_time)}at {_coord(points[0])}")
            lines.append(f"End: {_when(track.end_time)}at {_coord(points[-1])}")
        segments = len(track.segments)
        lines.append(f"Length: {length:.2f} km in {segments} segment{'s' if segments != 1 else ''}, "
                     f"{len(points)} points{_duration(track)}")
        if names:
            lines.append("Waypoints: " + ", ".join(names))
        return "\n".join(lines)

    text = render()
    while not ctx.fits(text) and (names or desc):
        if names:
            names = names[: len(names) // 2]
        else:
            desc = _shorten(desc)
        text = render()
    meta: dict[str, Any] = {"gpx": track.kind, "name": track.name, "length_km": round(length, 3), "points": len(points)}
    if points:
        box = bounding_box(points)
        meta.update(start=_round(points[0]), end=_round(points[-1]), bbox=[round(v, 6) for v in box or ()],
                    polyline=[_round(p) for p in thin(points, POLYLINE_POINTS)])
    if track.start_time:
        meta["start_time"] = track.start_time.isoformat()
    if track.end_time:
        meta["end_time"] = track.end_time.isoformat()
    return Item(_fit(text, ctx), kind=track.kind, locator=Locator(section=label), meta=meta)


def _waypoint_line(waypoint: Waypoint) -> str:
    line = f"{waypoint.name or 'Waypoint'} ({_coord((waypoint.lat, waypoint.lon))})"
    return line + (f": {waypoint.desc[:200]}" if waypoint.desc else "")


def waypoint_items(waypoints: Sequence[Waypoint], title: str, ctx: ExtractContext) -> list[Item]:
    """The waypoints as items of whole lines that fit the token budget."""
    header = f"{MARKER} waypoints" + (f" of {title}" if title else "") + ":"
    groups: list[list[Waypoint]] = []
    for waypoint in waypoints:
        if groups and ctx.fits("\n".join([header, *map(_waypoint_line, [*groups[-1], waypoint])])):
            groups[-1].append(waypoint)
        else:
            groups.append([waypoint])
    items = []
    for group in groups:
        coordinates = [(w.lat, w.lon) for w in group]
        box = bounding_box(coordinates) or ()
        meta = {"gpx": "waypoints", "bbox": [round(v, 6) for v in box],
                "waypoints": [{"name": w.name, "lat": round(w.lat, 6), "lon": round(w.lon, 6)} for w in group]}
        text = _fit("\n".join([header, *map(_waypoint_line, group)]), ctx)
        items.append(Item(text, kind="waypoints", locator=Locator(section=WAYPOINTS_SECTION), meta=meta))
    return items


def document_items(doc: GpxDocument, ctx: ExtractContext, title: str = "") -> list[Item]:
    names = [w.name for w in doc.waypoints if w.name]
    items = [track_item(track, number, names, ctx) for number, track in enumerate(doc.tracks, start=1)]
    items.extend(waypoint_items(doc.waypoints, doc.name or title, ctx))
    return items


class GpxExtractor(Extractor):
    name = "gpx"
    extensions = (".gpx",)
    media_type = "application/gpx+xml"
    version = "1"
    #: GPS recordings run larger than documents; parsing is incremental.
    max_bytes = 64 * 1024 * 1024

    def extract(self, path: Path, ctx: ExtractContext) -> list[Item]:
        return document_items(parse_gpx(path.read_bytes()), ctx, title=path.stem)
