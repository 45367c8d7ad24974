"""Shared fixtures. Real SQLite + sqlite-vec, the real default encoder, real files in tmp dirs.

Two guards apply to every test:
* third-party plugins installed on the developer's machine are not loaded (as in llm);
* any attempt to open a network connection to anything but loopback fails the test.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmrag_desktop.config import Config
from mmrag_desktop.library import Library
from mmrag_desktop.testing import forbid_network

sys._called_from_test = True  # type: ignore[attr-defined]

@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    forbid_network(monkeypatch)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real library or models folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("MMRAG_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("MMRAG_MODELS_DIR", str(home / "models"))
    monkeypatch.delenv("MMRAG_LOAD_PLUGINS", raising=False)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library(tmp_path / "lib")
    yield lib
    lib.close()


@pytest.fixture
def fts_library(tmp_path: Path) -> Iterator[Library]:
    """A library with no encoder: full-text search only, for fast ingest tests."""
    lib = Library(tmp_path / "lib", config=Config(encoders=()))
    yield lib
    lib.close()
