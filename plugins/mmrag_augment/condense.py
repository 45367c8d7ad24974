"""Conversation condensation: a follow-up ("and the one for Chinese?", "那它的端口呢？")
becomes a standalone query by carrying the previous question's terms into it.

Without a model this costs microseconds and works for retrieval, which searches by
terms and meaning rather than grammar: the previous standalone query is prepended when
the new question is short or refers back (pronouns, "and …?", "呢"). The LLM rewriter
in the llama plugin can replace it (setting ``llm_query_rewrite``)."""

from __future__ import annotations

import re
from dataclasses import replace

from mmrag_desktop.interfaces import QueryTransform
from mmrag_desktop.records import Query

_FOLLOW_UP = re.compile(
    r"^(?:and|what about|how about|also|but|so|then)\b|\b(?:it|its|it's|that|this|those|these|they|them|there|"
    r"one|ones|he|she|him|her|same)\b|[它那这其]|呢[？?]?$|^(?:还有|那么|那|另外|而且)",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    words = re.findall(r"\w+", question)
    return bool(_FOLLOW_UP.search(question.strip())) or len(words) <= 3


class Condense(QueryTransform):
    name = "condense"
    priority = 0

    def transform(self, query: Query) -> Query:
        if not query.history or query.modality != "text" or not query.text:
            return query
        question = query.text
        if not is_follow_up(question):
            return query
        previous = next((text for role, text in reversed(query.history) if role == "user"), None)
        if not previous:
            return query
        return replace(query, text=f"{previous} {question}", original=query.original or question)
