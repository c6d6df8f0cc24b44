"""Shared fixtures: the reference kit (optional), fonts, and a pixel comparison that explains failures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FONTS = ROOT / "fonts"
# The reference kit lives beside the checkout, never in it; tests that need it skip on a bare clone.
REFERENCE = ROOT.parent / "shared" / "glyph-reference"
DEJAVU = FONTS / "DejaVuSans.ttf"
MICROHEI = FONTS / "wqy-microhei.ttc"  # a TrueType collection: Micro Hei (0), Micro Hei Mono (1)


@pytest.fixture
def reference() -> Path:
    if not (REFERENCE / "Little_Red_Riding_Hood.png").is_file():
        pytest.skip(f"the Glyph reference kit is not at {REFERENCE} (a bare clone has no ../shared)")
    return REFERENCE


@pytest.fixture
def verdana(reference) -> Path:
    return reference / "Verdana.ttf"


@pytest.fixture
def official_en(reference) -> dict:
    return json.loads((reference / "config_en.json").read_text())


@pytest.fixture
def empty_fonts_dir(tmp_path) -> Path:
    """A fonts folder holding only the shipped fallbacks (no training fonts)."""
    folder = tmp_path / "fonts"
    folder.mkdir()
    shutil.copy(DEJAVU, folder)
    shutil.copy(MICROHEI, folder)
    return folder


def assert_same_pages(ours, theirs, max_mean_diff: float = 0.0) -> None:
    """Same page count, same sizes, and a mean absolute grey difference of at most max_mean_diff per page."""
    assert len(ours) == len(theirs), f"{len(ours)} pages, official pipeline made {len(theirs)}"
    for number, (a, b) in enumerate(zip(ours, theirs), 1):
        assert a.size == b.size, f"page {number}: size {a.size}, official {b.size}"
        diff = np.abs(np.asarray(a.convert("L"), float) - np.asarray(b.convert("L"), float)).mean()
        assert diff <= max_mean_diff, f"page {number}: mean grey difference {diff:.3f}"
        if max_mean_diff == 0:
            assert np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB"))), \
                f"page {number}: RGB pixels differ"


def ink_columns(img, tolerance: int = 5) -> np.ndarray:
    """Indices of columns holding ink (pixels away from the background), as auto-crop sees them."""
    grey = np.asarray(img.convert("L"), float)
    return np.flatnonzero((np.abs(grey - grey[0, 0]) > tolerance).any(axis=0))


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """The tiny random-weight GLM-4.1V checkpoint, built once per test session."""
    pytest.importorskip("torch")
    from glyph_web.engine.tiny import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


# The GLM-V family's chat templates (reference data in ../shared, read from there, never copied in): the real
# checkpoint brings its own, so the engine is tested with each of them as well as the tiny model's own.
TEMPLATES = REFERENCE / "templates"
TEMPLATE_NAMES = ("tiny", "glm41v", "glm45v", "glm_ocr")


@pytest.fixture(scope="session")
def template_dirs(tiny_dir, tmp_path_factory):
    """name -> a folder of the tiny checkpoint whose chat template is that one ('tiny': its own)."""
    made: dict = {"tiny": tiny_dir}

    def folder(name: str) -> Path:
        if name not in made:
            source = TEMPLATES / f"{name}.jinja"
            if not source.is_file():
                pytest.skip(f"the chat template fixture {source} is absent (a bare clone has no ../shared)")
            target = tmp_path_factory.mktemp(f"tpl-{name}") / "model"
            target.mkdir()
            for item in Path(tiny_dir).iterdir():
                if item.name != "chat_template.jinja":
                    (target / item.name).symlink_to(item)
            shutil.copy(source, target / "chat_template.jinja")
            made[name] = target
        return made[name]

    return folder


@pytest.fixture(autouse=True)
def _no_glyph_environment(monkeypatch):
    """Tests see the defaults, not the developer's GLYPH_* settings (a GLYPH_AUTH in the shell would otherwise
    lock every test server)."""
    import os

    for name in [n for n in os.environ if n.startswith("GLYPH_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """A temp folder of the test's own as tempfile's default, to see what a step leaves behind."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder
