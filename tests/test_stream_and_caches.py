"""The thinking/answer splitter and the rendered-pages cache."""

from __future__ import annotations

import pytest

from glyph_web.render import RenderConfig, render_text
from glyph_web.render.cache import PageCache
from glyph_web.stream import ThinkSplitter, Usage, split_thinking

from conftest import DEJAVU

RAW = "<think>The wolf is mentioned on page 2.</think><answer>The wolf ate <b>grandmother</b>.</answer>"


def feed_in_pieces(raw: str, size: int) -> list[tuple[str, str]]:
    splitter = ThinkSplitter()
    out = []
    for i in range(0, len(raw), size):
        out += splitter.feed(raw[i:i + size])
    out += splitter.flush()
    merged = []
    for kind, text in out:
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 1000])
def test_thinking_and_answer_are_separated_whatever_the_delta_size(size):
    assert feed_in_pieces(RAW, size) == [("thinking", "The wolf is mentioned on page 2."),
                                         ("text", "The wolf ate <b>grandmother</b>.")]


def test_plain_answers_and_unclosed_thinking():
    assert split_thinking("Just an answer with a < sign") == ("", "Just an answer with a < sign")
    assert split_thinking("<think>still thinking when stopped") == ("still thinking when stopped", "")
    assert split_thinking("ends with a partial tag <thi") == ("", "ends with a partial tag <thi")


def test_usage_decode_rate():
    assert Usage(completion_tokens=11, ttft_s=1.0, total_s=2.0).decode_tokens_per_s == 10.0
    assert Usage(completion_tokens=1, ttft_s=1.0, total_s=2.0).decode_tokens_per_s is None


def test_page_cache_reuses_by_document_and_config():
    cache = PageCache(max_entries=2)
    cfg = RenderConfig.from_dict({**RenderConfig.preset("en").to_dict(), "font-path": str(DEJAVU)})
    calls = []

    def render(text, config):
        calls.append(text)
        return render_text(text, config)

    k1 = PageCache.key("sha-1", cfg, "reference")
    first = cache.get_or_render(k1, lambda: render("one", cfg))
    assert cache.get_or_render(k1, lambda: render("one", cfg)) is first and calls == ["one"]
    k96 = PageCache.key("sha-1", cfg.replace(dpi=96), "reference")
    assert k96 != k1  # a changed config is another entry
    cache.get_or_render(k96, lambda: render("one", cfg.replace(dpi=96)))
    cache.get_or_render(PageCache.key("sha-2", cfg, "reference"), lambda: render("two", cfg))
    assert calls == ["one", "one", "two"]
    cache.get_or_render(k1, lambda: render("one", cfg))  # evicted (least recently used): rendered again
    assert calls == ["one", "one", "two", "one"] and (cache.hits, cache.misses) == (1, 4)


def test_page_cache_can_be_switched_off():
    cache = PageCache(max_entries=0)
    cfg = RenderConfig.from_dict({**RenderConfig.preset("en").to_dict(), "font-path": str(DEJAVU)})
    calls = []
    for _ in range(2):
        cache.get_or_render("k", lambda: calls.append(1) or render_text("x", cfg))
    assert len(calls) == 2
