"""`python -m glyph_web ...` runs the command line (see glyph_web.cli)."""

import sys

from glyph_web.cli import main

sys.exit(main())
