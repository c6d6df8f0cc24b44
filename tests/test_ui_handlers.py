"""The page's handlers called as plain methods: no browser, no server. PageHandlers over FakeBackend (scripted
answers, every request recorded) and a real Library (documents really read and rendered).

Outside a Gradio event gr.Warning is a Python UserWarning, so the page's warnings are caught with pytest.warns.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from glyph_web.backends.gate import Admission
from glyph_web.chat import Conversation, Library, Turn
from glyph_web.settings import Settings
from glyph_web.ui.handlers import COMPRESSION_PARTS, RELABELLED, PageHandlers, Sessions, example_name
from glyph_web.ui.text import t

from fakes import FakeBackend, script

LETTER = ("Dear Ms Varga,\nthe lighthouse keeper logged 41 ships in March and 37 in April. "
          "The harbour will close for repairs on 3 May.\n") * 6
ANSWER = "The keeper logged 41 ships in March."
EXAMPLE = {"id": "letter", "title": {"en": "A letter", "zh": "一封信"}, "files": ["letter.txt"],
           "question": {"en": "How many ships?", "zh": "几艘船？"}}
CJK = re.compile("[\u4e00-\u9fff]")


def make_handlers(tmp_path: Path, fonts: Path, backend=None, admission=None, admins="root") -> PageHandlers:
    settings = Settings(fonts_dir=str(fonts), admins=admins, log_dir=str(tmp_path / "logs"))
    exports = tmp_path / "exports"
    exports.mkdir(exist_ok=True)
    return PageHandlers(backend or FakeBackend(script(ANSWER, thinking="March comes first.")), settings,
                        Library(), admission or Admission(1, 4), Sessions(), exports, [EXAMPLE])


@pytest.fixture
def handlers(tmp_path, empty_fonts_dir) -> PageHandlers:
    return make_handlers(tmp_path, empty_fonts_dir)


def prepared_conversation(handlers: PageHandlers, code: str = "en") -> Conversation:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback font's note, said as a warning
        conv, *_ = handlers.prepare(None, LETTER, 72, "br", Conversation(), code)
    assert handlers.library.get(conv.doc_id) is not None
    return conv


# --- documents -------------------------------------------------------------------------------------------------


def test_pasted_text_is_prepared_into_pages_stats_and_the_compression_panel(handlers):
    with pytest.warns(UserWarning) as said:  # the document's notes: here, pages set in a fallback font
        conv, gallery, stats, chat, panel, plot = handlers.prepare(None, LETTER, 72, "br", Conversation(), "en")
    assert any("Verdana" in str(warning.message) for warning in said)
    prepared = handlers.library.get(conv.doc_id)
    assert prepared is not None and conv.turns == []
    assert len(gallery) == len(prepared.pages.images) >= 1
    assert [caption for _, caption in gallery] == [f"page {n}" for n in range(1, len(gallery) + 1)]
    assert gallery[0][0] is prepared.pages.images[0]
    summary = prepared.summary()
    assert f"{summary['pages']}" in stats and f"{summary['characters']}" in stats and "72" in stats
    assert chat == {"__type__": "update"}  # no earlier turns: the chat is left as it is
    assert panel.startswith("| Page") and "**Total**" in panel
    assert set(plot["kind"]) == {t("en", "compression_table_text"), t("en", "compression_table_visual")}
    # a new document empties a chat that had turns
    conv.turns.append(Turn("q?"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert handlers.prepare(None, LETTER, 72, "br", conv, "zh")[3] == []


def test_nothing_to_read_and_server_paths_are_said_not_read(handlers, tmp_path):
    conv = Conversation()
    result = handlers.prepare(None, "   ", 72, "br", conv, "en")
    assert result[0] is conv and result[2] == t("en", "no_document")
    secret = tmp_path / "secret.txt"
    secret.write_text("The vault code is 7341-KX.\n" * 20)
    with pytest.warns(UserWarning, match=re.escape(t("zh", "not_uploaded"))):
        result = handlers.prepare([str(secret)], None, 72, "br", conv, "zh")
    assert result[0] is conv and t("zh", "not_uploaded") in result[2] and "7341" not in str(result)
    assert handlers.library.get(conv.doc_id) is None


def test_an_example_whose_files_are_missing_says_so(handlers):
    with pytest.warns(UserWarning, match=re.escape(t("en", "example_missing"))):
        result = handlers.load_example({**EXAMPLE, "files": ["no-such-example.txt"]}, 72, "br", Conversation(),
                                       "en")
    assert len(result) == 8 and all(update == {"__type__": "update"} for update in result[1:])


# --- asking ----------------------------------------------------------------------------------------------------


def test_an_answer_streams_into_the_chat_and_ends_with_its_export(handlers):
    conv = prepared_conversation(handlers)
    updates = list(handlers.ask("  How many ships in March?  ", conv, 64, 0.0, True, "en", session="s1"))
    assert len(updates) >= 2 and all(len(update) == 5 for update in updates)
    first, last = updates[0], updates[-1]
    assert first[0][0] == {"role": "user", "content": "How many ships in March?"}
    assert first[2] == "" and first[3] == {"__type__": "update"}  # the question box is emptied at once
    chat, returned, question, download, evidence = last
    assert returned is conv and conv.turns[-1].status == "done" and conv.turns[-1].answer == ANSWER
    assert chat[-1] == {"role": "assistant", "content": ANSWER}
    assert chat[1]["metadata"]["title"] == t("en", "thinking") and chat[1]["content"] == "March comes first."
    assert download["visible"] is True
    path = Path(download["value"])
    assert path.parent == handlers.exports and path.suffix == ".md"
    assert "How many ships in March?" in path.read_text(encoding="utf-8")
    assert evidence["visible"] is False  # an answer without a quote stands on no highlighted page
    request = handlers.backend.requests[-1]
    assert request.question.startswith("How many ships in March?")
    assert handlers.backend.generation[-1].max_new_tokens == 64
    assert handlers.admission.running == 0 and handlers.admission.waiting == 0  # the gate was left


def test_an_empty_question_or_no_document_asks_nothing(handlers):
    with pytest.warns(UserWarning, match=re.escape(t("en", "empty_question"))):
        assert len(list(handlers.ask("  ", prepared_conversation(handlers), 64, 0.0, True, "en"))) == 1
    with pytest.warns(UserWarning, match=re.escape(t("zh", "need_document"))):
        assert len(list(handlers.ask("Ships?", Conversation(), 64, 0.0, True, "zh"))) == 1
    assert handlers.backend.requests == []


def test_a_full_gate_gives_the_busy_message_and_asks_nothing(tmp_path, empty_fonts_dir):
    gate = Admission(1, 0)
    handlers = make_handlers(tmp_path, empty_fonts_dir, admission=gate)
    conv = prepared_conversation(handlers)
    gate.enter()  # someone else's answer holds the one slot, and no one may wait
    try:
        with pytest.warns(UserWarning, match=re.escape(t("en", "busy"))):
            updates = list(handlers.ask("How many ships?", conv, 64, 0.0, True, "en", session="s1"))
    finally:
        gate.leave()
    assert len(updates) == 1 and updates[0][1] is conv and conv.turns == []
    assert handlers.backend.requests == [] and gate.running == 0


def test_stop_ends_the_answer_of_that_session(tmp_path, empty_fonts_dir, monkeypatch):
    monkeypatch.setattr("glyph_web.ui.handlers.STREAM_INTERVAL_S", 0.0)  # a page update for every event
    handlers = make_handlers(tmp_path, empty_fonts_dir, backend=FakeBackend(script("word " * 200)))
    conv = prepared_conversation(handlers)
    stream = handlers.ask("Go on?", conv, 512, 0.0, False, "en", session="s1")
    next(stream)
    handlers.stop_answer("someone-else")
    next(stream)
    assert conv.turns[-1].status != "stopped"
    handlers.stop_answer("s1")
    *_, last = stream
    assert conv.turns[-1].status == "stopped" and t("en", "stopped") in last[0][-1]["content"]
    assert handlers.admission.running == 0


def test_clear_keeps_the_document_and_hides_the_download(handlers):
    conv = prepared_conversation(handlers)
    list(handlers.ask("Ships?", conv, 64, 0.0, True, "en"))
    cleared, chat, download, evidence = handlers.clear_chat(conv)
    assert cleared.doc_id == conv.doc_id and cleared.turns == [] and chat == []
    assert download["visible"] is False and evidence["visible"] is False


# --- server-wide switches --------------------------------------------------------------------------------------


def test_only_an_admin_switches_the_cache_or_reloads_the_model(handlers):
    backend = handlers.backend
    for user in ("ann", None, ""):
        with pytest.warns(UserWarning, match=re.escape(t("en", "not_admin"))):
            assert handlers.set_cache(False, "en", user)["value"] is True  # the box goes back
        with pytest.warns(UserWarning, match=re.escape(t("zh", "not_admin"))):
            hidden, status = handlers.reload_model(True, "zh", user)
        assert hidden["visible"] is False and "fake/glyph" in status
        assert handlers.ask_reload(True, "en", user)["visible"] is False
        assert handlers.admin_view(user) == ({"__type__": "update", "visible": True},
                                             {"__type__": "update", "interactive": False},
                                             {"__type__": "update", "interactive": False})
    assert backend.reloads == [] and backend.cache_enabled is True

    handlers.set_cache(False, "en", "root")
    assert backend.cache_enabled is False
    assert handlers.ask_reload(True, "en", "root")["visible"] is True
    handlers.reload_model(True, "en", "root")
    assert backend.reloads == [True]
    assert handlers.admin_view("root")[1] == {"__type__": "update", "interactive": True}


def test_without_admins_nobody_is_one(tmp_path, empty_fonts_dir):
    handlers = make_handlers(tmp_path, empty_fonts_dir, admins=None)
    for user in ("root", None):
        with pytest.warns(UserWarning):
            handlers.reload_model(True, "en", user)
    assert handlers.backend.reloads == []


# --- language --------------------------------------------------------------------------------------------------


def test_relabel_says_every_component_in_chinese_by_name(handlers):
    conv = prepared_conversation(handlers)
    list(handlers.ask("How many ships?", conv, 64, 0.0, True, "en"))
    zh, en = handlers.relabel("zh", conv), handlers.relabel("en", conv)
    names = [*RELABELLED, example_name(EXAMPLE), *COMPRESSION_PARTS]
    assert list(zh) == names == handlers.relabelled() and list(en) == names
    assert zh["lang"] == "zh" and handlers.relabel("fr", conv)["lang"] == "en"
    assert zh["send"]["value"] == t("zh", "send") and zh["question"]["label"] == t("zh", "question_label")
    assert zh["example-letter"]["value"] == "一封信"
    assert [caption for _, caption in zh["pages"]["value"]][0] == "第 1 页"
    assert CJK.search(zh["stats"]) and CJK.search(zh["status"]) and CJK.search(zh["compression_text"])
    assert zh["chat"]["value"][-1]["content"] == ANSWER  # the conversation stays, the labels change
    for name in names:  # every relabelled component reads differently in Chinese
        if name != "compression_plot":
            assert str(zh[name]) != str(en[name]), name
    # without a document the panels stay as they are
    empty = handlers.relabel("zh", Conversation())
    assert empty["stats"] == t("zh", "no_document") and empty["pages"]["value"] is None
    assert empty["compression_text"] == {"__type__": "update"}


def test_the_page_wires_relabel_to_a_component_for_each_name(tmp_path, empty_fonts_dir, monkeypatch):
    """build_ui turns relabel's mapping into Gradio's {component: update}, over exactly the event's outputs."""
    from glyph_web.ui import app, handlers as handlers_module

    monkeypatch.setattr(handlers_module, "load_examples", lambda: [EXAMPLE])
    monkeypatch.setattr(app, "load_examples", lambda: [EXAMPLE])
    demo = app.build_ui(FakeBackend(), Settings(fonts_dir=str(empty_fonts_dir), log_dir=str(tmp_path / "logs")))
    (fn,) = [f for f in demo.fns.values() if f.api_name == "relabel"]
    mapped = fn.fn("zh", Conversation())
    assert list(mapped) == fn.outputs and len(fn.outputs) == len(RELABELLED) + 1 + len(COMPRESSION_PARTS)
    send = next(block for block in fn.outputs if getattr(block, "elem_id", None) == "send")
    assert mapped[send]["value"] == t("zh", "send")
    api_names = {f.api_name for f in demo.fns.values()}
    assert {"prepare", "ask", "stop_answer", "set_cache", "reload_model"} <= api_names
