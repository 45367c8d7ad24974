"""The desktop app: a PySide6 shell over :class:`~mmrag_desktop.library.Library`.

Widgets here only call the library's service API; long work runs in background
workers (:mod:`.ops`, :mod:`.indexing`) that report back by Qt signals, so the window
never freezes. ``main`` falls back to the command-line demo when there is no display.
"""

from __future__ import annotations

import os
import sys


def has_display() -> bool:
    """Whether a Qt window can be shown: a forced platform (offscreen, xcb …), or on
    Linux/BSD an X11/Wayland display; Windows and macOS always have one."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith(("win", "darwin")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _cli_options(argv: list[str]) -> list[str]:
    """The options the CLI understands too (``--data-dir``, ``--safe-mode``)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--safe-mode" or arg.startswith("--data-dir="):
            out.append(arg)
        elif arg == "--data-dir" and i + 1 < len(argv):
            out += [arg, argv[i + 1]]
    return out


def main(argv: list[str] | None = None) -> None:
    """``mmrag-desktop``: open the main window, or run the CLI demo without a display."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not has_display():
        print("No display found (DISPLAY/WAYLAND_DISPLAY unset): running the command-line demo instead.\n"
              "Start the window on a desktop, or under Xvfb: xvfb-run mmrag-desktop", file=sys.stderr)
        from ..cli import main as cli_main

        cli_main([*_cli_options(argv), "demo"])
        return
    try:
        from .app import run
    except ImportError as exc:  # PySide6 or a Qt system library is missing
        print(f"The desktop app cannot start ({exc}); running the command-line demo instead.\n"
              "Install the system packages with scripts/install.sh.", file=sys.stderr)
        from ..cli import main as cli_main

        cli_main([*_cli_options(argv), "demo"])
        return
    sys.exit(run(argv))
