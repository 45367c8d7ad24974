"""The Ask tab: questions answered by the local model, streamed, with citations.

Codes against the generation contract (``Library.ask`` with ``on_token`` and
``cancel``; ``Library.conversations`` / ``Library.conversation``) and detects it at run
time: a build without generation shows that instead of failing. Tokens arrive from the
worker through a queued signal; citations are links that open the preview at the
cited place; a follow-up passes the conversation id so the model keeps the context.
"""

from __future__ import annotations

import html
import mimetypes
import re
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..library import Library
from ..records import FileHit, ItemHit, Locator
from .i18n import locator_text
from .ops import make_pool, run_op
from .preview import PreviewPane
from .results import Result


def ask_available(library: Library) -> bool:
    return callable(getattr(library, "ask", None))


class _Tokens(QObject):
    token = Signal(str)


def _locator(value: Any) -> Locator:
    if isinstance(value, Locator):
        return value
    return Locator.from_dict(value if isinstance(value, dict) else None)


def citation_result(citation: Any, evidence: tuple[Any, ...] = ()) -> Result:
    """A preview-able result for a citation (its evidence item's full text when known)."""
    locator = _locator(getattr(citation, "locator", None))
    path = Path(str(getattr(citation, "path", "")))
    snippet = str(getattr(citation, "snippet", "") or "")
    text = snippet
    n = int(getattr(citation, "n", 0) or 0)
    if 0 < n <= len(evidence) and getattr(evidence[n - 1], "locator", None) == locator:
        text = getattr(evidence[n - 1], "text", snippet) or snippet
    modality = str(getattr(citation, "modality", "text") or "text")
    media_type = mimetypes.guess_type(path.name)[0] or ""
    item = ItemHit(0, 0.0, modality, "", locator, snippet, text)
    meta = dict(getattr(citation, "meta", None) or {})
    return Result(FileHit(0, path, 0.0, modality, media_type, (item,)), meta)


def _turn_text(turn: dict[str, Any]) -> tuple[str, str]:
    """(role, text) of a stored turn, whatever the store calls its fields."""
    role = str(turn.get("role") or ("user" if turn.get("question") else "assistant"))
    text = turn.get("text") or turn.get("content") or turn.get("question") or turn.get("answer") or ""
    return role, str(text)


