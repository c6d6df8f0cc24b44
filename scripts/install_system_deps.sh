#!/usr/bin/env bash
# Installs the system tools glyph-web needs when they are missing: poppler's pdftoppm (the renderer's
# rasteriser), and with --browser Chromium for the browser test (and a Chinese font for its screenshots). Uses
# apt-get (as root, or through sudo); on other systems it says what to install. A missing browser is not fatal:
# the browser test then skips.
set -euo pipefail

need=()
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
want_browser=0
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
    want_browser=1
fi
# a Chinese font for the browser, or the Chinese page's screenshots show empty boxes
want_cjk=0
if [ "${1:-}" = "--browser" ] && [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ]; then
    want_cjk=1
fi
[ ${#need[@]} -eq 0 ] && [ $want_browser -eq 0 ] && [ $want_cjk -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    [ ${#need[@]} -gt 0 ] && { echo "install_system_deps: please install poppler (${need[*]})" >&2; exit 1; }
    echo "install_system_deps: Chromium is not installed; the browser test will be skipped" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install_system_deps: run as root or install: apt-get install ${need[*]} chromium" >&2
        [ ${#need[@]} -gt 0 ] && exit 1 || exit 0
    fi
fi
$SUDO apt-get update -qq || true
if [ ${#need[@]} -gt 0 ]; then
    echo "install_system_deps: installing ${need[*]}" >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ $want_browser -eq 1 ]; then
    echo "install_system_deps: installing chromium (browser test)" >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null \
        || echo "install_system_deps: chromium could not be installed; the browser test will be skipped" >&2
fi
if [ $want_cjk -eq 1 ]; then
    echo "install_system_deps: installing a Chinese font for the browser (fonts-wqy-microhei)" >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends fonts-wqy-microhei \
        >/dev/null || echo "install_system_deps: no Chinese font; Chinese screenshots will show boxes" >&2
fi
