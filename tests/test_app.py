"""The web app's layers without a browser: streaming into turns, conversations and their export, the document
library, the ASGI app's probes, logging, the default `serve` command, and the local backend over the tiny model.

Everything above the engine runs against FakeBackend (scripted events, a settable state, every request
recorded), so these tests need no model; only the last ones load the tiny random-weight checkpoint.
"""

from __future__ import annotations

import logging
import subprocess
import shutil
import sys
import threading
import time
from dataclasses import asdict

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from glyph_web.backends import GenerationSettings, LocalBackend, ModelState
from glyph_web.chat import Conversation, Library, PreparedDocument, RenderOptions, Turn, stream_turn
from glyph_web.contracts import StreamEvent, Usage
from glyph_web.errors import DocumentError, EngineError, GlyphError

from conftest import DEJAVU, MICROHEI, ROOT
from fakes import READY, FakeBackend, script

QUICK = GenerationSettings(max_new_tokens=32, temperature=0)
LETTER = ("Dear Ms Varga,\nthe lighthouse keeper logged 41 ships in March and 37 in April. "
          "The harbour will close for repairs on 3 May.\n") * 6


def ask(backend, prepared, conversation, question, stop=None) -> tuple[Turn, list[str]]:
    """Run stream_turn to the end: the turn and the status it had at each yield."""
    statuses = []
    turn = None
    for turn in stream_turn(backend, prepared, conversation, question, QUICK, stop or threading.Event()):
        statuses.append(turn.status)
    return turn, statuses


@pytest.fixture
def options(empty_fonts_dir) -> RenderOptions:
    # only the shipped fallbacks: results do not depend on whether Verdana was fetched into fonts/
    return RenderOptions(fonts_dir=str(empty_fonts_dir))


@pytest.fixture
def library() -> Library:
    return Library()


@pytest.fixture
def prepared(library, options) -> PreparedDocument:
    return library.prepare([], LETTER, options, FakeBackend().count_tokens)


# --- stream_turn ---------------------------------------------------------------------------------------------


def test_thinking_and_answer_stream_into_the_turn_and_done_finishes_it(prepared):
    backend = FakeBackend(script("It logged 41 ships in March.", thinking="The letter gives March first."))
    conversation = Conversation(doc_id=prepared.id)
    turn, statuses = ask(backend, prepared, conversation, "How many ships in March?")

    assert conversation.turns == [turn]
    assert turn.question == "How many ships in March?"
    assert turn.thinking == "The letter gives March first."
    assert turn.answer == "It logged 41 ships in March."
    assert turn.raw == "<think>The letter gives March first.</think><answer>It logged 41 ships in March.</answer>"
    assert turn.status == "done" and turn.error == ""
    assert isinstance(turn.usage, dict)
    assert turn.usage["completion_tokens"] == 9 and turn.usage["finish_reason"] == "stop"
    assert turn.usage == asdict(backend.events[-1].usage)
    # one yield before the model is asked, one per event
    assert statuses[0] == "waiting"
    assert set(statuses[1:-1]) == {"streaming"} and statuses[-1] == "done"
    assert len(statuses) == 1 + len(backend.events)


def test_the_first_turn_yielded_is_waiting_and_already_in_the_conversation(prepared):
    conversation = Conversation(doc_id=prepared.id)
    turns = stream_turn(FakeBackend(script("Yes.")), prepared, conversation, "Is it open?", QUICK,
                        threading.Event())
    first = next(turns)
    assert first.status == "waiting" and first.answer == "" and conversation.turns == [first]


def test_the_request_carries_the_pages_the_question_the_dpi_and_the_settings(prepared):
    backend = FakeBackend(script("On 3 May."))
    stop = threading.Event()
    list(stream_turn(backend, prepared, Conversation(doc_id=prepared.id), "When does it close?", QUICK, stop))

    [request] = backend.requests
    assert request.pages_key == prepared.key
    assert request.pages == prepared.pages.images
    assert request.question == "When does it close?"
    assert request.dpi == prepared.pages.config.dpi == 72
    assert request.history == ()
    assert backend.generation == [QUICK]


