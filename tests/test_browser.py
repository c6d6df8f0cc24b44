"""End to end in a real browser: Debian's Chromium driven by Playwright against the app on loopback.

The app runs as `python -m glyph_web serve` with the tiny model (greedy). The tests use the page as a person
demoing it would, on a laptop (1280x800), a phone (390x844) and a wide screen: upload, see the pages, ask with
Enter, keep typing while an answer streams, send the next question during an answer (it waits its turn), stop,
regenerate, edit, ask twelve follow-ups with a second tab open, have a bad upload refused in our words with the
old pages cleared, open a protected PDF with its password. They assert what a person sees (visible, in the
viewport, not wiped) and save screenshots under build/screenshots/. They skip, saying why, only where Chromium
or Playwright is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT
from fakes import free_port

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "build" / "screenshots"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 960}
DOC = "The harbour master, Ines Varga, logged 41 ships in March.\n" * 200

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")]


def _wait_ready(url: str, proc: subprocess.Popen, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError("the app did not become ready")


@pytest.fixture(scope="module")
def app_url(tiny_dir, tmp_path_factory):
    port = free_port()
    logs = tmp_path_factory.mktemp("logs")
    env = {**os.environ, "GLYPH_MODEL": str(tiny_dir), "GLYPH_LOG_DIR": str(logs), "GLYPH_TEMPERATURE": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "glyph_web", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert (logs / "glyph_web.log").is_file()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        yield browser
        browser.close()


# --- what a person does and sees ------------------------------------------------------------------------------


def _open(browser, url: str, viewport: dict, locale: str = "en-US"):
    """A fresh browser context (a new session) on the page, once the model is ready."""
    context = browser.new_context(locale=locale, viewport=viewport)
    page = context.new_page()
    page.goto(url)
    _wait_text(page, "#status", "就绪" if locale.startswith("zh") else "ready")
    return page


def _wait_text(page, selector: str, text: str, count: int = 1, timeout: int = 60_000) -> None:
    """Wait until the element's text holds `text` at least `count` times."""
    page.wait_for_function(
        "([sel, text, count]) => { const el = document.querySelector(sel);"
        " return !!el && el.innerText.split(text).length > count; }", arg=[selector, text, count], timeout=timeout)


def _upload(page, path: Path) -> None:
    page.set_input_files("#doc-upload input[type=file]", str(path))


def _pages_shown(page, timeout: int = 60_000) -> None:
    page.wait_for_selector("#pages img", timeout=timeout)


QUESTION = "#question textarea"


def _type_question(page, text: str) -> None:
    page.fill(QUESTION, text)


def _bot_texts(page) -> list[str]:
    return page.locator("#chat .bot-row").all_inner_texts()


def _user_texts(page) -> list[str]:
    return page.locator("#chat .user-row").all_inner_texts()


def _answer_length(page) -> int:
    texts = _bot_texts(page)
    return len(texts[-1]) if texts else 0


def _answering(page) -> bool:
    return page.evaluate("() => !document.querySelector('#stop').disabled")


def _wait_answered(page, timeout: int = 120_000) -> None:
    """Until no answer runs: Stop is enabled only while one does."""
    page.wait_for_function("() => document.querySelector('#stop').disabled", timeout=timeout)


def _wait_streaming(page, grown_by: int = 1, timeout: int = 60_000) -> int:
    """Until the last answer holds tokens (the tiny model's read ' ~123') and has grown by `grown_by`."""
    start = _answer_length(page)
    page.wait_for_function(
        "([start, grown]) => { const rows = document.querySelectorAll('#chat .bot-row');"
        " const last = rows.length ? rows[rows.length - 1].innerText : '';"
        " return last.includes('~') && last.length >= start + grown; }", arg=[start, grown_by], timeout=timeout)
    return _answer_length(page)


def _in_viewport(page, selector: str) -> bool:
    """The element is wholly inside the window as it is (no scrolling)."""
    return page.evaluate(
        "(sel) => { const el = document.querySelector(sel); if (!el) return false;"
        " const r = el.getBoundingClientRect();"
        " return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight"
        " && r.right <= window.innerWidth; }", selector)


