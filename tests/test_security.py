"""The app as an attacker meets it: a live server on loopback with logins, an API key and a rate limit.

Every handler reachable over HTTP is an API, whatever the page shows: these tests send what an attacker would
(server paths as file inputs, server-wide switches as a plain user, rewritten headers, guessed keys, forms
from other sites) and assert the refusals. The model is a scripted backend; documents are really read and
rendered.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from glyph_web.settings import Settings

from fakes import Server as _Server, ask_messages as _ask, file_part as _file_part
from fakes import READY, EndlessBackend, FakeBackend, HeldBackend, script

KEY = "key-123"
USERS = {"ann": "ann-pw-1", "root": "root-pw-2"}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    logins = folder / "users.txt"
    logins.write_text("".join(f"{u}:{p}\n" for u, p in USERS.items()))
    backend = FakeBackend(script("Forty-one ships."))
    backend.model_state = READY
    settings = Settings(log_dir=str(folder / "logs"), auth=str(logins), api_key=KEY, rate_limit=30, admins="root")
    server = _Server(settings, backend=backend)
    yield server
    server.stop()


def _login(server, user: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    response = client.post("/login", data={"username": user, "password": USERS[user]})
    assert response.status_code == 200, response.text
    return client


def _gradio_call(client: httpx.Client, name: str, data: list) -> str:
    """Call a page handler the way any HTTP client can; the text of its result stream."""
    response = client.post(f"/gradio_api/call/{name}", json={"data": data})
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text}"
    event_id = response.json()["event_id"]
    return client.get(f"/gradio_api/call/{name}/{event_id}").text


# --- file inputs are uploads, never paths ------------------------------------------------------------------


def test_a_server_path_as_a_file_input_renders_nothing(live, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("The vault code is 7341-KX.\n" * 20)
    from gradio.utils import get_upload_folder

    upload_root = Path(get_upload_folder())
    upload_root.mkdir(parents=True, exist_ok=True)
    link = upload_root / "innocent.txt"
    link.unlink(missing_ok=True)
    link.symlink_to(secret)
    client = _login(live, "ann")
    try:
        for path in (str(secret), f"{upload_root}/../{secret.relative_to('/')}", str(link),
                     "/proc/self/environ"):
            result = _gradio_call(client, "prepare", [[{"path": path, "meta": {"_type": "gradio.FileData"}}],
                                                      None, 72, "br"])
            assert "7341" not in result and "page" not in result.lower().split("error")[0][-200:]
            assert "event: complete" not in result or "not uploaded" in result, result[:500]
    finally:
        link.unlink(missing_ok=True)


def test_the_handler_itself_refuses_paths_outside_the_upload_folder(tmp_path):
    from gradio.utils import get_upload_folder

    from glyph_web.ui.handlers import NotUploaded, uploaded_paths

    root = Path(get_upload_folder())
    root.mkdir(parents=True, exist_ok=True)
    inside = root / "fine-upload.txt"
    inside.write_text("hello")
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    link = root / "link-out.txt"
    link.unlink(missing_ok=True)
    link.symlink_to(outside)
    try:
        assert uploaded_paths([str(inside)]) == [str(inside.resolve())]
        for bad in (str(outside), str(root / ".." / outside.relative_to("/")), str(link), str(root)):
            with pytest.raises(NotUploaded):
                uploaded_paths([bad])
    finally:
        inside.unlink()
        link.unlink()


# --- server-wide switches are an admin's -------------------------------------------------------------------


def test_a_plain_user_cannot_reload_the_model_or_switch_the_cache(live):
    backend = live.backend
    backend.reloads.clear()
    client = _login(live, "ann")
    _gradio_call(client, "reload_model", [True])
    _gradio_call(client, "set_cache", [False])
    assert backend.reloads == [] and backend.cache_enabled is True
    admin = _login(live, "root")
    _gradio_call(admin, "set_cache", [False])
    assert backend.cache_enabled is False
    _gradio_call(admin, "set_cache", [True])
    _gradio_call(admin, "reload_model", [True])
    assert backend.reloads == [True]


def test_without_a_login_nobody_is_an_admin(tmp_path):
    backend = FakeBackend(script("x"))
    server = _Server(Settings(log_dir=str(tmp_path / "logs"), rate_limit=0), backend=backend)
    try:
        client = httpx.Client(base_url=server.url, timeout=30)
        _gradio_call(client, "reload_model", [True])
        _gradio_call(client, "set_cache", [False])
        assert backend.reloads == [] and backend.cache_enabled is True
    finally:
        server.stop()


# --- the rate limit and guessing ---------------------------------------------------------------------------


def test_rewritten_headers_do_not_escape_the_rate_limit(live):
    spellings = [f"Bearer {KEY}", f"bearer {KEY}", f"BEARER {KEY}", f"Bearer  {KEY}", f"Bearer \t {KEY}",
                 f"bEaReR\t{KEY}"]
    codes = []
    for number in range(36):
        headers = {"Authorization": spellings[number % len(spellings)],
                   "X-Forwarded-For": f"10.0.0.{number}", "X-Real-IP": f"10.1.0.{number}"}
        codes.append(httpx.get(live.url + "/v1/models", headers=headers, timeout=30).status_code)
    assert codes[:30] == [200] * 30 and set(codes[30:]) == {429}  # one bucket: 30 a minute, burst 30


def test_basic_logins_are_one_principal_whatever_the_spelling():
    import base64

    from glyph_web.api.access import Credentials

    credentials = Credentials.from_settings("ann:pw", "k")
    token = base64.b64encode(b"ann:pw").decode()
    assert {credentials.principal(h) for h in (f"Basic {token}", f"basic  {token}", f"BASIC {token} ")} == \
        {"user:ann"}
    assert {credentials.principal(h) for h in ("Bearer k", "bearer   k")} == {"api-key"}
    assert credentials.principal("Bearer nope") is None and credentials.principal("Basic !!") is None


def test_wrong_keys_are_throttled_per_address(tmp_path):
    backend = FakeBackend(script("x"))
    server = _Server(Settings(log_dir=str(tmp_path / "logs"), api_key=KEY, rate_limit=0), backend=backend)
    try:
        codes = [httpx.get(server.url + "/v1/models", headers={"Authorization": f"Bearer guess-{n}"},
                           timeout=30).status_code for n in range(8)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
        # the right key waits too while the address is throttled: guessing gains nothing
        right = httpx.get(server.url + "/v1/models", headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
        assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
    finally:
        server.stop()


def test_wrong_page_logins_are_throttled_per_address(tmp_path):
    backend = FakeBackend(script("x"))
    server = _Server(Settings(log_dir=str(tmp_path / "logs"), auth="ann:pw"), backend=backend)
    try:
        codes = [httpx.post(server.url + "/login", data={"username": "ann", "password": f"guess{n}"},
                            timeout=30).status_code for n in range(7)]
        assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}
        assert httpx.post(server.url + "/login", data={"username": "ann", "password": "pw"},
                          timeout=30).status_code == 429
    finally:
        server.stop()


def test_forwarded_addresses_count_only_from_trusted_proxies():
    from glyph_web.api.access import client_address, parse_proxies

    assert client_address("127.0.0.1", "203.0.113.9", ()) == "127.0.0.1"
    trusted = parse_proxies("127.0.0.1, 10.0.0.0/8")
    assert client_address("127.0.0.1", "203.0.113.9", trusted) == "203.0.113.9"
    # the client may write anything on the left; the right-most hop not a proxy is the client
    assert client_address("127.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.7", trusted) == "203.0.113.9"
    assert client_address("198.51.100.1", "203.0.113.9", trusted) == "198.51.100.1"  # not from a proxy
    with pytest.raises(Exception, match="trusted-proxies"):
        Settings(trusted_proxies="not-an-address")


# --- other sites, headers, disconnects, logs, temp folders -------------------------------------------------


def _basic(user: str) -> dict:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{USERS[user]}".encode()).decode()}


def test_the_api_takes_json_only(live):
    headers = _basic("ann")  # each test of the module spends its own principal's bucket
    form = httpx.post(live.url + "/v1/chat/completions", headers={**headers, "Content-Type": "text/plain"},
                      content=json.dumps({"model": "g", "messages": _ask()}), timeout=30)
    assert form.status_code == 415 and form.json()["error"]["code"] == "unsupported_media_type"
    urlencoded = httpx.post(live.url + "/v1/chat/completions", headers=headers, data={"messages": "x"}, timeout=30)
    assert urlencoded.status_code == 415


def test_every_response_refuses_framing_and_sniffing(live):
    for path in ("/", "/healthz", "/v1/models", "/readyz"):
        response = httpx.get(live.url + path, timeout=30)
        assert response.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        assert response.headers["x-content-type-options"] == "nosniff", path


def test_a_non_streaming_client_that_goes_away_stops_its_answer(tmp_path):
    backend = EndlessBackend()
    server = _Server(Settings(log_dir=str(tmp_path / "logs"), rate_limit=0), backend=backend)
    try:
        def ask_and_leave():
            try:
                httpx.post(server.url + "/v1/chat/completions", json={"model": "g", "messages": _ask()},
                           timeout=httpx.Timeout(30, read=1.0))
            except httpx.HTTPError:
                pass  # the client gives up and closes the connection

        asker = threading.Thread(target=ask_and_leave)
        asker.start()
        assert backend.started.wait(30)
        asker.join(30)
        assert backend.stopped.wait(20), "the answer went on after its client left"
    finally:
        server.stop()


def test_control_characters_in_names_cannot_forge_log_lines(tmp_path):
    from glyph_web.server import setup_logging

    path = setup_logging(tmp_path)
    try:
        logging.getLogger("glyph_web.test").warning("refused %s", "evil.txt\n2026-01-01 ERROR admin logged in\x1b[0m")
        for handler in logging.getLogger().handlers:
            handler.flush()
        lines = path.read_text().splitlines()
        assert len(lines) == 1 and "\\n2026-01-01 ERROR" in lines[0] and "\\x1b" in lines[0]
    finally:
        for handler in list(logging.getLogger().handlers):
            logging.getLogger().removeHandler(handler)
            handler.close()


def test_export_folders_are_removed_at_exit_and_those_of_dead_processes_at_start(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    dead = tmp_path / "glyph-web-exports-999999999-abc"
    dead.mkdir()
    (dead / "conversation.md").write_text("old")
    code = ("from glyph_web.ui.app import _exports_folder; f = _exports_folder(); "
            "(f / 'c.md').write_text('x'); print(f)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    made = Path(out.stdout.strip())
    assert made.parent == tmp_path and not made.exists() and not dead.exists()


# --- 12 concurrent fresh documents, cold ------------------------------------------------------------------


def test_twelve_concurrent_fresh_documents_all_succeed(live):
    words = ["harbour", "λιμάνι", "гавань", "Zürich", "ωκεανός", "пристань", "façade", "θάλασσα", "маяк",
             "Ærøskøbing", "ναυτικός", "корабль"]

    def document(number: int) -> str:
        return " ".join(f"{words[(number + k) % 12]}{number}{k}" for k in range(900))

    results: list = [None] * 12
    barrier = threading.Barrier(12)

    def ask(number: int):
        barrier.wait()
        body = {"model": "g", "messages": _ask("What is it?", _file_part(document(number), f"doc{number}.txt"))}
        results[number] = httpx.post(live.url + "/v1/chat/completions", json=body, timeout=120,
                                     headers=_basic("root")).status_code

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert results == [200] * 12, results


@pytest.mark.slow
def test_a_server_stopped_with_sigterm_removes_its_export_folder(tiny_dir, tmp_path):
    import signal

    from fakes import free_port as _free_port

    port = _free_port()
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "-m", "glyph_web", "serve", "--model", str(tiny_dir), "--port",
                               str(port), "--log-dir", str(tmp_path / "logs")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # polls the server's own readiness, as _Server does
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                assert server.poll() is None, "the server exited"
                time.sleep(0.2)
        folders = list(tmp_path.glob(f"glyph-web-exports-{server.pid}-*"))
        assert len(folders) == 1
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    finally:
        if server.poll() is None:
            server.kill()
    assert not folders[0].exists()


def test_page_answers_and_api_requests_pass_one_gate(tmp_path):
    """One admission gate for the page and the API: a page user's answer takes the one slot and counts in
    /metrics, an API request waits behind it, and the next API request is turned away."""
    from gradio_client import Client, handle_file

    doc = tmp_path / "doc.txt"
    doc.write_text("The harbour logged 41 ships in March.\n" * 20)
    backend = HeldBackend()
    server = _Server(Settings(log_dir=str(tmp_path / "logs"), rate_limit=0, gpu_concurrency=1, queue_size=1),
                     backend=backend)
    body = {"model": "g", "messages": _ask()}
    try:
        client = Client(server.url, verbose=False)
        client.predict([handle_file(str(doc))], None, 72, "br", api_name="/prepare")
        job = client.submit("How many ships?", 64, 0.0, True, api_name="/ask")
        assert backend.started.wait(60)
        assert "glyph_queue_running 1.0" in httpx.get(server.url + "/metrics", timeout=30).text
        waiting: list = []
        waiter = threading.Thread(target=lambda: waiting.append(
            httpx.post(server.url + "/v1/chat/completions", json=body, timeout=120).status_code))
        waiter.start()
        deadline = time.monotonic() + 60
        while "glyph_queue_waiting 1.0" not in httpx.get(server.url + "/metrics", timeout=30).text:
            assert time.monotonic() < deadline, "the API request never queued behind the page's answer"
        refused = httpx.post(server.url + "/v1/chat/completions", json=body, timeout=60)
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "queue_full"
        backend.release.set()
        job.result(timeout=60)
        waiter.join(60)
        assert waiting == [200]
    finally:
        backend.release.set()
        server.stop()