def test_history_holds_earlier_finished_turns_as_question_and_raw_but_not_errored_ones(prepared):
    conversation = Conversation(doc_id=prepared.id)
    first = FakeBackend(script("41.", thinking="March line."))
    ask(first, prepared, conversation, "Ships in March?")
    failing = FakeBackend(script("never"), raise_after=0)
    ask(failing, prepared, conversation, "Ships in April?")
    third = FakeBackend(script("37."))
    ask(third, prepared, conversation, "April, again?")

    expected = (("Ships in March?", "<think>March line.</think><answer>41.</answer>"),)
    assert failing.requests[0].history == expected
    assert third.requests[0].history == expected
    assert [t.status for t in conversation.turns] == ["done", "error", "done"]


def test_a_cancelled_answer_ends_stopped_with_what_was_said(prepared):
    backend = FakeBackend(script("The harbour closes on 3 May for repairs."))
    stop = threading.Event()
    conversation = Conversation(doc_id=prepared.id)
    turn = None
    for turn in stream_turn(backend, prepared, conversation, "When?", QUICK, stop):
        if turn.answer:  # the person presses Stop after the first words
            stop.set()

    assert turn.status == "stopped"
    assert turn.answer == "The "
    assert turn.usage["finish_reason"] == "cancelled"
    assert turn.raw == "The "
    # a stopped answer is still context for the next question
    assert conversation.history() == (("When?", "The "),)


def test_an_engine_error_mid_stream_ends_the_turn_in_error_and_keeps_the_partial_answer(prepared):
    error = EngineError("engine.unloaded")
    backend = FakeBackend(script("Forty one ships were logged."), raise_after=3, error=error)
    turn, statuses = ask(backend, prepared, Conversation(doc_id=prepared.id), "How many?")

    assert turn.status == "error"
    assert turn.error == "The model was unloaded (a reload or shutdown); ask again."
    # the turn keeps the message by its key: the page says it in its own language
    assert turn.error.render("zh") == error.render("zh") != str(error)
    assert turn.answer == "Forty one ships "
    assert turn.raw == "" and turn.usage is None
    assert statuses == ["waiting", "streaming", "streaming", "streaming", "error"]


def test_an_error_before_any_event_is_reported_in_the_turn(prepared):
    backend = FakeBackend(script("x"), raise_after=0, error=EngineError("engine.loading"))
    turn, statuses = ask(backend, prepared, Conversation(doc_id=prepared.id), "Hello?")
    assert (turn.status, turn.error, turn.answer) == ("error", "The model is still loading; try again in a moment.",
                                                      "")
    assert statuses == ["waiting", "error"]


class _Pages:
    """Just what stream_turn reads from RenderedPages (hypothesis runs many examples: no rendering)."""

    images: list = []

    class config:
        dpi = 72


_PREPARED_STUB = PreparedDocument(id="d0", doc=None, pages=_Pages(), key="stub")


@hypothesis_settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["thinking", "text"]), st.text(max_size=8)), max_size=12))
def test_any_mix_of_deltas_adds_up_to_thinking_and_answer(pieces):
    events = [StreamEvent(kind, text) for kind, text in pieces] + [StreamEvent("done", usage=Usage(), raw="r")]
    turn, _ = ask(FakeBackend(events), _PREPARED_STUB, Conversation(), "q")
    assert turn.thinking == "".join(text for kind, text in pieces if kind == "thinking")
    assert turn.answer == "".join(text for kind, text in pieces if kind == "text")
    assert turn.status == "done"


# --- Conversation: history and export ------------------------------------------------------------------------


def test_history_keeps_only_finished_turns_with_raw_text_oldest_first():
    conversation = Conversation(turns=[
        Turn("q1", answer="a1", raw="<answer>a1</answer>", status="done"),
        Turn("q2", answer="a2", raw="a2 (cut)", status="stopped"),
        Turn("q3", answer="half", status="error", error="boom"),
        Turn("q4", answer="", raw="", status="stopped"),  # stopped before a token: nothing to build on
        Turn("q5", answer="still", status="streaming"),
    ])
    assert conversation.history() == (("q1", "<answer>a1</answer>"), ("q2", "a2 (cut)"))


def test_markdown_export_holds_questions_answers_thinking_stops_errors_and_the_summary(prepared):
    conversation = Conversation(doc_id=prepared.id, turns=[
        Turn("How many ships in March?", answer="41.", thinking="The first line says 41.\n", raw="x",
             status="done"),
        Turn("And in April?", answer="37", raw="37", status="stopped"),
        Turn("When does it close?", answer="", status="error", error="The model is not available: no GPU."),
    ])
    md = conversation.to_markdown(prepared, model="zai-org/Glyph")
    s = prepared.summary()
    lines = md.splitlines()

    assert lines[0] == "# Glyph conversation: pasted text"
    assert lines[2].startswith(f"{s['pages']} pages, {s['characters']:,} characters, {s['visual_tokens']:,} "
                               f"visual tokens, model zai-org/Glyph, exported ")
    assert s["characters"] == len(LETTER)
    for heading in ("## Question 1", "## Question 2", "## Question 3"):
        assert heading in lines
    assert "How many ships in March?" in lines and "41." in lines and "37" in lines
    thinking = md.index("<details><summary>Thinking</summary>")
    assert md.index("The first line says 41.") > thinking and md.index("</details>") > thinking
    assert md.count("<details>") == 1  # only the turn that thought
    assert md.count("*(stopped before the end)*") == 1
    assert md.index("*(stopped before the end)*") > md.index("## Question 2")
    assert "*Error: The model is not available: no GPU.*" in lines
    assert "(no answer)" in lines  # the errored turn said nothing
    assert md.index("## Question 1") < md.index("## Question 2") < md.index("## Question 3")


def test_markdown_export_without_a_document():
    md = Conversation(turns=[Turn("Hi?", answer="Hello.", raw="Hello.", status="done")]).to_markdown(None)
    assert md.splitlines()[0] == "# Glyph conversation: no document"
    assert "visual tokens" not in md and "<details>" not in md and "stopped" not in md
    assert "Hello." in md.splitlines()


# --- Conversations: one per document, a session's queue ---------------------------------------------------


def test_a_sessions_conversations_come_back_with_their_document_within_a_bound():
    from glyph_web.chat.conversation import Conversations

    convs = Conversations(max_kept=2)
    first, restored = convs.show("key-a", "d1", "a.txt")
    assert (first.key, first.doc_id, first.name, restored) == ("key-a", "d1", "a.txt", False)
    convs.add("About a?").status = "done"
    assert convs.show("key-a", "d2")[0] is first and first.doc_id == "d2"  # the same document read again
    convs.show("key-b", "d3")
    assert list(convs.kept) == ["key-a"]
    back, restored = convs.show("key-a", "d4")
    assert back is first and restored and [t.question for t in back.turns] == ["About a?"]
    assert list(convs.kept) == []  # key-b had no turns: nothing to keep
    for key in ("key-c", "key-d", "key-e"):  # past the bound the least recently shown goes
        convs.add(f"About {convs.current.key}?").status = "done"
        convs.show(key, "dx")
    assert list(convs.kept) == ["key-c", "key-d"] and convs.current.key == "key-e"
    convs.add("Still being answered?")  # a conversation with a question waiting is never dropped
    convs.show("key-f", "dx")
    convs.add("And this one?").status = "done"
    convs.show("key-g", "dx")
    assert list(convs.kept) == ["key-e", "key-f"]  # key-e stays though older: key-c, key-d went
    convs.set_aside()
    assert convs.current.doc_id is None and list(convs.kept) == ["key-e", "key-f"]


def test_queued_turns_are_answered_in_the_order_they_were_asked_over_all_conversations(prepared):
    from glyph_web.chat.conversation import Conversations, fill_turn

    convs = Conversations()
    convs.show("a", prepared.id)
    one = convs.add("One?")
    convs.show("b", prepared.id)
    two = convs.add("Two?")
    convs.show("a", prepared.id)
    three = convs.add("Three?")
    order = []
    while (found := convs.next_queued()) is not None:
        conv, turn = found
        turn.status = "waiting"
        order.append(turn.question)
        backend = FakeBackend(script(f"Answer to {turn.question}"))
        list(fill_turn(backend, prepared, conv, turn, QUICK, threading.Event()))
        assert turn.status == "done"
    assert order == ["One?", "Two?", "Three?"]
    # each question's context is the finished turns before it in its own conversation
    assert convs.current.history(before=three) == (("One?", "Answer to One?"),)
    assert convs.current.history(before=one) == () and two.answer == "Answer to Two?"
    convs.requeue(one)  # asked again: after everything asked so far, its answer gone
    assert (one.status, one.answer, one.raw, one.usage) == ("queued", "", "", None) and one.seq > three.seq


# --- Library: documents in, pages out -----------------------------------------------------------------------


