"""mmrag-gpx: GPX tracks for MM-RAG Desktop — an example third-party plugin.

Registers, through the ``mmrag`` entry-point group:

* an extractor for ``.gpx`` files (one item per track or route, plus the waypoints);
* the ``near`` retriever and a query transform for queries such as
  ``near 52.52,13.40`` or ``within 5 km of 48.85,2.35``;
* a ``gpx-map`` preview that draws a track as SVG.
"""

from __future__ import annotations

from mmrag_desktop import hookimpl

from .extract import GpxExtractor
from .near import GeoClauseTransform, NearRetriever, parse_geo_query
from .parse import parse_gpx
from .preview import GPX_MAP, PreviewDescriptor, render_svg

__version__ = "0.1.0"
#: Major hook-API versions this plugin is written for.
MMRAG_HOOK_API = "1"

__all__ = [
    "GeoClauseTransform",
    "GpxExtractor",
    "NearRetriever",
    "PreviewDescriptor",
    "parse_geo_query",
    "parse_gpx",
    "render_svg",
]


@hookimpl
def register_extractors(register):  # type: ignore[no-untyped-def]
    register(GpxExtractor())


@hookimpl
def register_retrievers(register):  # type: ignore[no-untyped-def]
    register(NearRetriever())


@hookimpl
def register_query_transforms(register):  # type: ignore[no-untyped-def]
    register(GeoClauseTransform())


@hookimpl
def register_previews(register):  # type: ignore[no-untyped-def]
    register(GPX_MAP)
