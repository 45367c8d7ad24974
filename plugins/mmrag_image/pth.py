"""Read a PyTorch checkpoint (``.pth``) into numpy arrays, without PyTorch.

A checkpoint is pickled tensors whose storages sit outside the pickle: either the
legacy layout (a few header pickles, the state dict pickle, the storage key list, then
each storage as an int64 element count and raw bytes) or the zip layout of torch >= 1.6
(``archive/data.pkl`` + ``archive/data/<key>``). The unpickler below resolves only the
handful of names a state dict needs (tensor rebuild, storage types, OrderedDict), so a
hostile checkpoint cannot run code: any other global is refused.
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class _StorageType:
    def __init__(self, name: str) -> None:
        self.dtype = _DTYPES[name]


class _Storage:
    def __init__(self, dtype: Any, numel: int | None = None) -> None:
        self.dtype, self.numel = dtype, numel
        self.data: np.ndarray | None = None


class _Tensor:
    def __init__(self, storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def array(self) -> np.ndarray:
        data = self.storage.data
        assert data is not None, "storage was never read"
        if not self.size:
            return data[self.offset : self.offset + 1].reshape(()).copy()
        itemsize = data.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            data[self.offset :], shape=self.size, strides=tuple(s * itemsize for s in self.stride)
        )
        return np.ascontiguousarray(view)


def _rebuild_tensor(storage: _Storage, offset: int, size: Any, stride: Any, *_: Any) -> _Tensor:
    return _Tensor(storage, int(offset), tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, handle: Any, storages: dict[str, _Storage], dtype_from_type: bool) -> None:
        super().__init__(handle)
        self.storages = storages
        self.dtype_from_type = dtype_from_type

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"checkpoint refers to {module}.{name}, which a plain state dict never does")

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        storage_type, key, _location, numel = pid[1], str(pid[2]), pid[3], pid[4]
        if key not in self.storages:
            self.storages[key] = _Storage(storage_type.dtype, int(numel))
        return self.storages[key]


def load_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The checkpoint's tensors by name, as contiguous numpy arrays."""
    if zipfile.is_zipfile(path):
        return _load_zip(path)
    with open(path, "rb") as handle:
        if pickle.load(handle) != _LEGACY_MAGIC:
            raise ValueError(f"{path} is not a PyTorch checkpoint")
        pickle.load(handle)  # protocol version
        sys_info = pickle.load(handle)
        if not sys_info.get("little_endian", True):
            raise ValueError(f"{path} was written on a big-endian machine")
        storages: dict[str, _Storage] = {}
        result = _Unpickler(handle, storages, True).load()
        for key in pickle.load(handle):
            storage = storages[str(key)]
            (numel,) = struct.unpack("<q", handle.read(8))
            raw = handle.read(numel * np.dtype(storage.dtype).itemsize)
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
    return _arrays(result)


def _load_zip(path: Path) -> dict[str, np.ndarray]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        (pkl,) = [n for n in names if n.endswith("/data.pkl")]
        prefix = pkl[: -len("data.pkl")]
        storages: dict[str, _Storage] = {}
        result = _Unpickler(io.BytesIO(archive.read(pkl)), storages, True).load()
        for key, storage in storages.items():
            storage.data = np.frombuffer(archive.read(f"{prefix}data/{key}"), dtype=storage.dtype)
    return _arrays(result)


def _arrays(result: Any) -> dict[str, np.ndarray]:
    if isinstance(result, dict) and "state_dict" in result:
        result = result["state_dict"]
    return {name: tensor.array() for name, tensor in result.items() if isinstance(tensor, _Tensor)}
