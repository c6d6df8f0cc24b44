"""The document's figures on the page: the stats line and the compression panel (table, KV comparison, chart).
No torch here.

Every figure says where it comes from: counted by the model's tokenizer, estimated without one, shared out
over pages the reference engine drew (chat/compression.py), or the tiny demo model's toy tokenizer and
configuration, which are not Glyph's and are marked so.
"""

from __future__ import annotations

from glyph_web.backends import Backend
from glyph_web.chat import PreparedDocument
from glyph_web.ui.text import t

APPROX = "≈"  # before a shared-out figure in the table


def stats_text(prepared: PreparedDocument, lang: str, backend: Backend | None = None) -> str:
    """The line under the upload box. With `backend`, text tokens are counted now when the model was not
    loaded yet when the document was read, and the tiny demo model's tokenizer is marked as such."""
    s = prepared.summary()
    parts = [t(lang, "stats", name=s["name"], pages=s["pages"], chars=s["characters"], visual=s["visual_tokens"],
               dpi=f"{s['dpi']:g}")]
    text = prepared.doc.text
    tokens = s["text_tokens"]
    if tokens is None and backend is not None and text.strip():
        tokens = backend.count_tokens(text)  # the model has loaded since the document was read
    if not text.strip():
        parts.append(t(lang, "stats_no_text"))
    elif tokens and s["visual_tokens"]:
        parts.append(t(lang, "stats_compression", text=tokens, ratio=round(tokens / s["visual_tokens"], 2)))
        if _demo(backend):
            parts.append(t(lang, "stats_demo_tokenizer", chars=_per_token(len(text), tokens)))
    else:
        parts.append(t(lang, "stats_no_tokenizer"))
    return "  \n".join(parts)


def compression_panel(prepared: PreparedDocument, backend: Backend, lang: str):
    """The compression panel: a table per page and in total, the KV-cache comparison, and the chart's data.

    The chart's data has a row per page and kind, pages in numeric order, the text bar before the visual bar:
    `page` is the bar's label (page number zero-padded, so that sorting the labels as text keeps the pages in
    numeric order, then the kind: the two bars of a page stand side by side), `kind` its colour, `tokens` its
    height and `number` the page number.
    """
    import pandas as pd

    from glyph_web.chat.compression import compression, human_bytes, kv_bytes, reference_groups

    pages = prepared.pages
    page_texts = pages.page_texts
    part_texts = [getattr(part, "text", None) for part in prepared.doc.parts]
    groups = reference_groups(part_texts, page_texts, pages.page_parts)
    c = compression(page_texts, pages.visual_tokens, backend.count_tokens, groups)
    dash = "–"

    def cell(value: int | None, shared: bool) -> str:
        return dash if value is None else f"{APPROX}{value:,}" if shared else f"{value:,}"

    lines = [f"| {t(lang, 'compression_table_page')} | {t(lang, 'compression_table_chars')} | "
             f"{t(lang, 'compression_table_text')} | {t(lang, 'compression_table_visual')} |", "|---:|---:|---:|---:|"]
    for row in c.rows:
        lines.append(f"| {row.page} | {cell(row.characters, row.shared)} | {cell(row.text_tokens, row.shared)} | "
                     f"{row.visual_tokens:,} |")
    lines.append(f"| **{t(lang, 'compression_total')}** | **{c.characters:,}** | **{c.text_tokens:,}** | "
                 f"**{c.visual_tokens:,}** |")
    parts = ["\n".join(lines)]
    if c.shared:
        parts.append(t(lang, "compression_shared"))
    if c.estimated:
        parts.append(t(lang, "compression_estimate"))
    if _demo(backend) and c.text_tokens:
        parts.append(t(lang, "compression_demo_tokenizer", chars=_per_token(c.characters, c.text_tokens)))
    geometry = getattr(backend, "kv_geometry", lambda: None)()
    if geometry and c.text_tokens:
        parts.append(t(lang, "compression_kv", text_gb=human_bytes(kv_bytes(c.text_tokens, geometry)),
                       visual_gb=human_bytes(kv_bytes(c.visual_tokens, geometry)), **geometry))
    elif geometry or not prepared.doc.text.strip():
        parts.append(t(lang, "compression_kv_no_text"))
    elif backend.state().ready:  # loaded, yet the configuration is elsewhere (a remote model server)
        parts.append(t(lang, "compression_kv_not_reported"))
    else:
        parts.append(t(lang, "compression_kv_unknown"))
    return "\n\n".join(parts), _chart(c, lang, pd)


def _chart(c, lang: str, pd):
    """The chart's rows: a text bar and a visual bar per page, in numeric page order (see compression_panel)."""
    width = len(str(len(c.rows)))
    text_kind, shared_kind, visual_kind = (t(lang, key) for key in (
        "compression_table_text", "compression_plot_shared", "compression_table_visual"))
    text_bar, visual_bar = t(lang, "compression_plot_text"), t(lang, "compression_plot_visual")
    rows = []
    for r in c.rows:
        label = f"{r.page:0{width}d}"
        rows.append({"page": f"{label} · {text_bar}", "kind": shared_kind if r.shared else text_kind,
                     "tokens": r.text_tokens or 0, "number": r.page})
        rows.append({"page": f"{label} · {visual_bar}", "kind": visual_kind, "tokens": r.visual_tokens,
                     "number": r.page})
    return pd.DataFrame(rows, columns=["page", "kind", "tokens", "number"])


def _demo(backend: Backend | None) -> bool:
    """The tiny random model: its tokenizer and configuration are a toy's, not Glyph's."""
    return backend is not None and bool(getattr(backend.state(), "noise", False))


def _per_token(characters: int, tokens: int) -> str:
    return f"{characters / tokens:.1f}" if tokens else "–"
