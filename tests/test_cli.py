"""`python -m glyph_web render`: files, the JSON line, exit codes, one-line errors, light imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import DEJAVU, ROOT


def run(*args, stdin: bytes | None = None, env: dict | None = None, cwd: Path = ROOT):
    return subprocess.run([sys.executable, "-m", "glyph_web", *map(str, args)], input=stdin,
                          capture_output=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=120)


@pytest.fixture
def en_config(tmp_path, reference):
    """config_en.json exactly as shipped, with its font path pointed at the kit's Verdana."""
    cfg = json.loads((reference / "config_en.json").read_text())
    cfg["font-path"] = str((reference / "Verdana.ttf").resolve())
    path = tmp_path / "config_en.json"
    path.write_text(json.dumps(cfg))
    return path


def test_render_reproduces_the_official_page(tmp_path, reference, en_config):
    out = tmp_path / "pages"
    proc = run("render", reference / "input.txt", "--config", en_config, "--out", out)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["pages"] == 1 and summary["characters"] == 4820
    assert summary["page_sizes"] == [[589, 566]] and summary["visual_tokens"] == [420]
    assert summary["warnings"] == [] and summary["seconds"] > 0
    assert sorted(p.name for p in out.iterdir()) == ["page_001.png"]
    ours = np.asarray(Image.open(out / "page_001.png").convert("RGB"))
    official = np.asarray(Image.open(reference / "Little_Red_Riding_Hood.png").convert("RGB"))
    assert np.array_equal(ours, official)


def test_render_without_training_font_warns_and_names_the_font(tmp_path, empty_fonts_dir):
    src = tmp_path / "in.txt"
    src.write_text("Quarterly report\n" * 50, encoding="utf-8")
    proc = run("render", src, "--out", tmp_path / "o", "--fonts-dir", empty_fonts_dir)
    assert proc.returncode == 0
    summary = json.loads(proc.stdout)
    assert Path(summary["font"]).name == "DejaVuSans.ttf"
    assert any("DejaVuSans.ttf" in w and "less accurate" in w for w in summary["warnings"])
    assert b"warning: Font Verdana.ttf was not found" in proc.stderr


def test_render_options_dpi_newline_lang_and_stdin(tmp_path, empty_fonts_dir):
    out = tmp_path / "o"
    text = "第一行\n第二行\n第三行".encode()
    proc = run("render", "-", "--out", out, "--dpi", "96", "--newline", "marker",
               stdin=text, env={"GLYPH_FONTS_DIR": str(empty_fonts_dir)})
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["dpi"] == 96 and summary["characters"] == 11
    assert Path(summary["font"]).name == "wqy-microhei.ttc"  # auto picked zh; its font is missing -> fallback
    px = np.asarray(Image.open(out / "page_001.png")).astype(int)
    assert ((px[..., 0] > 200) & (px[..., 1] < 100)).sum() > 20  # red newline markers


