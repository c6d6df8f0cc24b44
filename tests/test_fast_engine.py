"""The fast engine gives the reference engine's pages: a property test over generated texts, and the samples."""

from __future__ import annotations

import os
import re
import tempfile

import numpy as np
import pytest
from PIL import Image
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glyph_web.documents import from_text
from glyph_web.render import RenderConfig, render_text
from glyph_web.render.writer import write_document

from conftest import DEJAVU, MICROHEI

WORST = {"mean": 0.0}  # the largest page difference seen, reported at the end of the module
PATHS: dict[str, int] = {}  # examples per path taken (fast, fast with CJK wrapping, or a fallback's reason)

WORDS = st.sampled_from([
    "the", "harbour", "master", "logged", "41", "ships", "in", "March", "Ünïcödé", "café", "naïve", "x",
    "a&b", "<tag>", "&amp;", "1<2>0", "\"quoted\"", "it's", "co\xadoperation", "zero\u200bwidth", "non\xa0breaking",
    "—", "€100", "3.14", "(parenthesis)", "semi;colon", "URL:https://example.com/a/b",
])
LONG_TOKEN = st.text(alphabet="abcdef0123456789-", min_size=90, max_size=200)  # wider than a line
CJK_RUN = st.text(alphabet="第一条本合同由甲乙双方签订付款期限为三十日", min_size=1, max_size=40)
# Chinese prose: ideographs, the punctuation reportlab will not start a line with (，。、；：！？）」), opening
# brackets, full-width spaces, and English words and numbers inside it
CJK_PROSE = st.lists(st.sampled_from([
    "甲方", "乙方", "应当", "在", "三十日内", "支付", "货款", "，", "。", "、", "；", "：", "！", "？", "）",
    "（", "」", "「", "《合同法》", "\u3000", " ", "Glyph", "GPU", "2024", "年", "第3条", "%", "‰", "℃", "ー", "々",
]), min_size=1, max_size=120).map("".join)
MISSING = st.sampled_from(["\u2605", "\u2192", "\U0001F600"])  # not in the fonts used here


@st.composite
def texts(draw):
    lines = []
    # over-long tokens and characters above U+FFFF send the whole text to the reference engine, and a CJK run
    # switches the whole text to reportlab's CJK wrapping: keep them to some texts, so that most examples
    # exercise the Western fast path
    rare = draw(st.integers(0, 3)) == 0
    chinese = draw(st.integers(0, 3)) == 0  # a Chinese document: every line is prose
    for _ in range(draw(st.integers(1, 70))):
        kind = draw(st.integers(0, 19))
        if chinese and kind > 1:
            lines.append(draw(CJK_PROSE))
        elif kind == 0:
            lines.append("")
        elif kind == 1:
            lines.append(" " * draw(st.integers(1, 6)))
        elif kind == 2 and rare:
            lines.append(draw(LONG_TOKEN))
        elif kind == 3 and rare:
            lines.append(draw(CJK_RUN))
        elif kind == 4 and rare:
            lines.append("see " + draw(MISSING) + " here")
        else:
            words = draw(st.lists(WORDS, min_size=1, max_size=draw(st.sampled_from([8, 40, 160]))))
            seps = draw(st.lists(st.sampled_from([" ", " ", " ", "  ", "\t", "   "]), min_size=len(words),
                                 max_size=len(words)))
            lines.append("".join(w + s for w, s in zip(words, seps)).rstrip(" "))
    return "\n".join(lines)


def _config(preset: str, font, dpi: int, newline: str, index: int = 0) -> RenderConfig:
    values = {**RenderConfig.preset(preset).to_dict(), "font-path": str(font), "dpi": dpi}
    if index:
        values["font-index"] = index
    return RenderConfig.from_dict(values).replace(newline=newline)


CONFIGS = st.sampled_from([
    ("en", DEJAVU, 72, "br", 0), ("en", DEJAVU, 96, "marker", 0), ("zh", MICROHEI, 72, "br", 0),
    ("zh", MICROHEI, 96, "marker", 1), ("en", MICROHEI, 72, "marker", 0), ("zh", DEJAVU, 96, "br", 0),
])


def _compare(fast, reference) -> float:
    assert len(fast.images) == len(reference.images)
    worst = 0.0
    for a, b in zip(fast.images, reference.images):
        assert a.size == b.size
        diff = np.abs(np.asarray(a.convert("L"), float) - np.asarray(b.convert("L"), float)).mean()
        worst = max(worst, float(diff))
    return worst


