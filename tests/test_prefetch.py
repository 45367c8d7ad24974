"""The indexer overlaps the extraction of consecutive files when their extractor says it
is thread-safe (``Extractor.concurrent``), and never otherwise. Overlap is proven with
events, not timings: each file's extraction waits for the other file's to have started."""

from __future__ import annotations

import threading
import types
from pathlib import Path

import pytest

from mmrag_desktop import hookimpl
from mmrag_desktop.config import Config
from mmrag_desktop.interfaces import ExtractContext, Extractor
from mmrag_desktop.library import Library
from mmrag_desktop.plugins import Plugins
from mmrag_desktop.records import Item
from mmrag_desktop.testing import write


class Rendezvous(Extractor):
    name = "rendezvous"
    extensions = (".meet",)

    def __init__(self, concurrent: bool) -> None:
        self.concurrent = concurrent  # type: ignore[misc]
        self.started = {name: threading.Event() for name in ("a.meet", "b.meet")}
        self.met: dict[str, bool] = {}

    def extract(self, path: Path, ctx: ExtractContext) -> list[Item]:
        self.started[path.name].set()
        other = next(e for name, e in self.started.items() if name != path.name)
        # Without prefetch, a.meet is extracted alone: give up after a moment.
        self.met[path.name] = other.wait(1.0)
        return [Item(text=f"content of {path.stem}")]


@pytest.mark.parametrize("concurrent", [True, False])
def test_next_file_is_extracted_while_the_current_one_is(tmp_path: Path, concurrent: bool) -> None:
    extractor = Rendezvous(concurrent)

    @hookimpl
    def register_extractors(register):  # type: ignore[no-untyped-def]
        register(extractor)

    plugins = Plugins()
    module = types.ModuleType("rendezvous")
    module.register_extractors = register_extractors  # type: ignore[attr-defined]
    plugins.register_module(module, "rendezvous")
    write(tmp_path / "docs" / "a.meet", "x")
    write(tmp_path / "docs" / "b.meet", "y")
    with Library(tmp_path / "lib", config=Config(encoders=()), plugins=plugins) as library:
        report = library.index([tmp_path / "docs"])
        assert report.added == 2 and report.failed == 0
        assert extractor.met["a.meet"] is concurrent  # a waited for b: only a prefetch starts b meanwhile
        assert {h.path.name for h in library.search("content", k=5)} == {"a.meet", "b.meet"}
