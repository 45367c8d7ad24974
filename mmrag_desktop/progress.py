"""Terminal progress for long work: phase, bar, count, rate, ETA and the current file."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .pipeline.ingest import IndexProgress

_UNITS = {"scan": "files found", "extract": "files/s", "embed": "chunks/s"}
_LABELS = {"scan": "Scanning", "extract": "Reading files", "embed": "Embedding"}


class ProgressPrinter:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._progress: Progress | None = None
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> ProgressPrinter:
        if self.enabled:
            self._progress = Progress(
                TextColumn("{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), TextColumn("{task.fields[current]}"),
                console=Console(stderr=True), transient=False,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)

    def update(self, event: IndexProgress) -> None:
        if self._progress is None or event.phase == "done":
            return
        task = self._tasks.get(event.phase)
        rate = f"{event.rate:.1f} {_UNITS[event.phase]}" if event.phase != "scan" else f"{event.done} found"
        current = event.current[-50:]
        if task is None:
            task = self._progress.add_task(_LABELS[event.phase], total=event.total or None, rate=rate, current=current)
            self._tasks[event.phase] = task
        self._progress.update(task, completed=event.done, total=event.total or None, rate=rate, current=current)
