"""Plugins: loading through entry points, error isolation, allow-list, safe mode, API version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from mmrag_desktop import hookimpl
from mmrag_desktop.config import Config
from mmrag_desktop.interfaces import Extractor, QueryTransform, Retriever
from mmrag_desktop.library import Library
from mmrag_desktop.plugins import Plugins
from mmrag_desktop.records import Candidate, Item, Query, RankedList
from mmrag_desktop.testing import write


def _module(name: str, **attrs: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


def _fake_distribution(root: Path, dist: str, entry_name: str, module: str, source: str) -> None:
    info = root / f"{dist.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n", "utf-8")
    (info / "entry_points.txt").write_text(f"[mmrag]\n{entry_name} = {module}\n", "utf-8")
    (root / f"{module}.py").write_text(source, "utf-8")


class ShoutingExtractor(Extractor):
    name = "shout"
    extensions = (".shout",)

    def extract(self, path: Path, ctx):  # type: ignore[no-untyped-def]
        text = path.read_text("utf-8")
        if "explode" in text:
            raise RuntimeError("the parser fell over")
        yield Item(text.upper())


def test_plugin_raising_in_a_hook_is_disabled_and_indexing_goes_on(tmp_path: Path) -> None:
    @hookimpl
    def register_extractors(register):  # type: ignore[no-untyped-def]
        raise ValueError("cannot register today")

    plugins = Plugins()
    plugins.register_module(_module("grumpy", register_extractors=register_extractors), "grumpy")
    docs = tmp_path / "docs"
    write(docs / "a.txt", "still indexed")
    with Library(tmp_path / "lib", plugins=plugins, config=Config(encoders=())) as lib:
        assert lib.index([docs]).added == 1
        info = {p["name"]: p for p in lib.plugin_listing()}
        assert info["grumpy"]["state"] == "failed"
        assert "register_extractors raised ValueError: cannot register today" in info["grumpy"]["reason"]
        assert info["text"]["state"] == "enabled"


def test_extractor_raising_fails_only_that_file(tmp_path: Path) -> None:
    @hookimpl
    def register_extractors(register):  # type: ignore[no-untyped-def]
        register(ShoutingExtractor())

    plugins = Plugins()
    plugins.register_module(_module("shout", register_extractors=register_extractors), "shout")
    docs = tmp_path / "docs"
    write(docs / "ok.shout", "quiet words")
    write(docs / "bad.shout", "explode now")
    with Library(tmp_path / "lib", plugins=plugins, config=Config(encoders=())) as lib:
        report = lib.index([docs])
        assert (report.added, report.failed) == (1, 1)
        (problem,) = lib.status()["problems"]
        assert problem["reason"] == "shout: RuntimeError: the parser fell over"
        assert lib.search("quiet")[0].best.text == "QUIET WORDS"


def test_third_party_retriever_and_transform_take_part_in_search(tmp_path: Path) -> None:
    class NewestFirst(Retriever):
        name = "newest"
        weight = 0.5

        def search(self, query, backend, k, filters):  # type: ignore[no-untyped-def]
            ids = backend.fts_search("alpha", k, filters)
            return [RankedList("newest", tuple(Candidate(c.item_id, 1.0) for c in ids))]

    class Expand(QueryTransform):
        name = "expand"

        def transform(self, query: Query) -> Query:
            return Query(text=(query.text or "") + " alpha", original=query.text)

    @hookimpl
    def register_retrievers(register):  # type: ignore[no-untyped-def]
        register(NewestFirst())

    @hookimpl
    def register_query_transforms(register):  # type: ignore[no-untyped-def]
        register(Expand())

    plugins = Plugins()
    plugins.register_module(_module("extra", register_retrievers=register_retrievers,
                                    register_query_transforms=register_query_transforms), "extra")
    docs = tmp_path / "docs"
    write(docs / "a.txt", "alpha particle")
    write(docs / "b.txt", "beta particle")
    with Library(tmp_path / "lib", plugins=plugins, config=Config(encoders=())) as lib:
        lib.index([docs])
        hits = lib.search("zzz")
        assert hits[0].path.name == "a.txt" and set(hits[0].best.ranks) == {"bm25", "newest"}


def test_incompatible_api_is_not_loaded() -> None:
    plugins = Plugins()
    info = plugins.register_module(_module("future", MMRAG_HOOK_API="2"), "future")
    assert info.state == "incompatible" and "hook API 2" in (info.reason or "")


def test_entry_point_plugin_that_fails_to_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_distribution(tmp_path, "mmrag-broken", "broken", "mmrag_broken_mod", "raise RuntimeError('missing DLL')\n")
    _fake_distribution(tmp_path / "b", "mmrag-fine", "fine", "mmrag_fine_mod",
                       "from mmrag_desktop import hookimpl\n@hookimpl\ndef register_rerankers(register):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    monkeypatch.setenv("MMRAG_LOAD_PLUGINS", "broken,mmrag-fine")
    plugins = Plugins()
    assert plugins.info["broken"].state == "failed"
    assert plugins.info["broken"].reason == "import failed: RuntimeError: missing DLL"
    assert plugins.info["broken"].source == "mmrag-broken" and plugins.info["broken"].version == "1.2.3"
    assert plugins.info["fine"].state == "enabled" and plugins.info["fine"].hooks == ["register_rerankers"]
    monkeypatch.setenv("MMRAG_LOAD_PLUGINS", "fine")
    assert Plugins().info["broken"].state == "not-allowed"
    assert "broken" not in Plugins(safe_mode=True).info


def test_cli_lists_a_broken_third_party_plugin_and_still_indexes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _fake_distribution(site, "mmrag-broken", "broken", "mmrag_broken_mod", "import not_a_real_module_xyz\n")
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("MMRAG_LOAD_PLUGINS", None)
    base = [sys.executable, "-m", "mmrag_desktop", "--data-dir", str(tmp_path / "lib")]
    listing = json.loads(subprocess.run([*base, "plugins", "--json"], env=env, capture_output=True, text=True).stdout)
    broken = next(p for p in listing if p["name"] == "broken")
    assert broken["state"] == "failed" and "No module named 'not_a_real_module_xyz'" in broken["reason"]
    safe = json.loads(subprocess.run([*base, "--safe-mode", "plugins", "--json"], env=env, capture_output=True,
                                     text=True).stdout)
    assert "broken" not in {p["name"] for p in safe}
    write(tmp_path / "docs" / "a.txt", "hello")
    indexed = subprocess.run([*base, "index", str(tmp_path / "docs")], env=env, capture_output=True, text=True)
    assert indexed.returncode == 0 and "1 added" in indexed.stdout


def test_retriever_raising_at_search_time_is_disabled_and_search_goes_on(tmp_path: Path) -> None:
    calls = []

    class Flaky(Retriever):
        name = "flaky"

        def search(self, query, backend, k, filters):  # type: ignore[no-untyped-def]
            calls.append(query.text)
            raise ConnectionError("index server unreachable")

    @hookimpl
    def register_retrievers(register):  # type: ignore[no-untyped-def]
        register(Flaky())

    plugins = Plugins()
    plugins.register_module(_module("flaky", register_retrievers=register_retrievers), "flaky")
    write(tmp_path / "docs" / "a.txt", "kiwi fruit")
    with Library(tmp_path / "lib", plugins=plugins, config=Config(encoders=())) as lib:
        lib.index([tmp_path / "docs"])
        assert lib.search("kiwi")[0].path.name == "a.txt"
        assert lib.search("fruit")[0].path.name == "a.txt"
        assert calls == ["kiwi"]  # not called again once disabled
        info = {p["name"]: p for p in lib.plugin_listing()}["flaky"]
        assert info["state"] == "failed" and "ConnectionError: index server unreachable" in info["reason"]


def test_hanging_extractor_is_timed_out_and_indexing_goes_on(tmp_path: Path) -> None:
    import threading

    release = threading.Event()

    class Stuck(Extractor):
        name = "stuck"
        extensions = (".stuck",)

        def extract(self, path: Path, ctx):  # type: ignore[no-untyped-def]
            release.wait(30)  # stands in for an extractor caught in an endless loop
            yield Item("never")

    @hookimpl
    def register_extractors(register):  # type: ignore[no-untyped-def]
        register(Stuck())

    plugins = Plugins()
    plugins.register_module(_module("stuck", register_extractors=register_extractors), "stuck")
    write(tmp_path / "docs" / "a.stuck", "x")
    write(tmp_path / "docs" / "b.txt", "walrus")
    config = Config(encoders=(), extract_timeout_s=0.5)
    try:
        with Library(tmp_path / "lib", plugins=plugins, config=config) as lib:
            report = lib.index([tmp_path / "docs"])
            assert (report.added, report.failed) == (1, 1)
            (problem,) = lib.status()["problems"]
            assert problem["reason"] == "stuck: timed out after 0.5 s"
            assert lib.search("walrus")[0].path.name == "b.txt"
    finally:
        release.set()


def test_reranker_reorders_results(tmp_path: Path) -> None:
    from mmrag_desktop.interfaces import Reranker

    class LongestFirst(Reranker):
        name = "longest"

        def rerank(self, query, hits):  # type: ignore[no-untyped-def]
            return sorted(hits, key=lambda h: -len(h.text))

    @hookimpl
    def register_rerankers(register):  # type: ignore[no-untyped-def]
        register(LongestFirst())

    write(tmp_path / "docs" / "short.txt", "owl")
    write(tmp_path / "docs" / "long.txt", "owl " + "and other nocturnal birds of the forest " * 5)
    config = Config(encoders=())
    with Library(tmp_path / "plain", config=config) as lib:
        lib.index([tmp_path / "docs"])
        assert lib.search("owl")[0].path.name == "short.txt"  # BM25 prefers the short file
    plugins = Plugins()
    plugins.register_module(_module("longest", register_rerankers=register_rerankers), "longest")
    with Library(tmp_path / "reranked", plugins=plugins, config=config) as lib:
        lib.index([tmp_path / "docs"])
        assert [h.path.name for h in lib.search("owl")] == ["long.txt", "short.txt"]
