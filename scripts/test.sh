#!/usr/bin/env bash
# The test command: sets up what the tests need on a fresh machine, then runs pytest.
#   bash scripts/test.sh [pytest args...]
# Creates .venv when missing, installs the Python packages (again only when requirements change), installs
# poppler's pdftoppm through apt-get when it is absent, and runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "test.sh: creating .venv" >&2
    "$PYTHON" -m venv .venv
fi

stamp=.venv/.glyph-web-installed
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "test.sh: installing Python packages" >&2
    .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"  # glyph-web command, test tools
    echo "$want" > "$stamp"
fi

bash scripts/install_system_deps.sh

exec .venv/bin/python -m pytest -q "$@"