def test_pasted_text_becomes_a_prepared_document_with_its_summary(library, options):
    text = "The harbour closes on 3 May.\n" * 40
    prepared = library.prepare([], text, options, lambda t: len(t.split()))
    s = prepared.summary()

    assert s["name"] == "pasted text"
    assert s["characters"] == len(text)
    assert s["pages"] == len(prepared.pages.images) >= 1
    assert s["visual_tokens"] == sum(prepared.pages.visual_tokens) > 0
    assert s["text_tokens"] == len(text.split())
    assert s["compression"] == round(len(text.split()) / s["visual_tokens"], 2)
    assert s["dpi"] == 72
    assert prepared.doc.sha256 in prepared.key


def test_without_a_tokenizer_there_is_no_compression(library, options):
    prepared = library.prepare([], "Short text.", options)
    assert prepared.text_tokens is None and prepared.compression is None
    assert prepared.summary()["compression"] is None


def test_uploads_and_pasted_text_make_one_document_headed_by_file_names(library, options, tmp_path):
    (tmp_path / "a.txt").write_text("Alpha: the keeper logged 41 ships.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Beta\nThe harbour closes in May.\n", encoding="utf-8")
    prepared = library.prepare([tmp_path / "a.txt", str(tmp_path / "b.md")], "Gamma, pasted.", options)

    text = prepared.doc.text
    assert prepared.doc.name == "3 documents"
    headers = ["===== a.txt =====", "===== b.md =====", "===== pasted text ====="]
    assert [text.index(h) for h in headers] == sorted(text.index(h) for h in headers)
    assert text.startswith("===== a.txt =====\nAlpha: the keeper logged 41 ships.")
    assert "===== b.md =====\n# Beta\nThe harbour closes in May." in text
    assert text.endswith("===== pasted text =====\nGamma, pasted.")
    assert prepared.summary()["pages"] >= 1


def test_blank_pasted_text_alone_is_not_a_document(library, options):
    for text in (None, "", "   \n\t"):
        with pytest.raises(GlyphError, match="Add a document first"):
            library.prepare([], text, options)
    assert library.page_cache.misses == 0  # refused before any rendering


