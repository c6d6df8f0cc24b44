#!/usr/bin/env bash
# Creates .venv when missing and installs the Python packages, again only when requirements.txt or
# pyproject.toml change. Shared by the launch script and the test command.
#   bash scripts/setup_venv.sh          # the app
#   bash scripts/setup_venv.sh test     # the app and the test tools
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        echo "glyph-web needs Python 3.10 or newer; set PYTHON=/path/to/python3.x" >&2
        exit 1
    fi
    echo "setup: creating .venv" >&2
    "$PYTHON" -m venv .venv
fi

extra=${1:-}
target="."
[ "$extra" = "test" ] && target=".[test]"
stamp=.venv/.glyph-web-installed${extra:+-$extra}
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing Python packages (the first time takes a few minutes)" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
    .venv/bin/python -m pip install -q --disable-pip-version-check -e "$target"  # the glyph-web command
    echo "$want" > "$stamp"
fi
# The fast render engine's compiled glyph blit, built now rather than on the first render (cached in
# ~/.cache/glyph-web; without a C compiler numpy does the same work, more slowly).
.venv/bin/python -m glyph_web.render.native 2>/dev/null || true
