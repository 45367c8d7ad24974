"""Rendering table rows as text and grouping them to the token budget.

Each row becomes one line of ``column: value`` pairs, so a chunk answers "which row
mentions X" on its own, and each item starts with the table's header line so the
columns are known even when the pairs are cut. Groups are streamed: only one group
of rows is held at a time, whatever the size of the table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from mmrag_desktop.chunking import estimate_tokens
from mmrag_desktop.interfaces import ExtractContext
from mmrag_desktop.records import Item, Locator
from mmrag_text.fit import hard_split, shorten

_SPACE = re.compile(r"\s+")


def cell_text(value: object) -> str:
    """A cell value as one line of text (``""`` for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return _SPACE.sub(" ", str(value)).strip()


@dataclass(frozen=True)
class Row:
    """A row as read from the file; ``number`` is 1-based, the header is a row too."""

    number: int
    cells: Sequence[object]


def _column_names(header: Sequence[object]) -> list[str]:
    return [cell_text(cell) or f"column {index}" for index, cell in enumerate(header, start=1)]


def _render(names: list[str], cells: Sequence[object]) -> list[str]:
    pairs = []
    for index, cell in enumerate(cells):
        value = cell_text(cell)
        if value:
            name = names[index] if index < len(names) else f"column {index + 1}"
            pairs.append(f"{name}: {value}")
    return pairs


def row_items(rows: Iterable[Row], ctx: ExtractContext, *, sheet: str | None = None) -> Iterator[Item]:
    """Items for a table whose first non-empty row is its header."""
    iterator = iter(rows)
    header: Row | None = None
    for row in iterator:
        if any(cell_text(cell) for cell in row.cells):
            header = row
            break
    if header is None:
        return
    budget = ctx.chunk_tokens
    names = _column_names(header.cells)
    title = f"Sheet: {sheet}\n" if sheet else ""
    head = shorten(title + " | ".join(cell_text(cell) for cell in header.cells if cell_text(cell)), budget // 3)
    head_tokens = estimate_tokens(head)
    room = max(budget - head_tokens, 8)

    def item(lines: list[str], first: int, last: int, meta: dict[str, object] | None = None) -> Item:
        return Item(
            text="\n".join([head, *lines]),
            kind="rows",
            locator=Locator(row_start=first, row_end=last, sheet=sheet),
            meta=meta or {},
        )

    group: list[str] = []
    first = last = header.number
    used = 0
    emitted = False
    for row in iterator:
        pairs = _render(names, row.cells)
        if not pairs:
            continue
        line = "; ".join(pairs)
        tokens = estimate_tokens(line)
        if group and used + tokens > room:
            yield item(group, first, last)
            emitted = True
            group, used = [], 0
        if tokens <= room:
            if not group:
                first = row.number
            group.append(line)
            last = row.number
            used += tokens
            continue
        # One row over the budget on its own: split it by cells, a huge cell inside.
        parts = _split_row(pairs, room)
        for index, part in enumerate(parts, start=1):
            yield item([part], row.number, row.number, {"part": index, "parts": len(parts)})
        emitted = True
    if group or not emitted:
        yield item(group, first, last)


def _split_row(pairs: list[str], budget: int) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for pair in pairs:
        tokens = estimate_tokens(pair) + 1  # the "; " separator
        if current and used + tokens > budget:
            parts.append("; ".join(current))
            current, used = [], 0
        if tokens > budget:
            parts.extend(hard_split(pair, budget))
            continue
        current.append(pair)
        used += tokens
    if current:
        parts.append("; ".join(current))
    return parts
