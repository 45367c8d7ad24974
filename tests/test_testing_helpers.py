"""The helpers plugin authors use (mmrag_desktop.testing) work as documented."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

import mmrag_code
import mmrag_table
from mmrag_desktop import hookimpl
from mmrag_desktop.testing import fixture_corpus, run_hook, temporary_library


def test_run_hook_returns_what_a_builtin_registers() -> None:
    (extractor,) = run_hook("register_extractors", mmrag_code)
    assert ".py" in extractor.extensions


def test_run_hook_reports_a_failing_plugin() -> None:
    @hookimpl
    def register_extractors(register):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    broken = types.ModuleType("broken_for_test")
    broken.register_extractors = register_extractors  # type: ignore[attr-defined]
    with pytest.raises(AssertionError, match="RuntimeError: boom"):
        run_hook("register_extractors", broken)


def test_temporary_library_on_the_fixture_corpus(tmp_path: Path) -> None:
    corpus = fixture_corpus(tmp_path / "corpus")
    with temporary_library(tmp_path / "lib") as library:
        report = library.index([corpus])
        assert report.failed == 0 and report.added == 6
        hit = library.search("Friedrichstraße")[0]
        assert hit.path.name == "offices.csv" and hit.best.locator.row_start == 2
    names = {e.name for e in run_hook("register_extractors", mmrag_table)}
    assert {"csv", "xlsx"} <= names
