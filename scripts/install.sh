#!/usr/bin/env bash
# Make .venv with Python 3.11 and install Linkage with its pinned dependencies (and the test tools).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "Linkage needs Python 3.11, found " + sys.version' 
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
# Compiled translations: without them SMS, mail and pages come out in English. The settings need
# no service for this, whatever the environment says.
LINKAGE_MODE=embedded .venv/bin/python scripts/compile_messages.py
