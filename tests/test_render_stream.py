"""The command line's render path: pages streamed to files by forked workers, the compiled blit, PNG and crop."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from glyph_web.documents import combine, from_text
from glyph_web.documents.model import Document, ImagePart
from glyph_web.errors import PageLimitError
from glyph_web.render import RenderConfig, render_document, render_text
from glyph_web.render import native
from glyph_web.render.crop import crop_box
from glyph_web.render.fast import FastEngine
from glyph_web.render.fonts import resolve_font
from glyph_web.render.png import encode_png
from glyph_web.render.pool import PagePool
from glyph_web.render.writer import write_document

from conftest import DEJAVU, MICROHEI, ROOT

PARAGRAPH = ("The harbour master logged 41 ships in March, & two <late> ones; café naïve — €100 "
             "non\xa0breaking words and   runs of spaces.\t")


def _config(preset="en", font=DEJAVU, dpi=72, newline="br", **changes) -> RenderConfig:
    values = {**RenderConfig.preset(preset).to_dict(), "font-path": str(font), "dpi": dpi}
    return RenderConfig.from_dict(values).replace(newline=newline, **changes)


def _long_text(pages: int) -> str:
    line = PARAGRAPH * 3
    return "\n".join(f"{n}. {line}" for n in range(pages * 28))


def _files(result) -> list[np.ndarray]:
    out = []
    for path in result.files:
        img = Image.open(path)
        assert img.mode == "RGB"
        out.append(np.asarray(img))
    return out


def _same(files: list[np.ndarray], images: list[Image.Image]) -> None:
    assert len(files) == len(images)
    for got, want in zip(files, images):
        assert got.shape == np.asarray(want).shape
        assert (got == np.asarray(want.convert("RGB"))).all()


def test_png_files_are_rgb_and_lossless():
    rng = np.random.default_rng(7)
    for shape in ((3, 5, 3), (4, 9, 1), (6, 2)):
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        img = Image.open(io.BytesIO(encode_png(pixels)))
        assert img.mode == "RGB" and img.size == (shape[1], shape[0])
        grey = pixels.reshape(shape[0], shape[1], -1)
        want = grey if grey.shape[2] == 3 else np.repeat(grey, 3, axis=2)
        assert (np.asarray(img) == want).all()


def test_crop_box_is_the_official_definition():
    rng = np.random.default_rng(3)
    for _ in range(200):
        h, w = rng.integers(2, 40, 2)
        grey = np.full((h, w), rng.integers(0, 256), dtype=np.uint8)
        for _ in range(rng.integers(0, 4)):  # a few ink dots, some within the tolerance of the background
            grey[rng.integers(0, h), rng.integers(0, w)] = rng.integers(0, 256)
        margin_x, margin_y = float(rng.choice([0, 2, 2.5, 3.5, 20])), float(rng.choice([0, 1, 1.5, 20]))
        config = _config(margin_x=margin_x, margin_y=margin_y)
        # the official code: |grey - median of the 2x2 corner| > 5, then PIL's crop of a (float) box
        median = np.median(grey[:2, :2].astype(float))
        ink = np.abs(grey.astype(float) - median) > 5
        cols, rows = np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))
        box = [0, 0, w, h]
        if cols.size:
            box[2] = min(w, cols[-1] + 1 + margin_x)
        if rows.size:
            box[3] = min(h, rows[-1] + margin_y)
        want = Image.fromarray(grey).crop(tuple(box)).size
        assert crop_box(grey, config, is_last=True) == want


@pytest.mark.skipif(native.blit() is None, reason="no C compiler here: only the numpy path exists")
def test_compiled_blit_and_numpy_give_the_same_pixels():
    texts = [_long_text(2), "short\n\n  spaced   line\twith tab", "a&b <c> " * 300]
    for config in (_config(), _config("zh", MICROHEI, 96, "marker"), _config(dpi=96, font_color="#3050A0")):
        font = resolve_font(config, texts[0])
        for text in texts:
            for page in FastEngine().plan(text, config, font):
                compiled = FastEngine.draw(page, config, font, native=True)
                numpy_only = FastEngine.draw(page, config, font, native=False)
                assert compiled.shape == numpy_only.shape and (compiled == numpy_only).all()


@pytest.mark.parametrize("workers", [1, 2])
def test_written_pages_equal_the_in_memory_pages(tmp_path, workers):
    picture = Image.new("RGB", (300, 200), (200, 30, 30))
    doc = combine([from_text(_long_text(3), "a.txt"),
                   Document(name="p.png", kind="image", parts=[ImagePart(picture, "picture")], sha256="0" * 64),
                   from_text("a short second text", "b.txt")])
    config = _config()
    want = render_document(doc, config)
    got = write_document(doc, tmp_path / "out", config, workers=workers)
    count = len(want.images)
    assert count >= 5 and (200, 300) in [img.shape[:2] for img in map(np.asarray, want.images)]
    assert got.images == [] and [p.name for p in got.files] == [f"page_{n:03d}.png" for n in range(1, count + 1)]
    assert got.page_sizes == want.page_sizes and got.summary()["pages"] == count
    _same(_files(got), want.images)


def test_a_fallback_found_after_pages_were_written_redraws_the_text_with_the_reference_engine(tmp_path):
    # the layout meets the word wider than a line on the third page, after two pages went to the workers
    text = _long_text(2) + "\n" + "x" * 400 + "\n" + _long_text(1)
    config = _config()
    got = write_document(from_text(text, "a.txt"), tmp_path, config, workers=2)
    assert "a word wider than a line" in got.fallback
    want = render_text(text, config, engine="reference")
    _same(_files(got), want.images)
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in got.files]


def test_a_page_limit_found_mid_layout_leaves_no_page_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(PageLimitError) as caught:
        write_document(from_text(_long_text(4), "a.txt"), tmp_path, _config(), max_pages=2, workers=2)
    assert caught.value.pages >= 4
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


FORKED = """
import sys
from pathlib import Path
sys.path[:0] = [{root!r}, {tests!r}]
from glyph_web.documents import from_text
from glyph_web.render import writer
from glyph_web.render.pool import PagePool
from test_render_stream import _config, _long_text
{setup}
pool = PagePool.start(2)
assert len(pool.workers) == 2  # a fresh process has no other threads: the workers are forked
with pool:
    {body}
