"""The fast renderer under concurrency: the API draws pages of several requests at once in its thread pool.

Threads share the FreeType faces, the glyph atlases and the compiled blit; every page drawn while other
threads draw theirs (and fill the same caches with other glyphs) must be the page drawn alone. The compiled
blit itself refuses glyphs whose indices point outside the arrays it was given.
"""

from __future__ import annotations

import ctypes
import random
import shutil
import sys
import threading

import numpy as np
import pytest

from glyph_web.render import RenderConfig, render_text
from glyph_web.render import fast_raster, native

from conftest import DEJAVU, MICROHEI

THREADS = 8
ROUNDS = 3


def _config(preset: str, font) -> RenderConfig:
    return RenderConfig.from_dict({**RenderConfig.preset(preset).to_dict(), "font-path": str(font), "dpi": 72})


def _words(seed: int, alphabet: str, count: int, sizes=(2, 9), sep: str = " ") -> str:
    rng = random.Random(seed)
    words = ("".join(rng.choice(alphabet) for _ in range(rng.randint(*sizes))) for _ in range(count))
    lines = []
    for n, word in enumerate(words):
        lines.append(word + ("\n" if n % 23 == 22 else sep))
    return "".join(lines)


def _span(first: int, last: int) -> str:
    return "".join(map(chr, range(first, last + 1)))


LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
LATIN_EXT = _span(0xC0, 0xFF).replace("\xd7", "").replace("\xf7", "") + _span(0x100, 0x17F)
GREEK = _span(0x391, 0x3A1) + _span(0x3A3, 0x3A9) + _span(0x3B1, 0x3C9)
CYRILLIC = _span(0x410, 0x44F) + _span(0x450, 0x45F)
DIGITS = "0123456789+-=%$#.,:;/()[]"
HANZI = _span(0x4E00, 0x4E00 + 2400)


def _cases() -> list[tuple[str, str, RenderConfig]]:
    """Eight texts of different glyph sets; six share one font and size, two another (a shared atlas each)."""
    western, cjk = _config("en", DEJAVU), _config("zh", MICROHEI)
    return [
        ("latin", _words(1, LATIN, 900), western),
        ("latin-extended", _words(2, LATIN_EXT, 700), western),
        ("greek", _words(3, GREEK, 700), western),
        ("cyrillic", _words(4, CYRILLIC, 700), western),
        ("digits", _words(5, DIGITS, 900), western),
        ("mixed", _words(6, LATIN + GREEK + CYRILLIC + DIGITS + LATIN_EXT, 800), western),
        ("chinese", _words(7, HANZI, 500, (4, 12), sep="，"), cjk),
        ("chinese-latin", _words(8, HANZI[::3] + LATIN + DIGITS, 600, (3, 8)), cjk),
    ]


def _fresh_caches() -> None:
    """Forget every cached face, glyph and width, so that the threads fill the caches together."""
    fast_raster.clear_caches()


def _pages(result) -> list[np.ndarray]:
    assert result.engine == "fast" and result.fallback is None
    return [np.asarray(img.convert("RGB")) for img in result.images]


