"""``mmrag plugin new``: write a ready-to-install plugin distribution.

The result is a folder ``mmrag-NAME`` with a ``pyproject.toml`` that registers the
package in the ``mmrag`` entry-point group, a package with an example extractor for a
made-up file type (``.memo``: entries separated by ``---`` lines, the first line of
each its title), a README and tests that pass out of the box — edit from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import MMRagError
from .hookspecs import HOOK_API_VERSION

_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
_EXTENSION = re.compile(r"\.[a-z0-9]{1,16}")
DEFAULT_EXTENSION = ".memo"


@dataclass(frozen=True)
class PluginNames:
    """Every name the generated files use, derived from the plugin name."""

    name: str  # entry-point name, shown by `mmrag plugins` and used in MMRAG_LOAD_PLUGINS
    distribution: str  # what `pip install` knows it as
    package: str  # the importable package
    extension: str  # the file type of the example extractor
    extractor_class: str

    @classmethod
    def from_name(cls, name: str, extension: str = DEFAULT_EXTENSION) -> PluginNames:
        raw = name.strip().lower()
        for prefix in ("mmrag-", "mmrag_"):
            raw = raw.removeprefix(prefix)
        if not _NAME.fullmatch(raw):
            raise MMRagError(f"{name!r} is not a usable plugin name: use lower-case letters, digits and single "
                             "hyphens, starting with a letter (e.g. 'recipes' or 'photo-notes').")
        ext = extension.strip().lower()
        ext = ext if ext.startswith(".") else "." + ext
        if not _EXTENSION.fullmatch(ext):
            raise MMRagError(f"{extension!r} is not a file extension like '.memo'.")
        words = re.split(r"[^a-z0-9]+", ext[1:])
        return cls(raw, f"mmrag-{raw}", "mmrag_" + raw.replace("-", "_"), ext,
                   "".join(w.title() for w in words) + "Extractor")


def write_plugin(names: PluginNames, target: Path) -> list[Path]:
    """Write the distribution into ``target`` (created; must not exist or be empty).
    Returns the files written."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise MMRagError(f"{target} already exists and is not an empty folder.")
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README,
        ".gitignore": _GITIGNORE,
        f"{names.package}/__init__.py": _PACKAGE,
        f"tests/test_{names.package}.py": _TEST,
    }
    values = {
        "__NAME__": names.name,
        "__DIST__": names.distribution,
        "__PACKAGE__": names.package,
        "__EXT__": names.extension,
        "__EXT_WORD__": names.extension[1:],
        "__CLASS__": names.extractor_class,
        "__API_MAJOR__": HOOK_API_VERSION.split(".")[0],
        "__APP_MIN__": ".".join(__version__.split(".")[:2]),
    }
    written = []
    for relative, template in files.items():
        text = template
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"), "utf-8")
        written.append(path)
    return written


_PYPROJECT = '''
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "__DIST__"
version = "0.1.0"
description = "MM-RAG Desktop plugin: __EXT__ files"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["mmrag-desktop>=__APP_MIN__"]

[project.optional-dependencies]
test = ["pytest>=8"]

# This is what makes it a plugin: MM-RAG Desktop loads every entry of the `mmrag` group.
[project.entry-points.mmrag]
__NAME__ = "__PACKAGE__"

[tool.setuptools]
packages = ["__PACKAGE__"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

_PACKAGE = '''
"""__DIST__: an MM-RAG Desktop plugin.

The example extractor reads ``__EXT__`` files, a made-up format: entries separated by
lines of ``---``, the first line of each entry its title. Each entry becomes one item,
located by its title and line numbers. Replace it with your own format; see
docs/plugins.md of MM-RAG Desktop for every hook (encoders, retrievers, rerankers …).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_desktop.records import Item, Locator

__version__ = "0.1.0"
#: Major hook-API versions this plugin is written for (the app refuses others).
MMRAG_HOOK_API = "__API_MAJOR__"

SEPARATOR = "---"


class __CLASS__(Extractor):
    name = "__NAME__"
    extensions = ("__EXT__",)
    media_type = "text/x-__EXT_WORD__"
    version = "1"  # bump when the items change: indexed files are then re-extracted

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        try:
            lines = path.read_text("utf-8").splitlines()
        except UnicodeDecodeError:
            raise ExtractionError("not a UTF-8 __EXT__ file") from None
        if not any(line.strip() for line in lines):
            raise ExtractionError("empty __EXT__ file")
        start = 0
        for end in [*(i for i, line in enumerate(lines) if line.strip() == SEPARATOR), len(lines)]:
            block, first = lines[start:end], start + 1  # first: 1-based line number of block[0]
            start = end + 1
            while block and not block[0].strip():
                block, first = block[1:], first + 1
            while block and not block[-1].strip():
                block = block[:-1]
            if not block:
                continue
            title = block[0].strip()
            # Long entries are split into chunks the active encoder can embed whole.
            for chunk in ctx.chunk("\\n".join(block), line_offset=first):
                yield Item(chunk.text, kind="entry", meta={"title": title},
                           locator=Locator(section=title, line_start=chunk.line_start, line_end=chunk.line_end))


@hookimpl
def register_extractors(register):  # type: ignore[no-untyped-def]
    register(__CLASS__())
'''

_TEST = '''
"""Tests of __DIST__. Run ``pytest`` in this folder (``pip install -e .`` first to also
check the entry point)."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from mmrag_desktop.config import Config
from mmrag_desktop.interfaces import ExtractContext, ExtractionError
from mmrag_desktop.library import Library
from mmrag_desktop.plugins import Plugins
from mmrag_desktop.testing import forbid_network, write

