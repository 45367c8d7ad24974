"""MM-RAG Desktop: offline multimodal knowledge search over a person's own files."""

from .native_preload import preload

preload()  # before anything imports numpy: see native_preload.py

from .hookspecs import HOOK_API_VERSION, hookimpl  # noqa: E402

__version__ = "0.1.0"
__all__ = ["HOOK_API_VERSION", "__version__", "hookimpl"]
