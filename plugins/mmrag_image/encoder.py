"""The image→image space: EfficientNet-Lite0 pooled features of every visual item."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from mmrag_desktop.interfaces import Encoder
from mmrag_desktop.records import Item, Query

from .analysis import FEATURES, VISION, VISUAL_KINDS
from .query import query_picture
from .vision import preprocess


class ImageFeatureEncoder(Encoder):
    """EfficientNet-Lite0 pooled features: the offline image→image space."""

    name = "efficientnet-lite0-features"
    model_id = "efficientnet-lite0-features@mmrag-convert-1"
    dim = 1280
    metric = "cosine"
    modalities = frozenset({"image"})
    max_tokens = 0
    default = True

    def accepts(self, item: Item) -> bool:
        return item.modality == "image" and item.kind in VISUAL_KINDS and bool(item.meta.get("image"))

    def embed_items(self, items: Sequence[Item]) -> np.ndarray:
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        todo: list[int] = []
        batch: list[np.ndarray] = []
        for i, item in enumerate(items):
            cached = FEATURES.pop(str(item.meta["image"]))
            if cached is not None:
                out[i] = cached / max(float(np.linalg.norm(cached)), 1e-12)
                continue
            try:
                with Image.open(item.meta["image"]) as image:
                    batch.append(preprocess(image.convert("RGB")))
                todo.append(i)
            except OSError:
                pass  # rendition deleted: a zero vector never ranks high; re-index restores it
        if todo:
            VISION.threads = self.threads or VISION.threads
            _, features = VISION.run(np.stack(batch))
            out[todo] = features
        return out

    def embed_query(self, query: Query) -> np.ndarray | None:
        if query.modality != "image" or query.path is None:
            return None
        picture = query_picture(Path(query.path))
        _, features = VISION.run(preprocess(picture.image)[None])
        return features[0]

