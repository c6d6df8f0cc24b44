"""The page's handlers called as plain methods: no browser, no server. PageHandlers over FakeBackend (scripted
answers, every request recorded) and a real Library (documents really read and rendered).

Outside a Gradio event gr.Warning is a Python UserWarning, so the page's warnings are caught with pytest.warns
(gr.Info prints instead: capsys reads it).
"""

from __future__ import annotations

import datetime
import re
import shutil
import uuid
import warnings
from pathlib import Path

import pytest

import docgen
from glyph_web.backends.gate import Admission
from glyph_web.chat import Library
from glyph_web.chat.conversation import Conversations
from glyph_web.settings import Settings
from glyph_web.ui.handlers import (COMPRESSION_PARTS, RELABELLED, TINY_MAX_NEW_TOKENS, PageHandlers, Sessions,
                                   download_name, example_name)
from glyph_web.ui.text import t

from fakes import READY, FakeBackend, HeldBackend, script

LETTER = ("Dear Ms Varga,\nthe lighthouse keeper logged 41 ships in March and 37 in April. "
          "The harbour will close for repairs on 3 May.\n") * 6
NOTICE = "Notice to mariners: the north pier light is out of service until further notice.\n" * 5
ANSWER = "The keeper logged 41 ships in March."
EXAMPLE = {"id": "letter", "title": {"en": "A letter", "zh": "一封信"}, "files": ["letter.txt"],
           "question": {"en": "How many ships?", "zh": "几艘船？"}}
CJK = re.compile("[\u4e00-\u9fff]")
SAME = {"__type__": "update"}


class Held(HeldBackend):
    """HeldBackend that also records what it was asked."""

    def answer(self, request, settings, stop):
        self.requests.append(request)
        return super().answer(request, settings, stop)


def make_handlers(tmp_path: Path, fonts: Path, backend=None, admission=None, admins="root",
                  **settings) -> PageHandlers:
    settings = Settings(fonts_dir=str(fonts), admins=admins, log_dir=str(tmp_path / "logs"), **settings)
    exports = tmp_path / "exports"
    exports.mkdir(exist_ok=True)
    return PageHandlers(backend or FakeBackend(script(ANSWER, thinking="March comes first.")), settings,
                        Library(settings.limits()), admission or Admission(1, 4), Sessions(), exports, [EXAMPLE])


@pytest.fixture
def handlers(tmp_path, empty_fonts_dir) -> PageHandlers:
    return make_handlers(tmp_path, empty_fonts_dir)


@pytest.fixture
def uploaded():
    """Write files into Gradio's upload folder, as the page's uploads are; removed afterwards."""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()) / f"test-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)

    def write(name: str, data: bytes) -> str:
        path = folder / name
        path.write_bytes(data)
        return str(path)

    yield write
    shutil.rmtree(folder, ignore_errors=True)


