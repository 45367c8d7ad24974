"""Entry point of the frozen app (the PyInstaller script).

One executable, two names: ``mmrag`` runs the command line and ``mmrag-desktop`` (a link
to the same file, made by build.py when the GUI is in the build) opens the window. Two
options exist only in the frozen build, for the packaging smoke test and for support:
``--self-check`` (plugins found through entry points, default model verified) and
``--gui-smoke OUT_DIR`` (offscreen window: index the sample, search, screenshot).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["--self-check"]:
        from frozen_support import self_check

        sys.exit(self_check())
    if args[:1] == ["--gui-smoke"]:
        from frozen_support import gui_smoke

        sys.exit(gui_smoke(args[1:]))
    from frozen_support import warn_if_plugin_metadata_missing

    warn_if_plugin_metadata_missing()
    if os.path.basename(sys.argv[0]).startswith("mmrag-desktop"):
        try:
            from mmrag_desktop.gui import main as gui_main
        except ImportError:
            sys.exit("This build has no desktop window (mmrag_desktop.gui was not bundled); use `mmrag`.")
        gui_main(args)
        return
    from mmrag_desktop.cli import main as cli_main

    cli_main(args)


if __name__ == "__main__":
    main()
