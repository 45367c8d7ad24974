"""The Ask tab shows only the final answer when the grounding check withdraws a streamed
draft: the draft is visible while it streams, the transcript keeps the refusal alone."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from mmrag_desktop.config import Config
from mmrag_desktop.gui.ask_panel import AskPanel
from mmrag_desktop.interfaces import Generator
from mmrag_desktop.library import Library
from mmrag_desktop.pipeline.generate import REFUSALS, generate_answer
from mmrag_desktop.records import ItemHit, Locator


class _Scripted(Generator):
    """Replays a draft the evidence does not support: the real model cannot be made to
    write one on demand, and the test is about what the panel shows afterwards."""

    def chat(self, messages, *, max_tokens=256, cancel=None):  # type: ignore[no-untyped-def]
        yield from ["The backup", " runs at", " 04:15", " every", " Sunday", " [1]."]


def test_a_withdrawn_draft_is_replaced_by_the_refusal(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    hit = ItemHit(1, 1.0, "text", "chunk", Locator(line_start=1, line_end=1), "", "The nightly backup runs at 02:30.",
                  {}, Path("/docs/backup.md"))
    seen: list[str] = []

    def ask(question, *, conversation_id=None, filters=None, on_token=None, cancel=None):  # type: ignore[no-untyped-def]
        def token(piece: str) -> None:
            seen.append(piece)
            on_token(piece)

        result = generate_answer(question, [hit], _Scripted(), on_token=token, cancel=cancel)
        return SimpleNamespace(text=result.text, citations=(), evidence=(hit,), supported=result.supported,
                               conversation_id=1)

    library = Library(tmp_path / "lib", config=Config(encoders=()))
    library.ask = ask  # type: ignore[method-assign]
    library.conversations = list  # type: ignore[method-assign]
    panel = AskPanel(library)
    qtbot.addWidget(panel)
    panel.question.setPlainText("When does the backup run?")
    with qtbot.waitSignal(panel.answered, timeout=10000):
        panel.ask()
    assert "04:15" in "".join(seen)  # the draft was streamed ...
    text = panel.transcript.toPlainText()
    assert REFUSALS["en"] in text and "04:15" not in text  # ... and only the refusal stays
    panel.pool.waitForDone(5000)
    library.close()
