"""Sentence splitting with line numbers and cheap lexical similarity, shared by the
augmenters (no model: these run on every question and must cost milliseconds)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mmrag_desktop.store.fts import query_terms

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=\S)|(?<=[。！？；])")


@dataclass(frozen=True)
class Sentence:
    text: str
    line: int  # 0-based offset from the item's first line


def sentences(text: str) -> list[Sentence]:
    """Split into sentences; a line break also ends one (lists, code, table rows)."""
    out: list[Sentence] = []
    for offset, line in enumerate(text.splitlines()):
        for part in _SENTENCE_END.split(line):
            if part.strip():
                out.append(Sentence(part.strip(), offset))
    return out


def terms(text: str) -> set[str]:
    """Words (minus stopwords) and CJK bigrams: the same terms full-text search uses."""
    return set(query_terms(text, "bigram"))


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
