"""Splitting running text into chunks an encoder can embed whole, with overlap.

Chunks follow the text's own structure: paragraphs (blank lines) first, then sentences,
then a hard split for a run-on line. Line numbers are tracked so every chunk carries a
line-range locator. Token counts are estimated without a tokenizer (conservatively for
subword models: a CJK character counts as one token, a Latin word as 1.3).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from .cjk import CJK

_TOKEN_RE = re.compile(rf"[{CJK}]|[^\s{CJK}\w]|\w+", re.UNICODE)
_LONG_WORD_RE = re.compile(rf"[^\W{CJK}]{{2,}}", re.UNICODE)
# A Latin sentence ends at punctuation followed by space ("e.g." and "3.14" do not
# split); CJK sentence punctuation needs no space after it.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])\s*")


def estimate_tokens(text: str) -> int:
    """Cheap upper-ish estimate of subword tokens in ``text``."""
    count = len(_TOKEN_RE.findall(text))
    extra = sum(0.3 + (len(word) - 1) // 6 for word in _LONG_WORD_RE.findall(text))
    return int(count + extra + 0.999)


@dataclass(frozen=True)
class TextChunk:
    text: str
    line_start: int
    line_end: int


@dataclass(frozen=True)
class _Piece:
    text: str
    line_start: int
    line_end: int
    tokens: int
    paragraph: int = 0


def _paragraphs(text: str, line_offset: int) -> list[_Piece]:
    pieces: list[_Piece] = []
    buffer: list[str] = []
    start = line_offset
    for number, line in enumerate(text.splitlines(), start=line_offset):
        if line.strip():
            if not buffer:
                start = number
            buffer.append(line.rstrip())
        elif buffer:
            body = "\n".join(buffer)
            pieces.append(_Piece(body, start, number - 1, estimate_tokens(body)))
            buffer = []
    if buffer:
        body = "\n".join(buffer)
        pieces.append(_Piece(body, start, start + len(buffer) - 1, estimate_tokens(body)))
    return pieces


def _split_long(piece: _Piece, budget: int) -> list[_Piece]:
    """Break a paragraph that exceeds the budget into sentence groups, then hard pieces."""
    sentences = [s for s in _SENTENCE_END_RE.split(piece.text) if s.strip()]
    units: list[str] = []
    for sentence in sentences:
        if estimate_tokens(sentence) <= budget:
            units.append(sentence)
            continue
        # A run-on sentence (a minified line, a long table cell): cut by characters,
        # scaled from the estimate so each part fits.
        ratio = budget / max(estimate_tokens(sentence), 1)
        step = max(int(len(sentence) * ratio * 0.95), 1)
        units.extend(sentence[i : i + step] for i in range(0, len(sentence), step))
    out: list[_Piece] = []
    # Lines of sub-pieces are approximated by walking newlines in the paragraph.
    cursor = 0
    for unit in units:
        found = piece.text.find(unit, cursor)
        position = found if found >= 0 else cursor
        line_start = piece.line_start + piece.text.count("\n", 0, position)
        line_end = line_start + unit.count("\n")
        cursor = position + len(unit)
        out.append(_Piece(unit, line_start, line_end, estimate_tokens(unit)))
    return out


def chunk_text(text: str, budget: int = 256, overlap: int = 32, *, line_offset: int = 1) -> list[TextChunk]:
    """Chunk ``text`` into pieces of at most ``budget`` estimated tokens.

    Consecutive chunks share up to ``overlap`` tokens of trailing context, taken from
    whole pieces (paragraphs or sentences) so a chunk never starts mid-word.
    """
    budget = max(budget, 8)
    overlap = max(0, min(overlap, budget // 2))
    pieces: list[_Piece] = []
    for number, paragraph in enumerate(_paragraphs(text, line_offset)):
        parts = [paragraph] if paragraph.tokens <= budget else _split_long(paragraph, budget)
        pieces.extend(_Piece(p.text, p.line_start, p.line_end, p.tokens, number) for p in parts)

    chunks: list[TextChunk] = []
    current: list[_Piece] = []
    used = 0
    for piece in pieces:
        if current and used + piece.tokens > budget:
            chunks.append(_join(current))
            carried: list[_Piece] = []
            carried_tokens = 0
            for previous in reversed(current):
                if carried_tokens + previous.tokens > overlap or carried_tokens + previous.tokens + piece.tokens > budget:
                    break
                carried.insert(0, previous)
                carried_tokens += previous.tokens
            current, used = carried, carried_tokens
        current.append(piece)
        used += piece.tokens
    if current:
        chunks.append(_join(current))
    return chunks


def _join(pieces: list[_Piece]) -> TextChunk:
    # Sentences of one paragraph rejoin with a space, paragraphs with a blank line.
    text = pieces[0].text
    for previous, piece in itertools.pairwise(pieces):
        text += (" " if piece.paragraph == previous.paragraph else "\n\n") + piece.text
    return TextChunk(
        text,
        pieces[0].line_start,
        max(p.line_end for p in pieces),
    )
