"""scripts/fetch_fonts.py: checked copies of the training fonts, one clear line when it cannot."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import sys
import threading

import pytest

from conftest import DEJAVU, ROOT

SCRIPT = ROOT / "scripts" / "fetch_fonts.py"


def fetch(*args):
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True, timeout=60)


def test_copies_and_checks_verdana_from_a_local_folder(tmp_path, reference):
    dest = tmp_path / "fonts"
    proc = fetch("--only", "Verdana.ttf", "--from", reference, "--dest", dest)
    assert proc.returncode == 0, proc.stderr
    assert (dest / "Verdana.ttf").read_bytes() == (reference / "Verdana.ttf").read_bytes()
    again = fetch("--only", "Verdana.ttf", "--from", reference, "--dest", dest)
    assert b"already in" in again.stdout


def test_refuses_a_file_that_is_not_the_training_font(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(DEJAVU, src / "Verdana.ttf")  # right name, wrong font
    proc = fetch("--only", "Verdana.ttf", "--from", src, "--dest", tmp_path / "fonts")
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and b"git blob id differs" in proc.stderr
    assert not (tmp_path / "fonts" / "Verdana.ttf").exists()
    assert list((tmp_path / "fonts").iterdir()) == []  # no partial file either


def test_offline_is_one_clear_line(tmp_path):
    proc = fetch("--only", "Verdana.ttf", "--dest", tmp_path, "--base-url", "http://127.0.0.1:9/")
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert b"cannot download Verdana.ttf" in proc.stderr and b"offline" in proc.stderr


@pytest.fixture
def server(tmp_path):
    """A loopback HTTP server over tmp_path/www."""
    root = tmp_path / "www"
    root.mkdir()
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(root), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()


def test_downloads_and_checks(server, tmp_path, reference):
    root, url = server
    shutil.copy(reference / "Verdana.ttf", root / "Verdana.ttf")
    proc = fetch("--only", "Verdana.ttf", "--dest", tmp_path / "fonts", "--base-url", url)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "fonts" / "Verdana.ttf").read_bytes() == (reference / "Verdana.ttf").read_bytes()


def test_http_errors_and_wrong_content_are_refused(server, tmp_path):
    root, url = server
    missing = fetch("--only", "Verdana.ttf", "--dest", tmp_path / "fonts", "--base-url", url)
    assert missing.returncode == 2 and b"HTTP 404" in missing.stderr
    (root / "Verdana.ttf").write_bytes(b"<html>rate limited</html>")
    wrong = fetch("--only", "Verdana.ttf", "--dest", tmp_path / "fonts", "--base-url", url)
    assert wrong.returncode == 2 and b"not the training font" in wrong.stderr
    assert not (tmp_path / "fonts" / "Verdana.ttf").exists()