@settings(max_examples=int(os.environ.get("GLYPH_PROPERTY_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(texts(), CONFIGS)
def test_fast_engine_pages_equal_the_reference_engine(text, config_args):
    if not text.strip():
        return
    config = _config(*config_args)
    fast = render_text(text, config, engine="fast")
    reference = render_text(text, config, engine="reference")
    worst = _compare(fast, reference)
    WORST["mean"] = max(WORST["mean"], worst)
    path = fast.fallback or ("fast, CJK wrapping" if re.search("[\u4e00-\u9fff]", text) else "fast")
    PATHS[path] = PATHS.get(path, 0) + 1
    assert worst <= 1.0, f"mean grey difference {worst:.3f}"
    # the command line's path (pages drawn one by one, cropped as arrays, written as PNG) gives the same pages
    with tempfile.TemporaryDirectory() as out:
        written = write_document(from_text(text, "t.txt"), out, config, workers=1)
        assert written.page_sizes == fast.page_sizes
        for path, img in zip(written.files, fast.images):
            assert (np.asarray(Image.open(path)) == np.asarray(img)).all()


def test_official_sample_is_equal_and_fast_path_is_taken(reference):
    text = (reference / "case1.txt").read_text(encoding="utf-8")
    for dpi, newline in ((72, "br"), (96, "marker")):
        config = _config("en", reference / "Verdana.ttf", dpi, newline)
        fast = render_text(text, config, engine="fast")
        assert fast.fallback is None and fast.summary()["fallback"] is None
        assert _compare(fast, render_text(text, config, engine="reference")) == 0.0


def test_cjk_wrapping_and_missing_characters_take_the_fast_path():
    # Chinese with <br/> lines (several fragments), one long line (a single fragment, split across pages),
    # Western words inside, punctuation that may not start a line; and characters the font lacks (.notdef)
    prose = "第一条 本合同由甲乙双方签订，自签字之日起生效。乙方应当在三十日内支付货款（含税）。Glyph GPU 2024。"
    texts = ["\n".join([prose] * 100), prose * 200, "plain ሀ ሁ words ☃ and ꙮ here\n" * 150]
    for text, config in ((texts[0], _config("zh", MICROHEI, 72, "br")),
                         (texts[1], _config("zh", MICROHEI, 96, "marker")),
                         (texts[1], _config("en", DEJAVU, 72, "br")), (texts[2], _config("en", DEJAVU, 72, "br"))):
        fast = render_text(text, config, engine="fast")
        assert fast.fallback is None
        assert len(fast.images) > 1
        assert _compare(fast, render_text(text, config, engine="reference")) == 0.0
    assert any("not in font" in w for w in render_text(texts[2], _config("en", DEJAVU, 72, "br")).warnings)


def test_empty_paragraphs_draw_their_hairline():
    # 30 empty source lines make an empty Paragraph, and so does the empty line after a text of 30k lines
    # ending in a newline: reportlab fills its zero-height background, which poppler draws as one
    # anti-aliased row (it showed as a 1-pixel difference under the last line of such a page)
    texts = ["first words\n" * 30 + "\n" * 30 + "after the gap", "plain xx words here\n" * 150,
             "第一条 合同。\n" * 60]
    for text, config in ((texts[0], _config("en", DEJAVU, 96, "br")), (texts[1], _config("en", DEJAVU, 72, "br")),
                         (texts[2], _config("zh", MICROHEI, 72, "marker"))):
        fast = render_text(text, config, engine="fast")
        assert fast.fallback is None
        assert _compare(fast, render_text(text, config, engine="reference")) == 0.0


def test_fallbacks_are_named_in_the_summary():
    long_word = render_text("x" * 400, _config("en", DEJAVU, 72, "br"), engine="fast")
    assert "a word wider than a line" in long_word.fallback
    indented = render_text("words", _config("en", DEJAVU, 72, "br").replace(left_indent=12), engine="fast")
    assert indented.fallback == "indents, paragraph spacing or borders"
    justified = render_text("words", _config("en", DEJAVU, 72, "br").replace(alignment="JUSTIFY"), engine="fast")
    assert justified.fallback == "alignment JUSTIFY"
    plain = render_text("plain words", _config("en", DEJAVU, 72, "br"), engine="fast")
    assert plain.fallback is None


def test_fast_is_the_default_engine():
    assert render_text("default engine").engine == "fast"


@pytest.fixture(scope="module", autouse=True)
def _report_worst():
    yield
    print(f"\nfast vs reference: worst page mean grey difference seen {WORST['mean']:.3f}; examples by path: "
          f"{PATHS}")
