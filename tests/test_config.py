"""RenderConfig: the official files as they are, presets, auto language, font paths, bad values."""

from __future__ import annotations

import json
import shutil

import pytest

from glyph_web.errors import ConfigError, RenderError
from glyph_web.render import RenderConfig, has_cjk
from glyph_web.render.config import A4, NEWLINE_MARKUPS
from glyph_web.render.fonts import FALLBACK_EN, FALLBACK_ZH, git_blob_id, resolve_font

from conftest import DEJAVU


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_official_files_parse_and_equal_the_presets(reference, lang):
    path = reference / f"config_{lang}.json"
    parsed = RenderConfig.from_file(path)
    assert parsed.to_dict() == RenderConfig.preset(lang).to_dict()
    raw = json.loads(path.read_text())
    # every key of the official file survives the round trip with its value
    for key, value in raw.items():
        assert parsed.to_dict()[key] == value, key
    assert parsed.base_dir == str(reference.resolve())
    assert parsed.notes == ()


def test_preset_values_are_the_official_layout():
    en, zh = RenderConfig.preset("en"), RenderConfig.preset("zh")
    assert en.page_size == (595.0, 842.0) and en.dpi == 72
    assert (en.margin_x, en.margin_y, en.font_size, en.leading) == (10, 10, 9, 10)
    assert en.alignment == "LEFT" and en.auto_crop_width and en.auto_crop_last_page
    assert en.font_name == "Verdana.ttf" and zh.font_name == "SourceHanSansHWSC-VF.ttf"
    assert en.newline_markup == "<br/>"


def test_missing_keys_take_the_official_code_defaults():
    cfg = RenderConfig.from_dict({"font-path": "x.ttf"})
    assert cfg.page_size == A4 and cfg.margin_x == 20 and cfg.alignment == "JUSTIFY"
    assert cfg.leading == 10  # font-size 9 + 1
    assert not cfg.auto_crop_width
    assert RenderConfig.from_dict({"font-size": 12, "line-height": 0}).leading == 13


@pytest.mark.parametrize("text, lang", [
    ("Plain English text.", "en"),
    ("合同第三条：付款方式", "zh"),
    ("Mostly English with one 字.", "zh"),
    ("Cyrillic текст and Japanese kana かな only", "en"),  # the official test is U+4E00..U+9FFF only
])
def test_auto_language_picks_zh_for_cjk(text, lang):
    assert RenderConfig.for_text(text, "auto") == RenderConfig.preset(lang)
    assert has_cjk(text) == (lang == "zh")


def test_explicit_language_wins_over_auto():
    assert RenderConfig.for_text("合同", "en") == RenderConfig.preset("en")
    with pytest.raises(ConfigError, match="Unknown language 'fr'"):
        RenderConfig.for_text("x", "fr")


def test_unknown_keys_are_ignored_with_a_note(tmp_path, caplog):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"font-path": "a.ttf", "colour-scheme": "dark", "dpi": 96}))
    cfg = RenderConfig.from_file(path)
    assert cfg.dpi == 96
    assert len(cfg.notes) == 1 and "'colour-scheme'" in cfg.notes[0]
    assert "colour-scheme" in caplog.text


@pytest.mark.parametrize("key, value, words", [
    ("margin-x", "10", "must be a number, not text"),
    ("dpi", True, "must be a number, not true/false"),
    ("dpi", 0, "greater than 0"),
    ("dpi", 5000, "between 18 and 600"),
    ("font-size", -3, "greater than 0"),
    ("font-color", "red", "hex colour"),
    ("font-color", "#FFF", "hex colour"),
    ("alignment", "DIAGONAL", "LEFT, CENTER, RIGHT, JUSTIFY"),
    ("page-size", "595x842", "width,height"),
    ("page-size", [595], "width,height"),
    ("auto-crop-width", "yes", "true or false"),
    ("font-path", 12, "non-empty text"),
    ("newline-markup", "", "non-empty text"),
])
def test_wrong_values_are_clear_errors(key, value, words):
    with pytest.raises(ConfigError) as err:
        RenderConfig.from_dict({key: value}, source="my.json")
    assert words in str(err.value) and f"'{key}'" in str(err.value) and "my.json" in str(err.value)


@pytest.mark.parametrize("content, words", [
    ("{not json", r"not valid JSON \(line 1"),
    ("[1, 2]", "must be a JSON object"),
])
def test_bad_files_are_clear_errors(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=words):
        RenderConfig.from_file(path)
    with pytest.raises(ConfigError, match="does not exist"):
        RenderConfig.from_file(tmp_path / "absent.json")


def test_replace_checks_values_and_knows_newline_styles():
    cfg = RenderConfig.preset("en")
    assert cfg.replace(dpi=96).dpi == 96
    assert cfg.replace(newline="marker").newline_markup == NEWLINE_MARKUPS["marker"] == \
        '<font color="#FF0000"> \\n </font>'
    with pytest.raises(ConfigError, match="'dpi'"):
        cfg.replace(dpi="96")
    assert cfg.replace(dpi=96).cache_key() != cfg.cache_key() == RenderConfig.preset("en").cache_key()


def test_relative_font_path_resolves_against_the_config_folder_first(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "cfgs").mkdir()
    shutil.copy(DEJAVU, tmp_path / "config" / "Mine.ttf")
    path = tmp_path / "cfgs" / "c.json"
    path.write_text(json.dumps({"font-path": "../config/Mine.ttf"}))
    font = resolve_font(RenderConfig.from_file(path), fonts_dir=tmp_path / "nofonts")
    assert font.path == (tmp_path / "config" / "Mine.ttf").resolve() and not font.warnings


def test_relative_font_path_then_resolves_in_fonts_dir_by_file_name(tmp_path, empty_fonts_dir):
    shutil.copy(DEJAVU, empty_fonts_dir / "Verdana.ttf")  # stands in for a fetched font
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"font-path": "../config/Verdana.ttf"}))
    font = resolve_font(RenderConfig.from_file(path), fonts_dir=empty_fonts_dir)
    assert font.path == (empty_fonts_dir / "Verdana.ttf").resolve() and not font.warnings


@pytest.mark.parametrize("lang, text, fallback, trained_on", [
    ("en", "hello", FALLBACK_EN, "Verdana"),
    ("zh", "你好", FALLBACK_ZH, "Source Han Sans"),
])
def test_missing_training_font_falls_back_with_a_warning(empty_fonts_dir, lang, text, fallback, trained_on):
    font = resolve_font(RenderConfig.preset(lang), text, fonts_dir=empty_fonts_dir)
    assert font.path.name == fallback
    (warning,) = font.warnings
    assert fallback in warning and trained_on in warning and "less accurate" in warning
    assert "fetch_fonts.py" in warning


def test_missing_fallback_is_a_clear_error(tmp_path):
    with pytest.raises(RenderError, match="fallback .* is missing too"):
        resolve_font(RenderConfig.preset("en"), "x", fonts_dir=tmp_path)


def test_git_blob_id_matches_git():
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
