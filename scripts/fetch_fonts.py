#!/usr/bin/env python3
"""Download Glyph's training fonts into fonts/ and check them against the official repository's git blob ids.

    python scripts/fetch_fonts.py                      # both fonts, from GitHub at the pinned commit
    python scripts/fetch_fonts.py --only Verdana.ttf
    python scripts/fetch_fonts.py --from DIR           # copy from a local folder instead (still checked)

Verdana may not be redistributed, so the repository does not ship it; Source Han Sans HW SC VF (SIL OFL) is
large. A font already in place with the right blob id is left alone. A file stored in Git LFS is followed to
its content and checked against the pointer's sha256. Any failure is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from glyph_web.render.fonts import (  # noqa: E402  (after the path set-up above)
    FONTS_DIR, GLYPH_COMMIT, GLYPH_REPO, TRAINING_FONTS, git_blob_id)

RAW_URL = f"https://raw.githubusercontent.com/{GLYPH_REPO}/{GLYPH_COMMIT}/config/"
LFS_URL = f"https://media.githubusercontent.com/media/{GLYPH_REPO}/{GLYPH_COMMIT}/config/"
TIMEOUT_S = 60
MAX_BYTES = 64 * 1024 * 1024  # both fonts are far below this; a bigger answer is not a font


class FetchError(Exception):
    """One line for the user."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=FONTS_DIR, help="folder to put the fonts in (default: fonts/)")
    parser.add_argument("--only", choices=sorted(TRAINING_FONTS), action="append",
                        help="fetch just this font (repeatable)")
    parser.add_argument("--from", dest="source", type=Path, metavar="DIR",
                        help="copy the fonts from this folder instead of downloading them")
    parser.add_argument("--base-url", default=RAW_URL, help=argparse.SUPPRESS)  # for tests
    args = parser.parse_args(argv)
    try:
        args.dest.mkdir(parents=True, exist_ok=True)
        for name in args.only or sorted(TRAINING_FONTS):
            print(fetch(name, args.dest, args.source, args.base_url))
    except FetchError as exc:
        print(f"fetch_fonts: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def fetch(name: str, dest: Path, source: Path | None, base_url: str) -> str:
    """Put a verified copy of the font into dest; returns a line saying what was done."""
    target = dest / name
    blob = TRAINING_FONTS[name]
    if target.is_file() and git_blob_id(target.read_bytes()) == blob:
        return f"{name}: already in {dest}, checked"
    if source is not None:
        try:
            data = (source / name).read_bytes()
        except OSError as exc:
            raise FetchError(f"cannot read {source / name}: {exc.strerror or exc}") from None
        where = str(source / name)
    else:
        where = base_url + name
        data = _download(where, name)
        if data.startswith(b"version https://git-lfs"):
            if git_blob_id(data) != blob:
                raise FetchError(f"{name}: the LFS pointer from {where} does not match blob {blob}")
            data = _follow_lfs(data, name, base_url)
            blob = None  # the LFS pointer was the blob; the content was checked by its sha256
    if blob is not None and git_blob_id(data) != blob:
        raise FetchError(f"{name} from {where} is not the training font (git blob id differs from {blob}); "
                         f"nothing was written")
    part = target.with_name(target.name + ".part")
    try:
        part.write_bytes(data)
        os.replace(part, target)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise FetchError(f"cannot write {target}: {exc.strerror or exc}") from None
    return f"{name}: {len(data):,} bytes from {where}, checked, saved to {target}"


def _download(url: str, name: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"cannot download {name}: {url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"cannot download {name} from {url} ({reason}); are you offline? Copy the font into "
                         f"fonts/ or use --from DIR") from None
    if len(data) > MAX_BYTES:
        raise FetchError(f"{url} sent more than {MAX_BYTES // 2**20} MB; that is not {name}")
    return data


def _follow_lfs(pointer: bytes, name: str, base_url: str) -> bytes:
    fields = dict(line.split(" ", 1) for line in pointer.decode("ascii", "replace").splitlines() if " " in line)
    oid = fields.get("oid", "").removeprefix("sha256:")
    media = LFS_URL if base_url == RAW_URL else base_url.rstrip("/") + "/media/"
    data = _download(media + name, name)
    if hashlib.sha256(data).hexdigest() != oid:
        raise FetchError(f"{name} from Git LFS does not match its pointer's sha256; nothing was written")
    return data


if __name__ == "__main__":
    sys.exit(main())
