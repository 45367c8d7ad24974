"""Helpers for testing MM-RAG Desktop and its plugins (used by the built-in plugins' tests).

* :func:`run_hook` — what one plugin module registers through a hook, via the real
  plugin manager (so a hookimpl typo or an exception shows up as it would in the app);
* :func:`temporary_library` — a :class:`Library` in a folder of your choosing with the
  built-in plugins plus yours, full-text only unless you ask for the default encoder;
* :func:`fixture_corpus` — a copy of the bundled sample corpus (English and Chinese
  notes, a table, Python code) to index;
* :func:`write` and :func:`forbid_network`.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .netguard import is_loopback as _is_local

if TYPE_CHECKING:
    from .config import Config
    from .library import Library

SAMPLE_CORPUS = Path(__file__).resolve().parent / "sample"


def run_hook(hook_name: str, *modules: ModuleType) -> list[Any]:
    """Call ``hook_name`` (e.g. ``"register_extractors"``) on only the given plugin
    modules and return what they registered. A plugin that fails to load or raises
    makes this fail with the reason the app would show."""
    from .plugins import Plugins

    plugins = Plugins(load_entry_points=False)
    for module in modules:
        info = plugins.register_module(module)
        if info.state != "enabled":
            raise AssertionError(f"plugin {info.name} is {info.state}: {info.reason}")
    registered = [obj for _name, obj in plugins.collect(hook_name)]
    failed = [i for i in plugins.listing() if i.state != "enabled"]
    if failed:
        raise AssertionError(f"plugin {failed[0].name} failed: {failed[0].reason}")
    return registered


def temporary_library(data_dir: Path, *modules: ModuleType, config: Config | None = None,
                      dense: bool = False) -> Library:
    """A library in ``data_dir`` with the built-in plugins and ``modules`` registered.

    Without ``dense`` no encoder is active (fast: full-text search only). Close it when
    done (it is a context manager)."""
    from .config import Config
    from .library import Library
    from .plugins import Plugins

    plugins = Plugins(safe_mode=True)
    for module in modules:
        plugins.register_module(module)
    config = config or (Config() if dense else Config(encoders=()))
    return Library(data_dir, config=config, plugins=plugins)


def fixture_corpus(destination: Path) -> Path:
    """Copy the bundled sample corpus to ``destination`` and return it."""
    shutil.copytree(SAMPLE_CORPUS, destination)
    return destination


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (UTF-8), creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


class NetworkAccessError(AssertionError):
    """Raised when code under test tries to reach a non-loopback address."""


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



def forbid_network(monkeypatch: Any) -> None:
    """Make any socket connection to a non-loopback address raise
    :class:`NetworkAccessError` (use from an autouse pytest fixture)."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
