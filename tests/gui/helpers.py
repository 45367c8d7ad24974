"""Small waits shared by the GUI tests."""

from __future__ import annotations

from typing import Any


def index_and_wait(qtbot: Any, window: Any, folder: Any, timeout: int = 60000) -> Any:
    """Add ``folder`` through the window and wait for the report."""
    with qtbot.waitSignal(window.indexer.finished, timeout=timeout) as blocker:
        window.add_folder(str(folder))
    return blocker.args[0]


def search_and_wait(qtbot: Any, window: Any, text: str, timeout: int = 30000) -> list[Any]:
    panel = window.search_panel
    with qtbot.waitSignal(panel.searched, timeout=timeout):
        panel.box.setText(text)
        panel.box.commit()
    return panel.current_results()
