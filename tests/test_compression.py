"""The compression panel's numbers: text tokens per page against visual tokens, and the KV cache of each."""

from __future__ import annotations

from glyph_web.chat.compression import compression, estimate_tokens, human_bytes, kv_bytes
from glyph_web.render import render_text

GLM41V_9B = {"layers": 40, "heads": 2, "dim": 128, "bytes": 2}  # Glyph's text model: 40 layers, 2 KV heads


def test_rows_use_the_tokenizer_when_there_is_one_and_say_when_they_estimate():
    counted = compression(["a b c", None, "d e"], [630, 400, 294], lambda text: len(text.split()))
    assert [(r.page, r.characters, r.text_tokens, r.visual_tokens) for r in counted.rows] == \
        [(1, 5, 3, 630), (2, None, None, 400), (3, 3, 2, 294)]
    assert not counted.estimated and counted.text_tokens == 5 and counted.visual_tokens == 1324
    guessed = compression(["x" * 400, "合同条款" * 10], [630, 630])
    assert guessed.estimated and [r.text_tokens for r in guessed.rows] == [100, 40]
    assert estimate_tokens("第一条 The harbour") == 3 + 3  # 3 ideographs, 12 other characters / 4


def test_kv_cache_of_text_against_pages():
    assert kv_bytes(1, GLM41V_9B) == 40 * 2 * 128 * 2 * 2 == 40_960
    text, pages = kv_bytes(62_000, GLM41V_9B), kv_bytes(15_414, GLM41V_9B)  # case3.txt: about 4x fewer
    assert human_bytes(text) == "2.4 GB" and human_bytes(pages) == "602.1 MB"


def test_page_texts_come_from_the_fast_engine_and_add_up_to_the_text():
    text = "\n".join(f"Line {n}: the harbour master logged ships." for n in range(900))
    pages = render_text(text)
    texts = pages.page_texts
    assert len(texts) == len(pages.images) > 1 and all(t for t in texts)
    # short lines: every source line is one drawn line (a page may start with the empty line reportlab leaves
    # after a split at a line break)
    assert [line for line in "\n".join(texts).split("\n") if line] == text.split("\n")
    panel = compression(texts, pages.visual_tokens)
    assert panel.characters == sum(len(t) for t in texts) and panel.ratio > 1
