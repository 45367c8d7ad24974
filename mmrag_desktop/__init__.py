"""MM-RAG Desktop: offline multimodal knowledge search over a person's own files."""

from .hookspecs import HOOK_API_VERSION, hookimpl

__version__ = "0.1.0"
__all__ = ["HOOK_API_VERSION", "__version__", "hookimpl"]
