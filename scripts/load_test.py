#!/usr/bin/env python3
"""Load test of the API: N concurrent clients x M requests each, on loopback, bounded in count and time.

    python scripts/load_test.py [--clients 16] [--requests 4] [--model tiny] [--json]
    python scripts/load_test.py --url http://127.0.0.1:7860 --pid 1234     # an app already running here

Without --url it starts `python -m glyph_web serve` on a free loopback port (the tiny random-weight model by
default), waits until /readyz says ready, sends every (document, question) once to warm up, then runs the
clients. Each request is
a POST /v1/chat/completions with a document as a file part (one of four, so the page and KV caches see
both hits and misses), streaming every other time. It prints completed and failed requests (failures by
status), latency percentiles, requests per second, and the server's resident memory (VmRSS) before the
run and after it, with their ratio.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
QUESTIONS = ("How many ships were logged?", "Which boat needed repairs?", "When does the harbour close?")


def _document(number: int) -> str:
    text = (f"Harbour report {number}. The harbour master logged {40 + number} ships in March. "
            f"The pilot boat Gull{number} needed a new engine. The harbour closes on {number + 1} May.\n") * 30
    return "data:text/plain;base64," + base64.b64encode(text.encode()).decode()


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(model: str, max_new_tokens: int, log_dir: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "GLYPH_RATE_LIMIT": "0", "GLYPH_LOG_DIR": log_dir}
    proc = subprocess.Popen([sys.executable, "-m", "glyph_web", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--model", model, "--max-new-tokens", str(max_new_tokens), "--queue-size", "64"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


def _wait_ready(url: str, deadline: float, proc: subprocess.Popen | None) -> None:
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not get ready in time")


def _one(client: httpx.Client, url: str, doc: str, question: str, stream: bool, max_tokens: int) -> tuple[int, str]:
    # greedy: the same request gives the same answer, so that after the warm-up the KV cache holds every
    # prefix the run uses, and memory growth means a leak rather than a cache filling up to --kv-cache-gb
    body = {"model": "glyph", "max_tokens": max_tokens, "stream": stream, "temperature": 0,
            "messages": [{"role": "user", "content": [
                {"type": "file", "file": {"filename": "report.txt", "file_data": doc}},
                {"type": "text", "text": question}]}]}
    if not stream:
        response = client.post(url + "/v1/chat/completions", json=body)
        ok = response.status_code == 200 and "choices" in response.json()
        return response.status_code, "" if ok else response.text[:200]
    with client.stream("POST", url + "/v1/chat/completions", json=body) as response:
        lines = [line for line in response.iter_lines() if line]
    ok = response.status_code == 200 and lines and lines[-1] == "data: [DONE]"
    return response.status_code, "" if ok else (lines[-1] if lines else "")[:200]


def run(url: str, clients: int, requests: int, max_tokens: int, timeout_s: float, pid: int | None) -> dict:
    docs = [_document(n) for n in range(4)]
    with httpx.Client(timeout=timeout_s) as warm:
        # every (document, question) the clients will send, once, before "before": lazy loads and the first
        # fill of the bounded caches (pages, KV prefixes) are steady state, not growth; what the run adds on
        # top is what a leak would look like
        for number, doc in enumerate(docs):
            for k, question in enumerate(QUESTIONS):
                _one(warm, url, doc, question, bool((number + k) % 2), max_tokens)
    before = _rss_mb(pid) if pid else None
    latencies: list[float] = []
    failures: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.time() + timeout_s

    def client_loop(number: int) -> None:
        with httpx.Client(timeout=timeout_s) as client:
            for k in range(requests):
                if time.time() > deadline:
                    with lock:
                        failures["not sent (time limit)"] = failures.get("not sent (time limit)", 0) + 1
                    continue
                started = time.perf_counter()
                try:
                    status, problem = _one(client, url, docs[(number + k) % len(docs)],
                                           QUESTIONS[(number + k) % len(QUESTIONS)], stream=bool(k % 2),
                                           max_tokens=max_tokens)
                except httpx.HTTPError as exc:
                    status, problem = 0, type(exc).__name__
                elapsed = time.perf_counter() - started
                with lock:
                    if problem:
                        key = f"{status} {problem[:80]}"
                        failures[key] = failures.get(key, 0) + 1
                    else:
                        latencies.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    after = _rss_mb(pid) if pid else None

    def pct(p: float) -> float | None:
        if not latencies:
            return None
        ordered = sorted(latencies)
        return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 3)

    return {
        "clients": clients, "requests_per_client": requests, "max_tokens": max_tokens,
        "completed": len(latencies), "failed": sum(failures.values()), "failures": failures,
        "latency_s": {"p50": pct(50), "p90": pct(90), "p99": pct(99), "max": pct(100),
                      "mean": round(statistics.mean(latencies), 3) if latencies else None},
        "wall_s": round(wall, 2), "requests_per_s": round(len(latencies) / wall, 2) if wall else None,
        "server_rss_mb_before": None if before is None else round(before, 1),
        "server_rss_mb_after": None if after is None else round(after, 1),
        "rss_after_over_before": None if not (before and after) else round(after / before, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=4, help="requests per client")
    parser.add_argument("--max-tokens", type=int, default=16, help="answer length asked for")
    parser.add_argument("--model", default="tiny", help="model of the server started here (default: tiny)")
    parser.add_argument("--url", help="an app already running on this machine (loopback only)")
    parser.add_argument("--pid", type=int, help="with --url: the server's process id, for its memory")
    parser.add_argument("--timeout", type=float, default=600, help="seconds the whole run may take")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 256 and 1 <= args.requests <= 1000):
        print("load_test: error: --clients must be 1-256 and --requests 1-1000", file=sys.stderr)
        return 2
    if args.url and urlparse(args.url).hostname not in LOOPBACK:
        print("load_test: error: --url must be a loopback address (this is a test, not an attack)", file=sys.stderr)
        return 2
    proc = None
    url, pid = args.url, args.pid
    with tempfile.TemporaryDirectory(prefix="glyph-load-") as logs:
        try:
            if url is None:
                proc, url = _start_server(args.model, args.max_tokens, logs)
                pid = proc.pid
            _wait_ready(url, time.time() + 300, proc)
            result = run(url.rstrip("/"), args.clients, args.requests, args.max_tokens, args.timeout, pid)
        except RuntimeError as exc:
            print(f"load_test: error: {exc}", file=sys.stderr)
            return 2
        finally:
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
