#!/usr/bin/env bash
# One command: build the Linux desktop package into dist/mmrag-desktop/ (PyInstaller,
# one folder). Installs the app with its `packaging` extra into .venv first.
# Usage: packaging/build.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test   # the test extra includes the packaging tools
exec .venv/bin/python packaging/build.py "$@"