import __PACKAGE__

SAMPLE = "Shopping\\nmilk\\neggs\\n---\\n\\nPlugin ideas\\nindex recipe cards\\n"


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    forbid_network(monkeypatch)  # a plugin must work offline
    monkeypatch.setenv("MMRAG_MODELS_DIR", str(tmp_path / "models"))


def test_one_item_per_entry(tmp_path: Path) -> None:
    path = write(tmp_path / "notes__EXT__", SAMPLE)
    items = list(__PACKAGE__.__CLASS__().extract(path, ExtractContext()))
    assert [item.locator.section for item in items] == ["Shopping", "Plugin ideas"]
    assert (items[1].locator.line_start, items[1].locator.line_end) == (6, 7)
    assert items[1].text == "Plugin ideas\\nindex recipe cards"
    with pytest.raises(ExtractionError, match="empty"):
        list(__PACKAGE__.__CLASS__().extract(write(tmp_path / "empty__EXT__", "\\n"), ExtractContext()))


def test_indexed_and_found_by_a_library(tmp_path: Path) -> None:
    plugins = Plugins(safe_mode=True)  # the built-ins, then this plugin; nothing else installed leaks in
    assert plugins.register_module(__PACKAGE__, "__NAME__").state == "enabled"
    write(tmp_path / "docs" / "notes__EXT__", SAMPLE)
    with Library(tmp_path / "lib", plugins=plugins, config=Config(encoders=())) as library:
        assert library.index([tmp_path / "docs"]).added == 1
        best = library.search("recipe cards")[0]
        assert best.path.name == "notes__EXT__" and best.best.locator.section == "Plugin ideas"


def test_found_through_its_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        dist = importlib.metadata.distribution("__DIST__")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("not installed: pip install -e .")
    monkeypatch.setenv("MMRAG_LOAD_PLUGINS", "__NAME__")
    info = Plugins().info["__NAME__"]
    assert (info.state, info.source, info.version) == ("enabled", "__DIST__", dist.version)
    assert info.hooks == ["register_extractors"]
'''

_README = '''
# __DIST__

A plugin for MM-RAG Desktop that indexes `__EXT__` files.

```sh
pip install -e .          # in the environment MM-RAG Desktop runs in
mmrag plugins             # __NAME__  enabled  __DIST__ 0.1.0  hooks: register_extractors
mmrag index ~/Notes
```

## Develop

* `__PACKAGE__/__init__.py` holds the extractor and its `@hookimpl`; add encoders,
  retrievers, query transforms or rerankers with the other `register_*` hooks.
* Raise `ExtractionError("reason")` for a file you cannot read: only that file fails.
* Bump the extractor's `version` whenever its items change, so files are re-extracted.
* `MMRAG_LOAD_PLUGINS=__NAME__` loads only this third-party plugin; `--safe-mode` none;
  `MMRAG_TRACE_PLUGINS=1` logs every hook call.

## Test

```sh
pip install -e ".[test]"
pytest
```
'''

_GITIGNORE = '''
__pycache__/
*.egg-info/
build/
dist/
.pytest_cache/
'''
