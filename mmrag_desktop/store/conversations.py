"""Conversation storage (schema 2): the SQL behind ``Library.conversations`` and
``mmrag chat --list/--resume``, mixed into :class:`~mmrag_desktop.store.Store`."""

from __future__ import annotations

import json
import time
from typing import Any


class ConversationStore:
    """Mixed into ``Store``: needs its ``transaction`` and ``_query``."""

    def create_conversation(self, title: str) -> int:
        now = time.time()
        with self.transaction() as db:  # type: ignore[attr-defined]
            cursor = db.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES (?, ?, ?)",
                                (title[:200], now, now))
            return int(cursor.lastrowid)

    def add_turn(self, conversation_id: int, role: str, text: str, *, query: str | None = None,
                 citations: list[dict[str, Any]] | None = None, supported: bool | None = None) -> int:
        now = time.time()
        with self.transaction() as db:  # type: ignore[attr-defined]
            cursor = db.execute(
                "INSERT INTO turns (conversation_id, role, text, query, citations, supported, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, role, text, query, json.dumps(citations or [], ensure_ascii=False),
                 None if supported is None else int(supported), now),
            )
            db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            return int(cursor.lastrowid)

    def conversation_exists(self, conversation_id: int) -> bool:
        return bool(self._query("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)))  # type: ignore[attr-defined]

    def conversations(self) -> list[dict[str, Any]]:
        rows = self._query(  # type: ignore[attr-defined]
            "SELECT c.id, c.title, c.created_at, c.updated_at, COUNT(t.id) FROM conversations c "
            "LEFT JOIN turns t ON t.conversation_id = c.id GROUP BY c.id ORDER BY c.updated_at DESC, c.id DESC"
        )
        return [{"id": r[0], "title": r[1], "created_at": r[2], "updated_at": r[3], "turns": r[4]} for r in rows]

    def turns(self, conversation_id: int) -> list[dict[str, Any]]:
        rows = self._query(  # type: ignore[attr-defined]
            "SELECT role, text, query, citations, supported, created_at FROM turns "
            "WHERE conversation_id = ? ORDER BY id", (conversation_id,))
        return [{"role": r[0], "text": r[1], "query": r[2], "citations": json.loads(r[3]),
                 "supported": None if r[4] is None else bool(r[4]), "created_at": r[5]} for r in rows]

    def delete_conversation(self, conversation_id: int) -> None:
        with self.transaction() as db:  # type: ignore[attr-defined]
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