def _box(page, selector: str) -> dict:
    return page.evaluate("(sel) => { const r = document.querySelector(sel).getBoundingClientRect();"
                         " return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY,"
                         " left: r.left, right: r.right, width: r.width, height: r.height}; }", selector)


def _screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > 20_000, name
    return path


# --- the tests ---------------------------------------------------------------------------------------------------


def test_on_a_laptop_typing_is_kept_while_an_answer_streams_and_the_next_question_waits(app_url, browser, tmp_path):
    doc = tmp_path / "harbour.txt"
    doc.write_text(DOC, encoding="utf-8")
    page = _open(browser, app_url, LAPTOP)
    page.wait_for_selector("#noise-banner", state="visible")  # the tiny model says that its answers are noise
    # the examples' label reads on one line, not a syllable per line in a squeezed column
    label = _box(page, "#examples-label")
    assert label["width"] > 200 and label["height"] < 60, label
    assert _in_viewport(page, "#send") and _in_viewport(page, QUESTION), "Send and the question box in view"
    assert not _answering(page), "Stop is off while nothing runs"

    _upload(page, doc)
    _pages_shown(page)
    stats = page.inner_text("#doc-stats")
    assert "harbour.txt" in stats and "visual tokens" in stats and "compression" in stats

    # Enter sends; the box empties at once and belongs to the user from then on
    _type_question(page, "Who logged the ships?")
    page.press(QUESTION, "Enter")
    _wait_text(page, "#chat", "Who logged the ships?")
    assert page.input_value(QUESTION) == ""
    first = _wait_streaming(page)
    assert _answering(page), "Stop is on while an answer runs"
    draft = "And how many ships came in April"
    page.type(QUESTION, draft)
    _wait_streaming(page, grown_by=12)  # several streamed updates later, the draft is untouched
    assert page.input_value(QUESTION) == draft
    assert _answer_length(page) > first, "the answer arrives token by token"

    # Send during the answer: the question is queued in the conversation, not dropped
    page.click("#send")
    page.wait_for_function(  # in the conversation as the last question, marked queued
        "(q) => { const users = document.querySelectorAll('#chat .user-row');"
        " return users.length === 2 && users[1].innerText.includes(q); }", arg=draft, timeout=30_000)
    page.wait_for_function("() => document.querySelector('#question textarea').value === ''", timeout=30_000)
    _wait_text(page, "#chat", "queued")
    page.click("#stop")
    _wait_text(page, "#chat", "(stopped)")
    # the queued question is answered next
    page.wait_for_function(
        "(q) => { const rows = document.querySelectorAll('#chat .bot-row');"
        " const users = document.querySelectorAll('#chat .user-row');"
        " return users.length === 2 && rows.length === 2 && rows[1].innerText.includes('~'); }", arg=draft,
        timeout=60_000)
    assert _in_viewport(page, "#send"), "Send stays in view while answering"
    last = page.locator("#chat .bot-row").last.bounding_box()
    assert last is not None and last["y"] < LAPTOP["height"], "the last answer is on screen"
    _screenshot(page, "laptop-1280x800.png")
    page.click("#stop")
    _wait_answered(page)
    # per-answer figures under a finished answer, and the conversation can be downloaded
    assert "prompt tokens" in page.inner_text("#chat")
    page.wait_for_selector("#download", state="visible", timeout=30_000)
    page.context.close()


