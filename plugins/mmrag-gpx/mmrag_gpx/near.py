"""Geographic search: ``near 52.52,13.40`` or ``within 5 km of 48.85,2.35``.

Two parts work together:

* :class:`GeoClauseTransform` takes the place clause out of the query text (keeping the
  typed text in ``Query.original``), so full-text and dense search see only the rest
  ("lakeside near 52.52,13.40" → "lakeside"; a bare "near …" leaves them nothing to do
  and the ``near`` list alone decides).
* :class:`NearRetriever` reads the clause, fetches the GPX items through full-text
  search (every GPX item's text starts with ``GPX``), reads their geometry with
  ``backend.items_meta`` and ranks them by the distance from the point to the track
  (or to the nearest waypoint). ``within`` drops everything farther than the radius.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from mmrag_desktop.interfaces import QueryTransform, Retriever, SearchBackend
from mmrag_desktop.records import Candidate, Filters, Query, RankedList

from .extract import MARKER
from .geo import LatLon, distance_to_polyline_km, valid_coordinate

#: How many GPX items one query considers at most.
MAX_CANDIDATES = 5000

_NUMBER = r"[+-]?\d{1,3}(?:\.\d+)?"
GEO_CLAUSE = re.compile(
    rf"\b(?:within\s+(?P<radius>\d+(?:\.\d+)?)\s*(?P<unit>km|m|mi)?\s+(?:of|from|around)|near|around)"
    rf"\s+(?P<lat>{_NUMBER})\s*(?:,\s*|;\s*|\s+)(?P<lon>{_NUMBER})(?![\d.])",
    re.IGNORECASE,
)
_UNIT_KM = {"km": 1.0, "m": 0.001, "mi": 1.609344}


@dataclass(frozen=True)
class GeoQuery:
    point: LatLon
    radius_km: float | None
    rest: str  # the query text without the clause


def parse_geo_query(text: str | None) -> GeoQuery | None:
    """The place clause of a query, or None if it has none (or a bad coordinate)."""
    match = GEO_CLAUSE.search(text or "")
    if match is None:
        return None
    lat, lon = float(match["lat"]), float(match["lon"])
    if not valid_coordinate(lat, lon):
        return None
    radius = None
    if match["radius"] is not None:
        radius = float(match["radius"]) * _UNIT_KM[(match["unit"] or "km").lower()]
    rest = " ".join((text[: match.start()] + " " + text[match.end() :]).split())  # type: ignore[index]
    return GeoQuery((lat, lon), radius, rest)


def item_distance_km(point: LatLon, meta: dict[str, Any]) -> float | None:
    """Distance from ``point`` to a GPX item's geometry; None for other items."""
    if not meta.get("gpx"):
        return None
    if meta.get("polyline"):
        line = [(float(p[0]), float(p[1])) for p in meta["polyline"]]
        return distance_to_polyline_km(point, line)
    if meta.get("waypoints"):
        return min(distance_to_polyline_km(point, [(float(w["lat"]), float(w["lon"]))]) for w in meta["waypoints"])
    return None


class GeoClauseTransform(QueryTransform):
    name = "gpx-geo-clause"
    priority = 10

    def transform(self, query: Query) -> Query:
        geo = parse_geo_query(query.text) if query.modality == "text" else None
        if geo is None:
            return query
        return dataclasses.replace(query, text=geo.rest, original=query.original or query.text)


class NearRetriever(Retriever):
    name = "near"
    #: A distance ranking should win over a few full-text matches of the remaining words.
    weight = 1.5

    def search(self, query: Query, backend: SearchBackend, k: int, filters: Filters) -> list[RankedList]:
        if query.modality != "text":
            return []
        geo = parse_geo_query(query.text) or parse_geo_query(query.original)
        if geo is None:
            return []
        items_meta = getattr(backend, "items_meta", None)
        if items_meta is None:  # an older app without SearchBackend.items_meta
            return []
        if filters.file_types and "gpx" not in filters.file_types:
            return []
        scoped = dataclasses.replace(filters, file_types=("gpx",))
        candidates = backend.fts_search(MARKER, MAX_CANDIDATES, scoped)
        ranked: list[tuple[float, int]] = []
        for item_id, meta in items_meta([c.item_id for c in candidates]).items():
            distance = item_distance_km(geo.point, meta)
            if distance is None or (geo.radius_km is not None and distance > geo.radius_km):
                continue
            ranked.append((distance, item_id))
        ranked.sort()
        return [RankedList("near", tuple(Candidate(item_id, -distance) for distance, item_id in ranked[:k]))]