def test_a_binary_upload_is_refused_naming_the_file(library, options, tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    with pytest.raises(DocumentError, match="report.txt"):
        library.prepare([path], "and some pasted text", options)


def test_the_same_document_renders_once_and_another_dpi_renders_again(library, options):
    first = library.prepare([], LETTER, options)
    second = library.prepare([], LETTER, options)
    assert (library.page_cache.hits, library.page_cache.misses) == (1, 1)
    assert second.pages is first.pages and second.key == first.key
    assert second.id != first.id

    sharper = library.prepare([], LETTER, RenderOptions(dpi=96, fonts_dir=options.fonts_dir))
    assert (library.page_cache.hits, library.page_cache.misses) == (1, 2)
    assert sharper.key != first.key and sharper.summary()["dpi"] == 96
    assert sharper.visual_tokens > first.visual_tokens  # more pixels, more visual tokens


def test_a_stream_that_ends_without_done_is_an_error_not_a_stuck_turn(prepared):
    backend = FakeBackend([StreamEvent("text", "half an ans")])
    turn, _ = ask(backend, prepared, Conversation(doc_id=prepared.id), "q")
    assert turn.status == "error" and turn.error == "The answer ended unexpectedly."
    assert turn.answer == "half an ans"


def test_the_font_in_use_is_part_of_the_keys(library, empty_fonts_dir, tmp_path):
    fallback_only = RenderOptions(fonts_dir=str(empty_fonts_dir))
    first = library.prepare([], LETTER, fallback_only)
    # the training font appears (fetched while the app runs): new pages, and a KV cache key of their own
    with_training = tmp_path / "fonts-with-verdana"
    shutil.copytree(empty_fonts_dir, with_training)
    shutil.copy(DEJAVU, with_training / "Verdana.ttf")  # any real font file stands in for the fetched one
    second = library.prepare([], LETTER, RenderOptions(fonts_dir=str(with_training)))
    assert first.pages.font.path.name == "DejaVuSans.ttf" and second.pages.font.path.name == "Verdana.ttf"
    assert first.key != second.key
    assert library.page_cache.misses == 2


def test_library_finds_documents_by_id_and_forgets_the_oldest(options):
    library = Library(max_documents=1)
    old = library.prepare([], "The first document.", options)
    assert library.get(old.id) is old
    new = library.prepare([], "The second document.", options)
    assert library.get(new.id) is new
    assert library.get(old.id) is None
    assert library.get(None) is None and library.get("d999") is None


def test_render_options_from_dejavu_configs_render_without_the_training_font(library, tmp_path):
    # a folder with DejaVu as the only Latin font: pages are set in it, and the result says so
    fonts = tmp_path / "only-dejavu"
    fonts.mkdir()
    (fonts / DEJAVU.name).write_bytes(DEJAVU.read_bytes())
    (fonts / MICROHEI.name).write_bytes(MICROHEI.read_bytes())
    prepared = library.prepare([], LETTER, RenderOptions(fonts_dir=str(fonts)))
    assert prepared.pages.font.path.name == "DejaVuSans.ttf"
    assert any("DejaVuSans.ttf" in w for w in prepared.summary()["warnings"])


# --- the ASGI app: probes and the page ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One app over a FakeBackend for the module (building the Gradio page takes seconds)."""
    from fastapi.testclient import TestClient

    from glyph_web.server import create_app
    from glyph_web.settings import Settings

    backend = FakeBackend()
    app, returned = create_app(Settings(log_dir=str(tmp_path_factory.mktemp("logs"))), backend=backend,
                               start=False)
    assert returned is backend
    with TestClient(app) as client:
        yield client, backend


def test_healthz_answers_whatever_the_model_does(served):
    client, backend = served
    for state in (READY, ModelState(status="failed", detail="no GPU"), ModelState(status="loading")):
        backend.model_state = state
        response = client.get("/healthz")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_is_503_with_the_reason_while_the_model_failed(served):
    client, backend = served
    backend.model_state = ModelState(status="failed", model="zai-org/Glyph", detail=(
        "Not enough GPU memory to load zai-org/Glyph: try 4-bit loading (--load-in-4bit)."))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failed" and body["model"] == "zai-org/Glyph"
    assert body["detail"] == "Not enough GPU memory to load zai-org/Glyph: try 4-bit loading (--load-in-4bit)."


def test_readyz_is_503_while_the_model_loads(served):
    client, backend = served
    backend.model_state = ModelState(status="loading", model="zai-org/Glyph", detail="loading the weights",
                                     progress=0.3)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "loading" and response.json()["detail"] == "loading the weights"


def test_readyz_is_200_with_model_device_and_precision_once_ready(served):
    client, backend = served
    backend.model_state = READY
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "model": "fake/glyph", "device": "CPU", "precision": "fp32",
                               "detail": ""}


def test_the_page_is_served_at_the_root(served):
    client, _backend = served
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower() and "Glyph document Q&amp;A" in response.text
    config = client.get("/config")
    assert config.status_code == 200
    ids = {c.get("props", {}).get("elem_id") for c in config.json()["components"]}
    assert {"doc-upload", "doc-text", "pages", "chat", "question", "send", "stop"} <= ids


def test_create_app_starts_the_backend_only_when_asked(tmp_path):
    from glyph_web.server import create_app
    from glyph_web.settings import Settings

    quiet, started = FakeBackend(), FakeBackend()
    create_app(Settings(log_dir=str(tmp_path)), backend=quiet, start=False)
    create_app(Settings(log_dir=str(tmp_path)), backend=started)
    assert (quiet.starts, started.starts) == (0, 1)


# --- logging ------------------------------------------------------------------------------------------------


