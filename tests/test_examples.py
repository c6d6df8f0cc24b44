"""The built-in examples in assets/examples: they load with the app's reader, hold the evidence for their answers
and carry texts in both languages. Most are plain committed files, edited by hand; the two that
scripts/make_examples.py builds (the Word contract and the ship's log) are exactly what it writes. Offline and fast."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from glyph_web.documents import combine, load_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "assets" / "examples"
GENERATOR = ROOT / "scripts" / "make_examples.py"
# What the generator writes; every other file in assets/examples is edited by hand.
GENERATED = {"equipment_purchase_contract_zh.docx", "rv_saltmarrow_deck_log.txt"}
IDS = {"pump-manual", "supply-contract", "planning-day", "ship-log"}
# The value each expected answer turns on; it must stand in the evidence and in both answers.
KEY_VALUES = {
    "pump-manual": ["94 N·m"],
    "supply-contract": ["1,275,600.00"],
    "planning-day": ["16.40", "426.40"],
    "ship-log": ["KC-58R3-0746-LN"],
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _meta() -> list[dict]:
    try:
        return json.loads((EXAMPLES / "examples.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # test_examples_json_lists_the_examples fails with the reason


META = _meta()
BY_ID = {ex.get("id"): ex for ex in META if isinstance(ex, dict)}


def _doc(example: dict):
    return combine([load_file(EXAMPLES / name) for name in example["files"]])


def _example(example_id: str) -> dict:
    if example_id not in BY_ID:
        pytest.fail(f"examples.json has no example {example_id!r}")
    return BY_ID[example_id]


def test_examples_json_lists_the_examples():
    assert (EXAMPLES / "examples.json").is_file(), "assets/examples/examples.json is missing"
    assert isinstance(META, list) and META, "examples.json must be a non-empty JSON list"
    ids = [ex.get("id") for ex in META]
    assert len(ids) == len(set(ids)), f"duplicate ids: {ids}"
    assert set(ids) == IDS
    for ex in META:
        assert set(ex) >= {"id", "title", "files", "question", "answer", "evidence"}, ex.get("id")
        assert ex["files"] and all(isinstance(f, str) for f in ex["files"]), ex["id"]
        for name in ex["files"]:
            assert not Path(name).is_absolute() and ".." not in Path(name).parts, name


@pytest.mark.parametrize("example_id", sorted(IDS))
def test_texts_in_both_languages(example_id):
    ex = _example(example_id)
    for field in ("title", "question", "answer"):
        for lang in ("en", "zh"):
            value = ex[field].get(lang)
            assert isinstance(value, str) and value.strip(), f"{example_id}: {field}.{lang} is empty"
        assert CJK.search(ex[field]["zh"]), f"{example_id}: {field}.zh holds no Chinese"
        assert not CJK.search(ex[field]["en"]), f"{example_id}: {field}.en holds Chinese"
    assert isinstance(ex["evidence"], str) and ex["evidence"].strip()
    for value in KEY_VALUES[example_id]:
        assert value in ex["answer"]["en"] and value in ex["answer"]["zh"], f"{example_id}: answer lacks {value}"


@pytest.mark.parametrize("example_id", sorted(IDS))
def test_files_load_and_hold_the_evidence(example_id):
    ex = _example(example_id)
    for name in ex["files"]:
        assert (EXAMPLES / name).is_file(), f"{name} is missing"
    doc = _doc(ex)
    assert doc.warnings == [], doc.warnings
    assert doc.text.count(ex["evidence"]) == 1, f"{example_id}: the evidence must occur exactly once"
    # The key value stands in the evidence, so the evidence really answers the question.
    evidence = ex["evidence"]
    for value in KEY_VALUES[example_id]:
        if value != "426.40":  # the total is worked out by the reader, not written anywhere
            assert value in evidence, f"{example_id}: evidence lacks {value}"


def test_manual_is_long_and_its_fact_is_unique_and_deep():
    ex = _example("pump-manual")
    assert [Path(f).suffix for f in ex["files"]] in ([".md"], [".txt"])
    text = _doc(ex).text
    assert len(text) >= 150_000, len(text)
    assert text.count(ex["evidence"]) == 1
    assert text.count("94 N·m") == 1, "the torque value must stand only in the evidence sentence"
    assert text.index(ex["evidence"]) > len(text) // 2, "the fact must lie past the middle of the manual"
    assert "# 13 Error codes" in text and "# 15 Glossary" in text
    # varied text, not one paragraph repeated: no long line occurs more than a handful of times
    lines = [line for line in text.split("\n") if len(line) > 80]
    worst = max(lines.count(line) for line in set(lines))
    assert worst <= 10, f"a long line repeats {worst} times"


def test_needle_is_unique_in_a_long_log():
    ex = _example("ship-log")
    text = _doc(ex).text
    assert len(text) >= 60_000, len(text)
    assert text.count(ex["evidence"]) == 1
    assert text.count("KC-58R3-0746-LN") == 1
    assert text.count("key cabinet") == 1, "the question must point at one sentence only"


def test_contract_is_a_real_word_file_with_a_table():
    import docx

    ex = _example("supply-contract")
    (name,) = ex["files"]
    path = EXAMPLES / name
    assert path.suffix == ".docx" and zipfile.is_zipfile(path)
    word = docx.Document(str(path))
    assert len(word.tables) >= 1
    rows = [" | ".join(cell.text for cell in row.cells) for table in word.tables for row in table.rows]
    assert ex["evidence"] in rows, "the evidence must be a row of a Word table"
    text = load_file(path).text
    assert CJK.search(text) and "甲方" in text and "乙方" in text
    numerals = "一二三四五六七八九十"
    clauses = ["第" + (numerals[n - 1] if n <= 10 else "十" + numerals[n - 11]) + "条" for n in range(1, 13)]
    for clause in clauses:
        assert clause in text, f"{clause} is missing"
    assert "第十二条" in text


def test_set_needs_two_documents():
    ex = _example("planning-day")
    assert len(ex["files"]) == 3
    texts = {name: load_file(EXAMPLES / name).text for name in ex["files"]}
    holders = [name for name, text in texts.items() if ex["evidence"] in text]
    assert len(holders) == 1 and holders[0].endswith("price_list_2025.md")
    notes = next(text for name, text in texts.items() if "meeting_notes" in name)
    assert "Garden Lunch" in notes and "26 people" in notes
    # no single file holds both the price and the headcount
    for name, text in texts.items():
        assert not ("16.40" in text and "26 people" in text), f"{name} alone answers the question"


def test_readme_describes_every_example():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert "free to use" in readme and "fictional" in readme
    for ex in META:
        assert ex["title"]["en"] in readme, ex["id"]


def test_generator_reproduces_the_committed_files(tmp_path):
    """The generator writes exactly the contract and the log, byte for byte as committed; the rest is plain data."""
    out = tmp_path / "examples"
    run = subprocess.run([sys.executable, str(GENERATOR), str(out)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    generated = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert generated == GENERATED, f"the generator wrote {sorted(generated)}, expected {sorted(GENERATED)}"
    differ = [name for name in sorted(generated) if (out / name).read_bytes() != (EXAMPLES / name).read_bytes()]
    assert not differ, f"run scripts/make_examples.py again: {differ} differ from what it generates"
