#!/usr/bin/env bash
# One command: install everything (with the test tools), then run the whole test suite.
# Extra arguments go to pytest, e.g. `bash test.sh -m "not slow"` for a quick local run.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install.sh --test
exec .venv/bin/python -m pytest -q "$@"
