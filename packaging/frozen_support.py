"""Checks that only make sense inside the frozen app (bundled next to launcher.py).

Freezing loses whatever is found by name at run time rather than by import: the
``mmrag`` entry points live in the distribution's metadata (``*.dist-info``), which the
spec copies with ``copy_metadata``; model files and native engines are package data.
:func:`self_check` proves all of them arrived; :func:`gui_smoke` drives the real window.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any


def builtin_entry_points() -> list[str]:
    """Names of the ``mmrag`` entry points that belong to the app's own distribution."""
    from mmrag_desktop.plugins import DISTRIBUTION, ENTRY_POINT_GROUP

    names = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        if dist is not None and dist.metadata["Name"] == DISTRIBUTION:
            names.append(ep.name)
    return sorted(names)


def warn_if_plugin_metadata_missing() -> None:
    """The plugin manager falls back to its DEFAULT_PLUGINS list when the metadata is
    gone, so the app still works; say so once, because third-party plugins installed
    beside a broken build would be missed too."""
    if getattr(sys, "frozen", False) and not builtin_entry_points():
        print("warning: this build lost its plugin metadata; using the built-in plugin list", file=sys.stderr)


def self_check() -> int:
    from mmrag_desktop import __version__, models
    from mmrag_desktop.plugins import DEFAULT_PLUGINS, Plugins

    plugins = Plugins()
    listing = [{"name": p.name, "state": p.state, "source": p.source, "reason": p.reason} for p in plugins.listing()]
    entry_points = builtin_entry_points()
    report: dict[str, Any] = {
        "version": __version__,
        "frozen": bool(getattr(sys, "frozen", False)),
        "entry_points": entry_points,
        "default_plugins": sorted(name for name, _ in DEFAULT_PLUGINS),
        "plugins": listing,
        "gui": _has_gui(),
    }
    problems = [f"plugin {p['name']} is {p['state']}: {p['reason']}" for p in listing if p["state"] != "enabled"]
    if not entry_points:
        problems.append("no mmrag entry points in the bundled metadata")
    missing = set(report["default_plugins"]) - set(entry_points)
    if entry_points and missing:
        problems.append(f"entry points missing for {sorted(missing)}")
    defaults = [m for m in models.catalog() if m.default]
    report["models"] = {}
    for model in defaults:
        try:
            report["models"][model.id] = [str(p) for p in models.verify(model.id)]
        except Exception as exc:
            problems.append(f"default model {model.id}: {exc}")
    try:
        report["search"] = _index_and_search()
        if report["search"]["dense_top"] != "boat.md":
            problems.append(f"dense search found {report['search']['dense_top']!r}, expected boat.md")
    except Exception as exc:
        problems.append(f"index and search failed: {type(exc).__name__}: {exc}")
    report["problems"] = problems
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if problems else 0


def _index_and_search() -> dict[str, Any]:
    """The whole path once, in a throw-away library: SQLite + sqlite-vec, the plugins'
    extractors, the default encoder's native engine and weights, hybrid search."""
    from mmrag_desktop.library import Library

    with tempfile.TemporaryDirectory(prefix="mmrag-self-check-") as tmp:
        notes = Path(tmp) / "notes"
        notes.mkdir()
        (notes / "boat.md").write_text("# Sailing\nThe boat trip to the lighthouse starts at nine.\n", "utf-8")
        (notes / "bread.txt").write_text("Knead the dough for ten minutes before baking.\n", "utf-8")
        with Library(Path(tmp) / "library") as library:
            report = library.index([notes])
            dense = library.search("ship voyage", retrievers=["dense"])
            return {"indexed": report.added, "encoders": [e.model_id for e in library.encoders],
                    "dense_top": dense[0].path.name if dense else None}


def _has_gui() -> bool:
    import importlib.util

    return importlib.util.find_spec("mmrag_desktop.gui") is not None


def gui_smoke(args: list[str]) -> int:
    """Open the main window offscreen on a fresh library, index the bundled sample
    folder through the window, search, save a screenshot to ``args[0]``. Prints one JSON
    line; exit code 0 only if every step happened."""
    if not _has_gui():
        print(json.dumps({"skipped": "no mmrag_desktop.gui in this build"}))
        return 3
    out = Path(args[0] if args else ".").resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="mmrag-gui-smoke-"))
    os.environ.setdefault("MMRAG_THUMB_CACHE", str(work / "thumbs"))
    from mmrag_desktop.gui.app import create_app
    from mmrag_desktop.gui.main_window import SAMPLE, MainWindow
    from PySide6.QtCore import QCoreApplication

    from mmrag_desktop.library import Library

    steps: dict[str, Any] = {}
    start = time.perf_counter()

    def wait(condition: Any, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not condition():
            QCoreApplication.processEvents()
            time.sleep(0.01)
            if time.monotonic() > deadline:
                return False
        for _ in range(20):  # let queued paints settle before a screenshot
            QCoreApplication.processEvents()
            time.sleep(0.01)
        return True

    app = create_app([])
    library = Library(work / "library")
    window = MainWindow(library, watch=False)
    window.resize(1200, 800)
    window.show()
    QCoreApplication.processEvents()
    # From the process's start (bootloader, imports, Qt) to a shown window.
    import psutil

    steps["window_s"] = round(time.time() - psutil.Process().create_time(), 2)
    corpus = work / "sample"
    shutil.copytree(SAMPLE, corpus)
    window.add_folder(str(corpus))
    wait(lambda: window.indexer.is_busy(), 10)
    steps["indexed"] = wait(lambda: not window.indexer.is_busy(), 300)
    searched: list[Any] = []
    window.search_panel.searched.connect(searched.append)
    window.search_panel.box.setText("how do I make a backup of my files")
    window.search_panel.box.commit()
    steps["searched"] = wait(lambda: bool(searched), 60)
    steps["hits"] = library.search("backup", k=5) and len(library.search("backup", k=5))
    shot = out / "frozen-window.png"
    steps["screenshot"] = bool(window.grab().save(str(shot))) and shot.exists()
    steps["total_s"] = round(time.perf_counter() - start, 2)
    window.close()
    library.close()
    app.processEvents()
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(steps))
    return 0 if steps["indexed"] and steps["searched"] and steps["hits"] and steps["screenshot"] else 1
