"""Sentence splitting with line numbers and cheap lexical similarity, shared by the
augmenters (no model: these run on every question and must cost milliseconds)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mmrag_desktop.store.fts import query_terms

# Only full stops end a sentence: splitting at ";" and ":" cut table rows ("city: Berlin;
# phone: +49 …") into fragments that no longer say whose phone it is.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？])")
# A list number ("3.", "(2)") is not a sentence: it joins the text it numbers.
_LIST_MARK = re.compile(r"^\(?\d{1,3}[.)]$")


@dataclass(frozen=True)
class Sentence:
    text: str
    line: int  # 0-based offset from the item's first line


def sentences(text: str) -> list[Sentence]:
    """Split into sentences; a line break also ends one (lists, code, table rows)."""
    out: list[Sentence] = []
    for offset, line in enumerate(text.splitlines()):
        mark = ""
        for part in _SENTENCE_END.split(line):
            part = part.strip()
            if _LIST_MARK.match(part):
                mark = f"{mark}{part} "
            elif part:
                out.append(Sentence(mark + part, offset))
                mark = ""
        if mark.strip():
            out.append(Sentence(mark.strip(), offset))
    return out


def terms(text: str) -> set[str]:
    """Words (minus stopwords) and CJK bigrams: the same terms full-text search uses."""
    return set(query_terms(text, "bigram"))


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
