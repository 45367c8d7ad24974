"""The model catalog and the checks every model file passes before it is loaded.

The catalog (``models/catalog.json`` in the source tree, installed as the
``mmrag_models`` package) names each model's role, files,
sha256, size, licence and source. Files of PyPI-packaged models are located in the
installed package. Verification hashes a file once and remembers the result keyed by
(path, size, mtime), so a corrupted or truncated file is refused but a verified one does
not cost a re-hash at every start.
"""

from __future__ import annotations

import hashlib
import json
import site
import sys
import sysconfig
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import MMRagError
from .paths import models_dir

CATALOG = "catalog.json"


@dataclass(frozen=True)
class ModelFile:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ModelEntry:
    id: str
    role: str
    description: str
    licence: str
    source: dict[str, str]
    files: tuple[ModelFile, ...]
    default: bool = False

    @property
    def package(self) -> str | None:
        spec = self.source.get("pypi")
        return spec.split("==")[0] if spec else None


def catalog() -> list[ModelEntry]:
    data = json.loads(resources.files("mmrag_models").joinpath(CATALOG).read_text("utf-8"))
    return [
        ModelEntry(m["id"], m["role"], m.get("description", ""), m.get("licence", "?"), m.get("source", {}),
                   tuple(ModelFile(**f) for f in m["files"]), bool(m.get("default", False)))
        for m in data["models"]
    ]


def entry(model_id: str) -> ModelEntry:
    for model in catalog():
        if model.id == model_id:
            return model
    raise MMRagError(f"Model {model_id!r} is not in the catalog.")


def _search_roots() -> list[Path]:
    roots = [Path(p) for p in sys.path if p]
    roots += [Path(p) for p in site.getsitepackages()] + [Path(sysconfig.get_paths()["purelib"])]
    return list(dict.fromkeys(r for r in roots if r.is_dir()))


def locate(model: ModelEntry, file: ModelFile) -> Path | None:
    for root in _search_roots():
        candidate = root / file.path
        if candidate.exists():
            return candidate
    return None


def _stamp_path() -> Path:
    return models_dir() / ".verified.json"


def _load_stamps() -> dict[str, Any]:
    try:
        return json.loads(_stamp_path().read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def verify_file(path: Path, sha256: str, size: int, *, what: str, remedy: str) -> None:
    """Raise :class:`MMRagError` unless ``path`` exists with the expected size and hash."""
    try:
        stat = path.stat()
    except OSError:
        raise MMRagError(f"Model file for {what} is missing: {path}. {remedy}") from None
    if stat.st_size != size:
        raise MMRagError(f"Model file {path} for {what} is corrupt (size {stat.st_size}, expected {size}). {remedy}")
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    stamps = _load_stamps()
    if stamps.get(key) == sha256:
        return
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != sha256:
        raise MMRagError(f"Model file {path} for {what} is corrupt (sha256 mismatch). {remedy}")
    stamps[key] = sha256
    try:
        _stamp_path().parent.mkdir(parents=True, exist_ok=True)
        _stamp_path().write_text(json.dumps(stamps, indent=1), "utf-8")
    except OSError:
        pass  # a read-only home only costs a re-hash next time


def verify(model_id: str) -> list[Path]:
    """Locate and verify every file of a catalogued model; returns their paths."""
    model = entry(model_id)
    remedy = f"Reinstall it: pip install --force-reinstall {model.source['pypi']}" if model.package else ""
    paths: list[Path] = []
    for file in model.files:
        path = locate(model, file)
        if path is None:
            raise MMRagError(f"Model {model.id} is not installed (missing {file.path}). {remedy}".strip())
        verify_file(path, file.sha256, file.size, what=model.id, remedy=remedy)
        paths.append(path)
    return paths


def status() -> list[dict[str, Any]]:
    """Every catalogued model with whether its files are present (not hashed)."""
    rows = []
    for model in catalog():
        located = [locate(model, f) for f in model.files]
        rows.append({
            "id": model.id, "role": model.role, "licence": model.licence, "default": model.default,
            "source": model.source, "installed": all(p is not None for p in located),
            "size": sum(f.size for f in model.files), "description": model.description,
            "paths": [str(p) for p in located if p is not None],
        })
    return rows
