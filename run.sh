#!/usr/bin/env bash
# One command: install everything, then open the desktop app (its welcome page offers
# the bundled sample library). Without a display it indexes the sample corpus and
# searches it on the command line instead. Afterwards use .venv/bin/mmrag-desktop or
# .venv/bin/mmrag directly, e.g. `.venv/bin/mmrag index ~/Documents`.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install.sh
exec .venv/bin/mmrag-desktop --data-dir "${MMRAG_DEMO_DIR:-.mmrag-demo}"
