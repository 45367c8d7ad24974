#!/usr/bin/env bash
# One command: install everything, then index the bundled sample corpus and search it.
# Afterwards use .venv/bin/mmrag directly, e.g. `.venv/bin/mmrag index ~/Documents`.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install.sh
exec .venv/bin/mmrag --data-dir "${MMRAG_DEMO_DIR:-.mmrag-demo}" demo
