#!/usr/bin/env bash
# Installs the system tools glyph-web needs when they are missing: poppler's pdftoppm (the reference renderer's
# rasteriser). Uses apt-get (as root, or through sudo); on other systems it says what to install.
set -euo pipefail

missing=()
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_system_deps: please install ${missing[*]} (poppler) with your package manager" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install_system_deps: run as root or install: apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi
echo "install_system_deps: installing ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
