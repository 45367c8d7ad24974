"""GUI tests run headless: Qt's offscreen platform, no display needed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

if not os.environ.get("QT_QPA_PLATFORM"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

from mmrag_desktop.testing import fixture_corpus, temporary_library


@pytest.fixture(autouse=True)
def _thumb_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMRAG_THUMB_CACHE", str(tmp_path / "thumbs"))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return fixture_corpus(tmp_path / "docs")


@pytest.fixture
def fts_lib(tmp_path: Path) -> Iterator:
    """Full-text only (fast); the default encoder is exercised by the latency test."""
    lib = temporary_library(tmp_path / "lib")
    yield lib
    lib.close()


@pytest.fixture
def window_for(qtbot):  # type: ignore[no-untyped-def]
    """Build a MainWindow for a library; closes it (stopping workers) after the test."""
    from mmrag_desktop.gui.main_window import MainWindow

    windows = []

    def make(library, watch: bool = False):  # type: ignore[no-untyped-def]
        window = MainWindow(library, watch=watch)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
