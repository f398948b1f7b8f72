#!/usr/bin/env bash
# Set up the development environment (once) and run every check: lint, format, types, tests.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k search`.
set -euo pipefail
cd "$(dirname "$0")/.."

export HF_HUB_OFFLINE=1  # the model ships in a package; nothing is ever downloaded
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
# Debian packages the end-to-end tests run for real: Chromium (driven by Playwright, no
# browser download) and nginx (the deploy stack's own nginx.conf).
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq $missing >/dev/null
    else
        echo "scripts/test.sh: the tests need:$missing (sudo apt-get install$missing)" >&2
        exit 1
    fi
fi
# pyproject pins torch==2.13.0, which pip takes as the CPU build (see README).
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[dev]'

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/pytest "$@"