def test_twelve_follow_ups_in_one_session_with_a_second_tab_open_are_all_answered(app_url, browser, tmp_path):
    doc = tmp_path / "harbour.txt"
    doc.write_text(DOC, encoding="utf-8")
    page = _open(browser, app_url, WIDE)
    other = page.context.new_page()  # the same page in a second tab: a session of its own
    other.goto(app_url)
    _wait_text(other, "#status", "ready")
    _upload(page, doc)
    _upload(other, doc)
    _pages_shown(page)
    _pages_shown(other)
    # the other tab asks first (a long answer at the default length): both sessions share the one model slot
    _type_question(other, "What is this?")
    other.press(QUESTION, "Enter")
    _wait_text(other, "#chat", "What is this?")
    page.bring_to_front()
    for n in range(1, 13):
        _type_question(page, f"Follow-up number {n}?")
        page.press(QUESTION, "Enter")
        page.wait_for_function(
            "(n) => { const rows = document.querySelectorAll('#chat .bot-row');"
            " return rows.length === n && rows[n - 1].innerText.includes('~')"
            " && document.querySelector('#stop').disabled; }", arg=n, timeout=120_000)
    answers = _bot_texts(page)
    assert len(answers) == 12 and len(_user_texts(page)) == 12
    assert all("~" in a and "(stopped)" not in a and "went wrong" not in a for a in answers), answers
    _wait_answered(other)
    assert len(_bot_texts(other)) == 1 and "~" in _bot_texts(other)[0], "the other tab got its answer too"
    page.context.close()


def test_regenerate_and_edit_the_last_question(app_url, browser, tmp_path):
    doc = tmp_path / "harbour.txt"
    doc.write_text(DOC, encoding="utf-8")
    page = _open(browser, app_url, LAPTOP)
    _upload(page, doc)
    _pages_shown(page)
    for question in ("Who logged the ships?", "In which month?"):
        _type_question(page, question)
        page.press(QUESTION, "Enter")
        _wait_text(page, "#chat", question)
        _wait_answered(page)
    before = _bot_texts(page)
    assert len(before) == 2

    page.click("#regenerate")  # the last answer again, for the same question
    page.wait_for_function("() => !document.querySelector('#stop').disabled", timeout=30_000)
    _wait_answered(page)
    assert len(_bot_texts(page)) == 2 and _user_texts(page)[-1].strip().startswith("In which month?")
    assert "~" in _bot_texts(page)[-1]

    page.click("#edit")  # the last question back in the box, to change and ask again
    page.wait_for_function("(q) => document.querySelector('#question textarea').value === q",
                           arg="In which month?", timeout=30_000)
    _type_question(page, "In which year?")
    page.press(QUESTION, "Enter")
    _wait_text(page, "#chat", "In which year?")
    _wait_answered(page)
    users = [u.strip() for u in _user_texts(page)]
    assert len(users) == 2 and users[-1].startswith("In which year?") and users[0].startswith("Who logged")
    assert "In which month?" not in page.inner_text("#chat")
    page.context.close()


def test_a_refused_upload_says_why_in_our_words_and_clears_the_old_pages(app_url, browser, tmp_path):
    good = tmp_path / "notes.txt"
    good.write_text("Pasted notes: the meeting moved to Thursday.\n" * 40, encoding="utf-8")
    bad = tmp_path / "data.txt"
    bad.write_bytes(bytes(range(256)) * 16)
    sheet = tmp_path / "budget.xlsx"
    sheet.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    page = _open(browser, app_url, LAPTOP)
    _upload(page, good)
    _pages_shown(page)
    _upload(page, bad)
    _wait_text(page, "#doc-stats", "could not be used")
    assert "looks like binary data" in page.inner_text("#doc-stats")
    page.wait_for_function("() => document.querySelectorAll('#pages img').length === 0", timeout=30_000)
    assert "notes.txt" not in page.inner_text("#doc-stats")  # the old document's stats are gone too
    _upload(page, sheet)  # a type Gradio would call "Invalid file type": our own sentence instead
    _wait_text(page, "#doc-stats", "budget.xlsx")
    assert "Invalid file type" not in page.inner_text("body")
    # the page stays usable: paste text instead
    page.fill("#doc-text textarea", "Pasted notes: the meeting moved to Thursday.")
    page.click("#doc-upload button[aria-label='Clear']")
    page.click("#render")
    _pages_shown(page)
    assert "pasted text" in page.inner_text("#doc-stats")
    page.context.close()


