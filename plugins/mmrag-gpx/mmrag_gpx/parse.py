"""Reading GPX 1.0/1.1 with the standard library, namespace-agnostic and defensively.

Hostile input is turned into :class:`~mmrag_desktop.interfaces.ExtractionError`: empty
files, malformed XML, a root that is not ``<gpx>``, documents with a DOCTYPE (the only
place entities can be declared, so no entity-expansion bombs), non-UTF-8 encodings we
cannot screen, and absurd nesting. The file is parsed incrementally and every point is
dropped from the tree once read, so a long recording does not keep a DOM in memory.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mmrag_desktop.interfaces import ExtractionError

from .geo import LatLon, valid_coordinate

#: Deepest element nesting accepted (real GPX files nest 4-6 levels; extensions a few more).
MAX_DEPTH = 64
#: Longest name / description kept from the file.
MAX_NAME_CHARS = 200
MAX_DESC_CHARS = 2000


@dataclass
class Track:
    """A ``<trk>`` (its ``<trkseg>`` lists) or a ``<rte>`` (one segment)."""

    kind: str  # "track" | "route"
    name: str = ""
    desc: str = ""
    segments: list[list[LatLon]] = field(default_factory=list)
    start_time: datetime | None = None
    end_time: datetime | None = None

    @property
    def points(self) -> list[LatLon]:
        return [p for segment in self.segments for p in segment]


@dataclass
class Waypoint:
    name: str
    desc: str
    lat: float
    lon: float


@dataclass
class GpxDocument:
    name: str = ""
    tracks: list[Track] = field(default_factory=list)
    waypoints: list[Waypoint] = field(default_factory=list)
    skipped_points: int = 0


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element: ET.Element, name: str, limit: int) -> str:
    for child in element:
        if _local(child.tag) == name:
            text = " ".join((child.text or "").split())
            return text[:limit]
    return ""


def _time(element: ET.Element) -> datetime | None:
    raw = _child_text(element, "time", 64)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _coordinate(element: ET.Element) -> LatLon | None:
    try:
        lat, lon = float(element.get("lat", "")), float(element.get("lon", ""))
    except ValueError:
        return None
    return (lat, lon) if valid_coordinate(lat, lon) else None


def _screen(data: bytes) -> None:
    if not data.strip():
        raise ExtractionError("empty file")
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise ExtractionError("not a UTF-8 GPX file (binary data, or UTF-16/32 text)")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ExtractionError("GPX with a DOCTYPE or entity declarations is not accepted")


def parse_gpx(data: bytes) -> GpxDocument:
    """Parse GPX bytes; raises :class:`ExtractionError` for anything that is not a
    well-formed GPX document."""
    _screen(data)
    doc = GpxDocument()
    stack: list[str] = []
    current: Track | None = None
    segment: list[LatLon] | None = None
    try:
        for event, element in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            name = _local(element.tag)
            if event == "start":
                if not stack and name != "gpx":
                    raise ExtractionError(f"not a GPX file (root element <{name}>)")
                stack.append(name)
                if len(stack) > MAX_DEPTH:
                    raise ExtractionError(f"GPX nested deeper than {MAX_DEPTH} levels")
                if name in ("trk", "rte") and current is None:
                    current = Track("track" if name == "trk" else "route")
                    if name == "rte":
                        segment = []
                elif name == "trkseg" and current is not None:
                    segment = []
                continue
            stack.pop()
            parent = stack[-1] if stack else ""
            if name in ("trkpt", "rtept") and segment is not None:
                point = _coordinate(element)
                if point is None:
                    doc.skipped_points += 1
                else:
                    segment.append(point)
                    moment = _time(element)
                    if moment is not None and current is not None:
                        current.start_time = current.start_time or moment
                        current.end_time = moment
                element.clear()
            elif name == "trkseg" and current is not None and segment is not None:
                if segment:
                    current.segments.append(segment)
                segment = None
                element.clear()
            elif name in ("trk", "rte") and current is not None and parent == "gpx":
                if name == "rte" and segment:
                    current.segments.append(segment)
                segment = None
                current.name = _child_text(element, "name", MAX_NAME_CHARS)
                current.desc = _child_text(element, "desc", MAX_DESC_CHARS)
                doc.tracks.append(current)
                current = None
                element.clear()
            elif name == "wpt" and parent == "gpx":
                point = _coordinate(element)
                if point is None:
                    doc.skipped_points += 1
                else:
                    label = _child_text(element, "name", MAX_NAME_CHARS)
                    doc.waypoints.append(Waypoint(label, _child_text(element, "desc", MAX_DESC_CHARS), *point))
                element.clear()
            elif name == "metadata" and parent == "gpx":
                doc.name = _child_text(element, "name", MAX_NAME_CHARS)
                element.clear()
            elif name == "name" and parent == "gpx" and not doc.name:  # GPX 1.0
                doc.name = " ".join((element.text or "").split())[:MAX_NAME_CHARS]
    except ET.ParseError as exc:
        raise ExtractionError(f"malformed GPX: {exc}") from None
    return doc
