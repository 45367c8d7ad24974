"""Cross-encoder reranking with any (query, passage) model exported to ONNX.

A cross-encoder reads the query and a passage together and scores their relevance; it is
slower than the bi-encoder that retrieved the passage but sees the interaction, so it
reorders the top of the fused list. No such model ships offline (none small enough is on
PyPI), so nothing is reranked until the user adopts one, e.g. bge-reranker exported to
ONNX::

    mmrag models import ~/Downloads/bge-reranker-base-onnx/   # model.onnx + tokenizer.json

Every installed model of role ``rerank`` with an ``.onnx`` file and a ``tokenizer.json``
(imported, or catalogued and installed) then becomes a reranker. An optional
``mmrag.json`` beside it sets ``{"top": 30, "max_tokens": 512, "batch": 16}``.
The model must take ``input_ids`` and ``attention_mask`` (``token_type_ids`` if it has
that input) and give one relevance logit per pair (``[batch, 1]`` or ``[batch]``; with
two outputs per pair, the second is the relevant class).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import Reranker
from mmrag_desktop.models import ModelEntry, by_role, locate, verify
from mmrag_desktop.records import ItemHit, Query

log = logging.getLogger(__name__)


@dataclass
class CrossEncoderFiles:
    model_id: str
    model: Path
    tokenizer: Path
    settings: dict[str, Any]


class OnnxCrossEncoder(Reranker):
    """Reorders the best ``top`` hits by the cross-encoder's score; the rest keep their place."""

    def __init__(self, files: CrossEncoderFiles, *, top: int = 30, max_tokens: int = 512, batch: int = 16,
                 threads: int | None = None) -> None:
        self.name = f"cross-encoder:{files.model_id}"  # type: ignore[misc]
        self.files = files
        self.top, self.max_tokens, self.batch, self.threads = top, max_tokens, batch, threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                verify(self.files.model_id)  # size + sha256 (cached) before the first load
                options = ort.SessionOptions()
                if self.threads:
                    options.intra_op_num_threads = self.threads
                session = ort.InferenceSession(str(self.files.model), options, providers=["CPUExecutionProvider"])
                tokenizer = Tokenizer.from_file(str(self.files.tokenizer))
                tokenizer.enable_truncation(self.max_tokens)
                tokenizer.enable_padding()
                self._inputs = {i.name for i in session.get_inputs()}
                self._session, self._tokenizer = session, tokenizer
            return self._session, self._tokenizer

    def score(self, query: str, passages: list[str]) -> np.ndarray:
        """Relevance logits of ``query`` against each passage (higher is more relevant)."""
        session, tokenizer = self._load()
        scores: list[np.ndarray] = []
        for start in range(0, len(passages), self.batch):
            encodings = tokenizer.encode_batch([(query, p) for p in passages[start:start + self.batch]])
            feed = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
            logits = session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
            logits = np.asarray(logits, dtype=np.float32)
            if logits.ndim == 2:
                logits = logits[:, -1]  # [batch, 1] → the logit; [batch, 2] → the "relevant" class
            scores.append(logits.reshape(-1))
        return np.concatenate(scores) if scores else np.zeros(0, dtype=np.float32)

    def rerank(self, query: Query, hits: list[ItemHit]) -> list[ItemHit]:
        text = (query.original or query.text or "").strip()
        if not text or len(hits) < 2:
            return hits
        head, tail = hits[: self.top], hits[self.top:]
        scores = self.score(text, [hit.text or hit.snippet for hit in head])
        order = sorted(range(len(head)), key=lambda i: -float(scores[i]))  # stable for ties
        return [head[i] for i in order] + tail


def _files(model: ModelEntry) -> CrossEncoderFiles | None:
    paths = [locate(model, f) for f in model.files]
    if any(p is None for p in paths):
        return None  # not installed
    onnx = [p for p in paths if p is not None and p.suffix == ".onnx"]
    tokenizer = [p for p in paths if p is not None and p.name == "tokenizer.json"]
    if len(onnx) != 1 or len(tokenizer) != 1:
        # e.g. a GGUF reranker: another plugin's to run.
        log.debug("rerank model %s is not one .onnx file with a tokenizer.json; skipped", model.id)
        return None
    settings_file = onnx[0].parent / "mmrag.json"
    settings = json.loads(settings_file.read_text("utf-8")) if settings_file.is_file() else {}
    return CrossEncoderFiles(model.id, onnx[0], tokenizer[0], settings)


def installed_cross_encoders() -> list[OnnxCrossEncoder]:
    rerankers = []
    for model in by_role("rerank"):
        files = _files(model)
        if files is not None:
            known = {k: files.settings[k] for k in ("top", "max_tokens", "batch") if k in files.settings}
            rerankers.append(OnnxCrossEncoder(files, **known))
    return rerankers


@hookimpl
def register_rerankers(register):  # type: ignore[no-untyped-def]
    for reranker in installed_cross_encoders():
        register(reranker)
