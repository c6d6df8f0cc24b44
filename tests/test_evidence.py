"""Answer evidence: page texts with character boxes that cover the ink, and passages found only where unique."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glyph_web.chat.evidence import Evidence, candidates, find_evidence, highlight
from glyph_web.render import RenderConfig, render_text
from glyph_web.render.fast import FastEngine, layout_text
from glyph_web.render.fonts import resolve_font
from glyph_web.render.textmap import PageText, page_text

from conftest import DEJAVU, MICROHEI

EN = RenderConfig.preset("en").replace(font_path=str(DEJAVU))
ZH = RenderConfig.preset("zh").replace(font_path=str(MICROHEI))

ADJECTIVES = ["gusty", "mild", "northerly", "bitter", "warm", "steady", "shifting", "damp", "cold", "light"]
SENTENCE = "Captain Ilse Marwick ordered the Sea Swallow to anchor beyond the northern breakwater."
NUMBER = "90417"
TWICE = "the lighthouse keeper polished his brass telescope"
MISSING = "a purple submarine crossed the desert"


def _english_text() -> str:
    lines = [f"Entry {i}: the harbour master noted calm water and {ADJECTIVES[i % 10]} winds near the pier."
             for i in range(250)]
    lines[10] = f"Entry 10: at dusk {TWICE} again."
    lines[120] = SENTENCE
    lines[200] = f"Entry 200: the warehouse counted {NUMBER} barrels of salted herring."
    lines[230] = f"Entry 230: before the storm {TWICE} once more."
    # one line long enough to wrap, so that page texts differ from source lines by their line breaks
    lines[40] = " ".join(f"word{k} of a long rambling note about ropes, sails and tar" for k in range(6))
    return "\n".join(lines)


def _pages(text: str, config: RenderConfig):
    font = resolve_font(config, text)
    layouts = FastEngine().plan(text, config, font)
    assert layouts is not None, "the fast engine must lay this text out"
    rendered = render_text(text, config)
    assert len(rendered.images) == len(layouts)
    return [page_text(layout, config, font) for layout in layouts], layouts, rendered.images


@pytest.fixture(scope="module")
def english():
    text = _english_text()
    maps, layouts, images = _pages(text, EN)
    return text, maps, layouts, images


@pytest.fixture(scope="module")
def chinese():
    lines = ["第一条 本合同由甲乙双方在平等自愿的基础上签订，双方应当遵守本合同的全部条款。",
             "第二条 乙方应当在收到货物后三十日内向甲方支付全部货款，并按照附件所列的交货时间、地点和数量组织"
             "运输，运输途中发生的损毁由承运人承担赔偿责任，甲方有权在验收时拒收不合格的产品。",
             "逾期付款的应当按日支付违约金。" * 3,
             "第三条 因不可抗力导致合同无法履行的，受影响的一方应当及时通知对方并提供证明。",
             "第四条 本合同一式两份，甲乙双方各执一份，自双方签字盖章之日起生效。"]
    text = "\n".join(lines)
    maps, layouts, images = _pages(text, ZH)
    return text, maps, layouts, images


def _darkness(image, box) -> float:
    x0, y0, x1, y1 = box
    grey = np.asarray(image.convert("L"), dtype=float)
    return float((255 - grey[y0:y1, x0:x1]).mean())


def _check_covers_ink(image, evidence: Evidence) -> None:
    margin = _darkness(image, (0, 0, 12, 12))  # the blank top-left margin
    for box in evidence.boxes:
        x0, y0, x1, y1 = box
        assert 0 <= x0 < x1 <= image.width and 0 <= y0 < y1 <= image.height, box
        assert _darkness(image, box) > margin + 25, (box, _darkness(image, box), margin)


# --- page texts -------------------------------------------------------------------------------------------


def test_page_texts_are_the_lines_as_drawn(english):
    text, maps, layouts, images = english
    assert len(maps) >= 4
    for pt, layout in zip(maps, layouts):
        assert pt.text == layout_text(layout)
        assert len(pt.char_boxes) == len(pt.text)
    drawn = "\n".join(pt.text for pt in maps)
    assert drawn.split() == text.split()  # the same words in the same order; only line breaks differ
    source_lines = set(text.split("\n"))
    drawn_lines = [line for pt in maps for line in pt.text.split("\n") if line]
    wrapped = [line for line in drawn_lines if line not in source_lines]
    assert wrapped and all("word" in line for line in wrapped)  # only the long line wraps


def test_char_boxes_cover_the_glyph_ink(english):
    _, maps, _, images = english
    for pt, image in zip(maps, images):
        ink = 255 - np.asarray(image.convert("L"), dtype=int)
        covered = np.zeros(ink.shape, dtype=bool)
        for x0, y0, x1, y1 in pt.char_boxes:
            # glyphs may reach a pixel past their advance (side bearings, anti-aliasing)
            covered[int(np.floor(y0)):int(np.ceil(y1)), max(int(np.floor(x0)) - 1, 0):int(np.ceil(x1)) + 1] = True
        assert ink[~covered].sum() == 0
        assert ink[covered].sum() > 0


def test_find_matches_across_line_breaks_and_whitespace():
    pt = PageText("alpha beta\ngamma  delta", [(0.0, 0.0, 1.0, 1.0)] * 23)
    assert pt.find("beta gamma") == [(6, 16)]
    assert pt.find("beta\n  gamma delta") == [(6, 23)]
    assert pt.find("Beta gamma") == []  # case-sensitive
    assert pt.find("a") == [(0, 1), (4, 5), (9, 10), (12, 13), (15, 16), (22, 23)]


def test_boxes_are_one_rectangle_per_line():
    boxes = [(float(10 * i), 0.0, float(10 * i + 10), 9.0) for i in range(5)] + [(50.0, 0.0, 50.0, 9.0)] + \
            [(float(10 * i), 10.0, float(10 * i + 10), 19.0) for i in range(3)]
    pt = PageText("ab cd\nefg", boxes)
    assert pt.boxes(3, 8) == [(30, 0, 50, 9), (0, 10, 20, 19)]
    assert pt.boxes(0, 9) == [(0, 0, 50, 9), (0, 10, 30, 19)]
    assert pt.boxes(2, 3) == []  # only a space


# --- evidence ---------------------------------------------------------------------------------------------


def test_candidates_order_and_kinds():
    found = candidates('He wrote “the tide turns at noon” and logged 41 ships, €1,200, 24 N·m on 3 May '
                       'for the Bank of England.')
    assert found[0] == "the tide turns at noon"
    for figure in ("41", "€1,200", "24 N·m", "3 May"):
        assert figure in found
    assert "Bank of England" in found
    assert found.index("41") < found.index("Bank of England")
    assert len(found) == len(set(found))
    grams = found[found.index("Bank of England") + 1:]
    assert [len(g) for g in grams] == sorted((len(g) for g in grams), reverse=True)
    assert "根据合同第二条的规定" in candidates("根据合同第二条的规定，乙方应当付款。")


def test_a_quoted_sentence_is_found_on_its_page(english):
    _, maps, _, images = english
    found = find_evidence(f'The log says that "{SENTENCE}"', maps)
    assert len(found) == 1
    evidence = found[0]
    assert evidence.page == 2
    assert evidence.passage == SENTENCE.rstrip(".")
    assert len(evidence.boxes) == 1
    x0, y0, x1, y1 = evidence.boxes[0]
    assert x0 < 20  # the line starts at the left margin
    _check_covers_ink(images[1], evidence)
    # the box is the sentence's line: the lines above and below stay outside it
    pt = maps[1]
    start = pt.text.index(SENTENCE)
    end = start + len(SENTENCE)
    assert abs(y0 - pt.char_boxes[start][1]) < 1 and x1 >= pt.char_boxes[end - 2][2]
    # (boxes are rounded outwards to whole pixels: a pixel row may be shared with a neighbour)
    assert pt.char_boxes[start - 2][3] <= y0 + 1 and y1 - 1 <= pt.char_boxes[end + 1][1]
    assert _darkness(images[1], (x0, y1, x1, y1 + 1)) < _darkness(images[1], (x0, y0, x1, y1))


def test_a_number_that_occurs_once_is_found(english):
    _, maps, _, images = english
    found = find_evidence(f"The warehouse held {NUMBER} barrels.", maps)
    assert [(e.page, e.passage) for e in found] == [(3, NUMBER)]
    _check_covers_ink(images[2], found[0])
    x0, _, x1, _ = found[0].boxes[0]
    assert 20 < x1 - x0 < 45  # five digits, not the line


def test_runs_of_copied_words_are_one_passage(english):
    _, maps, _, images = english
    found = find_evidence(f"Entry 200 says the warehouse counted {NUMBER} barrels of salted herring.", maps)
    assert len(found) == 1
    assert found[0].page == 3 and found[0].passage.endswith(f"counted {NUMBER} barrels of salted herring")
    assert len(found[0].boxes) == 1
    _check_covers_ink(images[2], found[0])


def test_a_passage_found_twice_or_not_at_all_is_not_returned(english):
    _, maps, _, _ = english
    assert find_evidence(f'He says "{TWICE}".', maps) == []
    assert find_evidence(f'He says "{MISSING}".', maps) == []
    assert find_evidence("Nothing here matches anything at all.", maps) == []
    # a number inside a longer one is not that number
    assert all(e.passage != "9041" for e in find_evidence("It was 9041 units.", maps))


def test_a_chinese_passage_is_found_even_across_a_line_break(chinese):
    _, maps, _, images = chinese
    assert len(maps) == 1
    pt = maps[0]
    found = find_evidence("合同规定：「受影响的一方应当及时通知对方」。", maps)
    assert [(e.page, e.passage) for e in found] == [(1, "受影响的一方应当及时通知对方")]
    _check_covers_ink(images[0], found[0])
    # a passage that wraps: twelve characters around the line break inside the long second line
    second = pt.text.index("第二条")
    brk = pt.text.index("\n", second)
    passage = pt.text[brk - 6:brk] + pt.text[brk + 1:brk + 7]
    assert "\n" not in passage and pt.text.replace("\n", "").count(passage) == 1
    found = find_evidence(f"「{passage}」", maps)
    assert len(found) == 1 and len(found[0].boxes) == 2
    _check_covers_ink(images[0], found[0])
    # the repeated clause occurs three times: not shown
    assert find_evidence("「逾期付款的应当按日支付违约金」", maps) == []


def test_highlight_changes_only_the_boxes(english):
    _, maps, _, images = english
    evidence = find_evidence(f'"{SENTENCE}"', maps)[0]
    image = images[1]
    marked = highlight(image, evidence.boxes)
    assert marked.size == image.size and marked is not image
    before = np.asarray(image.convert("RGB"), dtype=int)
    after = np.asarray(marked.convert("RGB"), dtype=int)
    changed = (before != after).any(axis=2)
    allowed = np.zeros(changed.shape, dtype=bool)
    for x0, y0, x1, y1 in evidence.boxes:
        allowed[max(y0 - 2, 0):y1 + 2, max(x0 - 2, 0):x1 + 2] = True
        inside = changed[y0:y1, x0:x1]
        assert inside.mean() > 0.9  # the translucent fill
    assert changed.any() and not changed[~allowed].any()
    assert np.array_equal(np.asarray(image.convert("RGB")), before)  # the original is left alone


# --- property -------------------------------------------------------------------------------------------

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éüß.,;:!?'-()",
               min_size=1, max_size=14)
LINE = st.lists(WORD, min_size=1, max_size=30).map(" ".join)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, min_size=1, max_size=40))
def test_char_boxes_lie_on_the_page_and_advance(lines):
    text = "\n".join(lines)
    maps, layouts, images = _pages(text, EN)
    for pt, image in zip(maps, images):
        for x0, y0, x1, y1 in pt.char_boxes:
            assert 0 <= x0 <= x1 <= image.width and 0 <= y0 < y1 <= image.height
        k = 0
        for line in pt.text.split("\n"):
            boxes = pt.char_boxes[k:k + len(line)]
            for a, b in zip(boxes, boxes[1:]):
                assert b[0] > a[0] and a[2] <= b[0] + 1e-9
                assert (a[1], a[3]) == (b[1], b[3])
            k += len(line) + 1
    assert "\n".join(pt.text for pt in maps).split() == text.split()
