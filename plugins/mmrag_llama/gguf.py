"""Finding the GGUF file of a generator model: a catalogued model shipped in a PyPI
package (used in place, never copied), one assembled from raw parts shipped in several
packages (concatenated once into the models folder, atomically, and reused), or a path
the user gives. Every file is checked before llama.cpp sees it, so a corrupt or missing
model is one clear sentence instead of a crash deep in native code."""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from mmrag_desktop import models
from mmrag_desktop.errors import MMRagError
from mmrag_desktop.paths import models_dir

GGUF_MAGIC = b"GGUF"


def catalog_entry(model_id: str) -> dict[str, Any] | None:
    """The raw catalog entry (with the ``assembled`` section the core loader ignores)."""
    data = json.loads(resources.files("mmrag_models").joinpath(models.CATALOG).read_text("utf-8"))
    for entry in data["models"]:
        if entry["id"] == model_id:
            return entry
    return None


def check_header(path: Path) -> None:
    """Refuse a file that is missing, empty or not GGUF before llama.cpp opens it."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise MMRagError(f"The language model file {path} cannot be read ({exc.strerror}).") from None
    if len(head) < 8 or head[:4] != GGUF_MAGIC:
        what = "empty" if not head else "not a GGUF model (bad header)"
        raise MMRagError(f"The language model file {path} is {what}; choose another model or reinstall it.")


def resolve(model: str) -> Path:
    """The verified GGUF path for a catalog id or a file path."""
    entry = catalog_entry(model)
    if entry is None:
        candidate = Path(model).expanduser()
        if not candidate.exists():
            raise MMRagError(f"Language model {model!r} is neither a catalogued model nor an existing file "
                             "(see `mmrag models list`).")
        check_header(candidate)
        return candidate.resolve()
    if entry.get("role") != "llm":
        raise MMRagError(f"Model {model} is a {entry.get('role')} model, not a language model.")
    if "assembled" in entry:
        return assemble(entry)
    (path,) = models.verify(model)
    check_header(path)
    return path


def assemble(entry: dict[str, Any]) -> Path:
    """Concatenate the verified parts of ``entry`` into the models folder once."""
    target_spec = entry["assembled"]
    target = models_dir() / target_spec["path"]
    remedy = "Reinstall its packages: pip install --force-reinstall " + " ".join(entry["source"].get("pypi_parts", []))
    if target.exists() and target.stat().st_size == target_spec["size"]:
        # Hashed once, then remembered by (path, size, mtime) like every model file.
        models.verify_file(target, target_spec["sha256"], target_spec["size"], what=entry["id"],
                           remedy=f"Delete {target} to rebuild it.")
        return target
    parts = models.verify(entry["id"])
    assemble_parts(parts, target, target_spec["sha256"], target_spec["size"], what=entry["id"], remedy=remedy)
    # Records the verified stamp, so the next start does not hash it again.
    models.verify_file(target, target_spec["sha256"], target_spec["size"], what=entry["id"], remedy=remedy)
    return target


def assemble_parts(parts: list[Path], target: Path, sha256: str, size: int, *, what: str, remedy: str = "") -> None:
    """Write ``parts`` concatenated to ``target`` through a temporary file that is only
    renamed into place once its size and sha256 match: never a half file in place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    written = 0
    try:
        with open(partial, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    while block := handle.read(1 << 22):
                        digest.update(block)
                        out.write(block)
                        written += len(block)
        if written != size or digest.hexdigest() != sha256:
            raise MMRagError(f"Assembling {what} gave a file that does not match the catalog "
                             f"(size {written}, expected {size}). {remedy}".strip())
        os.replace(partial, target)
    except OSError as exc:
        raise MMRagError(f"Cannot write {target} ({exc.strerror}); is the disk full?") from None
    finally:
        partial.unlink(missing_ok=True)