@pytest.fixture
def restore_logging():
    """setup_logging replaces the root handlers (pytest's among them): put everything back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "uvicorn.access")}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in noisy.items():
        logging.getLogger(name).setLevel(old)


def test_setup_logging_writes_info_records_of_the_app_to_its_file(tmp_path, restore_logging):
    from glyph_web.server import LOG_FILE, setup_logging

    path = setup_logging(tmp_path / "logs")
    assert path == tmp_path / "logs" / LOG_FILE
    logging.getLogger("glyph_web.chat").info("prepared %d pages", 3)
    logging.getLogger("glyph_web.chat").debug("below the level: not written")
    for handler in logging.getLogger().handlers:
        handler.flush()

    text = path.read_text(encoding="utf-8")
    assert "INFO glyph_web.chat: prepared 3 pages" in text
    assert "below the level" not in text


# --- the command line: serve is the default -------------------------------------------------------------------


def test_module_help_lists_serve_as_the_default_command():
    proc = subprocess.run([sys.executable, "-m", "glyph_web", "--help"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0
    assert "serve" in proc.stdout and "run the web app (the default command)" in proc.stdout


def test_a_bad_serve_flag_is_one_line_on_stderr_and_exit_2(capsys):
    from glyph_web.cli import main

    try:
        code = main(["--port", "abc"])  # no command: serve
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith("\n")
    assert "serve: error:" in err and "--port" in err and "'abc'" in err and "Traceback" not in err


# --- the local backend over the tiny model ---------------------------------------------------------------------


def wait_ready(backend, timeout_s: float = 60) -> ModelState:
    deadline = time.monotonic() + timeout_s
    while backend.state().status in ("not_loaded", "loading") and time.monotonic() < deadline:
        time.sleep(0.05)
    return backend.state()


@pytest.fixture(scope="module")
def local(tiny_dir):
    pytest.importorskip("torch")
    from glyph_web.engine.manager import ModelManager

    backend = LocalBackend(ModelManager(str(tiny_dir)))
    assert backend.state().status == "not_loaded" and backend.count_tokens("two words") is None
    backend.start()
    # start() returns at once: loading the weights takes far longer than getting back here
    assert backend.state().status in ("not_loaded", "loading")
    return backend


def test_local_backend_loads_in_the_background_and_becomes_ready(local):
    state = wait_ready(local)
    assert state.status == "ready", state.detail
    assert (state.device, state.precision, state.noise) == ("CPU", "fp32", True)
    assert local.name == "local"
    assert local.count_tokens("The harbour closes in May.") > 0


def test_local_backend_switches_the_prefix_cache_off_and_on(local, library, options):
    assert wait_ready(local).ready
    runtime = local.manager.runtime
    prepared = library.prepare([], LETTER, options)
    turn, _ = ask(local, prepared, Conversation(doc_id=prepared.id), "How many ships?")
    assert turn.status in ("done", "stopped"), turn.error
    assert runtime.cache.enabled and runtime.cache.nbytes > 0  # the answer left its KV cache behind

    local.set_cache_enabled(False)
    assert runtime.cache.enabled is False and runtime.cache.nbytes == 0
    assert local.manager.cache_enabled is False

    local.set_cache_enabled(True)
    assert runtime.cache.enabled is True and local.manager.cache_enabled is True


def test_switching_the_cache_off_while_the_model_loads_is_kept(tiny_dir):
    from glyph_web.engine.manager import ModelManager

    backend = LocalBackend(ModelManager(str(tiny_dir)))
    backend.start()
    deadline = time.monotonic() + 30
    while (backend.state().progress or 0) < 0.1 and time.monotonic() < deadline:
        time.sleep(0.001)  # until the load has begun (it reads its options at the start)
    assert backend.state().status == "loading"
    backend.set_cache_enabled(False)  # the checkbox, unticked while the status line still says "loading"
    assert wait_ready(backend).status == "ready"
    assert backend.manager.runtime.cache.enabled is False


# --- answer evidence --------------------------------------------------------------------------------------------


def test_the_evidence_of_an_answer_is_the_page_it_stands_on_highlighted(library, options):
    from glyph_web.ui.handlers import _evidence

    filler = "\n".join(f"Entry {n}: the tide table for berth {n} was checked and signed." for n in range(700))
    text = filler + "\nThe relief pilot Marta Okonkwo boarded the Aurora at 04:40 in fog.\n" + filler.replace(
        "Entry", "Record")
    prepared = library.prepare([], text, options)
    found = prepared.evidence('The log says "The relief pilot Marta Okonkwo boarded the Aurora" early.')
    assert len(found) == 1
    (evidence,) = found
    page_texts = prepared.pages.page_texts
    assert "Marta Okonkwo" in page_texts[evidence.page - 1] and evidence.page > 1
    assert "Marta Okonkwo" in evidence.passage and evidence.boxes
    turn = Turn(question="Who boarded?", answer='"The relief pilot Marta Okonkwo boarded the Aurora"', status="done")
    update = _evidence(prepared, turn, "en")
    assert update["visible"] is True and len(update["value"]) == 1
    image, caption = update["value"][0]
    assert caption.startswith(f"page {evidence.page}: “")
    before, after = prepared.pages.images[evidence.page - 1], image
    x0, y0, x1, y1 = evidence.boxes[0]
    assert before.getpixel((x0 + 1, y0 + 1)) != after.getpixel((x0 + 1, y0 + 1))  # highlighted inside
    assert before.getpixel((2, 2)) == after.getpixel((2, 2))  # untouched outside
    # a passage that occurs twice (in both halves), or words that are not in the document, highlight nothing
    assert prepared.evidence('It says "the tide table for berth 5 was checked and signed".') == []
    assert prepared.evidence("The harbour was closed by the coastguard.") == []
    nothing = Turn(question="q", answer="nothing of the kind", status="done")
    assert _evidence(prepared, nothing, "zh")["visible"] is False


# --- the page says errors and notices in its language ------------------------------------------------------------


def test_the_page_says_the_model_state_and_the_errors_in_its_language(prepared):
    import re

    from glyph_web.errors import Message
    from glyph_web.ui.handlers import _messages, _status_text
    from glyph_web.ui.text import t

    cjk = re.compile("[\u4e00-\u9fff]")
    reason = Message("engine.load_failed_oom", model="zai-org/Glyph")
    backend = FakeBackend(state=ModelState(status="failed", model="zai-org/Glyph", detail=reason))
    english, chinese = _status_text(backend, "en"), _status_text(backend, "zh")
    assert str(reason) in english and reason.render("zh") in chinese and str(reason) not in chinese
    backend.model_state = ModelState(status="loading", model="zai-org/Glyph", detail=Message("engine.step_weights"),
                                     progress=0.3)
    assert "loading the weights 30%" in _status_text(backend, "en")
    assert "正在加载权重" in _status_text(backend, "zh")
    backend.model_state = ModelState(status="failed", model="m", detail="a reason written as plain text")
    assert "a reason written as plain text" in _status_text(backend, "zh")  # a plain string stays as it is

    conversation = Conversation(doc_id=prepared.id)
    ask(FakeBackend(script("x"), raise_after=0, error=EngineError("engine.loading")), prepared, conversation, "Hi?")
    ask(FakeBackend([StreamEvent("text", "half")]), prepared, conversation, "And?")
    english, chinese = _messages(conversation, "en"), _messages(conversation, "zh")
    assert english[1]["content"].endswith("The model is still loading; try again in a moment.")
    assert english[3]["content"].endswith("The answer ended unexpectedly.")
    for said in (chinese[1]["content"], chinese[3]["content"]):
        assert cjk.search(said) and "The " not in said
    markdown = conversation.to_markdown(prepared, words=lambda key, **values: t("zh", key, **values), lang="zh")
    assert EngineError("engine.loading").render("zh") in markdown and "still loading" not in markdown


# --- exact-identifier assist ------------------------------------------------------------------------------------


def test_identifiers_the_question_is_about_reach_the_model_as_text(library, options):
    text = ("Fleet register.\nThe pilot boat Gull, serial SN-4F7K-9Q2X-118Z, is kept at berth 4.\n"
            "The tug Heron, serial TG-88QX-2041-LM, is kept at berth 9.\n" + "Routine entries follow.\n" * 300)
    prepared = library.prepare([], text, options)
    backend = FakeBackend(script("SN-4F7K-9Q2X-118Z"))
    conversation = Conversation(doc_id=prepared.id)
    list(stream_turn(backend, prepared, conversation, "What is the serial number of the Gull?", QUICK,
                     threading.Event()))
    asked = backend.requests[-1].question
    assert asked.startswith("What is the serial number of the Gull?\n\n")
    assert "SN-4F7K-9Q2X-118Z" in asked and "copy them character for character" in asked
    # the conversation keeps what the model got, so that the next prompt repeats the same bytes
    assert conversation.history()[0][0] == asked and conversation.turns[0].question.endswith("Gull?")
    # a question about nothing of the kind carries no hint; switched off, none either
    list(stream_turn(backend, prepared, conversation, "Is it a nice day?", QUICK, threading.Event()))
    assert backend.requests[-1].question == "Is it a nice day?"
    list(stream_turn(backend, prepared, conversation, "What is the serial number of the Gull?", QUICK,
                     threading.Event(), identifiers=False))
    assert backend.requests[-1].question == "What is the serial number of the Gull?"
    # asked in Chinese, the hint is in Chinese
    list(stream_turn(backend, prepared, conversation, "Gull 的序列号是多少？", QUICK, threading.Event()))
    assert "文档中的精确编号" in backend.requests[-1].question
