"""Drops sentences of the evidence that address an AI assistant ("ignore your
instructions", "忽略之前的指令", "you must now reply …"). The prompt already tells the
model that evidence is data; a model of 0.5B parameters does not always listen, so text
that only makes sense as an attack on the assistant is removed before it sees it.
The match is deliberately narrow (imperatives aimed at the assistant or its prompt), so
a manual that explains prompt injection in prose still reads normally."""

from __future__ import annotations

import re
from dataclasses import replace

from mmrag_desktop.interfaces import Augmenter, EvidenceBudget
from mmrag_desktop.records import ItemHit, Query

from .text import sentences

_ATTACK = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:instructions?|prompts?|rules?|guidelines?|"
    r"system message|everything above)\b"
    r"|\b(?:you are now|from now on,? you|as an ai|new instructions?|system prompt|assistant must|"
    r"(?:you|assistant) (?:must|should) (?:now )?(?:reply|respond|answer|say|output|print))\b"
    r"|忽略[^。！？\n]{0,20}(?:指令|指示|提示|规则|说明)|无视[^。！？\n]{0,20}(?:指令|指示|规则)"
    r"|(?:你|助手)(?:现在)?(?:必须|只能|应该)(?:只)?(?:回答|回复|输出|说)|系统提示",
    re.IGNORECASE,
)


def is_attack(sentence: str) -> bool:
    return bool(_ATTACK.search(sentence))


class InstructionGuard(Augmenter):
    name = "instruction-guard"
    priority = 10

    def augment(self, query: Query, hits: list[ItemHit], budget: EvidenceBudget) -> list[ItemHit]:
        out: list[ItemHit] = []
        for hit in hits:
            if not is_attack(hit.text):
                out.append(hit)
                continue
            kept = "\n".join(s.text for s in sentences(hit.text) if not is_attack(s.text))
            if kept.strip():
                out.append(replace(hit, text=kept, snippet=kept[:240]))
        return out
