"""scripts/load_test.py runs clients against a server it starts on loopback, and refuses other hosts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # a server and clients in subprocesses


def _run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "load_test.py"), *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout)


def test_a_small_run_completes_every_request_and_reports_memory(tiny_dir):
    done = _run("--clients", "3", "--requests", "2", "--max-tokens", "4", "--model", str(tiny_dir), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["completed"] == 6 and result["failed"] == 0 and result["failures"] == {}
    assert 0 < result["latency_s"]["p50"] <= result["latency_s"]["p99"] <= result["latency_s"]["max"]
    assert result["server_rss_mb_before"] > 0 and result["server_rss_mb_after"] > 0


def test_it_refuses_anything_but_loopback():
    done = _run("--url", "http://example.com:7860", timeout=30)
    assert done.returncode == 2 and "loopback" in done.stderr and len(done.stderr.strip().splitlines()) == 1
