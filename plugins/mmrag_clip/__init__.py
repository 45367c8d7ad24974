"""Built-in plugin: image–text (CLIP-class) encoders in the common ONNX layout.

No CLIP-class model ships where this app installs from, so none is active by default;
a user who has one (e.g. Immich's exports of OpenCLIP and multilingual M-CLIP models)
puts it in ``<models dir>/clip/<name>/``:

```
clip/XLM-Roberta-Large-Vit-B-16Plus/
  config.json                  {"embed_dim": 640, "text_cfg": {"context_length": 77, ...}, ...}
  visual/model.onnx            input "image" (N, 3, S, S) float32 → (N, embed_dim)
  visual/preprocess_cfg.json   {"size": [240, 240], "mean": [...], "std": [...],
                                "interpolation": "bicubic", "resize_mode": "shortest"}
  textual/model.onnx           input "text" (N, L) int32, or "input_ids" + "attention_mask" (M-CLIP)
  textual/tokenizer.json       a Hugging Face `tokenizers` file
  textual/tokenizer_config.json  {"pad_token": "<|endoftext|>", ...}
```

OpenAI-layout exports (Jina AI's clip-as-service: visual input ``pixel_values``, textual
``input_ids`` + ``attention_mask``) work too, with ``textual/bpe_simple_vocab_16e6.txt.gz``
instead of ``tokenizer.json`` and no config files (OpenAI's preprocessing is the
default); the model catalog installs one such model, ``clip-vit-b-32-openai``, in that
layout.

Each such folder becomes an encoder of the same name with modalities {text, image}: one
joint space where text→image and image→image are plain vector search. It embeds visual
items from their ``meta["image"]`` rendition and declines text items (a CLIP text tower
is no document embedder). Select it with ``mmrag config set encoders …`` next to the
default ones.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import Encoder
from mmrag_desktop.paths import models_dir
from mmrag_desktop.records import Item, Query

MMRAG_HOOK_API = "1"

#: Item kinds with a picture to embed (the image plugin's contract; kept here so this
#: plugin works without it).
VISUAL_KINDS = frozenset({"image", "keyframe", "view", "scanned-page", "frame"})
#: OpenAI's merges file: the tokenizer of OpenAI-layout exports that have no tokenizer.json.
BPE_MERGES = "bpe_simple_vocab_16e6.txt.gz"
_RESAMPLING = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "nearest": Image.NEAREST,
               "lanczos": Image.LANCZOS}


def folders(root: Path | None = None) -> list[Path]:
    """Model folders with the CLIP layout under ``<models dir>/clip``."""
    base = (root or models_dir()) / "clip"
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if (p / "visual" / "model.onnx").is_file()
                  and (p / "textual" / "model.onnx").is_file())


class ClipEncoder(Encoder):
    modalities = frozenset({"text", "image"})
    metric = "cosine"
    max_tokens = 77
    default = False

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = f"clip:{folder.name}"  # type: ignore[misc]
        config = json.loads((folder / "config.json").read_text("utf-8")) if (folder / "config.json").exists() else {}
        self.dim = int(config.get("embed_dim", 0))
        self.context = int(config.get("text_cfg", {}).get("context_length", 77))
        self.max_tokens = self.context
        digest = (folder / "visual" / "model.onnx").stat()
        # Size + mtime stand in for a content hash: a replaced model makes a new space.
        self.model_id = f"clip:{folder.name}@{digest.st_size}-{int(digest.st_mtime)}"
        self._lock = threading.Lock()
        self._visual: Any = None
        self._textual: Any = None
        self._tokenizer: Any = None
        self._pre: dict[str, Any] = {}

    def _session(self, path: Path) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads or min(4, os.cpu_count() or 1)
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def _load(self) -> None:
        with self._lock:
            if self._visual is not None:
                return
            pre = self.folder / "visual" / "preprocess_cfg.json"
            # Without one: OpenAI CLIP's own (224 px, shortest side, centre crop, its mean/std).
            self._pre = json.loads(pre.read_text("utf-8")) if pre.exists() else {}
            self._tokenizer = self._load_tokenizer()
            self._textual = self._session(self.folder / "textual" / "model.onnx")
            self._visual = self._session(self.folder / "visual" / "model.onnx")

    def _load_tokenizer(self) -> Any:
        textual = self.folder / "textual"
        if not (textual / "tokenizer.json").exists() and (textual / BPE_MERGES).exists():
            from .bpe import clip_tokenizer

            return clip_tokenizer(textual / BPE_MERGES, self.context)  # OpenAI layout: merges only
        from tokenizers import Tokenizer

        tok_cfg_path = textual / "tokenizer_config.json"
        tok_cfg = json.loads(tok_cfg_path.read_text("utf-8")) if tok_cfg_path.exists() else {}
        tokenizer = Tokenizer.from_file(str(textual / "tokenizer.json"))
        pad = tok_cfg.get("pad_token")
        pad_id = tokenizer.token_to_id(pad) if isinstance(pad, str) else None
        tokenizer.enable_padding(length=self.context, pad_token=pad or "[PAD]", pad_id=pad_id or 0)
        tokenizer.enable_truncation(max_length=self.context)
        return tokenizer

    def ensure_dim(self) -> None:
        if not self.dim:
            self._load()
            self.dim = int(self._visual.get_outputs()[0].shape[-1])

    def accepts(self, item: Item) -> bool:
        return item.modality == "image" and item.kind in VISUAL_KINDS and bool(item.meta.get("image"))

    def preprocess(self, image: Image.Image) -> np.ndarray:
        size = self._pre.get("size", 224)
        side = int(size[0] if isinstance(size, list) else size)
        resample = _RESAMPLING.get(str(self._pre.get("interpolation", "bicubic")), Image.BICUBIC)
        rgb = image.convert("RGB")
        if self._pre.get("resize_mode", "shortest") == "squash":
            rgb = rgb.resize((side, side), resample)
        else:
            scale = side / min(rgb.size)
            rgb = rgb.resize((max(side, round(rgb.width * scale)), max(side, round(rgb.height * scale))), resample)
            left, top = (rgb.width - side) // 2, (rgb.height - side) // 2
            rgb = rgb.crop((left, top, left + side, top + side))
        mean = np.array(self._pre.get("mean", [0.48145466, 0.4578275, 0.40821073]), dtype=np.float32)
        std = np.array(self._pre.get("std", [0.26862954, 0.2613026, 0.2757771]), dtype=np.float32)
        return ((np.asarray(rgb, dtype=np.float32) / 255.0 - mean) / std).transpose(2, 0, 1)

    def _images(self, images: list[Image.Image]) -> np.ndarray:
        self._load()
        batch = np.stack([self.preprocess(im) for im in images]).astype(np.float32)
        name = self._visual.get_inputs()[0].name
        return _normalise(self._visual.run(None, {name: batch})[0])

    def _texts(self, texts: list[str]) -> np.ndarray:
        self._load()
        encodings = self._tokenizer.encode_batch(texts)
        # Exports differ in integer width (int32 in Immich's, int64 in others): feed what
        # each input declares.
        kinds = {i.name: np.int64 if i.type == "tensor(int64)" else np.int32 for i in self._textual.get_inputs()}
        ids = [e.ids for e in encodings]
        if "input_ids" in kinds:  # M-CLIP (XLM-Roberta) and OpenAI-layout exports
            feeds = {"input_ids": np.array(ids, dtype=kinds["input_ids"])}
            if "attention_mask" in kinds:
                feeds["attention_mask"] = np.array([e.attention_mask for e in encodings], dtype=kinds["attention_mask"])
        else:
            name = next(iter(kinds))
            feeds = {name: np.array(ids, dtype=kinds[name])}
        return _normalise(self._textual.run(None, feeds)[0])

    def embed_items(self, items: Sequence[Item]) -> np.ndarray:
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        images, where = [], []
        for i, item in enumerate(items):
            try:
                with Image.open(item.meta["image"]) as image:
                    images.append(image.convert("RGB"))
                where.append(i)
            except (OSError, KeyError):
                pass  # rendition gone: a zero vector never ranks high
        if images:
            out[where] = self._images(images)
        return out

    def embed_query(self, query: Query) -> np.ndarray | None:
        if query.modality == "image" and query.path is not None:
            with Image.open(query.path) as image:
                return self._images([image.convert("RGB")])[0]
        if query.modality == "text" and (query.text or "").strip():
            return self._texts([query.text or ""])[0]
        return None


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = vectors.reshape(vectors.shape[0], -1).astype(np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


@hookimpl
def register_encoders(register: Callable[[Encoder], None]) -> None:
    for folder in folders():
        register(ClipEncoder(folder))
