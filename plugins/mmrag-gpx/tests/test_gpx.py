"""mmrag-gpx: the extractor, the ``near`` retriever, the SVG preview, and the plugin
installed for real and driven through the ``mmrag`` command line.

Runs on its own (``pytest plugins/mmrag-gpx/tests``) and as part of the app's suite.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("mmrag_gpx") is None:  # a checkout where the plugin is not installed
    sys.path.insert(0, str(PLUGIN_ROOT))

import mmrag_gpx  # noqa: E402
from mmrag_gpx.geo import haversine_km  # noqa: E402
from mmrag_gpx.near import GeoClauseTransform, parse_geo_query  # noqa: E402

from mmrag_desktop.config import Config  # noqa: E402
from mmrag_desktop.interfaces import ExtractContext, ExtractionError  # noqa: E402
from mmrag_desktop.library import Library  # noqa: E402
from mmrag_desktop.plugins import Plugins  # noqa: E402
from mmrag_desktop.records import Filters, Query  # noqa: E402
from mmrag_desktop.testing import forbid_network, write  # noqa: E402

GPX11 = "http://www.topografix.com/GPX/1/1"
GPX10 = "http://www.topografix.com/GPX/1/0"

Point = tuple[float, float] | tuple[float, float, str]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    forbid_network(monkeypatch)
    monkeypatch.setenv("MMRAG_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("MMRAG_LOAD_PLUGINS", raising=False)


def gpx(tracks: Sequence[tuple[str, str, Sequence[Sequence[Point]]]] = (),
        waypoints: Sequence[tuple[str, float, float]] = (), *, ns: str | None = GPX11, title: str = "") -> str:
    """A GPX document: tracks as (name, desc, segments of (lat, lon[, time]))."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<gpx version="1.1" creator="tests"{f" xmlns={ns!r}" if ns else ""}>']
    if title:
        out.append(f"<metadata><name>{title}</name></metadata>")
    for name, lat, lon in waypoints:
        out.append(f'<wpt lat="{lat}" lon="{lon}"><name>{name}</name></wpt>')
    for name, desc, segments in tracks:
        out.append(f"<trk><name>{name}</name>" + (f"<desc>{desc}</desc>" if desc else ""))
        for segment in segments:
            out.append("<trkseg>")
            for point in segment:
                time = f"<time>{point[2]}</time>" if len(point) > 2 else ""
                out.append(f'<trkpt lat="{point[0]}" lon="{point[1]}"><ele>34</ele>{time}</trkpt>')
            out.append("</trkseg>")
        out.append("</trk>")
    out.append("</gpx>")
    return "\n".join(out)


BERLIN = [(52.5200, 13.4000, "2024-05-01T08:00:00Z"), (52.5163, 13.3777, "2024-05-01T08:20:00Z"),
          (52.5145, 13.3501, "2024-05-01T08:45:30Z")]
PARIS = [(48.8584, 2.2945), (48.8606, 2.3376), (48.8530, 2.3499)]
MUNICH = [(48.1374, 11.5755), (48.1500, 11.5800)]


def extract(path: Path, ctx: ExtractContext | None = None) -> list:  # type: ignore[type-arg]
    return list(mmrag_gpx.GpxExtractor().extract(path, ctx or ExtractContext()))


# -- extractor ------------------------------------------------------------------------

