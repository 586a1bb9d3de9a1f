#!/usr/bin/env bash
# Installs the API fuzzer (Schemathesis, from PyPI, pinned) into .cache/schemathesis, where
# test/integration/api-fuzz.test.ts looks for it. Idempotent: an install of the pinned version is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.32.5
VENV=.cache/schemathesis
if [ -x "$VENV/bin/schemathesis" ] && "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q " $VERSION\$"; then
  exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
"$VENV/bin/schemathesis" --version
