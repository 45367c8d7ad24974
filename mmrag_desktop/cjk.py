"""Character classes for East Asian scripts: one definition for tokenising, language
detection, highlighting and line joining.

``HAN`` is Chinese characters (CJK Unified Ideographs, Extension A and the compatibility
block): what makes a text Chinese for answering, speaking and sentence joining. ``CJK``
adds kana and Hangul syllables: the scripts full-text search and the chunker cut into
characters and bigrams, because their words are not separated by spaces (Korean is,
but the unicode61 tokenizer still sees no useful word boundary inside a syllable run).
Both are regex class bodies (no brackets), to be embedded in larger patterns."""

from __future__ import annotations

import re

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK = "\u3040-\u30ff" + HAN + "\uac00-\ud7af"

#: One Chinese character.
HAN_CHAR = re.compile(f"[{HAN}]")
#: A run of CJK characters.
CJK_RUN = re.compile(f"[{CJK}]+")


def language(text: str) -> str:
    """``zh`` when Chinese characters are at least as many as Latin words, else ``en``: the
    language to answer, or speak, ``text`` in."""
    han = len(HAN_CHAR.findall(text))
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    return "zh" if han and han >= latin_words else "en"