def test_one_item_per_track_plus_waypoints(tmp_path: Path) -> None:
    path = write(tmp_path / "rides.gpx", gpx(
        [("Tiergarten run", "Morning loop &amp; gate", [BERLIN]), ("Seine walk", "", [PARIS])],
        [("Brandenburg Gate", 52.5163, 13.3777), ("Louvre", 48.8606, 2.3376)], title="Trips"))
    run, walk, wpts = extract(path)
    assert (run.kind, walk.kind, wpts.kind) == ("track", "track", "waypoints")
    assert run.locator.section == "Tiergarten run" and wpts.locator.section == "Waypoints"
    length = haversine_km(BERLIN[0][:2], BERLIN[1][:2]) + haversine_km(BERLIN[1][:2], BERLIN[2][:2])
    for needle in ("GPX track: Tiergarten run", "Morning loop & gate", "Start: 2024-05-01 08:00:00 UTC at 52.52000, 13.40000",
                   "End: 2024-05-01 08:45:30 UTC at 52.51450, 13.35010", f"Length: {length:.2f} km", "duration 0:45:30",
                   "Waypoints: Brandenburg Gate, Louvre"):
        assert needle in run.text, needle
    assert "Start: at 48.85840, 2.29450" in walk.text  # no times recorded
    assert run.meta["start"] == [52.52, 13.4] and run.meta["end"] == [52.5145, 13.3501]
    assert run.meta["bbox"] == [52.5145, 13.3501, 52.52, 13.4]
    assert run.meta["polyline"] == [list(p[:2]) for p in BERLIN]
    assert math.isclose(run.meta["length_km"], length, abs_tol=1e-3)
    assert run.meta["start_time"] == "2024-05-01T08:00:00+00:00"
    assert "GPX waypoints of Trips" in wpts.text and "Louvre (48.86060, 2.33760)" in wpts.text
    assert [w["name"] for w in wpts.meta["waypoints"]] == ["Brandenburg Gate", "Louvre"]
    json.dumps([i.meta for i in (run, walk, wpts)])  # stored as JSON


@pytest.mark.parametrize("ns", [GPX11, GPX10, None])
def test_namespace_agnostic(tmp_path: Path, ns: str | None) -> None:
    (item,) = extract(write(tmp_path / "a.gpx", gpx([("Loop", "", [PARIS])], ns=ns)))
    assert item.locator.section == "Loop" and len(item.meta["polyline"]) == 3


def test_long_track_is_thinned_and_segments_are_summed(tmp_path: Path) -> None:
    first = [(45.0 + i * 1e-4, 7.0) for i in range(1500)]
    second = [(46.0 + i * 1e-4, 7.0) for i in range(500)]
    (item,) = extract(write(tmp_path / "long.gpx", gpx([("", "", [first, second])])))
    line = item.meta["polyline"]
    assert len(line) == 200 and line[0] == [45.0, 7.0] and line[-1] == [round(46.0 + 499e-4, 6), 7.0]
    assert item.locator.section == "Track 1"  # unnamed
    # the 0.85 km gap between the segments is not walked
    assert math.isclose(item.meta["length_km"], (1499 + 499) * 1e-4 * math.pi / 180 * 6371.0088, rel_tol=1e-3)
    assert "in 2 segments, 2000 points" in item.text


def test_bad_points_are_skipped_and_an_empty_track_is_kept(tmp_path: Path) -> None:
    text = gpx([("Odd", "", [[(91.0, 0.0), (10.0, 10.0)]]), ("Empty", "", [])]).replace(
        '<trkpt lat="91.0"', '<trkpt lat="nan" x="1"/><trkpt lat="91.0"')
    odd, empty = extract(write(tmp_path / "odd.gpx", text))
    assert odd.meta["points"] == 1 and odd.meta["start"] == [10.0, 10.0]
    assert "polyline" not in empty.meta and "0 points" in empty.text


def test_text_fits_a_small_token_budget(tmp_path: Path) -> None:
    waypoints = [(f"Summit number {i}", 46.0 + i / 100, 8.0) for i in range(40)]
    path = write(tmp_path / "alps.gpx", gpx([("Ridge", "word " * 400, [PARIS])], waypoints))
    ctx = ExtractContext(chunk_tokens=64, overlap_tokens=8)
    items = extract(path, ctx)
    assert all(ctx.fits(i.text) for i in items)
    assert items[0].text.startswith("GPX track: Ridge")
    groups = [i for i in items if i.kind == "waypoints"]
    assert len(groups) > 1 and sum(len(g.meta["waypoints"]) for g in groups) == 40


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t ", "empty file"),
        (b"<gpx><trk><name>x</name></gpx>", "malformed GPX"),
        (b"<?xml version='1.0'?>\n<gpx><trk>", "malformed GPX"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a UTF-8 GPX file"),
        ("<gpx>".encode("utf-16"), "not a UTF-8 GPX file"),
        (b"<kml><Document/></kml>", "not a GPX file (root element <kml>)"),
        (b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
         b"<gpx><wpt lat='1' lon='1'><name>&b;&b;&b;</name></wpt></gpx>", "DOCTYPE"),
        (b'<!DOCTYPE gpx SYSTEM "file:///etc/passwd"><gpx/>', "DOCTYPE"),
        (b"<gpx>" + b"<extensions>" * 100 + b"</extensions>" * 100 + b"</gpx>", "nested deeper than 64"),
    ],
)
def test_hostile_or_broken_files_raise_extraction_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.gpx"
    path.write_bytes(content)
    with pytest.raises(ExtractionError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        extract(path)


# -- the near query ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "point", "radius", "rest"),
    [
        ("near 52.52,13.40", (52.52, 13.40), None, ""),
        ("cafes near 52.52, 13.40 open late", (52.52, 13.40), None, "cafes open late"),
        ("within 5 km of 48.85,2.35", (48.85, 2.35), 5.0, ""),
        ("Within 800m of -33.86 151.21", (-33.86, 151.21), 0.8, ""),
        ("within 2 mi around 40.7,-74.0", (40.7, -74.0), 2 * 1.609344, ""),
    ],
)
def test_parse_geo_query(text: str, point: tuple[float, float], radius: float | None, rest: str) -> None:
    geo = parse_geo_query(text)
    assert geo is not None and geo.point == point and geo.rest == rest
    assert geo.radius_km == pytest.approx(radius) if radius else geo.radius_km is None


