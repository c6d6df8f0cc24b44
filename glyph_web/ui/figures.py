"""The document's figures on the page: the stats line and the compression panel (table, KV comparison, chart).
No torch here."""

from __future__ import annotations

from glyph_web.backends import Backend
from glyph_web.chat import PreparedDocument
from glyph_web.ui.text import t


def stats_text(prepared: PreparedDocument, lang: str) -> str:
    s = prepared.summary()
    parts = [t(lang, "stats", name=s["name"], pages=s["pages"], chars=s["characters"], visual=s["visual_tokens"],
               dpi=f"{s['dpi']:g}")]
    if s["text_tokens"]:
        parts.append(t(lang, "stats_compression", text=s["text_tokens"], ratio=s["compression"]))
    else:
        parts.append(t(lang, "stats_no_tokenizer"))
    return "  \n".join(parts)


def compression_panel(prepared: PreparedDocument, backend: Backend, lang: str):
    """The compression panel: a table per page and in total, the KV-cache comparison, and the chart's data."""
    import pandas as pd

    from glyph_web.chat.compression import compression, human_bytes, kv_bytes

    c = compression(prepared.pages.page_texts, prepared.pages.visual_tokens, backend.count_tokens)
    dash = "–"
    lines = [f"| {t(lang, 'compression_table_page')} | {t(lang, 'compression_table_chars')} | "
             f"{t(lang, 'compression_table_text')} | {t(lang, 'compression_table_visual')} |", "|---:|---:|---:|---:|"]
    for row in c.rows:
        lines.append(f"| {row.page} | {dash if row.characters is None else f'{row.characters:,}'} | "
                     f"{dash if row.text_tokens is None else f'{row.text_tokens:,}'} | {row.visual_tokens:,} |")
    lines.append(f"| **{t(lang, 'compression_total')}** | **{c.characters:,}** | **{c.text_tokens:,}** | "
                 f"**{c.visual_tokens:,}** |")
    parts = ["\n".join(lines)]
    if c.estimated:
        parts.append(t(lang, "compression_estimate"))
    geometry = getattr(backend, "kv_geometry", lambda: None)()
    if geometry and c.text_tokens:
        parts.append(t(lang, "compression_kv", text_gb=human_bytes(kv_bytes(c.text_tokens, geometry)),
                       visual_gb=human_bytes(kv_bytes(c.visual_tokens, geometry)), **geometry))
    else:
        parts.append(t(lang, "compression_kv_unknown"))
    text_kind, visual_kind = t(lang, "compression_table_text"), t(lang, "compression_table_visual")
    data = pd.DataFrame(
        [{"page": str(r.page), "kind": text_kind, "tokens": r.text_tokens or 0} for r in c.rows]
        + [{"page": str(r.page), "kind": visual_kind, "tokens": r.visual_tokens} for r in c.rows])
    return "\n\n".join(parts), data
