"""End to end in a real browser: Debian's Chromium driven by Playwright against the app on loopback.

The app runs as `python -m glyph_web serve` with the tiny model. The test uploads a document, sees the pages,
asks, watches the answer stream in, presses Stop during a long answer, asks again, and saves a screenshot to
build/screenshots/app.png. It skips, saying why, only where Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "build" / "screenshots"

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason=f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    port = _free_port()
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


def _wait_text(page, selector: str, text: str, count: int = 1, timeout: int = 60_000) -> None:
    """Wait until the element's text holds `text` at least `count` times."""
    page.wait_for_function(
        "([sel, text, count]) => { const el = document.querySelector(sel);"
        " return !!el && el.innerText.split(text).length > count; }", arg=[selector, text, count], timeout=timeout)


def _answer_text(page) -> str:
    """The text of the last assistant message."""
    bubbles = page.locator("#chat .bot-row")
    if bubbles.count() == 0:
        return ""
    return bubbles.last.inner_text()


def test_upload_ask_stream_stop_and_ask_again(app_url, browser, tmp_path):
    doc = tmp_path / "harbour.txt"
    doc.write_text("The harbour master, Ines Varga, logged 41 ships in March.\n" * 200, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1440, "height": 960})
    page.goto(app_url)
    _wait_text(page, "#status", "ready")
    page.wait_for_selector("#noise-banner", state="visible")  # the tiny model says that its answers are noise

    page.set_input_files("#doc-upload input[type=file]", str(doc))
    page.wait_for_selector("#pages img", timeout=60_000)
    stats = page.inner_text("#doc-stats")
    assert "harbour.txt" in stats and "visual tokens" in stats and "compression" in stats

    # a long answer: watch it grow, then stop it
    page.fill("#question textarea", "Who logged the ships?")
    page.click("#send")
    _wait_text(page, "#chat", "~")  # the tiny model's tokens read " ~123"
    first = len(_answer_text(page))
    time.sleep(1.0)
    second = len(_answer_text(page))
    assert second > first > 0, "the answer should arrive token by token"
    page.click("#stop")
    _wait_text(page, "#chat", "(stopped)")
    stopped_at = len(_answer_text(page))
    time.sleep(0.5)
    assert len(_answer_text(page)) == stopped_at  # nothing arrives after Stop

    # ask again: a second answer streams in the same conversation
    page.fill("#question textarea", "How many ships?")
    page.click("#send")
    _wait_text(page, "#chat", "How many ships?")
    # the second answer depends on where the first was stopped, so it may be short: wait for any of it
    after = "(document.querySelector('#chat').innerText.split('How many ships?')[1] || '')"
    page.wait_for_function(f"() => {after}.replace('Waiting for the model…', '').replace('…', '').trim().length > 0",
                           timeout=60_000)
    page.click("#stop")
    page.wait_for_function(f"() => !{after}.includes('Waiting for the model')", timeout=30_000)
    assert page.locator("#download").is_visible()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "app.png"), full_page=True)
    assert (SCREENSHOTS / "app.png").stat().st_size > 20_000


def test_a_bad_file_shows_a_message_and_the_app_stays_usable(app_url, browser, tmp_path):
    bad = tmp_path / "data.txt"
    bad.write_bytes(bytes(range(256)) * 16)
    page = browser.new_page(viewport={"width": 1440, "height": 960})
    page.goto(app_url)
    _wait_text(page, "#status", "ready")
    page.set_input_files("#doc-upload input[type=file]", str(bad))
    _wait_text(page, "#doc-stats", "could not be used")
    assert "looks like binary data" in page.inner_text("#doc-stats")
    page.click("#doc-upload button[aria-label='Clear']")  # take the bad file away, paste text instead
    page.fill("#doc-text textarea", "Pasted notes: the meeting moved to Thursday.")
    page.click("#render")
    page.wait_for_selector("#pages img", timeout=60_000)
    assert "pasted text" in page.inner_text("#doc-stats")


def test_a_chinese_browser_gets_the_chinese_page_and_can_switch(app_url, browser, tmp_path):
    doc = tmp_path / "合同.txt"
    doc.write_text("第一条 本合同由甲乙双方签订。乙方应在三十日内支付货款。\n" * 120, encoding="utf-8")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 960})
    page = context.new_page()
    page.goto(app_url)
    _wait_text(page, "#status", "就绪")  # the status line, in Chinese
    assert "Glyph 文档问答" in page.inner_text("#app-header")
    assert page.locator("#send").inner_text().strip() == "发送"
    page.set_input_files("#doc-upload input[type=file]", str(doc))
    page.wait_for_selector("#pages img", timeout=60_000)
    assert "视觉 token" in page.inner_text("#doc-stats")
    page.fill("#question textarea", "乙方应在多少天内付款？")
    page.click("#send")
    _wait_text(page, "#chat", "~")
    page.click("#stop")
    _wait_text(page, "#chat", "（已停止）")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "app-zh.png"), full_page=True)
    assert (SCREENSHOTS / "app-zh.png").stat().st_size > 20_000

    # the picker switches every label, the stats and the conversation's notes to English, and back
    page.locator("#lang label", has_text="English").click()
    _wait_text(page, "#status", "ready")
    assert page.locator("#send").inner_text().strip() == "Send"
    _wait_text(page, "#doc-stats", "visual tokens")
    _wait_text(page, "#chat", "(stopped)")
    page.locator("#lang label", has_text="中文").click()
    _wait_text(page, "#status", "就绪")
    assert page.locator("#send").inner_text().strip() == "发送"
    context.close()


def test_an_example_loads_its_document_and_question_in_one_click(app_url, browser):
    import json

    examples = json.loads((ROOT / "assets" / "examples" / "examples.json").read_text(encoding="utf-8"))
    log = next(e for e in examples if e["id"] == "ship-log")
    page = browser.new_page(viewport={"width": 1440, "height": 960})
    page.goto(app_url)
    _wait_text(page, "#status", "ready")
    page.click("#example-ship-log")
    page.wait_for_selector("#pages img", timeout=60_000)
    page.wait_for_function("(q) => document.querySelector('#question textarea').value === q",
                           arg=log["question"]["en"], timeout=30_000)
    assert log["files"][0] in page.inner_text("#doc-stats")
    # in Chinese the buttons and the question come in Chinese
    page.locator("#lang label", has_text="中文").click()
    _wait_text(page, "#example-ship-log", log["title"]["zh"])
    page.click("#example-ship-log")
    page.wait_for_function("(q) => document.querySelector('#question textarea').value === q",
                           arg=log["question"]["zh"], timeout=30_000)