def quietly(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback font's note, said as a warning
        return call(*args, **kwargs)


def prepared_conversations(handlers: PageHandlers, code: str = "en", text: str = LETTER) -> Conversations:
    convs = Conversations()
    quietly(handlers.prepare, None, text, 72, "br", convs, code)
    assert handlers.library.get(convs.doc_id) is not None
    return convs


def asked(handlers: PageHandlers, convs: Conversations, question: str, code: str = "en", session: str = "s1",
          max_new: int = 64) -> list:
    """Send, as the page does: the question into the conversation, then every update of the answer."""
    chat, box, stop = handlers.submit(question, convs, code, session)
    assert box == "" and stop == {"__type__": "update", "interactive": True}
    return list(handlers.ask("", convs, max_new, 0.0, True, code, session=session))


# --- documents -------------------------------------------------------------------------------------------------


def test_pasted_text_is_prepared_into_pages_stats_and_the_compression_panel(handlers):
    convs = Conversations()
    with pytest.warns(UserWarning) as said:  # the document's notes: here, pages set in a fallback font
        view = handlers.prepare(None, LETTER, 72, "br", convs, "en")
    assert any("Verdana" in str(warning.message) for warning in said)
    assert view.conversations is convs  # the session's state is changed in place, never replaced
    prepared = handlers.library.get(convs.doc_id)
    assert prepared is not None and convs.current.turns == []
    gallery = view.pages
    assert len(gallery) == len(prepared.pages.images) >= 1
    assert [caption for _, caption in gallery] == [f"page {n}" for n in range(1, len(gallery) + 1)]
    assert all(Path(path).is_file() and Path(path).suffix == ".png" for path, _ in gallery)
    summary = prepared.summary()
    assert f"{summary['pages']}" in view.stats and f"{summary['characters']}" in view.stats and "72" in view.stats
    assert view.chat == []  # the conversation of this document: none yet
    assert view.panel.startswith("| Page") and "**Total**" in view.panel
    assert set(view.plot["kind"]) == {t("en", "compression_table_text"), t("en", "compression_table_visual")}
    assert view.fields["visible"] is False and view.download["visible"] is False


def test_nothing_to_read_and_server_paths_are_said_not_read(handlers, tmp_path):
    convs = prepared_conversations(handlers)
    view = handlers.prepare(None, "   ", 72, "br", convs, "en")
    assert view.stats == t("en", "no_document") and view.pages == SAME  # nothing new: the pages stay
    secret = tmp_path / "secret.txt"
    secret.write_text("The vault code is 7341-KX.\n" * 20)
    with pytest.warns(UserWarning, match=re.escape(t("zh", "not_uploaded"))):
        view = handlers.prepare([str(secret)], None, 72, "br", convs, "zh")
    assert t("zh", "not_uploaded") in view.stats and "7341" not in str(view)
    assert view.pages == {"__type__": "update", "value": None}  # the earlier pages are not left on show
    assert convs.doc_id is None and "7341" not in str(handlers.library._docs)


def test_an_example_whose_files_are_missing_says_so(handlers):
    with pytest.warns(UserWarning, match=re.escape(t("en", "example_missing"))):
        result = handlers.load_example({**EXAMPLE, "files": ["no-such-example.txt"]}, "", 72, "br",
                                       Conversations(), "en")
    assert len(result) == 14 and all(update == SAME for update in result[1:])


def test_the_font_note_is_said_once_a_session(handlers):
    with pytest.warns(UserWarning, match="Verdana"):
        handlers.prepare(None, LETTER, 72, "br", convs := Conversations(), "en")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning at all this time
        handlers.prepare(None, LETTER, 96, "br", convs, "en")
        handlers.prepare(None, NOTICE, 72, "br", convs, "en")
    with pytest.warns(UserWarning, match="Verdana"):  # another session is told
        handlers.prepare(None, LETTER, 72, "br", Conversations(), "en")


# --- refusals in the page's words ------------------------------------------------------------------------------


def test_a_refused_upload_clears_the_earlier_document_and_offers_a_password(handlers, uploaded, capsys):
    convs = prepared_conversations(handlers)
    asked(handlers, convs, "How many ships?")
    locked = uploaded("accounts.pdf", docgen.encrypt(docgen.pdf(["Secret figures: 42"]), user_password="s3cret"))
    with pytest.warns(UserWarning, match="protected by a password"):
        view = handlers.upload([locked], "", 72, "br", convs, "en")
    assert view.stats.startswith(f"**{t('en', 'doc_error')}** ") and t("en", "page_password") in view.stats
    assert "--password" not in view.stats
    assert view.pages == {"__type__": "update", "value": None} and view.panel == "" and view.plot is None
    assert view.chat == [] and convs.doc_id is None  # no answer about pages no longer shown
    assert t("en", "conversation_kept", name="pasted text") in capsys.readouterr().out
    assert view.fields["visible"] and view.password["visible"] and not view.page_range["visible"]
    # a wrong password says so, in Chinese too, and keeps the field
    with pytest.warns(UserWarning):
        view = handlers.reread([locked], "", 72, "br", "guess", "", convs, "zh")
    assert t("zh", "page_wrong_password") in view.stats and CJK.search(view.stats)
    assert view.password == {"__type__": "update", "visible": True, "value": ""}
    assert "guess" not in str(view.stats)
    quietly(handlers.reread, [locked], "", 72, "br", "s3cret", "", convs, "en")
    prepared = handlers.library.get(convs.doc_id)
    assert "Secret figures: 42" in prepared.doc.text
    # what they were read with stays for the next reading of the same files (another DPI, say)
    view = quietly(handlers.prepare, [locked], "", 96, "br", convs, "en", reading={"password": "s3cret"})
    assert view.reading == {"password": "s3cret"} and handlers.library.get(convs.doc_id).pages.config.dpi == 96


def test_a_document_over_the_page_limit_offers_a_page_range(tmp_path, empty_fonts_dir, uploaded):
    handlers = make_handlers(tmp_path, empty_fonts_dir, max_pages=2)
    scans = uploaded("scans.pdf", docgen.pdf([b"scan", b"scan", b"scan", b"scan"]))
    with pytest.warns(UserWarning):
        view = handlers.upload([scans], "", 72, "br", convs := Conversations(), "en")
    assert t("en", "page_choose_pages", limit=2) in view.stats and "--" not in view.stats
    assert view.page_range["visible"] and not view.password["visible"]
    with pytest.warns(UserWarning, match="not a page"):  # a range that is not one: said, the field stays
        view = handlers.reread([scans], "", 72, "br", "", "first two", convs, "en")
    assert view.page_range["visible"]
    view = quietly(handlers.reread, [scans], "", 72, "br", "", "1-2", convs, "en")
    assert len(view.pages) == 2 and view.reading == {"pages": "1-2"} and view.fields["visible"] is False
    # pasted text over the limit: the page's own sentence, no command-line flag, no page field
    with pytest.warns(UserWarning):
        view = handlers.prepare(None, LETTER * 60, 72, "br", convs, "en")
    assert t("en", "page_shorter") in view.stats and "--max-pages" not in view.stats
    assert not view.page_range["visible"]


def test_refusals_say_sizes_and_passwords_in_the_pages_words(tmp_path, empty_fonts_dir, uploaded):
    handlers = make_handlers(tmp_path, empty_fonts_dir, max_upload_mb=0.001)
    big = uploaded("big.txt", b"harbour " * 400)
    with pytest.warns(UserWarning):
        view = handlers.upload([big], "", 72, "br", Conversations(), "en")
    assert t("en", "page_too_large", name="big.txt", size="0.0031", limit="0.001") in view.stats
    assert "--max-upload-mb" not in view.stats and "Mb" not in view.stats
    # an unsupported file reaches the documents stage's own sentence (no file-type filter before it)
    sheet = uploaded("sheet.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.warns(UserWarning):
        view = handlers.upload([sheet], "", 72, "br", Conversations(), "zh")
    assert "sheet.xls" in view.stats and CJK.search(view.stats)
    # fields reachable over HTTP take only bounded strings
    with pytest.warns(UserWarning):
        view = handlers.reread([big], "", 72, "br", "x" * 5000, None, Conversations(), "en")
    assert t("en", "password_too_long", chars=5000, most=1024) in view.stats and view.password["visible"]
    with pytest.warns(UserWarning):
        view = handlers.reread([big], "", 72, "br", {"a": 1}, ["1-2"], Conversations(), "en")
    assert view.reading == {}


# --- one conversation per document -----------------------------------------------------------------------------


def test_a_conversation_comes_back_with_its_document(handlers, capsys):
    convs = prepared_conversations(handlers)
    asked(handlers, convs, "How many ships in March?")
    letter = convs.current
    view = quietly(handlers.prepare, None, NOTICE, 72, "br", convs, "en")  # another document
    assert view.chat == [] and convs.current is not letter and view.download["visible"] is False
    assert t("en", "conversation_kept", name="pasted text") in capsys.readouterr().out
    asked(handlers, convs, "Which light is out?")
    view = quietly(handlers.prepare, None, LETTER, 96, "br", convs, "en")  # the letter again, at another DPI
    assert convs.current is letter and view.chat[0]["content"] == "How many ships in March?"
    assert view.chat[-1]["content"].startswith(ANSWER) and view.download["visible"] is True
    assert t("en", "conversation_restored", name="pasted text") in capsys.readouterr().out
    # changing the DPI of the document shown keeps its conversation without a word
    view = quietly(handlers.prepare, None, LETTER, 72, "br", convs, "en")
    assert convs.current is letter and len(view.chat) == 3 and capsys.readouterr().out == ""
    # the next question about the letter builds on its own earlier answer, not the notice's
    asked(handlers, convs, "And in April?")
    assert [q for q, _ in handlers.backend.requests[-1].history] == ["How many ships in March?"]


def test_the_examples_question_never_overwrites_what_was_typed(tmp_path, empty_fonts_dir, monkeypatch):
    from glyph_web.ui import handlers as module

    (tmp_path / "letter.txt").write_text(LETTER, encoding="utf-8")
    monkeypatch.setattr(module, "EXAMPLES_DIR", tmp_path)
    handlers = make_handlers(tmp_path, empty_fonts_dir)
    result = quietly(handlers.load_example, EXAMPLE, "", 72, "br", convs := Conversations(), "zh")
    assert result[-1] == "几艘船？" and result[-2] == {"__type__": "update", "value": None}  # the uploads emptied
    assert quietly(handlers.load_example, EXAMPLE, "How many ships?", 72, "br", convs, "en")[-1] == \
        "How many ships?"
    assert quietly(handlers.load_example, EXAMPLE, "My own question", 72, "br", convs, "en")[-1] == SAME


# --- asking ----------------------------------------------------------------------------------------------------


def test_an_answer_streams_into_the_chat_and_ends_with_its_export(handlers):
    convs = prepared_conversations(handlers)
    chat, box, stop = handlers.submit("  How many ships in March?  ", convs, "en", "s1")
    assert chat[0] == {"role": "user", "content": "How many ships in March?"}
    assert box == "" and stop["interactive"] is True  # the box is emptied once, at Send
    updates = list(handlers.ask("", convs, 64, 0.0, True, "en", session="s1"))
    assert len(updates) >= 2 and all(len(update) == 4 for update in updates)
    for chat, stop, download, evidence in updates[:-1]:  # while it runs: Stop on, the box never written
        assert stop == {"__type__": "update", "interactive": True}
    chat, stop, download, evidence = updates[-1]
    conv = convs.current
    assert conv.turns[-1].status == "done" and conv.turns[-1].answer == ANSWER
    assert chat[-1]["content"].startswith(ANSWER)
    assert chat[1]["metadata"]["title"] == t("en", "thinking") and chat[1]["content"] == "March comes first."
    assert stop == {"__type__": "update", "interactive": False}  # Stop is off once nothing runs
    assert download["visible"] is True
    path = Path(download["value"])
    assert path.parent.parent == handlers.exports and path.name == f"pasted-text-{datetime.date.today()}.md"
    assert "How many ships in March?" in path.read_text(encoding="utf-8")
    assert evidence["visible"] is False  # an answer without a quote stands on no highlighted page
    request = handlers.backend.requests[-1]
    assert request.question.startswith("How many ships in March?")
    assert handlers.backend.generation[-1].max_new_tokens == 64
    assert handlers.admission.running == 0 and handlers.admission.waiting == 0  # the gate was left


def test_each_answer_has_a_line_of_figures_and_the_wait_says_what_happens(handlers):
    convs = prepared_conversations(handlers)
    updates = asked(handlers, convs, "How many ships?")
    pages = len(handlers.library.get(convs.doc_id).pages.images)
    reading = t("en", "reading_page") if pages == 1 else t("en", "reading_pages", pages=pages)
    assert any(update[0][-1]["content"] == reading for update in updates)  # before the first token
    figures = ("first token after 0.10 s · 9 tokens at 20.0 tokens/s · 120 prompt tokens, 0 of them from the "
               "cache")
    assert updates[-1][0][-1]["content"] == f"{ANSWER}\n\n<small>{figures}</small>"
    zh = handlers.relabel("zh", convs)["chat"]["value"][-1]["content"]
    assert "首个 token 用时 0.10 秒" in zh and "每秒 20.0 个" in zh


def test_an_empty_question_or_no_document_asks_nothing_and_keeps_the_box(handlers):
    convs = prepared_conversations(handlers)
    with pytest.warns(UserWarning, match=re.escape(t("en", "empty_question"))):
        assert handlers.submit("  ", convs, "en") == (SAME, SAME, SAME)
    with pytest.warns(UserWarning, match=re.escape(t("zh", "need_document"))):
        assert handlers.submit("Ships?", Conversations(), "zh") == (SAME, SAME, SAME)  # the box keeps it
    assert convs.current.turns == []
    *_, last = handlers.ask("", convs, 64, 0.0, True, "en")  # nothing queued: nothing asked, Stop stays off
    assert last[1] == {"__type__": "update", "interactive": False}
    assert handlers.backend.requests == []


def test_a_question_sent_while_an_answer_is_written_is_queued_and_answered_next(tmp_path, empty_fonts_dir):
    backend = Held()
    handlers = make_handlers(tmp_path, empty_fonts_dir, backend=backend)
    convs = prepared_conversations(handlers)
    handlers.submit("First?", convs, "en", "s1")
    first = handlers.ask("", convs, 64, 0.0, True, "en", session="s1")
    next(first)
    while not backend.started.is_set():  # until the first answer is being written
        next(first)
    chat, box, stop = handlers.submit("Second?", convs, "en", "s1")  # Send again, meanwhile
    assert box == "" and stop["interactive"] is True
    assert chat[2] == {"role": "user", "content": f"Second?\n\n<small>{t('en', 'queued_mark')}</small>"}
    assert chat[3] == {"role": "assistant", "content": t("en", "queued_answer")}
    # the second Send's own answering step finds the first at work and leaves the question to it
    assert list(handlers.ask("", convs, 64, 0.0, True, "en", session="s1")) == [(SAME, SAME, SAME, SAME)]
    backend.release.set()
    *_, last = first
    assert [turn.question for turn in convs.current.turns] == ["First?", "Second?"]
    assert [turn.status for turn in convs.current.turns] == ["done", "done"]
    assert [r.question for r in backend.requests] == ["First?", "Second?"]
    assert backend.requests[1].history[0][0] == "First?"  # in order: the second builds on the first
    assert last[1] == {"__type__": "update", "interactive": False}
    # the queue let go: the next question gets an answering step of its own
    asked(handlers, convs, "Third?")
    assert convs.current.turns[-1].status == "done" and handlers.sessions.answering("s1") is False


def test_a_full_gate_says_busy_and_keeps_the_question_in_the_chat(tmp_path, empty_fonts_dir):
    gate = Admission(1, 0)
    handlers = make_handlers(tmp_path, empty_fonts_dir, admission=gate)
    convs = prepared_conversations(handlers)
    gate.enter()  # someone else's answer holds the one slot, and no one may wait
    try:
        with pytest.warns(UserWarning, match=re.escape(t("en", "busy"))):
            updates = asked(handlers, convs, "How many ships?")
    finally:
        gate.leave()
    (turn,) = convs.current.turns  # nothing typed is lost: the question stays, said to be refused
    assert turn.status == "error" and "busy" in str(turn.error) and turn.question == "How many ships?"
    assert "How many ships?" in str(updates[-1][0]) and t("en", "error") in str(updates[-1][0])
    assert handlers.backend.requests == [] and gate.running == 0


def test_a_waiting_answer_shows_its_place_in_the_queue(tmp_path, empty_fonts_dir):
    gate = Admission(1, 4)
    handlers = make_handlers(tmp_path, empty_fonts_dir, admission=gate)
    convs = prepared_conversations(handlers)
    handlers.submit("How many ships?", convs, "en", "s1")
    gate.enter()  # an API client's answer holds the slot
    stream = handlers.ask("", convs, 64, 0.0, True, "en", session="s1")
    try:
        waiting = t("en", "waiting_place", place=1)
        for chat, *_ in stream:  # the place comes with the next look at the queue
            if chat != SAME and chat[-1]["content"] == waiting:
                break
        assert gate.place(handlers.sessions._events["s1"]) == 1
    finally:
        gate.leave()
    *_, last = stream
    assert convs.current.turns[-1].status == "done" and convs.current.turns[-1].place == 0
    assert gate.running == 0 and gate.waiting == 0


def test_stop_ends_the_answer_of_that_session_and_a_wait_too(tmp_path, empty_fonts_dir, monkeypatch):
    monkeypatch.setattr("glyph_web.ui.handlers.STREAM_INTERVAL_S", 0.0)  # a page update for every event
    handlers = make_handlers(tmp_path, empty_fonts_dir, backend=FakeBackend(script("word " * 200)))
    convs = prepared_conversations(handlers)
    handlers.submit("Go on?", convs, "en", "s1")
    stream = handlers.ask("", convs, 512, 0.0, False, "en", session="s1")
    while not convs.current.turns[-1].answer:
        next(stream)
    handlers.stop_answer("someone-else")
    next(stream)
    assert convs.current.turns[-1].status != "stopped"
    handlers.stop_answer("s1")
    *_, last = stream
    assert convs.current.turns[-1].status == "stopped" and t("en", "stopped") in last[0][-1]["content"]
    assert handlers.admission.running == 0
    # Stop while the answer waits at the gate: it leaves the queue, stopped
    handlers.admission.enter()
    try:
        handlers.submit("Again?", convs, "en", "s1")
        stream = handlers.ask("", convs, 64, 0.0, False, "en", session="s1")
        next(stream)
        handlers.stop_answer("s1")
        *_, last = stream
    finally:
        handlers.admission.leave()
    assert convs.current.turns[-1].status == "stopped" and handlers.admission.waiting == 0


def test_clear_empties_the_conversation_for_good(handlers):
    convs = prepared_conversations(handlers)
    asked(handlers, convs, "Ships?")
    chat, download, evidence, stop = handlers.clear_chat(convs, "en", "s1")
    assert chat == [] and convs.current.turns == [] and convs.doc_id is not None  # the document stays
    assert download["visible"] is False and evidence["visible"] is False and stop["interactive"] is False
    # nothing comes back: not with the next answer, not with the document read again
    asked(handlers, convs, "Ships, again?")
    assert [turn.question for turn in convs.current.turns] == ["Ships, again?"]
    assert len(quietly(handlers.prepare, None, LETTER, 96, "br", convs, "en").chat) == 3
    assert handlers.backend.requests[-1].history == ()


def _answering(tmp_path, fonts_dir, *questions):
    """Handlers over a held backend with `questions` asked in session s1 and the first answer being written:
    (backend, handlers, conversations, the ask stream)."""
    backend = Held()
    handlers = make_handlers(tmp_path, fonts_dir, backend=backend)
    convs = prepared_conversations(handlers)
    for question in questions:
        handlers.submit(question, convs, "en", "s1")
    stream = handlers.ask("", convs, 64, 0.0, True, "en", session="s1")
    while not backend.started.is_set():
        next(stream)
    return backend, handlers, convs, stream


def test_clear_while_an_answer_streams_stops_it(tmp_path, empty_fonts_dir):
    backend, handlers, convs, stream = _answering(tmp_path, empty_fonts_dir, "First?", "Second?")
    handlers.clear_chat(convs, "en", "s1")
    *_, last = stream  # the answer was stopped, the queued question went with the conversation
    assert convs.current.turns == [] and last[0] == [] and len(backend.requests) == 1


def test_regenerate_answers_the_last_question_again_in_its_place(handlers):
    convs = prepared_conversations(handlers)
    asked(handlers, convs, "How many ships?")
    handlers.backend.events = script("Forty-one.")
    chat, stop = handlers.regenerate(convs, "en", "s1")
    assert stop["interactive"] is True and convs.current.turns[-1].status == "queued"
    *_, last = handlers.ask("", convs, 64, 0.0, True, "en", session="s1")
    (turn,) = convs.current.turns
    assert turn.question == "How many ships?" and turn.answer == "Forty-one."
    assert [r.question for r in handlers.backend.requests] == ["How many ships?"] * 2
    assert handlers.backend.requests[-1].history == ()  # the replaced answer is not its own context
    with pytest.warns(UserWarning, match=re.escape(t("en", "nothing_to_redo"))):
        assert handlers.regenerate(Conversations(), "en") == (SAME, SAME)


def test_edit_puts_the_last_question_back_and_sending_replaces_that_turn(handlers):
    convs = prepared_conversations(handlers)
    asked(handlers, convs, "How many ships?")
    asked(handlers, convs, "In March?")
    with pytest.warns(UserWarning, match=re.escape(t("en", "edit_box_busy"))):  # nothing typed is overwritten
        assert handlers.edit("something else", convs, "en") == (SAME, SAME)
    chat, box = handlers.edit("", convs, "en")
    assert box == "In March?" and chat[-3]["content"].endswith(t("en", "editing_mark") + "</small>")
    asked(handlers, convs, "In April?")
    assert [turn.question for turn in convs.current.turns] == ["How many ships?", "In April?"]
    assert [q for q, _ in handlers.backend.requests[-1].history] == ["How many ships?"]


def test_edit_and_regenerate_wait_for_a_running_answer(tmp_path, empty_fonts_dir):
    backend, handlers, convs, stream = _answering(tmp_path, empty_fonts_dir, "First?")
    with pytest.warns(UserWarning, match=re.escape(t("en", "answer_running"))):
        assert handlers.regenerate(convs, "en", "s1") == (SAME, SAME)
    with pytest.warns(UserWarning, match=re.escape(t("en", "answer_running"))):
        assert handlers.edit("", convs, "en") == (SAME, SAME)
    backend.release.set()
    list(stream)


def test_an_api_client_asks_in_one_call(handlers):
    convs = prepared_conversations(handlers)
    *_, last = handlers.ask("How many ships?", convs, 64, 0.0, True, "en", session="api")
    assert convs.current.turns[-1].answer == ANSWER and last[0][-1]["content"].startswith(ANSWER)


def test_download_names_are_the_document_and_the_day_in_safe_characters(handlers):
    day = datetime.date(2026, 12, 3)

    class Named:
        def __init__(self, name):
            self.doc = type("Doc", (), {"name": name})()

    assert download_name(Named("Quarterly report.pdf"), day) == "quarterly-report-2026-12-03.md"
    assert download_name(Named("../../etc/passwd"), day) == "passwd-2026-12-03.md"
    assert download_name(Named("合同.docx"), day) == "conversation-2026-12-03.md"
    assert download_name(Named("3 documents"), day) == "3-documents-2026-12-03.md"
    assert download_name(None, day) == "conversation-2026-12-03.md"
    assert len(download_name(Named("x" * 300 + ".pdf"), day)) <= 48 + len("-2026-12-03.md")


def test_the_tiny_model_gets_short_answers_by_default_and_says_so(tmp_path, empty_fonts_dir):
    from glyph_web.contracts import ModelState

    noisy = FakeBackend(state=ModelState(status="loading", model="tiny"))
    handlers = make_handlers(tmp_path, empty_fonts_dir, backend=noisy)
    assert handlers.max_tokens_default() == 8192
    status, banner, slider, short = handlers.refresh("en", False)
    assert slider == SAME and short is False  # not known yet
    noisy.model_state = ModelState(status="ready", model="tiny", noise=True)
    status, banner, slider, short = handlers.refresh("en", False)
    assert banner["visible"] and slider == {"__type__": "update", "value": TINY_MAX_NEW_TOKENS} and short
    assert handlers.refresh("en", True)[2] == SAME  # once a session: the person's own choice stays
    # a person who moved the slider before the page learnt the model is tiny keeps the choice
    moved = handlers.refresh("en", False, 64)
    assert moved[2] == SAME and moved[3] is True
    assert t("en", "noise_banner_short", tokens=TINY_MAX_NEW_TOKENS) in handlers.banner_text("en")
    assert handlers.max_tokens_default() == TINY_MAX_NEW_TOKENS
    # --max-new-tokens given: that, and no word of short answers
    chosen = make_handlers(tmp_path, empty_fonts_dir, backend=noisy, max_new_tokens=1024)
    assert chosen.max_tokens_default() == 1024 and chosen.refresh("en", False)[2] == SAME
    assert "256" not in chosen.banner_text("en")
    assert make_handlers(tmp_path, empty_fonts_dir, backend=FakeBackend(state=READY)).refresh("en")[1] == \
        {"__type__": "update", "visible": False}


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
    conv = prepared_conversations(handlers)
    asked(handlers, conv, "How many ships?")
    zh, en = handlers.relabel("zh", conv), handlers.relabel("en", conv)
    names = [*RELABELLED, example_name(EXAMPLE), *COMPRESSION_PARTS]
    assert list(zh) == names == handlers.relabelled() and list(en) == names
    assert zh["lang"] == "zh" and handlers.relabel("fr", conv)["lang"] == "en"
    assert zh["send"]["value"] == t("zh", "send") and zh["question"]["label"] == t("zh", "question_label")
    assert zh["example-letter"]["value"] == "一封信"
    assert [caption for _, caption in zh["pages"]["value"]][0] == "第 1 页"
    assert CJK.search(zh["stats"]) and CJK.search(zh["status"]) and CJK.search(zh["compression_text"])
    assert zh["chat"]["value"][-1]["content"].startswith(ANSWER)  # the conversation stays, the labels change
    for name in names:  # every relabelled component reads differently in Chinese
        if name != "compression_plot":
            assert str(zh[name]) != str(en[name]), name
    # without a document the panels stay as they are
    empty = handlers.relabel("zh", Conversations())
    assert empty["stats"] == t("zh", "no_document") and empty["pages"]["value"] is None
    assert empty["compression_text"] == {"__type__": "update"}


def test_the_page_wires_relabel_to_a_component_for_each_name(tmp_path, empty_fonts_dir, monkeypatch):
    """build_ui turns relabel's mapping into Gradio's {component: update}, over exactly the event's outputs."""
    from glyph_web.ui import app, handlers as handlers_module

    monkeypatch.setattr(handlers_module, "load_examples", lambda: [EXAMPLE])
    monkeypatch.setattr(app, "load_examples", lambda: [EXAMPLE])
    demo = app.build_ui(FakeBackend(), Settings(fonts_dir=str(empty_fonts_dir), log_dir=str(tmp_path / "logs")))
    (fn,) = [f for f in demo.fns.values() if f.api_name == "relabel"]
    mapped = fn.fn("zh", Conversations())
    assert list(mapped) == fn.outputs and len(fn.outputs) == len(RELABELLED) + 1 + len(COMPRESSION_PARTS)
    send = next(block for block in fn.outputs if getattr(block, "elem_id", None) == "send")
    assert mapped[send]["value"] == t("zh", "send")
    api_names = {f.api_name for f in demo.fns.values()}
    assert {"prepare", "ask", "stop_answer", "set_cache", "reload_model"} <= api_names


def test_the_page_streams_answers_without_touching_the_question_box(tmp_path, empty_fonts_dir):
    """Send puts the question into the chat in a quick step; the answering steps never write the box, each Send
    starts one (the browser drops none), and Gradio refuses no file type before the documents stage sees it."""
    from glyph_web.ui import app

    demo = app.build_ui(FakeBackend(), Settings(fonts_dir=str(empty_fonts_dir), log_dir=str(tmp_path / "logs")))
    by_id = {getattr(block, "elem_id", None): block for block in demo.blocks.values()}
    fns = list(demo.fns.values())
    answering = [f for f in fns if f.fn is not None and f.fn.__name__ == "ask"]
    assert len(answering) == 3  # after Send, after Enter, after Regenerate
    for f in answering:
        assert by_id["question"] not in f.outputs and f.trigger_mode == "multiple" and by_id["stop"] in f.outputs
    (submit, *_) = [f for f in fns if f.fn is not None and f.fn.__name__ == "submit"]
    assert by_id["question"] in submit.outputs and submit.queue is not False  # queued: it may say a warning
    assert by_id["doc-upload"].file_types is None and by_id["stop"].interactive is False
    assert {"regenerate", "edit", "doc-password", "page-range", "reread", "question-hint", "clear",
            "download"} <= set(by_id)
    assert by_id["doc-password"].type == "password" and by_id["question"].lines == 1
    clears = [f for f in fns if f.fn is not None and f.fn.__name__ == "clear_chat"]
    assert {target[1] for f in clears for target in f.targets} == {"click", "clear"}  # the chatbot's trash too


def test_a_file_refused_for_good_is_taken_off_the_upload_list(handlers, uploaded):
    notes = uploaded("notes.txt", b"The meeting moved to Thursday.\n" * 20)
    bad = uploaded("data.txt", bytes(range(256)) * 16)
    with pytest.warns(UserWarning):
        view = handlers.upload([notes, bad], "", 72, "br", Conversations(), "en")
    assert "data.txt" in view.stats and t("en", "page_file_removed", name="data.txt") in view.stats
    assert view.uploads == {"__type__": "update", "value": [str(Path(notes).resolve())]}
    locked = uploaded("vault.pdf", docgen.encrypt(docgen.pdf(["Secret"]), user_password="pw"))
    with pytest.warns(UserWarning):  # one the page can still open stays, for its password
        view = handlers.upload([locked], "", 72, "br", Conversations(), "en")
    assert view.uploads == SAME


def test_an_answer_left_by_a_page_that_went_away_ends_stopped_and_frees_the_gate(tmp_path, empty_fonts_dir):
    backend, handlers, convs, stream = _answering(tmp_path, empty_fonts_dir, "First?")
    stream.close()  # Gradio closes the generator of a page that is gone
    (turn,) = convs.current.turns
    assert turn.status == "stopped" and handlers.admission.running == 0
    assert handlers.sessions.answering("s1") is False  # the next question is answered
    backend.release.set()
    asked(handlers, convs, "Second?")
    assert convs.current.turns[-1].status == "done"
