"""Making text fit the encoder's token budget, shared by the text-ish extractors.

``ExtractContext.chunk`` splits running text; extractors also need to prefix each chunk
with context (a heading path, a symbol name) without going over the budget, to cut a
single over-long unit (a minified line, a huge table cell), and to map chunk line
numbers back to positions in the source when the chunked text was rebuilt from a
parsed document (HTML, DOCX).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from mmrag_desktop.chunking import TextChunk, estimate_tokens
from mmrag_desktop.interfaces import ExtractContext

#: Smallest budget left for the body of a chunk after its prefix.
MIN_BODY_TOKENS = 8
ELLIPSIS = "…"


def hard_split(text: str, budget: int) -> list[str]:
    """Cut ``text`` into consecutive pieces of at most ``budget`` estimated tokens,
    preferring to cut at whitespace. Every character is kept (except whitespace at
    the cuts)."""
    budget = max(budget, 1)
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        tokens = estimate_tokens(rest)
        if tokens <= budget:
            pieces.append(rest)
            break
        end = max(int(len(rest) * budget / tokens), 1)
        while end > 1 and estimate_tokens(rest[:end]) > budget:
            end = max(int(end * 0.8), 1)
        space = rest.rfind(" ", 0, end + 1)
        if space > end // 2:
            end = space
        pieces.append(rest[:end].strip())
        rest = rest[end:].strip()
    return [piece for piece in pieces if piece]


def shorten(text: str, budget: int) -> str:
    """``text`` itself when it fits ``budget``, else its first part and an ellipsis."""
    if estimate_tokens(text) <= budget:
        return text
    head = hard_split(text, max(budget - 1, 1))
    return (head[0] if head else "") + ELLIPSIS


def enforce_budget(chunks: Sequence[TextChunk], budget: int) -> list[TextChunk]:
    """Safety net: split any chunk the chunker left over ``budget`` (its estimate is not
    strictly additive when it cuts inside a word)."""
    out: list[TextChunk] = []
    for chunk in chunks:
        if estimate_tokens(chunk.text) <= budget:
            out.append(chunk)
        else:
            out.extend(TextChunk(piece, chunk.line_start, chunk.line_end) for piece in hard_split(chunk.text, budget))
    return out


def break_long_paragraphs(lines: Sequence[str], budget: int, group: int) -> tuple[list[str], list[int], int]:
    """Insert blank lines inside paragraphs (runs of non-blank lines) longer than
    ``budget``, every ``group`` tokens or so, so the chunker cuts them between lines
    rather than at sentence marks. Returns the new lines, for each the index of the
    original line it stands for (an inserted blank line: the line after it), and the
    estimate of the longest line."""
    out: list[str] = []
    origins: list[int] = []
    longest = 0
    start = 0
    while start < len(lines):
        if not lines[start].strip():
            out.append(lines[start])
            origins.append(start)
            start += 1
            continue
        end = start
        while end < len(lines) and lines[end].strip():
            end += 1
        tokens = [estimate_tokens(line) for line in lines[start:end]]
        longest = max(longest, *tokens)
        split = sum(tokens) > budget and end - start > 1
        used = 0
        for index in range(start, end):
            if split and used and used + tokens[index - start] > group:
                out.append("")
                origins.append(index)
                used = 0
            out.append(lines[index])
            origins.append(index)
            used += tokens[index - start]
        start = end
    return out, origins, longest


def prefixed_chunks(ctx: ExtractContext, prefix: str, text: str, *, line_offset: int = 1) -> list[TextChunk]:
    """Chunk ``text`` with ``ctx`` so that ``prefix``, a blank line and the chunk fit the
    budget together; the returned chunks' text includes the prefix. A prefix longer than
    a quarter of the budget is shortened. Paragraphs over the budget are cut between
    their lines (see :func:`break_long_paragraphs`); line numbers stay those of ``text``."""
    prefix = shorten(prefix.strip(), ctx.chunk_tokens // 4) if prefix.strip() else ""
    reserve = estimate_tokens(prefix) if prefix else 0
    body_budget = max(ctx.chunk_tokens - reserve, MIN_BODY_TOKENS)
    inner = dataclasses.replace(ctx, chunk_tokens=body_budget, overlap_tokens=min(ctx.overlap_tokens, body_budget // 4))
    lines, origins, longest = break_long_paragraphs(
        text.split("\n"), body_budget, max(inner.overlap_tokens, body_budget // 6)
    )
    if len(lines) == text.count("\n") + 1:
        chunks = inner.chunk(text, line_offset=line_offset)  # nothing inserted
    else:
        last = len(origins) - 1
        chunks = [
            TextChunk(
                c.text, line_offset + origins[min(c.line_start, last)], line_offset + origins[min(c.line_end, last)]
            )
            for c in inner.chunk("\n".join(lines), line_offset=0)
        ]
    if longest > body_budget:
        # Only a line over the budget makes the chunker cut inside words, where its
        # estimate is not additive; otherwise every chunk already fits.
        chunks = enforce_budget(chunks, body_budget)
    if not prefix:
        return chunks
    return [TextChunk(f"{prefix}\n\n{chunk.text}", chunk.line_start, chunk.line_end) for chunk in chunks]


def mapped_chunks(ctx: ExtractContext, prefix: str, lines: Sequence[str], origins: Sequence[int]) -> list[TextChunk]:
    """Chunk ``lines`` (text rebuilt from a parsed document) and translate each chunk's
    line range through ``origins`` (the source position of every line)."""
    if not lines:
        return []
    chunks = prefixed_chunks(ctx, prefix, "\n".join(lines), line_offset=0)
    last = len(origins) - 1

    def origin(index: int) -> int:
        return origins[min(max(index, 0), last)]

    return [TextChunk(chunk.text, origin(chunk.line_start), origin(chunk.line_end)) for chunk in chunks]
