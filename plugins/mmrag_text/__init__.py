"""Built-in plugin: plain-text files, plus the decoding and fitting helpers every
text-ish extractor shares.

The package is registered twice through the ``mmrag`` entry-point group: this module
registers the plain-text extractor, :mod:`mmrag_text.markdown` the Markdown one. The
code, table and HTML plugins import :mod:`mmrag_text.decode` and :mod:`mmrag_text.fit`
so every format decodes bytes and respects the token budget the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import Extractor

from .plain import PlainTextExtractor

MMRAG_HOOK_API = "1"

__all__ = ["PlainTextExtractor", "register_extractors"]


@hookimpl
def register_extractors(register: Callable[[Extractor], None]) -> None:
    register(PlainTextExtractor())
