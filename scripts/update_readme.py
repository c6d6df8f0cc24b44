#!/usr/bin/env python3
"""Regenerate the command help in README.md from the CLI itself, so that it cannot go stale.

    python scripts/update_readme.py          # rewrite README.md
    python scripts/update_readme.py --check  # exit 1 when README.md is out of date (the tests run this)

Each block between `<!-- help: ARGS -->` and `<!-- /help -->` is replaced by `glyph-web ARGS --help`.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- help: (?P<args>[^>]*?) -->\n)(.*?)(<!-- /help -->)", re.S)
WIDTH = "100"  # argparse wraps help to $COLUMNS


def command_help(args: str) -> str:
    from glyph_web.cli import build_parser

    os.environ["COLUMNS"] = WIDTH
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        build_parser().parse_args([*args.split(), "--help"])
    return out.getvalue()


def render(text: str) -> str:
    return BLOCK.sub(lambda m: f"{m.group(1)}```\n{command_help(m.group('args'))}```\n{m.group(4)}", text)


def main(argv: list[str]) -> int:
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print("README.md command help is out of date: run python scripts/update_readme.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
