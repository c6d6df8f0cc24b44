#!/usr/bin/env python3
"""The attacks of issue 14 against a running app, with what each gets now: one JSON report.

    python scripts/attack_check.py [--json]

Starts `python -m glyph_web serve` on loopback with the tiny model, two logins (ann, and root who is an admin),
an API key and a rate limit of 30 a minute; sends each attack; measures the server's RSS around the memory
bombs; stops the server. Nothing is sent beyond 127.0.0.1, and every loop is bounded.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from load_test import _wait_ready  # noqa: E402 - the same readiness wait as the load test
KEY = "attack-check-key"
USERS = {"ann": "ann-password-1", "root": "root-password-2"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="glyph-attack-"))
    (work / "users.txt").write_text("".join(f"{u}:{p}\n" for u, p in USERS.items()))
    port = _free_port()
    env = {**os.environ, "GLYPH_AUTH": str(work / "users.txt"), "GLYPH_API_KEY": KEY, "GLYPH_RATE_LIMIT": "30",
           "GLYPH_ADMINS": "root", "GLYPH_MODEL": "tiny", "GLYPH_MAX_NEW_TOKENS": "8", "GLYPH_HOST": "127.0.0.1",
           "GLYPH_PORT": str(port), "GLYPH_LOG_DIR": str(work / "logs")}
    server = subprocess.Popen([sys.executable, "-m", "glyph_web", "serve"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    report: dict = {}
    try:
        _wait_ready(url, time.time() + 300, server)
        rss = lambda: _rss_mb(server.pid)  # noqa: E731
        report["rss_mb_at_start"] = rss()
        report["file_by_path"] = _file_by_path(url, work)
        report["plain_user_reload"] = _plain_user_reload(url)
        report["300_image_parts"] = _measured(rss, lambda: _post(url, _ask(*[_image(1400, 1400)] * 300), "root"))
        report["10x45_distinct_images"] = _measured(rss, lambda: [
            _post(url, _ask(*[_image(600 + r, 800 + i) for i in range(45)]), "root") for r in range(10)])
        report["huge_pages_pdf_5000pt"] = _measured(rss, lambda: _post(url, _ask(_pdf([(5000, 5000)] * 3)), "root"))
        report["huge_page_pdf_9000pt"] = _measured(rss, lambda: _post(url, _ask(_pdf([(9000, 9000)])), "root"))
        report["pdf_90000_pages"] = _measured(rss, lambda: _post(url, _ask(_many_pages_pdf(90_000)), "root"))
        report["12_concurrent_fresh_documents"] = _concurrent(url)
        report["rate_limit_header_rewrites"] = _rate_limit(url)
        report["text_plain_body"] = httpx.post(url + "/v1/chat/completions", content=b'{"messages": []}',
                                               headers={**_basic("ann"), "Content-Type": "text/plain"},
                                               timeout=30).status_code
        # last: the wrong keys throttle this address, right keys included
        report["wrong_keys"] = [httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer guess{n}"},
                                          timeout=30).status_code for n in range(8)]
        headers = httpx.get(url + "/healthz", timeout=30).headers
        report["frame_and_sniff_headers"] = {k: headers.get(k) for k in ("x-frame-options", "x-content-type-options")}
        report["rss_mb_at_end"] = rss()
    finally:
        server.terminate()
        server.wait(30)
    report["exports_folders_left"] = len(list(Path(tempfile.gettempdir()).glob(f"glyph-web-exports-{server.pid}-*")))
    if args.json:
        print(json.dumps(report))
    else:
        for name, value in report.items():
            print(f"{name}: {value}")
    return 0


# --- the attacks -------------------------------------------------------------------------------------------

def _file_by_path(url: str, work: Path) -> dict:
    secret = work / "secret.txt"
    secret.write_text("The vault code is 7341-KX.\n" * 10)
    client = _login(url, "ann")
    out = {}
    for name, path in (("absolute", str(secret)), ("requirements", str(ROOT / "requirements.txt")),
                       ("dotdot", f"/tmp/gradio/../{secret.relative_to('/')}")):
        text = _gradio_call(client, "prepare", [[{"path": path, "meta": {"_type": "gradio.FileData"}}], None, 72, "br"])
        out[name] = "refused" if ("event: error" in text and "7341" not in text) else f"ANSWERED: {text[:200]}"
    return out


def _plain_user_reload(url: str) -> dict:
    before = httpx.get(url + "/readyz", timeout=30).json()
    text = _gradio_call(_login(url, "ann"), "reload_model", [True])
    after = httpx.get(url + "/readyz", timeout=30).json()
    return {"precision_before": before.get("precision"), "precision_after": after.get("precision"),
            "reloaded": before.get("precision") != after.get("precision") or after.get("status") != "ready",
            "answer": text.strip().splitlines()[0] if text.strip() else ""}


def _concurrent(url: str) -> list:
    words = ["harbour", "λιμάνι", "гавань", "Zürich", "ωκεανός", "пристань", "façade", "θάλασσα", "маяк",
             "Ærøskøbing", "ναυτικός", "корабль"]
    codes: list = [None] * 12
    barrier = threading.Barrier(12)

    def ask(n: int) -> None:
        text = " ".join(f"{words[(n + k) % 12]}{n}{k}" for k in range(900))
        barrier.wait()
        codes[n] = _post(url, _ask(_file(text.encode(), f"doc{n}.txt", "text/plain")), "root")["status"]

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return codes


def _rate_limit(url: str) -> dict:
    spellings = [f"Bearer {KEY}", f"bearer {KEY}", f"BEARER {KEY}", f"Bearer   {KEY}"]
    codes = [httpx.get(url + "/v1/models", timeout=30, headers={
        "Authorization": spellings[n % 4], "X-Forwarded-For": f"10.9.0.{n}"}).status_code for n in range(36)]
    return {"ok": codes.count(200), "429": codes.count(429)}


# --- helpers -----------------------------------------------------------------------------------------------

def _measured(rss, action) -> dict:
    before = rss()
    started = time.perf_counter()
    result = action()
    seconds = round(time.perf_counter() - started, 2)
    after = rss()
    statuses = [r["status"] for r in result] if isinstance(result, list) else result["status"]
    message = result[-1]["message"] if isinstance(result, list) else result["message"]
    return {"status": statuses, "message": message[:160], "seconds": seconds, "rss_growth_mb": round(after - before)}


def _post(url: str, messages: list, user: str) -> dict:
    response = httpx.post(url + "/v1/chat/completions", json={"model": "g", "messages": messages, "max_tokens": 4},
                          headers=_basic(user), timeout=300)
    try:
        message = response.json().get("error", {}).get("message", "") if response.status_code != 200 else "ok"
    except ValueError:
        message = "NOT JSON: " + response.text[:100]
    return {"status": response.status_code, "message": message}


def _ask(*parts) -> list:
    return [{"role": "user", "content": [*parts, {"type": "text", "text": "What does it say?"}]}]


def _image(width: int, height: int) -> dict:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (255, 255, 255)).save(buffer, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {"type": "image_url", "image_url": {"url": url}}


def _file(data: bytes, name: str, kind: str) -> dict:
    return {"type": "file", "file": {"filename": name,
                                     "file_data": f"data:{kind};base64," + base64.b64encode(data).decode()}}


def _pdf(sizes: list) -> dict:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for width, height in sizes:
        pdf.setPageSize((width, height))
        pdf.rect(10, 10, 20, 20)
        pdf.showPage()
    pdf.save()
    return _file(buffer.getvalue(), "huge.pdf", "application/pdf")


def _many_pages_pdf(count: int) -> dict:
    """A small PDF whose page tree lists one page object `count` times."""
    kids = " ".join(["3 0 R"] * count)
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {count} >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return _file(out.getvalue(), "pages.pdf", "application/pdf")


def _basic(user: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{USERS[user]}".encode()).decode()}


def _login(url: str, user: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    client.post("/login", data={"username": user, "password": USERS[user]})
    return client


def _gradio_call(client: httpx.Client, name: str, data: list) -> str:
    response = client.post(f"/gradio_api/call/{name}", json={"data": data})
    if response.status_code != 200:
        return f"event: error HTTP {response.status_code}"
    return client.get(f"/gradio_api/call/{name}/{response.json()['event_id']}").text


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
