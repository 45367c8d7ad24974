"""Paths as people read them."""

from __future__ import annotations

from pathlib import Path


def home_relative(path: Path | str) -> str:
    """``path`` with the home folder shortened to ``~``."""
    home, text = str(Path.home()), str(path)
    return "~" + text[len(home):] if home not in ("/", "") and text.startswith(home + "/") else text
