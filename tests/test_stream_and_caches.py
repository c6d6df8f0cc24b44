"""The thinking/answer splitter and the rendered-pages cache."""

from __future__ import annotations

import pytest

from glyph_web.render import RenderConfig, render_text
from glyph_web.render.cache import PageCache
from glyph_web.contracts import Usage
from glyph_web.stream import ThinkSplitter, history_turns, split_thinking, visible_answer

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


BOXED = "<think>Look at the table.</think><answer>The total is <|begin_of_box|>426.40<|end_of_box|> EUR</answer>"


@pytest.mark.parametrize("size", [1, 2, 3, 4, 9, 1000])
def test_glm_markers_are_dropped_whatever_the_delta_size(size):
    assert feed_in_pieces(BOXED, size) == [("thinking", "Look at the table."), ("text", "The total is 426.40 EUR")]
    # text that merely looks a little like a marker stays
    assert feed_in_pieces("a <| b |> c <|x and x|> <|", size) == [("text", "a <| b |> c <|x and x|> <|")]


def test_the_history_holds_the_visible_answer_only():
    assert visible_answer(BOXED) == "The total is 426.40 EUR"
    assert visible_answer("<think>stopped while thinking") == ""
    assert visible_answer("\n  plain answer \n") == "plain answer"
    assert history_turns([("q1", BOXED), ("q2", "<think>cut off"), ("q3", ""), ("q4", "four")]) == \
        [("q1", "The total is 426.40 EUR"), ("q4", "four")]


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


# --- the KV prefix cache's bookkeeping (no model needed: the cache object is opaque to it) ---------------------

def _entry(ids, nbytes=10, **kw):
    from glyph_web.engine.kvcache import CacheEntry

    return CacheEntry(ids=tuple(ids), cache=object(), rope_deltas=None, nbytes=nbytes, **kw)


def test_prefix_cache_finds_the_longest_common_prefix_of_the_same_pages():
    from glyph_web.engine.kvcache import PrefixCache

    cache = PrefixCache(10_000)
    pages = list(range(5000))  # longer than a comparison chunk
    cache.store("doc", _entry(pages, pages=True, prompt_len=5000))
    cache.store("doc", _entry(pages + [7, 8, 9, 10], prompt_len=5002))
    entry, shared = cache.best("doc", pages + [7, 8, 1])
    assert entry.ids[-1] == 10 and shared == 5002
    assert cache.best("other", pages + [7]) == (None, 0)  # the same ids of other pages never match
    entry, shared = cache.best("doc", pages[:4000] + [1] * 1000, min_shared=5000)
    assert entry is None  # a match that ends inside the images is a miss
    entry, shared = cache.best("doc", pages)
    assert shared == 4999  # one token is always left to feed


def test_common_prefix_agrees_with_a_plain_scan():
    import random

    from glyph_web.engine.kvcache import _common_prefix

    rng = random.Random(3)
    for _ in range(300):
        n = rng.choice([0, 1, 5, 2047, 2048, 2049, 4096, 6000])
        a = tuple(rng.randrange(4) for _ in range(n))
        cut = rng.randrange(n + 1)
        b = a[:cut] + tuple(rng.randrange(4) for _ in range(rng.randrange(0, 3000)))
        plain = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        assert _common_prefix(a, b) == plain


def test_prefix_cache_is_bounded_in_bytes_and_entries_and_forgets_empty_documents():
    from glyph_web.engine.kvcache import PrefixCache

    cache = PrefixCache(budget_bytes=100, max_entries=4)
    for number in range(50):  # fifty documents, each asked once
        cache.store(f"doc{number}", _entry([number, 1, 2], nbytes=10))
    assert cache.entries == 4 and cache.keys == 4  # no record of the 46 evicted documents is kept
    assert [len(cache.entries_of(f"doc{n}")) for n in (45, 46, 49)] == [0, 1, 1]
    cache.store("big", _entry([1], nbytes=95))
    assert cache.nbytes <= 100 and cache.entries_of("big")
    cache.store("huge", _entry([1], nbytes=101))  # larger than the whole budget: not kept at all
    assert not cache.entries_of("huge")


def test_a_conversation_entry_is_replaced_by_the_one_it_grew_into():
    from glyph_web.engine.kvcache import PrefixCache

    cache = PrefixCache(10_000)
    pages = _entry([1, 2, 3], pages=True, prompt_len=3)
    turn1 = _entry([1, 2, 3, 4, 5, 6], prompt_len=4)
    cache.store("d", pages)
    cache.store("d", turn1)
    cache.store("d", _entry([1, 2, 3, 4, 9, 9, 9], prompt_len=6), replaces=turn1)
    assert [e.ids for e in cache.entries_of("d")] == [(1, 2, 3), (1, 2, 3, 4, 9, 9, 9)]
