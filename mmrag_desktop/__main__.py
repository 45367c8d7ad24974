"""``python -m mmrag_desktop``: the desktop window; with a command (``search``, ``index``
…) the ``mmrag`` CLI."""

import sys

_GUI_OPTIONS = {"--data-dir": 1, "--safe-mode": 0, "--lang": 1}


def _wants_gui(argv: list[str]) -> bool:
    i = 0
    while i < len(argv):
        name = argv[i].split("=", 1)[0]
        if name not in _GUI_OPTIONS:
            return False
        i += 1 + (_GUI_OPTIONS[name] if "=" not in argv[i] else 0)
    return True


if _wants_gui(sys.argv[1:]):
    from .gui import main as gui_main

    gui_main(sys.argv[1:])
else:
    from .cli import main

    main()
