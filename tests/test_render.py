"""The reference renderer gives the official pipeline's pixels, for the official page and for every text case."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from glyph_web.errors import ConfigError, RenderError
from glyph_web.render import RenderConfig, render_text

from conftest import DEJAVU, MICROHEI, assert_same_pages, ink_columns
from oracle import official_pages

# The official post-training layout with an explicit font (what config_en.json says, minus the font path).
OFFICIAL = {
    "page-size": "595,842", "dpi": 72, "margin-x": 10, "margin-y": 10, "font-size": 9, "line-height": 10,
    "font-color": "#000000", "alignment": "LEFT", "horizontal-scale": 1.0, "first-line-indent": 0,
    "left-indent": 0, "right-indent": 0, "space-after": 0, "space-before": 0, "border-width": 0,
    "border-padding": 0, "page-bg-color": "#FFFFFF", "para-bg-color": "#FFFFFF", "auto-crop-width": True,
    "auto-crop-last-page": True,
}


def both(text, font, font_index=0, engine="fast", **changes):
    """(our pages, the oracle's pages) for the official layout with changes (dashed keys as kwargs_)."""
    cfg = {**OFFICIAL, **{k.replace("_", "-"): v for k, v in changes.items()}, "font-path": str(font)}
    if font_index:
        cfg["font-index"] = font_index
    ours = render_text(text, RenderConfig.from_dict(cfg), engine=engine)
    return ours, official_pages(text, cfg, str(font), font_index)


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_official_page_reproduced(reference, verdana, official_en, engine):
    cfg = RenderConfig.from_file(reference / "config_en.json").replace(font_path=str(verdana))
    result = render_text((reference / "input.txt").read_text(encoding="utf-8"), cfg, engine=engine)
    assert result.warnings == []
    assert_same_pages(result.images, [Image.open(reference / "Little_Red_Riding_Hood.png").convert("RGB")])


def test_long_official_sample_matches_the_official_method_on_every_page(reference, verdana):
    text = (reference / "case1.txt").read_text(encoding="utf-8")
    ours, theirs = both(text, verdana)
    assert len(ours.images) >= 2
    assert_same_pages(ours.images, theirs)
    # full pages keep the page height; only the last one is cut below its last line
    assert all(img.height == 842 for img in ours.images[:-1]) and ours.images[-1].height < 842


LATIN_CASES = {
    "soft hyphen and zero-width space": "co\xadoperation and zero\u200bwidth marks vanish",
    "runs of spaces": "one  two   three    four\n    indented line",
    "tabs": "col1\tcol2\t\tcol3\n\tstarts with a tab",
    "xml specials": 'a < b && c > d; "double" \'single\' <b>not bold</b> &amp; &lt;br/&gt;',
    "long unbreakable tokens": "see https://example.com/" + "segment/" * 40 + " and id " +
                               "123e4567-e89b-12d3-a456-426614174000" * 6,
    "mixed newlines": "first\r\nsecond\rthird\nfourth\r\n\r\nsixth",
    "more than thirty lines": "\n".join(f"line {i} " + "word " * (i % 17) for i in range(95)),
    "characters missing from the font": "arrows \u2192 \u21d2, math \u222b\u2211, emoji \U0001F600 and a box \u2588",
    "blank lines and trailing spaces": "para one   \n\n\n  para two\n \n",
}


@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize("case", sorted(LATIN_CASES))
def test_text_cases_match_the_official_method(case, engine, verdana):
    ours, theirs = both(LATIN_CASES[case].replace("\r\n", "\n").replace("\r", "\n"), verdana, engine=engine)
    assert_same_pages(ours.images, theirs)


@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize("case", sorted(LATIN_CASES))
def test_text_cases_with_an_open_font(case, engine):
    ours, theirs = both(LATIN_CASES[case].replace("\r\n", "\n").replace("\r", "\n"), DEJAVU, engine=engine)
    assert_same_pages(ours.images, theirs)


def test_invisible_marks_are_removed_not_drawn():
    with_marks = render_text("co\xadoper\u200bation", RenderConfig.from_dict({**OFFICIAL, "font-path": str(DEJAVU)}))
    without = render_text("cooperation", RenderConfig.from_dict({**OFFICIAL, "font-path": str(DEJAVU)}))
    assert_same_pages(with_marks.images, without.images)


def test_space_runs_are_kept():
    cfg = RenderConfig.from_dict({**OFFICIAL, "font-path": str(DEJAVU)})
    wide = render_text("a      b", cfg).images[0]
    narrow = render_text("a b", cfg).images[0]
    assert wide.width >= narrow.width + 5 * 2.5  # five more spaces of ~2.9 px at 9 pt


def test_any_mix_of_newlines_renders_like_plain_newlines():
    cfg = RenderConfig.from_dict({**OFFICIAL, "font-path": str(DEJAVU)})
    mixed = render_text("one\r\ntwo\rthree\nfour", cfg)
    plain = render_text("one\ntwo\nthree\nfour", cfg)
    assert_same_pages(mixed.images, plain.images)
    assert mixed.images[0].height > 35  # four lines, not one


def test_xml_specials_are_drawn_as_text():
    cfg = RenderConfig.from_dict({**OFFICIAL, "font-path": str(DEJAVU)})
    tagged = render_text("<b>x</b> & y", cfg).images[0]
    assert tagged.width > render_text("x & y", cfg).images[0].width  # the tags are visible, not markup


def test_long_tokens_wrap_inside_the_page():
    cfg = RenderConfig.from_dict({**OFFICIAL, "font-path": str(DEJAVU)})
    img = render_text("x" * 3000, cfg).images[0]
    assert img.width <= 595 and img.height > 100  # broken over many lines, not run off the page


def test_missing_characters_are_reported(verdana):
    ours, _ = both("Price \u2192 42 \u20ac, \u2605 \u222b and \u4e2d\u2192", verdana)
    (warning,) = ours.warnings
    assert warning.startswith("3 distinct characters are not in font Verdana.ttf")
    assert warning.endswith(": \u2192 \u2605 \u4e2d")  # in order of appearance, each once
    assert "\u20ac" not in warning and "\u222b" not in warning  # Verdana has these


CJK = ("第一条 合同双方：甲方（买方）与乙方（卖方）经友好协商，就以下条款达成一致。" * 12 + "\n"
       "第二条 付款方式：买方应于收到货物后三十日内，以银行转账方式支付全部货款 RMB 1,250,000.00 元。\n" * 40
       + "Mixed English words inside 中文句子 wrap by character when the text holds CJK.")


def test_chinese_text_wraps_by_character_and_matches():
    ours, theirs = both(CJK, MICROHEI)
    assert len(ours.images) >= 1 and ours.warnings == []
    assert_same_pages(ours.images, theirs)
    # CJK wrapping fills lines to the right edge: ink reaches close to the frame's right side
    assert ink_columns(ours.images[0])[-1] > 560


@pytest.mark.parametrize("index", [0, 1])
def test_truetype_collection_faces_match_the_official_method(index):
    text = "Collections: 字体集合 hold several faces, 0 proportional and 1 monospaced. " * 20
    ours, theirs = both(text, MICROHEI, font_index=index)
    assert_same_pages(ours.images, theirs)
    assert ours.warnings == []


def test_collection_face_index_is_honoured():
    text = "iiii mmmm 1234 中文"
    proportional, _ = both(text, MICROHEI, font_index=0)
    mono, _ = both(text, MICROHEI, font_index=1)
    assert proportional.images[0].size != mono.images[0].size


def test_marker_newline_style_draws_red_markers(verdana):
    text = "first line\nsecond line\nthird line"
    marker, theirs = both(text, verdana, newline_markup=RenderConfig().replace(newline="marker").newline_markup)
    assert_same_pages(marker.images, theirs)
    px = np.asarray(marker.images[0]).astype(int)
    red = (px[..., 0] > 200) & (px[..., 1] < 100) & (px[..., 2] < 100)
    assert red.sum() > 20
    br, _ = both(text, verdana)
    px = np.asarray(br.images[0]).astype(int)
    assert not ((px[..., 0] > 200) & (px[..., 1] < 100)).any()
    # the marker replaces the line breaks: one line of text instead of three (10 pt leading)
    assert 18 <= br.images[0].height - marker.images[0].height <= 21


def test_dpi_96_matches_and_scales(reference, verdana):
    text = (reference / "input.txt").read_text(encoding="utf-8")
    at96, theirs = both(text, verdana, dpi=96)
    assert_same_pages(at96.images, theirs)
    at72, _ = both(text, verdana)
    assert at96.images[0].height > at72.images[0].height * 1.25


def test_every_layout_option_matches_the_official_method():
    options = dict(alignment="JUSTIFY", horizontal_scale=0.8, page_bg_color="#F4ECD8", para_bg_color="#E0E8F0",
                   font_color="#202060", first_line_indent=12, left_indent=8, right_indent=20, space_before=6,
                   space_after=9, border_width=1, border_padding=3, para_border_color="#AA0000",
                   page_size="400,500", margin_x=30, margin_y=25, font_size=10, line_height=13, dpi=96)
    text = "\n".join(f"Paragraph line {i}: " + "justified words fill the line " * 4 for i in range(70))
    ours, theirs = both(text, DEJAVU, **options)
    assert len(ours.images) > 1
    assert_same_pages(ours.images, theirs)
    assert ours.images[0].getpixel((2, 2)) == (0xF4, 0xEC, 0xD8)


def test_no_crop_keeps_full_pages():
    ours, theirs = both("short", DEJAVU, auto_crop_width=False, auto_crop_last_page=False)
    assert_same_pages(ours.images, theirs)
    assert ours.images[0].size == (595, 842)


def test_summary_reports_pages_sizes_and_visual_tokens(reference, verdana):
    cfg = RenderConfig.from_file(reference / "config_en.json").replace(font_path=str(verdana))
    summary = render_text((reference / "input.txt").read_text(encoding="utf-8"), cfg).summary()
    assert summary["pages"] == 1 and summary["characters"] == 4820
    assert summary["page_sizes"] == [[589, 566]]
    assert summary["visual_tokens"] == [420] and summary["visual_tokens_total"] == 420  # 20 x 21 blocks of 28 px
    assert summary["engine"] == "fast" and summary["fallback"] is None and summary["warnings"] == []


def test_fallback_font_warning_reaches_the_result(empty_fonts_dir):
    result = render_text("Hello", RenderConfig.preset("en"), fonts_dir=empty_fonts_dir)
    assert result.font.path.name == "DejaVuSans.ttf"
    assert any("Verdana.ttf was not found" in w and "DejaVuSans.ttf" in w for w in result.warnings)


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(RenderError, match="no text to render"):
        render_text("  \n\t ")
    with pytest.raises(ConfigError, match="Unknown render engine 'turbo'"):
        render_text("x", engine="turbo")
    not_a_font = tmp_path / "fake.ttf"
    not_a_font.write_bytes(b"this is not a font at all" * 10)
    with pytest.raises(RenderError, match="Font fake.ttf cannot be used"):
        render_text("x", RenderConfig.from_dict({"font-path": str(not_a_font)}))
    with pytest.raises(RenderError, match="newline markup"):
        render_text("a\nb", RenderConfig.from_dict({"font-path": str(DEJAVU), "newline-markup": "<font"}))
    with pytest.raises(RenderError, match="does not fit the page layout"):
        render_text("x", RenderConfig.from_dict({"font-path": str(DEJAVU), "font-size": 400, "page-size": "200,200"}))


def test_no_temporary_files_are_left(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    render_text("leave nothing behind", RenderConfig.from_dict({**OFFICIAL, "font-path": str(DEJAVU)}))
    assert list(tmp_path.iterdir()) == []
