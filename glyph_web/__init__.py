"""glyph-web: ask questions about long documents with Glyph, which reads text rendered as page images."""

__version__ = "0.1.0"
