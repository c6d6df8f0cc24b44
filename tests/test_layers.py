"""The code's shape holds: the stages' layers and where torch, gradio and the web framework may be imported
(import-linter, contracts in pyproject.toml), and ruff finds nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def _tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    if found.is_file():
        return str(found)
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return path


def test_the_layers_and_the_heavy_imports_keep_their_places():
    done = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Contracts: 4 kept, 0 broken." in done.stdout


def test_ruff_finds_nothing():
    done = subprocess.run([_tool("ruff"), "check", "glyph_web", "tests", "scripts"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:]


def test_a_layer_violation_is_caught(tmp_path):
    """The contract can fail: a documents module that imports the engine breaks it."""
    source = ROOT / "glyph_web" / "documents" / "_layer_probe.py"
    source.write_text("from glyph_web.engine import manager  # noqa: F401\n")
    try:
        done = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
    finally:
        source.unlink()
    assert done.returncode != 0 and "glyph_web.documents._layer_probe" in done.stdout
