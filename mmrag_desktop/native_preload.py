"""Native libraries that must be loaded before numpy.

llama-cpp-python built with a GPU backend (CUDA) crashed with a segmentation fault while
loading a model when numpy (PyPI wheel 2.5.2, OpenBLAS 0.3.34) had been imported first,
and loaded fine when llama_cpp came first (H200, CUDA 13.0, Python 3.12;
benchmarks/results/llama_gpu.md). The app imports numpy long before the first question,
so on such builds llama_cpp is imported here, when the package is. CPU-only builds (the
default install) are left alone: importing them early would only cost start-up time.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

_GPU_BACKENDS = ("ggml-cuda", "ggml-vulkan", "ggml-hip", "ggml-sycl")


def gpu_llama_build() -> bool:
    """Whether the installed llama-cpp-python ships a GPU backend library (looked up
    without importing it)."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return False
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
    return lib.is_dir() and any(b in p.name for p in lib.iterdir() for b in _GPU_BACKENDS)


def preload() -> None:
    try:
        if gpu_llama_build():
            # Its import initialises the GPU backend, which logs the devices it found to
            # stderr through llama-cpp-python's logger: quiet, as the engine loads it.
            logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
            import llama_cpp  # noqa: F401  (loads ggml's GPU backend before numpy)
    except Exception:  # a broken llama install is reported when a question needs it
        pass