def test_a_protected_pdf_asks_for_its_password_on_the_page(app_url, browser, tmp_path):
    import io

    from pypdf import PdfWriter

    import docgen

    writer = PdfWriter(clone_from=io.BytesIO(docgen.pdf(["The vault code is 4711."])))
    writer.encrypt("open-sesame")
    locked = tmp_path / "vault.pdf"
    with locked.open("wb") as out:
        writer.write(out)
    page = _open(browser, app_url, LAPTOP)
    _upload(page, locked)
    page.wait_for_selector("#doc-password", state="visible", timeout=60_000)
    assert "--password" not in page.inner_text("#doc-stats")  # no command-line flag told to a page user
    page.fill("#doc-password input", "open-sesame")
    page.press("#doc-password input", "Enter")
    _pages_shown(page)
    assert "vault.pdf" in page.inner_text("#doc-stats")
    page.context.close()


def test_on_a_phone_the_conversation_comes_before_the_pages(app_url, browser):
    page = _open(browser, app_url, PHONE)
    page.click("#example-ship-log")
    _pages_shown(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"] + 1, "no sideways scroll"
    chat, gallery = _box(page, "#chat"), _box(page, "#pages")
    assert chat["top"] < gallery["top"], "the conversation is reached before the gallery"
    assert chat["width"] > 300 and _box(page, "#send")["width"] > 100
    page.press(QUESTION, "Enter")  # the example's question
    _wait_streaming(page)
    page.click("#stop")
    _wait_answered(page)
    page.locator("#chat").scroll_into_view_if_needed()
    _screenshot(page, "phone-390x844.png")
    page.context.close()


def test_a_chinese_browser_gets_the_chinese_page_and_can_switch(app_url, browser, tmp_path):
    doc = tmp_path / "合同.txt"
    doc.write_text("第一条 本合同由甲乙双方签订。乙方应在三十日内支付货款。\n" * 120, encoding="utf-8")
    page = _open(browser, app_url, WIDE, locale="zh-CN")
    assert "Glyph 文档问答" in page.inner_text("#app-header")
    assert page.locator("#send").inner_text().strip() == "发送"
    _upload(page, doc)
    _pages_shown(page)
    assert "视觉 token" in page.inner_text("#doc-stats")
    _type_question(page, "乙方应在多少天内付款？")
    page.press(QUESTION, "Enter")
    _wait_streaming(page)
    page.click("#stop")
    _wait_text(page, "#chat", "（已停止）")
    _screenshot(page, "app-zh.png")

    # the picker switches every label, the stats and the conversation's notes to English, and back
    page.locator("#lang label", has_text="English").click()
    _wait_text(page, "#status", "ready")
    assert page.locator("#send").inner_text().strip() == "Send"
    _wait_text(page, "#doc-stats", "visual tokens")
    _wait_text(page, "#chat", "(stopped)")
    _screenshot(page, "app.png")
    page.locator("#lang label", has_text="中文").click()
    _wait_text(page, "#status", "就绪")
    assert page.locator("#send").inner_text().strip() == "发送"
    page.context.close()


def test_an_example_loads_its_document_and_question_in_one_click(app_url, browser):
    import json

    examples = json.loads((ROOT / "assets" / "examples" / "examples.json").read_text(encoding="utf-8"))
    log = next(e for e in examples if e["id"] == "ship-log")
    page = _open(browser, app_url, WIDE)
    page.click("#example-ship-log")
    _pages_shown(page)
    page.wait_for_function("(q) => document.querySelector('#question textarea').value === q",
                           arg=log["question"]["en"], timeout=30_000)
    assert log["files"][0] in page.inner_text("#doc-stats")
    # in Chinese the buttons and the question come in Chinese
    page.locator("#lang label", has_text="中文").click()
    _wait_text(page, "#example-ship-log", log["title"]["zh"])
    page.click("#example-ship-log")
    page.wait_for_function("(q) => document.querySelector('#question textarea').value === q",
                           arg=log["question"]["zh"], timeout=30_000)
    page.context.close()
