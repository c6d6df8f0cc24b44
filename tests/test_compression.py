"""The compression panel's numbers: text tokens per page against visual tokens, and the KV cache of each."""

from __future__ import annotations

from glyph_web.chat.compression import (compression, estimate_tokens, human_bytes, kv_bytes, reference_groups,
                                        share)
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


def test_pages_known_only_together_share_their_texts_counts_by_page_size():
    # page 2 is a picture; pages 1, 3 and 4 were drawn by the reference engine from one part of the text
    text = "word " * 100
    panel = compression([None, None, None, None], [600, 400, 600, 300], lambda t: len(t.split()),
                        shared=[(text, [1, 3, 4])])
    assert [(r.characters, r.text_tokens, r.shared) for r in panel.rows] == \
        [(200, 40, True), (None, None, False), (200, 40, True), (100, 20, True)]
    assert panel.characters == len(text) and panel.text_tokens == 100 and panel.shared and not panel.estimated
    assert share(10, [1, 1, 1]) == [4, 3, 3] and share(7, [0, 0]) == [4, 3] and share(5, []) == []
    assert sum(share(1_234, [630, 630, 630, 97])) == 1_234


def test_reference_drawn_pages_are_grouped_by_the_part_they_show():
    texts = ["first part", None, "second part"]  # text, a picture, text
    # page 1 laid out by the fast engine; page 2 the picture; pages 3-4 drawn by the reference engine
    page_texts = ["first part", None, None, None]
    assert reference_groups(texts, page_texts, [0, 1, 2, 2]) == [("second part", [3, 4])]
    assert reference_groups(texts, ["first part", None, "sec", "ond part"], [0, 1, 2, 2]) == []
    # without the page-to-part map only a text-only document none of whose pages were laid out is placed
    assert reference_groups(["a", "b"], [None, None], None) == [("a\nb", [1, 2])]
    assert reference_groups(texts, [None] * 4, None) == []


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
