"""Reading a GGUF file's header: metadata and tensor table, without loading weights.

GGUF (llama.cpp's format) is: magic ``GGUF``, a version, tensor and key-value counts,
the key-value metadata (``general.architecture``, ``general.name`` …), the tensor infos,
then aligned tensor data. Parsing it here (a page of code) lets ``mmrag models import``
tell a chat model from an embedding model and refuse a truncated download before
llama.cpp would crash on it, without depending on llama.cpp.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import MMRagError

MAGIC = b"GGUF"
#: Larger strings or arrays than this in a header mean a corrupt file, not a model.
MAX_STRING = 1 << 24
MAX_ARRAY = 1 << 25
MAX_COUNT = 1 << 24

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
#: ggml tensor type -> (elements per block, bytes per block), for the size check.
_GGML_TYPES = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34), 9: (32, 40),
    10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210), 15: (256, 292),
    16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
    23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2),
    34: (256, 54), 35: (256, 66), 39: (32, 17), 40: (64, 36), 41: (128, 18),
}
#: llama.cpp's pooling type of a cross-encoder (query, passage) -> score model.
POOLING_RANK = 4
#: Architectures that produce embeddings rather than text.
EMBEDDING_ARCHS = frozenset({"bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "t5encoder", "modern-bert",
                             "neo-bert"})


@dataclass(frozen=True)
class GGUFInfo:
    version: int
    metadata: dict[str, Any]
    tensor_count: int
    #: Bytes the file must have to hold every tensor (None if a tensor type is unknown).
    expected_size: int | None

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name", ""))

    def role(self) -> str:
        """``llm``, ``text-embed``, ``rerank`` or ``clip`` (a vision projector), from the metadata."""
        arch = self.architecture
        if self.metadata.get("general.type") == "adapter":
            raise MMRagError("This GGUF is a LoRA adapter, not a model; load it with its base model.")
        if arch == "clip" or self.metadata.get("general.type") == "mmproj":
            return "clip"
        if self.metadata.get(f"{arch}.pooling_type") == POOLING_RANK:
            return "rerank"
        if arch in EMBEDDING_ARCHS or f"{arch}.pooling_type" in self.metadata:
            return "text-embed"
        return "llm"


class _Reader:
    def __init__(self, handle: BinaryIO, path: Path) -> None:
        self.handle, self.path = handle, path

    def take(self, count: int) -> bytes:
        data = self.handle.read(count)
        if len(data) != count:
            raise MMRagError(f"{self.path} is not a complete GGUF file: the header ends early (truncated download?).")
        return data

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        length = self.scalar("<Q")
        if length > MAX_STRING:
            raise MMRagError(f"{self.path} is not a valid GGUF file (a {length}-byte string in the header).")
        return self.take(length).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, count = self.scalar("<I"), self.scalar("<Q")
            if count > MAX_ARRAY:
                raise MMRagError(f"{self.path} is not a valid GGUF file (an array of {count} values).")
            if item_kind in _SCALARS:  # vocabulary scores etc.: skip, they can be large
                self.take(struct.calcsize(_SCALARS[item_kind]) * count)
                return f"<{count} values>"
            values = [self.value(item_kind) for _ in range(count)]
            return values if count <= 16 else f"<{count} values>"
        raise MMRagError(f"{self.path} is not a valid GGUF file (unknown value type {kind}).")


def read_gguf(path: Path) -> GGUFInfo:
    """Parse the header of ``path``; :class:`MMRagError` if it is not a complete GGUF."""
    try:
        return _read(path)
    except OSError as exc:
        raise MMRagError(f"Cannot read {path}: {exc.strerror}.") from None


def _read(path: Path) -> GGUFInfo:
    with open(path, "rb") as handle:
        reader = _Reader(handle, path)
        if handle.read(4) != MAGIC:
            raise MMRagError(f"{path} is not a GGUF file (it does not start with 'GGUF').")
        version = reader.scalar("<I")
        if version not in (2, 3):
            raise MMRagError(f"{path} is GGUF version {version}; only versions 2 and 3 are supported.")
        tensor_count, kv_count = reader.scalar("<Q"), reader.scalar("<Q")
        if tensor_count > MAX_COUNT or kv_count > MAX_COUNT:
            raise MMRagError(f"{path} is not a valid GGUF file (implausible header counts).")
        metadata: dict[str, Any] = {}
        for _ in range(kv_count):
            key = reader.string()
            metadata[key] = reader.value(reader.scalar("<I"))
        end: int | None = 0
        tensors = []
        for _ in range(tensor_count):
            reader.string()  # tensor name
            n_dims = reader.scalar("<I")
            if n_dims > 8:
                raise MMRagError(f"{path} is not a valid GGUF file (a tensor with {n_dims} dimensions).")
            dims = [reader.scalar("<Q") for _ in range(n_dims)]
            kind, offset = reader.scalar("<I"), reader.scalar("<Q")
            tensors.append((dims, kind, offset))
        alignment = int(metadata.get("general.alignment", 32)) or 32
        data_start = -(-handle.tell() // alignment) * alignment
        for dims, kind, offset in tensors:
            if kind not in _GGML_TYPES:
                end = None
                break
            elements = 1
            for dim in dims:
                elements *= dim
            block, block_bytes = _GGML_TYPES[kind]
            assert end is not None
            end = max(end, data_start + offset + -(-elements // block) * block_bytes)
        size = path.stat().st_size
        if end is not None and tensors and size < end:
            raise MMRagError(f"{path} is truncated: {size} bytes, but its tensors need {end} (incomplete download?).")
    return GGUFInfo(version, metadata, tensor_count, end if tensors else None)
