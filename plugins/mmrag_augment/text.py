"""Sentence splitting with line numbers and cheap lexical similarity, shared by the
augmenters (no model: these run on every question and must cost milliseconds)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mmrag_desktop.cjk import HAN_CHAR
from mmrag_desktop.store.fts import query_terms

# Only full stops end a sentence: splitting at ";" and ":" cut table rows ("city: Berlin;
# phone: +49 …") into fragments that no longer say whose phone it is.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？])")
# A list number ("3.", "(2)") is not a sentence: it joins the text it numbers.
_LIST_MARK = re.compile(r"^\(?\d{1,3}[.)]$")


@dataclass(frozen=True)
class Sentence:
    text: str
    line: int  # 0-based offset of its first line from the item's first line
    last: int = -1  # offset of its last line (a hard-wrapped sentence spans several); -1: ``line``

    @property
    def end(self) -> int:
        return self.line if self.last < 0 else self.last


# A line that starts a new unit rather than continuing the one above it.
_BLOCK_START = re.compile(r"^\s*(?:[-*+>|#]|```|\(?\d{1,3}[.)]\s)")
#: Narrower lines (in columns; a CJK character takes two) are not taken for wrapped
#: prose: "apples\nbananas" is a list.
_WRAP_MIN = 40


def _continues(previous: str, line: str) -> bool:
    """Whether ``line`` goes on with the sentence ``previous`` was wrapped in: prose
    hard-wrapped at a fixed width (plain-text notes, mail, READMEs). The previous line is
    long and stops mid-sentence; this one starts with a lower-case word (or CJK after
    CJK) and starts no list item, table row, heading, quote or code fence."""
    before, after = previous.rstrip(), line.strip()
    if len(before) + len(HAN_CHAR.findall(before)) < _WRAP_MIN or not after or before.endswith((".", "!", "?", ":", ";", "|", "。", "！", "？", "：")):
        return False
    if _BLOCK_START.match(line) or previous.lstrip().startswith(("#", "|", "```")):
        return False  # a list item's first line may wrap; a heading or table row does not
    return after[0].islower() or bool(HAN_CHAR.match(after[0]) and HAN_CHAR.match(before[-1]))


def _logical_lines(text: str) -> list[tuple[str, int, int]]:
    """``text``'s lines with hard-wrapped prose joined: (text, first line, last line).
    Fenced code is left line by line."""
    out: list[tuple[str, int, int]] = []
    fenced = False
    physical = ""  # the line above, as written (a joined line's last part)
    for offset, line in enumerate(text.splitlines()):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append((line, offset, offset))
        elif out and not fenced and _continues(physical, line):
            joined, first, _ = out[-1]
            glue = "" if HAN_CHAR.match(line.strip()[0]) else " "
            out[-1] = (joined.rstrip() + glue + line.strip(), first, offset)
        else:
            out.append((line, offset, offset))
        physical = line
    return out


def sentences(text: str) -> list[Sentence]:
    """Split into sentences; a line break also ends one (lists, code, table rows), except
    in hard-wrapped prose, whose lines are joined first."""
    out: list[Sentence] = []
    for line, first, last in _logical_lines(text):
        mark = ""
        for part in _SENTENCE_END.split(line):
            part = part.strip()
            if _LIST_MARK.match(part):
                mark = f"{mark}{part} "
            elif part:
                out.append(Sentence(mark + part, first, last))
                mark = ""
        if mark.strip():
            out.append(Sentence(mark.strip(), first, last))
    return out


def terms(text: str) -> set[str]:
    """Words (minus stopwords) and CJK bigrams: the same terms full-text search uses."""
    return set(query_terms(text, "bigram"))


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
