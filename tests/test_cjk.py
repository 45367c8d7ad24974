"""One definition of the East Asian character classes, used by search, chunking,
highlighting, answering and speaking."""

from __future__ import annotations

from mmrag_desktop.chunking import estimate_tokens
from mmrag_desktop.cjk import CJK_RUN, HAN_CHAR, language
from mmrag_desktop.gui.highlight import pattern, terms
from mmrag_desktop.store.fts import query_terms


def test_language_is_chinese_when_han_characters_outweigh_latin_words() -> None:
    assert language("The launch moved to March.") == "en"
    assert language("发布日期改到三月。") == "zh"
    assert language("我们用 Python 写代码") == "zh"
    assert language("ひらがなだけ") == "en"  # kana alone is not Chinese


def test_kana_and_hangul_are_cut_like_han_everywhere() -> None:
    # Search and highlighting agree on what a term is: a Japanese query is marked in a
    # snippet with the same bigrams the index matched (it was matched as one Latin-style
    # word before the classes were shared).
    assert {"ひら", "らが"} <= set(query_terms("ひらがな", "bigram"))
    assert {"ひら", "らが"} <= set(terms("ひらがな"))
    regex = pattern("ひらがな")
    assert regex is not None and regex.search("これはひらがなです")
    assert CJK_RUN.fullmatch("한국어") and not HAN_CHAR.match("한")
    assert estimate_tokens("한국어") >= 3  # one token per syllable, not one word