class AskPanel(QWidget):
    answered = Signal(object)  # the Answer
    failed = Signal(str)  # why a question could not be answered
    citation_opened = Signal(object)  # Result

    def __init__(self, library: Library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.available = ask_available(library)
        self.pool = make_pool(1)
        self.conversation_id: int | None = None
        self.cancel_event: threading.Event | None = None
        self.transcript_html: list[str] = []
        self.streaming = ""
        self.citations: dict[int, Result] = {}
        self._tokens = _Tokens(self)
        self._tokens.token.connect(self._on_token, Qt.ConnectionType.QueuedConnection)

        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(split)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.new_button = QPushButton(self.tr("New conversation"))
        self.new_button.clicked.connect(self.new_conversation)
        left_layout.addWidget(self.new_button)
        self.conversations = QListWidget()
        self.conversations.setObjectName("conversations")
        self.conversations.setWordWrap(True)
        self.conversations.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.conversations.itemClicked.connect(self._open_conversation)
        left_layout.addWidget(self.conversations, 1)
        split.addWidget(left)

        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        middle_layout.addWidget(self.banner)
        self.transcript = QTextBrowser()
        self.transcript.setObjectName("transcript")
        self.transcript.setOpenLinks(False)
        self.transcript.anchorClicked.connect(self._on_link)
        middle_layout.addWidget(self.transcript, 1)
        row = QHBoxLayout()
        self.question = QPlainTextEdit()
        self.question.setObjectName("question")
        self.question.setPlaceholderText(self.tr("Ask a question about your files (Ctrl+Enter)"))
        self.question.setFixedHeight(64)
        row.addWidget(self.question, 1)
        buttons = QVBoxLayout()
        self.ask_button = QPushButton(self.tr("Ask"))
        self.ask_button.setDefault(True)
        self.ask_button.clicked.connect(self.ask)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        buttons.addWidget(self.ask_button)
        buttons.addWidget(self.stop_button)
        row.addLayout(buttons)
        middle_layout.addLayout(row)
        split.addWidget(middle)

        self.preview = PreviewPane(library.previews())
        split.addWidget(self.preview)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 2)
        split.setSizes([180, 520, 380])

        if not self.available:
            self.banner.setText(self.tr("Answer generation is not installed in this build, so questions cannot be "
                                        "answered yet. Search works as usual."))
            for widget in (self.question, self.ask_button, self.new_button):
                widget.setEnabled(False)
        else:
            self.banner.hide()
            self.load_conversations()

    # -- conversations ------------------------------------------------------------------

    def load_conversations(self) -> None:
        lister = getattr(self.library, "conversations", None)
        if not callable(lister):
            return
        run_op(lister, self._show_conversations, pool=self.pool)

    def _show_conversations(self, rows: list[dict[str, Any]]) -> None:
        self.conversations.clear()
        for row in rows:
            conversation_id = row.get("id", row.get("conversation_id"))
            title = str(row.get("title") or row.get("question") or self.tr("Conversation %1").replace(
                "%1", str(conversation_id)))
            item = QListWidgetItem(title if len(title) < 60 else title[:57] + "…")
            item.setToolTip(title)
            item.setData(Qt.ItemDataRole.UserRole, conversation_id)
            self.conversations.addItem(item)
            if conversation_id == self.conversation_id:
                self.conversations.setCurrentItem(item)

    def _open_conversation(self, item: QListWidgetItem) -> None:
        conversation_id = item.data(Qt.ItemDataRole.UserRole)
        loader = getattr(self.library, "conversation", None)
        if not callable(loader):
            return
        run_op(lambda: loader(conversation_id), lambda turns: self._show_turns(conversation_id, turns),
               pool=self.pool)

    def _show_turns(self, conversation_id: int, turns: list[dict[str, Any]]) -> None:
        self.conversation_id = conversation_id
        self.citations = {}
        self.transcript_html = []
        for turn in turns:
            role, text = _turn_text(turn)
            if role == "user":
                self.transcript_html.append(self._question_html(text))
                continue
            # Stored citations (JSON) become clickable again; the latest turn's numbers win.
            citations = tuple(SimpleNamespace(**c) for c in turn.get("citations") or () if isinstance(c, dict))
            for citation in citations:
                self.citations[int(citation.n)] = citation_result(citation)
            self.transcript_html.append(self._answer_html(text, citations, supported=turn.get("supported", True)
                                                          is not False))
        self._render()

    def new_conversation(self) -> None:
        self.conversation_id = None
        self.transcript_html = []
        self.citations = {}
        self.conversations.clearSelection()
        self._render()
        self.question.setFocus()

    # -- asking -------------------------------------------------------------------------

    def ask(self) -> None:
        question = self.question.toPlainText().strip()
        if not question or not self.available or self.cancel_event is not None:
            return
        self.question.clear()
        self.transcript_html.append(self._question_html(question))
        self.streaming = ""
        self.cancel_event = threading.Event()
        cancel = self.cancel_event
        self.ask_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._render()
        library, conversation_id, tokens = self.library, self.conversation_id, self._tokens

        def work() -> Any:
            return library.ask(question, conversation_id=conversation_id, on_token=tokens.token.emit, cancel=cancel)

        run_op(work, self._done, self._failed, pool=self.pool)

    def stop(self) -> None:
        if self.cancel_event is not None:
            self.cancel_event.set()
            self.stop_button.setEnabled(False)

    def _on_token(self, token: str) -> None:
        if self.cancel_event is None:
            return
        self.streaming += token
        self._render(self.streaming)

    def _done(self, answer: Any) -> None:
        stopped = self.cancel_event is not None and self.cancel_event.is_set()
        self.cancel_event = None
        self.streaming = ""
        self.ask_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        evidence = tuple(getattr(answer, "evidence", ()) or ())
        citations = tuple(getattr(answer, "citations", ()) or ())
        for citation in citations:
            self.citations[int(citation.n)] = citation_result(citation, evidence)
        self.conversation_id = getattr(answer, "conversation_id", self.conversation_id)
        text = str(getattr(answer, "text", "") or "")
        self.transcript_html.append(self._answer_html(text, citations, supported=getattr(answer, "supported", True),
                                                      stopped=stopped))
        self._render()
        self.load_conversations()
        self.answered.emit(answer)

    def _failed(self, exc: BaseException) -> None:
        self.cancel_event = None
        self.ask_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.transcript_html.append(f"<p style='color:#c92a2a'>{html.escape(str(exc))}</p>")
        self._render()
        self.failed.emit(str(exc))

    # -- rendering ----------------------------------------------------------------------

    def _question_html(self, text: str) -> str:
        you = self.tr("You")
        return (f"<table width='100%' cellpadding='8'><tr><td style='background-color:palette(alternate-base);'>"
                f"<b>{html.escape(you)}</b><br>{html.escape(text)}</td></tr></table>")

    def _answer_html(self, text: str, citations: tuple[Any, ...], supported: bool = True, stopped: bool = False) -> str:
        body = re.sub(r"\[(\d+)\]", lambda m: f"<a href='cite:{m.group(1)}'>[{m.group(1)}]</a>", html.escape(text))
        # An unsupported answer's text already says so (the generation contract): it is
        # only set apart, in italics.
        body = body if supported else f"<i>{body}</i>"
        parts = [f"<p style='white-space:pre-wrap'>{body}</p>"]
        stopped_text = self.tr("(stopped)")
        sources_text = self.tr("Sources")
        if stopped:
            parts.append(f"<p><i>{html.escape(stopped_text)}</i></p>")
        if citations:
            items = []
            for citation in citations:
                where = locator_text(_locator(citation.locator))
                label = f"{Path(str(citation.path)).name}" + (f" ({where})" if where else "")
                items.append(f"<a href='cite:{int(citation.n)}'>[{int(citation.n)}] {html.escape(label)}</a>")
            parts.append(f"<p><b>{html.escape(sources_text)}</b><br>{'<br>'.join(items)}</p>")
        return "".join(parts)

    def _render(self, streaming: str | None = None) -> None:
        page = "".join(self.transcript_html)
        if streaming is not None:
            page += f"<p style='white-space:pre-wrap'>{html.escape(streaming)}▍</p>"
        self.transcript.setHtml(page)
        bar = self.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _on_link(self, url: QUrl) -> None:
        if url.scheme() == "cite":
            result = self.citations.get(int(url.path() or 0))
            if result is not None:
                self.preview.show_result(result)
                self.citation_opened.emit(result)