@pytest.mark.parametrize("text", ["near the river", "near 95.0,13.4", "near 52.5,190", "version 1.2,3.4", None])
def test_no_geo_clause(text: str | None) -> None:
    assert parse_geo_query(text) is None
    assert GeoClauseTransform().transform(Query(text=text)) == Query(text=text)


@pytest.fixture
def gpx_library(tmp_path: Path) -> Iterator[tuple[Library, Path]]:
    docs = tmp_path / "docs"
    write(docs / "berlin.gpx", gpx([("Tiergarten run", "lakeside", [BERLIN])]))
    write(docs / "paris.gpx", gpx([("Seine walk", "lakeside", [PARIS])]))
    write(docs / "munich.gpx", gpx([("Isar ride", "", [MUNICH])], [("Marienplatz", 48.1374, 11.5755)]))
    write(docs / "notes.txt", "GPX near 52.52 13.40 is where the Tiergarten run starts; gpx gpx gpx")
    plugins = Plugins(safe_mode=True)  # built-ins only, then this plugin: no other installed plugin leaks in
    info = plugins.register_module(mmrag_gpx, "gpx", source="mmrag-gpx")
    assert info.state == "enabled"
    with Library(tmp_path / "lib", plugins=plugins, config=Config(encoders=())) as lib:
        report = lib.index([docs])
        assert (report.added, report.failed) == (4, 0)
        yield lib, docs


def test_near_ranks_tracks_by_distance(gpx_library: tuple[Library, Path]) -> None:
    lib, _docs = gpx_library
    assert [h.path.name for h in lib.search("near 48.85,2.35")] == ["paris.gpx", "munich.gpx", "berlin.gpx"]
    best = lib.search("near 52.52,13.40")[0]
    assert best.path.name == "berlin.gpx" and best.best.locator.section == "Tiergarten run"
    assert set(best.best.ranks) == {"near"}  # the clause went to `near` only, not to full-text search
    munich = lib.search("near 48.14, 11.58")[0]
    assert munich.path.name == "munich.gpx" and {i.kind for i in munich.items} == {"track", "waypoints"}


def test_within_filters_and_the_rest_of_the_query_still_counts(gpx_library: tuple[Library, Path]) -> None:
    lib, _docs = gpx_library
    assert [h.path.name for h in lib.search("within 5 km of 52.515,13.36")] == ["berlin.gpx"]
    assert lib.search("within 1 km of 0,0") == []
    hits = lib.search("lakeside within 5 km of 48.86,2.34")
    assert hits[0].path.name == "paris.gpx" and set(hits[0].best.ranks) == {"near", "bm25"}
    assert lib.search("near 52.52,13.40", filters=Filters(file_types=("txt",))) == []
    assert lib.search("Tiergarten")[0].path.name in {"berlin.gpx", "notes.txt"}  # plain queries: no `near` list
    assert all("near" not in h.best.ranks for h in lib.search("Tiergarten"))


def test_items_meta_is_the_backend_read(gpx_library: tuple[Library, Path]) -> None:
    lib, _docs = gpx_library
    ids = [c.item_id for c in lib.fts_search("GPX", 50, Filters(file_types=("gpx",)))]
    metas = lib.items_meta([*ids, 999_999])
    assert set(metas) == set(ids) and all(m["gpx"] for m in metas.values())


