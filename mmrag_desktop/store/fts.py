"""Full-text tokenisation that works for Chinese as well as English.

SQLite's ``unicode61`` tokenizer keeps a whole run of CJK characters as one token, so a
search for 网卡 never matches 设置网卡的方法. Two remedies, chosen when a library is
created (benchmarks/ compares them):

* ``bigram`` — before insert and at query time, CJK runs are rewritten as overlapping
  character bigrams separated by spaces (网卡设置 → 网卡 卡设 设置), then ``unicode61``
  tokenises everything. Two-character words, the most common in Chinese, match.
* ``trigram`` — SQLite's trigram tokenizer on the raw text. Simple, but a query term
  shorter than three characters cannot match at all.

Queries are OR-ed terms ranked by BM25, as a person's question rarely contains every word
of the passage that answers it.
"""

from __future__ import annotations

import re

from ..cjk import CJK, CJK_RUN

_QUERY_TOKEN = re.compile(rf"[{CJK}]+|[^\W_]+", re.UNICODE)

# Function words that add nothing to an OR query but noise and time.
_STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for", "from", "how", "i", "in", "is", "it", "me", "my", "of", "on", "or", "the", "this", "to", "what", "when", "where", "which", "who", "why", "with", "can", "could", "should", "would", "will", "you", "your", "our", "we", "they", "them", "there", "their", "that", "these", "those", "was", "were", "has", "have", "had", "not", "no", "yes", "if", "then", "than", "so", "about", "into", "over", "under", "up", "down", "out", "get", "use", "using"]
)


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_text(text: str, mode: str) -> str:
    """The form of ``text`` stored in the FTS index."""
    if mode == "trigram":
        return text
    return CJK_RUN.sub(lambda m: " " + " ".join(_bigrams(m.group())) + " ", text)


def query_terms(query: str, mode: str) -> list[str]:
    """The distinct terms a query is searched by, in order."""
    terms: list[str] = []
    for match in _QUERY_TOKEN.finditer(query.lower()):
        token = match.group()
        if CJK_RUN.fullmatch(token):
            if mode == "trigram":
                terms.extend(token[i : i + 3] for i in range(len(token) - 2))
            else:
                terms.extend(_bigrams(token))
        elif token not in _STOPWORDS and (mode != "trigram" or len(token) >= 3):
            terms.append(token)
    seen: set[str] = set()
    return [t for t in terms if not (t in seen or seen.add(t))]


def match_expression(query: str, mode: str) -> str | None:
    """An FTS5 MATCH expression for ``query``, or None when nothing is searchable."""
    terms = query_terms(query, mode)
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