@pytest.fixture
def busy_switching():
    """Threads switch as often as the interpreter allows, so that a missing lock shows."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.parametrize("compositing", ["compiled", "numpy"])
def test_pages_drawn_by_eight_threads_at_once_equal_the_pages_drawn_alone(busy_switching, monkeypatch, compositing):
    if compositing == "numpy":
        monkeypatch.setitem(native._state, "fn", None)  # blit() is None: numpy composites the glyphs
    elif native.blit() is None:
        pytest.skip("no C compiler here: only the numpy path exists")
    cases = _cases()
    alone = {}
    for name, text, config in cases:
        _fresh_caches()
        alone[name] = _pages(render_text(text, config))
        assert len(alone[name]) >= 1
    for round_ in range(ROUNDS):
        _fresh_caches()
        barrier = threading.Barrier(THREADS)
        got: dict[str, list[np.ndarray]] = {}
        errors: dict[str, BaseException] = {}

        def draw(name: str, text: str, config: RenderConfig) -> None:
            try:
                barrier.wait(timeout=60)
                got[name] = _pages(render_text(text, config))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors[name] = exc

        threads = [threading.Thread(target=draw, args=case, name=f"render-{case[0]}") for case in cases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads), "a render thread did not finish"
        assert not errors, f"round {round_}: " + "; ".join(f"{k}: {type(e).__name__}: {e}" for k, e in errors.items())
        for name, _, _ in cases:
            want, have = alone[name], got[name]
            assert len(have) == len(want), f"round {round_}, {name}: {len(have)} pages, {len(want)} alone"
            for number, (a, b) in enumerate(zip(have, want), 1):
                differing = int((a != b).any(-1).sum()) if a.shape == b.shape else "size"
                assert a.shape == b.shape and np.array_equal(a, b), \
                    f"round {round_}, {name}, page {number}: {differing} pixels differ from the page drawn alone"


def test_concurrent_first_calls_of_the_compiled_blit_all_get_the_same_function(tmp_path, monkeypatch,
                                                                              busy_switching):
    saved = dict(native._state)
    # an empty build cache: the first callers race to build and load the library
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    native._state.clear()
    barrier = threading.Barrier(THREADS)
    got: list = [Ellipsis] * THREADS

    def first_call(i: int) -> None:
        barrier.wait(timeout=60)
        got[i] = native.blit()

    try:
        threads = [threading.Thread(target=first_call, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert Ellipsis not in got, "a caller did not return"
        assert all(fn is got[0] for fn in got), "callers got different results: " + repr(got)
        assert native.blit() is got[0]
        if shutil.which("cc") or shutil.which("gcc") or shutil.which("clang"):
            assert got[0] is not None, "a compiler is here, yet the blit was not built"
    finally:
        native._state.clear()
        native._state.update(saved)


def _ptr(array: np.ndarray) -> int:
    return array.ctypes.data


def test_the_compiled_blit_skips_glyphs_whose_indices_are_out_of_range():
    fn = native.blit()
    if fn is None:
        pytest.skip("no C compiler here: only the numpy path exists")
    W, H, C = 20, 10, 3
    guard = 4096
    # two slots: a 2-pixel glyph and a 3-pixel one; dy, dx, a hold 5 entries in all
    start = np.array([0, 2], dtype=np.int64)
    count = np.array([2, 3], dtype=np.int64)
    dy = np.array([0, 1, 0, 0, 1], dtype=np.int64)
    dx = np.array([0, 1, 0, 1, 1], dtype=np.int64)
    a = np.array([255, 128, 200, 100, 50], dtype=np.uint16)
    colours = np.array([[10, 20, 30]], dtype=np.uint8)  # one colour

    def draw(gx, gy, slot, colour, start=start, count=count, nslots=2, npixels=5, ncolours=1):
        buf = np.full(guard + H * W * C + guard, 77, dtype=np.uint8)
        buf[guard:guard + H * W * C] = 255
        gx, gy, slot = (np.array(v, dtype=np.int64) for v in (gx, gy, slot))
        colour = np.array(colour, dtype=np.int32)
        fn(ctypes.c_void_p(_ptr(buf) + guard), W, H, C, len(slot), _ptr(gx), _ptr(gy), _ptr(slot), _ptr(colour),
           _ptr(colours), ncolours, _ptr(start), _ptr(count), nslots, _ptr(dy), _ptr(dx), _ptr(a), npixels)
        assert (buf[:guard] == 77).all() and (buf[guard + H * W * C:] == 77).all(), "wrote outside the page"
        return buf[guard:guard + H * W * C].reshape(H, W, C)

    blank = np.full((H, W, C), 255, dtype=np.uint8)
    good = draw([3], [4], [1], [0])
    assert not np.array_equal(good, blank)  # a valid glyph is drawn
    big = 1 << 62
    bad = [  # (gx, gy, slot, colour): each refers outside the arrays (or the page, in overflowing sums)
        ([3], [4], [-1], [0]), ([3], [4], [2], [0]), ([3], [4], [big], [0]), ([3], [4], [-big], [0]),
        ([3], [4], [0], [1]), ([3], [4], [0], [-1]), ([3], [4], [0], [1 << 30]),
        ([big], [4], [0], [0]), ([3], [big], [0], [0]), ([-big], [-big], [1], [0]),
    ]
    for gx, gy, slot, colour in bad:
        assert np.array_equal(draw(gx, gy, slot, colour), blank), (gx, gy, slot, colour)
        # the bad glyph among good ones: the good ones are drawn as alone
        mixed = draw([3] + gx + [3], [4] + gy + [4], [1] + slot + [1], [0] + colour + [0])
        assert np.array_equal(mixed, draw([3, 3], [4, 4], [1, 1], [0, 0]))
    # slot tables that point past the pixel arrays: negative or too long ranges are skipped
    for s, c in ((np.array([0, 3]), np.array([2, 3])), (np.array([0, -1]), np.array([2, 3])),
                 (np.array([0, 2]), np.array([2, -3])), (np.array([0, 2]), np.array([2, big])),
                 (np.array([0, big]), np.array([2, big]))):
        s, c = s.astype(np.int64), c.astype(np.int64)
        assert np.array_equal(draw([3], [4], [1], [0], start=s, count=c), blank), (s, c)
    # lengths smaller than the arrays: only what they cover may be read
    assert np.array_equal(draw([3], [4], [1], [0], nslots=1), blank)
    assert np.array_equal(draw([3], [4], [1], [0], npixels=4), blank)
    assert np.array_equal(draw([3], [4], [1], [0], ncolours=0), blank)