# -- preview ----------------------------------------------------------------------------

def test_svg_preview_draws_the_polyline(tmp_path: Path) -> None:
    (item,) = extract(write(tmp_path / "a.gpx", gpx([("A &lt;b&gt; &amp; c", "", [BERLIN])])))
    svg = mmrag_gpx.render_svg(item.meta)
    root = ET.fromstring(svg)  # well-formed, the name escaped
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.find("s:title", ns).text == "A <b> & c"  # type: ignore[union-attr]
    points = [tuple(map(float, p.split(","))) for p in root.find("s:polyline", ns).get("points").split()]  # type: ignore[union-attr]
    assert len(points) == 3 and all(0 <= x <= 320 and 0 <= y <= 240 for x, y in points)
    assert points[0][0] > points[-1][0]  # the run heads west: the start is drawn right of the end
    assert {c.get("class") for c in root.findall("s:circle", ns)} == {"start", "end"}


def test_svg_preview_of_waypoints_and_of_nothing() -> None:
    svg = mmrag_gpx.render_svg({"gpx": "waypoints", "waypoints": [{"name": "A&B", "lat": 1, "lon": 2},
                                                                   {"name": "C", "lat": 1.5, "lon": 2.5}]})
    assert len(ET.fromstring(svg).findall("{http://www.w3.org/2000/svg}circle")) == 2 and "A&amp;B" in svg
    assert "no coordinates" in mmrag_gpx.render_svg({})


def test_registers_a_preview_descriptor() -> None:
    plugins = Plugins(safe_mode=True)
    plugins.register_module(mmrag_gpx, "gpx")
    ((name, preview),) = plugins.collect("register_previews")
    assert (name, preview.media_type, preview.name) == ("gpx", "application/gpx+xml", "gpx-map")
    assert preview.render({"polyline": [[1, 1], [2, 2]]}).startswith("<svg")


# -- installed for real: entry point, CLI -------------------------------------------------

def _ensure_installed() -> importlib.metadata.Distribution:
    try:
        return importlib.metadata.distribution("mmrag-gpx")
    except importlib.metadata.PackageNotFoundError:
        pass
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-e",
         str(PLUGIN_ROOT)], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    importlib.invalidate_caches()
    return importlib.metadata.distribution("mmrag-gpx")


def test_installed_plugin_through_the_cli(tmp_path: Path) -> None:
    dist = _ensure_installed()
    assert dist.version == mmrag_gpx.__version__
    docs = tmp_path / "docs"
    write(docs / "berlin.gpx", gpx([("Tiergarten run", "", [BERLIN])]))
    write(docs / "paris.gpx", gpx([("Seine walk", "", [PARIS])]))
    write(docs / "munich.gpx", gpx([("Isar ride", "", [MUNICH])]))
    data = tmp_path / "lib"
    write(data / "settings.json", json.dumps({"encoders": []}))  # full-text only: no model to load
    env = {**os.environ, "MMRAG_LOAD_PLUGINS": "gpx", "MMRAG_MODELS_DIR": str(tmp_path / "models")}
    env.pop("PYTHONPATH", None)  # found through the installed distribution, not this checkout's path

    def mmrag(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "mmrag_desktop", "--data-dir", str(data), *args], env=env,
                                capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return result

    indexed = json.loads(mmrag("index", "--json", str(docs)).stdout)
    assert (indexed["added"], indexed["failed"]) == (3, 0)
    hits = json.loads(mmrag("search", "near 52.52,13.40", "--json").stdout)
    assert [Path(h["path"]).name for h in hits] == ["berlin.gpx", "munich.gpx", "paris.gpx"]
    assert hits[0]["media_type"] == "application/gpx+xml" and hits[0]["locator"] == {"section": "Tiergarten run"}
    listing = {p["name"]: p for p in json.loads(mmrag("plugins", "--json").stdout)}
    assert listing["gpx"]["source"] == "mmrag-gpx" and listing["gpx"]["version"] == dist.version
    assert listing["gpx"]["state"] == "enabled" and listing["gpx"]["api"] == "1"
    assert listing["gpx"]["hooks"] == ["register_extractors", "register_previews", "register_query_transforms",
                                       "register_retrievers"]
