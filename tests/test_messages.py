"""Messages by key: every message a person can meet is a key of the catalogues (glyph_web/messages/<lang>/),
in English and Chinese with the same placeholders, and every error or notice the package makes names one."""

from __future__ import annotations

import ast
import json

import pytest

from glyph_web.errors import LANGS, MESSAGES, DocumentError, Message, catalogue, message, placeholders, say

from conftest import ROOT

PACKAGE = ROOT / "glyph_web"
# the classes whose first argument is a message key (PageLimitError builds its own)
KEYED = {"GlyphError", "ConfigError", "RenderError", "DocumentError", "TooLargeError", "EngineError",
         "ContextTooLongError", "Message"}
SOURCES = sorted(p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*.py"))


def test_every_key_is_in_every_language_with_the_same_placeholders():
    english = catalogue("en")
    assert english, f"no messages in {MESSAGES / 'en'}"
    for lang in LANGS:
        files = {p.name for p in (MESSAGES / lang).glob("*.json")}
        assert files == {p.name for p in (MESSAGES / "en").glob("*.json")}, lang
        other = catalogue(lang)
        assert set(other) == set(english), f"{lang}: {sorted(set(other) ^ set(english))[:10]}"
        for key, template in other.items():
            assert placeholders(template) == placeholders(english[key]), (lang, key)


def test_catalogue_files_do_not_share_keys():
    seen: dict[str, str] = {}
    for path in sorted((MESSAGES / "en").glob("*.json")):
        for key in json.loads(path.read_text(encoding="utf-8")):
            assert key not in seen, f"{key} in {path.name} and {seen[key]}"
            seen[key] = path.name


def _keyed_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else None)
            if name in KEYED:
                yield name, node


def _keys(node: ast.expr) -> list[str] | None:
    """The key(s) a first argument can be: a literal, or a choice between literals."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _keys(node.body), _keys(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


@pytest.mark.parametrize("source", SOURCES)
def test_every_error_and_notice_names_a_key_with_its_parameters(source):
    english = catalogue("en")
    tree = ast.parse((ROOT / source).read_text(encoding="utf-8"))
    for name, call in _keyed_calls(tree):
        where = f"{source}:{call.lineno} {name}"
        if name in ("GlyphError", "Message") and not call.args:  # a subclass's super().__init__(key, ...)
            continue
        assert call.args, f"{where}: no message key"
        keys = _keys(call.args[0])
        passed_on = (isinstance(call.args[0], ast.Name) and call.args[0].id == "key") or (
            isinstance(call.args[0], ast.Attribute) and call.args[0].attr == "key")
        if keys is None and passed_on:
            continue  # the classes themselves, passing a key on
        assert keys is not None, f"{where}: the key must be a string literal (or a choice of literals)"
        assert len(call.args) == 1, f"{where}: parameters go by name"
        given = {kw.arg for kw in call.keywords}
        if None in given:  # **params passed on
            continue
        for key in keys:
            assert key in english, f"{where}: {key!r} is not in the English catalogue"
            assert placeholders(english[key]) == given, f"{where}: {key!r} takes {placeholders(english[key])}"


def test_messages_say_themselves_in_each_language():
    import pickle

    key = next(iter(catalogue("en")))
    params = {name: "X" for name in placeholders(catalogue("en")[key])}
    note = Message(key, **params)
    assert note == message(key, "en", **params) and note.render("zh") == message(key, "zh", **params)
    assert say(note, "zh") == note.render("zh") and say("plain", "zh") == "plain"
    assert message("no.such.key") == "no.such.key"  # a missing key never crashes a refusal
    again = pickle.loads(pickle.dumps(note))
    assert isinstance(again, Message) and again.key == key and again == note
    # an error is English as a str and Chinese when rendered; a Message parameter follows the language
    error = DocumentError("documents.image_pages_over", what=Message("documents.request_documents"), pages=120,
                          limit=100)
    assert str(error) == message("documents.image_pages_over", "en", what=message("documents.request_documents"),
                                 pages=120, limit=100)
    assert message("documents.request_documents", "zh") in error.render("zh") and error.render("zh") != str(error)


@pytest.mark.parametrize("source", [s for s in SOURCES if s.startswith("glyph_web/api/")])
def test_api_refusals_are_messages_by_key(source):
    """An ApiError's message is a Message (or an error) said in the client's language, never fixed English."""
    tree = ast.parse((ROOT / source).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ApiError":
            said = node.args[1] if len(node.args) > 1 else None
            assert not isinstance(said, (ast.Constant, ast.JoinedStr, ast.BinOp)), f"{source}:{node.lineno}"
