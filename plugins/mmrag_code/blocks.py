"""The language-agnostic code splitter: blank-line blocks merged up to the budget.

Code is not prose: splitting it at sentence ends would cut ``self.name`` in two. So
code is split by lines only: runs of non-blank lines (blocks) are merged while they fit
the budget, a block that does not fit is cut between lines, and only a single line
longer than the budget (minified code) is cut inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mmrag_desktop.chunking import estimate_tokens
from mmrag_text.fit import hard_split


@dataclass(frozen=True)
class Block:
    """Source text of lines ``line_start``..``line_end`` (1-based, inclusive)."""

    text: str
    line_start: int
    line_end: int


def split_lines(lines: Sequence[str], first_line: int, budget: int) -> list[Block]:
    """Split ``lines`` (numbered from ``first_line``) into blocks of at most ``budget``
    estimated tokens. Leading and trailing blank lines of a block are dropped."""
    budget = max(budget, 1)
    tokens = [estimate_tokens(line) for line in lines]
    runs: list[tuple[int, int]] = []  # [start, end) indexes of non-blank runs
    start: int | None = None
    for index, line in enumerate(lines):
        if line.strip():
            if start is None:
                start = index
        elif start is not None:
            runs.append((start, index))
            start = None
    if start is not None:
        runs.append((start, len(lines)))

    blocks: list[Block] = []

    def emit(begin: int, end: int) -> None:
        blocks.append(Block("\n".join(lines[begin:end]), first_line + begin, first_line + end - 1))

    group: tuple[int, int] | None = None
    used = 0
    for begin, end in runs:
        size = sum(tokens[begin:end])
        if group is not None and used + size <= budget:
            group, used = (group[0], end), used + size
            continue
        if group is not None:
            emit(*group)
            group, used = None, 0
        if size <= budget:
            group, used = (begin, end), size
            continue
        # A block over the budget: cut between lines, and inside a line too long alone.
        piece_start, piece_used = begin, 0
        for index in range(begin, end):
            if tokens[index] > budget:
                if piece_start < index:
                    emit(piece_start, index)
                number = first_line + index
                blocks.extend(Block(part, number, number) for part in hard_split(lines[index], budget))
                piece_start, piece_used = index + 1, 0
                continue
            if piece_used + tokens[index] > budget:
                emit(piece_start, index)
                piece_start, piece_used = index, 0
            piece_used += tokens[index]
        if piece_start < end:
            group, used = (piece_start, end), piece_used
    if group is not None:
        emit(*group)
    return blocks
