"""Shared fixtures. Real SQLite + sqlite-vec, the real default encoder, real files in tmp dirs.

Two guards apply to every test:
* third-party plugins installed on the developer's machine are not loaded (as in llm);
* any attempt to open a network connection to anything but loopback fails the test.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmrag_desktop.config import Config
from mmrag_desktop.library import Library

sys._called_from_test = True  # type: ignore[attr-defined]

SAMPLE = Path(__file__).resolve().parent.parent / "mmrag_desktop" / "sample"


class NetworkAccessError(AssertionError):
    """Raised when code under test tries to reach a non-loopback address."""


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: resolving it would already leave the machine


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise NetworkAccessError(f"test tried to open a network connection to {address!r}")
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(address):
        raise NetworkAccessError(f"test tried to open a network connection to {address!r}")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


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
