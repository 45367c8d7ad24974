"""Python source split along its syntax tree: one item per top-level function or class.

A class longer than the budget is opened up: its header and attributes become items of
the class, each method an item of its own (``Class.method``). A function longer than the
budget is split by blank-line blocks, every part keeping the symbol. Module-level code
between symbols (imports, constants, the ``__main__`` guard) is grouped into blocks.
Decorators and the comment lines right above a definition belong to it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from mmrag_desktop.chunking import estimate_tokens
from mmrag_desktop.interfaces import ExtractContext
from mmrag_desktop.records import Item, Locator

from .blocks import split_lines

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def python_items(lines: Sequence[str], tree: ast.Module, ctx: ExtractContext) -> Iterator[Item]:
    """Items for a parsed module whose source is ``lines`` (without line ends)."""
    yield from _body_items(lines, tree.body, 1, len(lines), None, ctx)


def _span(lines: Sequence[str], node: _Definition, floor: int) -> tuple[int, int]:
    """Lines of a definition with its decorators and the comments right above it, but
    not reaching line ``floor`` or above."""
    start = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
    while start - 1 > floor and lines[start - 2].lstrip().startswith("#"):
        start -= 1
    return start, node.end_lineno or node.lineno


def _body_items(
    lines: Sequence[str], body: Sequence[ast.stmt], first: int, last: int, owner: str | None, ctx: ExtractContext
) -> Iterator[Item]:
    cursor = first
    for node in body:
        if not isinstance(node, _DEFINITIONS):
            continue
        start, end = _span(lines, node, cursor - 1)
        start = _with_section_comment(lines, cursor, start)
        if start > cursor:
            yield from _blocks(lines, cursor, start - 1, owner, ctx)
        symbol = f"{owner}.{node.name}" if owner else node.name
        yield from _symbol_items(lines, node, symbol, start, end, ctx)
        cursor = end + 1
    if cursor <= last:
        yield from _blocks(lines, cursor, last, owner, ctx)


def _with_section_comment(lines: Sequence[str], cursor: int, start: int) -> int:
    """Where a definition starts once a section-header comment just above it (up to
    three comment lines, then blank lines, e.g. ``# -- Convenience interface ----``) is
    counted in. Alone, such a comment became an item with no content that the dense
    search ranked near the top for unrelated questions."""
    line = start - 1
    while line >= cursor and not lines[line - 1].strip():
        line -= 1
    if line == start - 1:  # no blank line between: _span has taken those comments already
        return start
    top = line
    while top >= cursor and lines[top - 1].lstrip().startswith("#") and line - top < 3:
        top -= 1
    above_is_blank = top < cursor or not lines[top - 1].strip()
    return top + 1 if top < line and above_is_blank else start


def _symbol_items(
    lines: Sequence[str], node: _Definition, symbol: str, start: int, end: int, ctx: ExtractContext
) -> Iterator[Item]:
    text = f"{symbol}\n" + "\n".join(lines[start - 1 : end])
    if ctx.fits(text):
        yield Item(
            text=text,
            kind="symbol",
            locator=Locator(line_start=start, line_end=end, symbol=symbol),
            meta={"language": "python"},
        )
    elif isinstance(node, ast.ClassDef) and any(isinstance(child, _DEFINITIONS) for child in node.body):
        yield from _body_items(lines, node.body, start, end, symbol, ctx)
    else:
        yield from _blocks(lines, start, end, symbol, ctx)


def _blocks(lines: Sequence[str], first: int, last: int, symbol: str | None, ctx: ExtractContext) -> Iterator[Item]:
    """Lines ``first``..``last`` split into blocks; each part of a symbol is prefixed
    with the symbol's name."""
    budget = ctx.chunk_tokens - (estimate_tokens(symbol) if symbol else 0)
    blocks = split_lines(lines[first - 1 : last], first, budget)
    for part, block in enumerate(blocks, start=1):
        meta: dict[str, object] = {"language": "python"}
        if symbol and len(blocks) > 1:
            meta.update(part=part, parts=len(blocks))
        yield Item(
            text=f"{symbol}\n{block.text}" if symbol else block.text,
            kind="symbol" if symbol else "chunk",
            locator=Locator(line_start=block.line_start, line_end=block.line_end, symbol=symbol),
            meta=meta,
        )