def test_environment_variables_set_defaults_and_flags_win(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("hello world", encoding="utf-8")
    by_env = json.loads(run("render", src, "--out", tmp_path / "a", env={"GLYPH_DPI": "96"}).stdout)
    by_flag = json.loads(run("render", src, "--out", tmp_path / "b", "--dpi", "72",
                             env={"GLYPH_DPI": "96"}).stdout)
    assert (by_env["dpi"], by_flag["dpi"]) == (96, 72)
    bad = run("render", src, "--out", tmp_path / "c", env={"GLYPH_LANG": "fr"})
    assert bad.returncode == 2 and b"GLYPH_LANG='fr' is not valid" in bad.stderr


def test_stale_pages_are_replaced(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    for name in ("page_001.png", "page_002.png", "page_003.png", "notes.txt"):
        (out / name).write_bytes(b"old")
    src = tmp_path / "in.txt"
    src.write_text("one short page", encoding="utf-8")
    assert run("render", src, "--out", out).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "page_001.png"]


def test_crlf_file_renders_like_lf(tmp_path):
    (tmp_path / "crlf.txt").write_bytes(b"\xef\xbb\xbfline one\r\nline two\r\n")
    (tmp_path / "lf.txt").write_bytes(b"line one\nline two\n")
    for name in ("crlf", "lf"):
        assert run("render", tmp_path / f"{name}.txt", "--out", tmp_path / name).returncode == 0
    a = np.asarray(Image.open(tmp_path / "crlf" / "page_001.png"))
    b = np.asarray(Image.open(tmp_path / "lf" / "page_001.png"))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("make_args, words", [
    (lambda t: ["render", t / "absent.txt", "--out", t / "o"], "absent.txt does not exist"),
    (lambda t: ["render", t, "--out", t / "o"], "is a folder"),
    (lambda t: ["render", t / "binary.txt", "--out", t / "o"], "looks like binary data"),
    (lambda t: ["render", t / "empty.txt", "--out", t / "o"], "empty.txt is empty"),
    (lambda t: ["render", t / "ok.txt", "--out", t / "o", "--dpi", "abc"], "invalid float value"),
    (lambda t: ["render", t / "ok.txt", "--out", t / "o", "--dpi", "5000"], "between 18 and 600"),
    (lambda t: ["render", t / "ok.txt", "--out", t / "o", "--lang", "fr"], "invalid choice"),
    (lambda t: ["render", t / "ok.txt"], "--out"),
    (lambda t: ["render", t / "ok.txt", "--out", t / "o", "--config", t / "none.json"], "does not exist"),
    (lambda t: ["render", t / "ok.txt", "--out", t / "o", "--config", t / "bad.json"], "must be a number"),
    (lambda t: ["render", t / "ok.txt", "--out", t / "o", "--config", t / "bad.json", "--lang", "en"],
     "either --config or --lang"),
    (lambda t: ["render", t / "ok.txt", "--out", t / "ok.txt"], "Cannot write the pages"),
    (lambda t: ["render", t / "ok.txt", "--out", t / "o", "--engine", "turbo"], "invalid choice"),
    (lambda t: ["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_2(tmp_path, make_args, words):
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "ok.txt").write_text("fine")
    (tmp_path / "bad.json").write_text(json.dumps({"margin-x": "ten", "font-path": str(DEJAVU)}))
    proc = run(*make_args(tmp_path))
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert words in err and "Traceback" not in err
    assert proc.stdout == b""


def test_render_imports_nothing_heavy(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("light", encoding="utf-8")
    code = ("import sys; from glyph_web.cli import main; "
            f"rc = main(['render', {str(src)!r}, '--out', {str(tmp_path / 'o')!r}]); "
            "heavy = sorted(m for m in ('torch', 'transformers', 'gradio', 'accelerate') if m in sys.modules); "
            "print(heavy, file=sys.stderr); sys.exit(rc or (3 if heavy else 0))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().endswith(b"[]")


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "glyph-web"
    if not exe.exists():
        pytest.skip("glyph-web is not installed in this environment (scripts/test.sh installs it)")
    proc = subprocess.run([exe, "--version"], capture_output=True, timeout=30)
    assert proc.returncode == 0 and proc.stdout.startswith(b"glyph-web ")


def test_readme_command_help_is_current():
    proc = subprocess.run([sys.executable, ROOT / "scripts" / "update_readme.py", "--check"], capture_output=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()


# --- extract, and render with documents ------------------------------------------------------------------


def test_extract_prints_the_text_the_model_will_see(tmp_path):
    import docgen

    (tmp_path / "a.pdf").write_bytes(docgen.pdf(["Quarterly revenue rose 12%.", b"scan"]))
    (tmp_path / "b.txt").write_bytes("备注：以上数据未经审计。".encode("gb18030"))
    proc = run("extract", tmp_path / "a.pdf", tmp_path / "b.txt")
    assert proc.returncode == 0, proc.stderr
    # the scan sits between the two texts, so their parts are joined by one newline
    assert proc.stdout.decode() == ("===== a.pdf =====\nQuarterly revenue rose 12%.\n"
                                    "===== b.txt =====\n备注：以上数据未经审计。\n")
    err = proc.stderr.decode()
    assert "note: a.pdf, page 2 is passed on as an image" in err
    assert "warning: b.txt is not UTF-8; it was read as GB18030." in err


def test_extract_json(tmp_path):
    import docgen

    (tmp_path / "s.pdf").write_bytes(docgen.pdf(["Intro", b"scan"]))
    proc = run("extract", tmp_path / "s.pdf", "--json")
    assert proc.returncode == 0
    out = json.loads(proc.stdout)
    assert out["text"] == "Intro" and out["characters"] == 5
    assert out["image_pages"] == ["s.pdf, page 2"]
    (doc,) = out["documents"]
    assert doc["name"] == "s.pdf" and doc["type"] == "pdf" and doc["image_pages"] == 1 and len(doc["sha256"]) == 64


def test_render_a_scanned_pdf_gives_its_page_images(tmp_path):
    import docgen

    (tmp_path / "scan.pdf").write_bytes(docgen.pdf([b"scan", b"scan"]))
    proc = run("render", tmp_path / "scan.pdf", "--out", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["pages"] == 2 and summary["characters"] == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["page_001.png", "page_002.png"]
    w, h = summary["page_sizes"][0]
    assert abs(w / h - 595 / 842) < 0.01  # the scan's own page shape, not a cropped text page


@pytest.mark.parametrize("files, extra, words", [
    ({"x.bin": bytes(range(256)) * 4}, [], "looks like binary data"),
    ({"locked.pdf": "locked"}, [], "locked.pdf is protected by a password: give its password, or save a copy "
                                   "without protection and use that. Give it with --password."),
    ({"big.txt": b"x" * 3000}, ["--max-upload-mb", "0.001"], "over the upload limit of 0.001 MB"),
    ({"a.txt": b"ok"}, ["--max-pages", "0"], "--max-pages (GLYPH_MAX_PAGES) must be greater than 0"),
    ({"s.xlsx": "xlsx"}, [], "s.xlsx is an Excel workbook"),
])
@pytest.mark.parametrize("command", ["extract", "render"])
def test_bad_documents_are_one_line_and_exit_2(tmp_path, command, files, extra, words):
    import docgen

    made = {"locked": lambda: docgen.encrypt(docgen.pdf(["s"]), "pw"),
            "xlsx": lambda: _zip_bytes({"xl/workbook.xml": b"<x/>"})}
    for name, data in files.items():
        (tmp_path / name).write_bytes(made[data]() if isinstance(data, str) else data)
    args = [command, *(tmp_path / n for n in files), *extra]
    if command == "render":
        args += ["--out", tmp_path / "o"]
    proc = run(*args)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert len(err.strip().splitlines()) == 1 and words in err and "Traceback" not in err


@pytest.mark.parametrize("data", [b"", b"  \n\n   \n\t"])
@pytest.mark.parametrize("command", ["extract", "render"])
def test_empty_and_whitespace_only_files_are_refused_alike(tmp_path, command, data):
    (tmp_path / "blank.txt").write_bytes(data)
    extra = ["--out", tmp_path / "o"] if command == "render" else []
    proc = run(command, tmp_path / "blank.txt", *extra)
    assert proc.returncode == 2 and proc.stdout == b""
    assert proc.stderr.decode() == "error: blank.txt is empty: it holds no text to read.\n"
    piped = run(command, "-", *extra, stdin=data)
    assert piped.returncode == 2 and piped.stderr.decode() == "error: stdin is empty: it holds no text to read.\n"


def test_render_page_limit_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"y " * 50000)
    proc = run("render", tmp_path / "a.txt", "--out", tmp_path / "o", "--max-pages", "1")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and len(err.strip().splitlines()) == 1
    assert "pages, over the limit of 1 pages" in err and "--max-pages or GLYPH_MAX_PAGES" in err
    assert not (tmp_path / "o").exists()


def _zip_bytes(members):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


# --- ask and make-tiny-model ----------------------------------------------------------------------------


@pytest.mark.slow
def test_make_tiny_model_writes_a_loadable_checkpoint(tmp_path):
    proc = run("make-tiny-model", tmp_path / "tiny", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["noise"] is True and Path(out["folder"]) == tmp_path / "tiny"
    names = {p.name for p in (tmp_path / "tiny").iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "glyph_web_tiny.json"} <= names


def test_ask_streams_an_answer_and_says_it_is_noise(tmp_path, tiny_dir):
    (tmp_path / "doc.txt").write_text("The harbour master Ines Varga signed the report about 41 ships.\n" * 5)
    proc = run("ask", tmp_path / "doc.txt", "Who signed the report?", "--model", tiny_dir, "--max-new-tokens", "6",
               "--temperature", "0")
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr.decode()
    assert "its answers are noise" in err and "note: 1 page, " in err
    assert "note: 6 tokens (length)" in err and "0 from the cache" in err
    assert len(proc.stdout.decode().strip().split()) == 6  # six tiny-model tokens, one word each


@pytest.mark.slow
def test_ask_interactive_reuses_the_cache(tmp_path, tiny_dir):
    (tmp_path / "doc.txt").write_text("Quarterly revenue rose 12 percent to 4.1 million.\n" * 5)
    proc = run("ask", tmp_path / "doc.txt", "What rose?", "--model", tiny_dir, "--max-new-tokens", "4",
               "--interactive", stdin=b"By how much?\n\n")
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.decode().splitlines() if "tokens (length)" in line]
    assert len(notes) == 2
    assert "0 from the cache" in notes[0] and "0 from the cache" not in notes[1]


def test_ask_with_a_missing_model_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "doc.txt").write_text("text")
    proc = run("ask", tmp_path / "doc.txt", "q", "--model", tmp_path / "nope")
    err = [line for line in proc.stderr.decode().splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and len(err) == 1 and "does not exist" in err[0]
    assert "Traceback" not in proc.stderr.decode()


def test_ask_answers_through_another_glyph_web_with_the_openai_backend(tmp_path, tiny_dir):
    """ask goes through the same backends and request building as the page and the API."""
    import httpx

    from glyph_web.settings import Settings
    from fakes import Server as _Server

    server = _Server(Settings(model=str(tiny_dir), log_dir=str(tmp_path / "logs"), rate_limit=0, max_new_tokens=8))
    try:
        (tmp_path / "doc.txt").write_text("The harbour master Ines Varga signed the report about 41 ships.\n" * 5)
        proc = run("ask", tmp_path / "doc.txt", "Who signed the report?", "--backend", "openai", "--api-base",
                   server.url + "/v1", "--api-model", tiny_dir, "--max-new-tokens", "4", "--temperature", "0")
        served = httpx.get(server.url + "/metrics").text
    finally:
        server.stop()
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert proc.stdout.decode().strip() and "tokens (" in proc.stderr.decode()
    assert 'glyph_http_requests_total{route="/v1/chat/completions",status="200"} 1.0' in served
    refused = run("ask", tmp_path / "doc.txt", "q", "--backend", "openai")  # no --api-base: one line, exit 2
    assert refused.returncode == 2 and "--api-base" in refused.stderr.decode()


# --- ask --interactive and Ctrl-C ---------------------------------------------------------------------------


class _Pipe:
    """What a child process writes to one pipe, read in a thread, with a wait for what is expected in it."""

    def __init__(self, stream):
        import threading

        self.data = b""
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        while chunk := stream.read1(4096):
            with self._changed:
                self.data += chunk
                self._changed.notify_all()
        with self._changed:
            self.data += b"\0EOF"
            self._changed.notify_all()

    def wait_for(self, expected: bytes, count: int = 1, timeout: float = 60) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self.data.count(expected) >= count or b"\0EOF" in self.data,
                                          timeout):
                raise AssertionError(f"waited for {expected!r} x{count}; got {self.data[-2000:]!r}")
            assert self.data.count(expected) >= count, f"ended before {expected!r} x{count}: {self.data[-2000:]!r}"


@pytest.fixture
def endless_server(tmp_path):
    """A glyph-web API whose answers stream "more " until they are stopped; it records what it was asked."""
    from fakes import EndlessBackend, Server

    from glyph_web.settings import Settings

    class Recording(EndlessBackend):
        def answer(self, request, settings, stop):
            self.requests.append(request)
            return super().answer(request, settings, stop)

    backend = Recording()
    server = Server(Settings(log_dir=str(tmp_path / "logs"), rate_limit=0), backend=backend)
    yield server, backend
    server.stop()


def _ask_interactive(tmp_path, server):
    import signal

    (tmp_path / "doc.txt").write_text("The harbour master Ines Varga signed the report about 41 ships.\n" * 5)
    proc = subprocess.Popen([sys.executable, "-m", "glyph_web", "ask", str(tmp_path / "doc.txt"), "Who signed?",
                             "--interactive", "--backend", "openai", "--api-base", server.url + "/v1",
                             "--api-model", "fake/glyph"], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    return proc, _Pipe(proc.stdout), _Pipe(proc.stderr), lambda: proc.send_signal(signal.SIGINT)


def test_ctrl_c_stops_the_answer_and_keeps_the_conversation_then_ends_at_the_prompt(tmp_path, endless_server):
    server, backend = endless_server
    proc, out, err, interrupt = _ask_interactive(tmp_path, server)
    try:
        out.wait_for(b"more")  # the first answer streams
        interrupt()
        err.wait_for(b"(stopped)\n")
        err.wait_for(b"> ")  # back at the prompt, the documents still read
        proc.stdin.write(b"And then?\n")
        proc.stdin.flush()
        out.wait_for(b"\nmore")  # the second answer streams
        interrupt()
        err.wait_for(b"> ", count=2)
        interrupt()  # Ctrl-C at the prompt ends the session
        assert proc.wait(60) == 0
    finally:
        proc.kill()
        proc.wait()
    errors = err.data.decode(errors="replace")
    assert errors.count("(stopped)") == 2 and "Traceback" not in errors and "interrupted" not in errors
    assert len(backend.requests) == 2
    ((question, answer),) = backend.requests[1].history  # the stopped answer is part of the conversation
    assert question == "Who signed?" and answer.startswith("more")
    assert backend.requests[1].question == "And then?"


def test_end_of_input_at_the_prompt_ends_the_session_cleanly(tmp_path, endless_server):
    server, _ = endless_server
    proc, out, err, interrupt = _ask_interactive(tmp_path, server)
    try:
        out.wait_for(b"more")
        interrupt()
        err.wait_for(b"> ")
        proc.stdin.close()  # Ctrl-D
        assert proc.wait(60) == 0
    finally:
        proc.kill()
        proc.wait()
    assert "Traceback" not in err.data.decode(errors="replace") and err.data.count(b"(stopped)") == 1
