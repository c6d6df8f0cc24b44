#!/usr/bin/env bash
# 界面推理 (web inference): set up on first run, then start the glyph-web app on port 7860.
#   bash 界面推理.sh [serve flags...]
#   bash 界面推理.sh --model /models/Glyph --load-in-4bit     # a local model folder, 4-bit
#   GLYPH_MODEL=tiny bash 界面推理.sh                           # smoke demo without weights (noise answers)
# Creates .venv when missing, installs requirements.txt only when it changed, installs poppler when missing,
# fetches the training fonts when online, then serves on 0.0.0.0:7860 (every flag has a GLYPH_* variable;
# see `python -m glyph_web serve --help`).
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/setup_venv.sh
bash scripts/install_system_deps.sh

if [ ! -f fonts/Verdana.ttf ] || [ ! -f fonts/SourceHanSansHWSC-VF.ttf ]; then
    .venv/bin/python scripts/fetch_fonts.py \
        || echo "note: the training fonts could not be fetched; pages use the open fallback fonts (see README)" >&2
fi

# Listen on every interface unless GLYPH_HOST says otherwise; flags given here still win.
if [ -z "${GLYPH_HOST:-}" ]; then
    set -- --host 0.0.0.0 "$@"
fi
exec .venv/bin/python -m glyph_web serve "$@"
