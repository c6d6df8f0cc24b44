#!/usr/bin/env bash
# The test command: sets up what the tests need on a fresh machine, then runs pytest.
#   bash scripts/test.sh [pytest args...]
# Creates .venv when missing, installs the Python packages (again only when requirements change), installs
# poppler's pdftoppm and Chromium (for the browser test) through apt-get when absent, and runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup_venv.sh test
bash scripts/install_system_deps.sh --browser

exec .venv/bin/python -m pytest -q "$@"
