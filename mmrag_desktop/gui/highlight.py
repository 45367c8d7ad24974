"""Marking the query's words in snippets and previews (display only, no search logic)."""

from __future__ import annotations

import html
import re

from ..cjk import CJK_RUN

_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)
#: Words too common to be worth marking (the search ranks them low anyway).
_STOP = frozenset(["a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i", "in", "is", "it", "my", "of", "on", "or", "our", "so", "that", "the", "this", "to", "was", "we", "what", "when", "where", "which", "who", "why", "will", "with", "you", "your"])


def terms(query: str) -> list[str]:
    """Words of two or more letters; CJK runs as overlapping bigrams (as the index does)."""
    out: set[str] = set()
    for run in CJK_RUN.findall(query):
        out.update(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
    for word in _WORD.findall(CJK_RUN.sub(" ", query)):
        if word.lower() not in _STOP:
            out.add(word.lower())
    return sorted(out, key=len, reverse=True)


def pattern(query: str) -> re.Pattern[str] | None:
    found = terms(query)
    # Latin words match at a word start ("file" marks "files", not "profile").
    parts = [re.escape(t) if CJK_RUN.match(t) else r"\b" + re.escape(t) for t in found]
    return re.compile("|".join(parts), re.IGNORECASE) if found else None


def highlight_html(text: str, query: str, style: str = "background:#ffe08a;color:#000;") -> str:
    """``text`` as HTML with each query term wrapped in a highlighted span."""
    regex = pattern(query)
    if regex is None:
        return html.escape(text)
    parts, last = [], 0
    for match in regex.finditer(text):
        parts.append(html.escape(text[last : match.start()]))
        parts.append(f'<span style="{style}">{html.escape(match.group(0))}</span>')
        last = match.end()
    parts.append(html.escape(text[last:]))
    return "".join(parts)