"""


def _in_fresh_process(tmp_path, body: str, setup: str = "") -> subprocess.CompletedProcess:
    """Run body where forking is allowed: this test process may have threads (the app tests start some), and
    then the pool rightly draws in-process instead of forking."""
    code = FORKED.format(root=str(ROOT), tests=str(ROOT / "tests"), setup=setup, body=body)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)


def test_forked_workers_write_the_in_memory_pages(tmp_path):
    done = _in_fresh_process(tmp_path, "r = writer.write_document(from_text(_long_text(3), 'a.txt'), Path('out'), "
                                       "_config(), pool=pool); print(len(r.files))")
    assert done.returncode == 0, done.stderr
    want = render_text(_long_text(3), _config()).images
    assert int(done.stdout) == len(want)
    _same([np.asarray(Image.open(tmp_path / "out" / f"page_{n:03d}.png")) for n in range(1, len(want) + 1)], want)


def test_a_worker_failure_is_a_render_error_and_leaves_nothing(tmp_path):
    setup = ("def broken(job, path, config):\n"
             "    path.write_bytes(b'half a page')\n"
             "    raise ValueError('the disk is on fire')\n"
             "from glyph_web.render import draw\n"
             "draw.draw_page = broken  # the workers fork after this, so they break too")
    body = ("try:\n"
            "        writer.write_document(from_text(_long_text(3), 'a.txt'), Path('out'), _config(), pool=pool)\n"
            "    except Exception as exc:\n"
            "        print(type(exc).__name__, exc)")
    done = _in_fresh_process(tmp_path, body, setup)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("RenderError Drawing the pages failed: ValueError: the disk is on fire")
    assert list((tmp_path / "out").iterdir()) == []


def test_pool_without_fork_draws_in_this_process(tmp_path, monkeypatch):
    monkeypatch.delattr(os, "fork")
    assert PagePool.start(3).workers == []
    got = write_document(from_text(_long_text(2), "a.txt"), tmp_path, _config(), workers=3)
    _same(_files(got), render_text(_long_text(2), _config()).images)


def test_streamed_pages_are_not_kept_in_memory(tmp_path):
    text = _long_text(40)  # 40 pages: 60 MB of page bitmaps if they were all kept
    doc = from_text(text, "long.txt")
    config = _config()
    write_document(doc, tmp_path / "warm", config, workers=1)  # caches (fonts, glyphs) are not the point
    tracemalloc.start()
    try:
        result = write_document(doc, tmp_path / "out", config, workers=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(result.files) >= 40
    page_bytes = 3 * result.page_sizes[0][0] * result.page_sizes[0][1]
    assert peak < 8 * page_bytes, f"peak {peak / 1e6:.1f} MB"


def test_forked_workers_roll_back_for_a_fallback_and_a_page_limit(tmp_path):
    text = _long_text(2) + "\n" + "x" * 400 + "\n" + _long_text(1)
    (tmp_path / "text.txt").write_text(text, encoding="utf-8")
    body = ("r = writer.write_document(from_text(Path('text.txt').read_text(), 'a.txt'), Path('out'), _config(), "
            "pool=pool)\n"
            "    print(r.fallback)\n"
            "    try:\n"
            "        writer.write_document(from_text(_long_text(4), 'b.txt'), Path('limit'), _config(), max_pages=2, "
            "pool=pool)\n"
            "    except Exception as exc:\n"
            "        print(type(exc).__name__)")
    done = _in_fresh_process(tmp_path, body)
    assert done.returncode == 0, done.stderr
    fallback, error = done.stdout.splitlines()
    assert "a word wider than a line" in fallback and error == "PageLimitError"
    want = render_text(text, _config(), engine="reference").images
    assert len(list((tmp_path / "out").iterdir())) == len(want)
    _same([np.asarray(Image.open(tmp_path / "out" / f"page_{n:03d}.png")) for n in range(1, len(want) + 1)], want)
    assert list((tmp_path / "limit").iterdir()) == []
