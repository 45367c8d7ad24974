"""Where a library and the models live on disk."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "mmrag-desktop"


def default_data_dir() -> Path:
    """``MMRAG_DATA_DIR`` if set, else the platform's user data directory."""
    env = os.environ.get("MMRAG_DATA_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def models_dir() -> Path:
    """Folder for user-installed models (``MMRAG_MODELS_DIR`` overrides)."""
    env = os.environ.get("MMRAG_MODELS_DIR")
    return Path(env).expanduser() if env else default_data_dir() / "models"
