"""The exact-identifier assist: what counts as an identifier, which ones a question is about, the hint text."""

from __future__ import annotations

import hashlib
import time
import unicodedata
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glyph_web.chat.identifiers import KINDS, Identifier, find_identifiers, hint, relevant

SN = "SN-4F7K-9Q2X-118Z"
UUID = "550e8400-e29b-41d4-a716-446655440000"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"  # sha256(b"test")
MD5 = "5d41402abc4b2a76b9719d911017c592"  # md5(b"hello")
IBAN = "GB82 WEST 1234 5698 7654 32"
ACCOUNT = "123456789012"
SAMPLE = "SMP-7Q4K-2291-XB"
BATCH = "X9-2207/44B"
CODE = "AB12CD34EF"

TEXT = (
    f"Harbour log, spring 2024. On 2024-03-05 at 14:30 the pilot boat Gull, serial {SN}, "
    f"left the NASA dock. Its tracking record is {UUID}.\n"
    f"The firmware image (version 2.14.1, price $1,299.99) has SHA-256 {SHA256} and MD5 {MD5}.\n"
    f"Payments go to IBAN {IBAN}; account number {ACCOUNT}. "
    "Call +44 20 7946 0958 or (555) 123-4567 before 09:15.\n"
    f"领航船“海鸥号”登记于港务局，其样品编号 {SAMPLE} 已送检，批号{BATCH}，序列号{CODE}。"
    "The HTTP2 gateway and the WORLD HEALTH report mention COVID-19 and ISO-9001 in 1999.\n"
    f"Repeat: the Gull's serial {SN} is on file."
)

EXPECTED = [
    ("serial", SN), ("uuid", UUID), ("hash", SHA256), ("hash", MD5), ("iban", IBAN),
    ("number", ACCOUNT), ("serial", SAMPLE), ("serial", BATCH), ("serial", CODE),
]


def found(text: str, **kwargs) -> list[tuple[str, str]]:
    return [(i.kind, i.value) for i in find_identifiers(text, **kwargs)]


def by_value(value: str) -> Identifier:
    return next(i for i in find_identifiers(TEXT) if i.value == value)


# --- finding -------------------------------------------------------------------------------------------

def test_mixed_text_finds_exactly_the_identifiers_in_order():
    assert found(TEXT) == EXPECTED


def test_offsets_point_at_the_first_occurrence():
    ids = find_identifiers(TEXT)
    assert all(TEXT[i.start:i.end] == i.value for i in ids)
    assert [i.start for i in ids] == sorted(i.start for i in ids)
    assert by_value(SN).start == TEXT.index(SN) < TEXT.rindex(SN)  # the repeat is dropped


def test_identifier_is_a_frozen_dataclass():
    ident = find_identifiers(TEXT)[0]
    with pytest.raises(AttributeError):
        ident.value = "x"  # type: ignore[misc]
    assert ident == Identifier("serial", SN, ident.start, ident.end)


@pytest.mark.parametrize("text", [
    "On 2024-03-05 at 14:30:00, in 1999 and 2024.",            # dates, times, years
    "Version 2.14.1, build 10.0.19045, python 3.11",             # version numbers
    "It costs $1,299.99, or €12,345,678.00, or $12345678901.",   # prices
    "Call +44 20 7946 0958, (555) 123-4567, 555-123-4567, +4420794609580 or 1-800-555-0199.",
    "NASA, HTTP2, MP3, WORLD HEALTH, COVID-19, ISO-9001, RTX-4090, SHA-512/256, UTF-8",
    "ordinary words and Capitalised Words, deadbeefcafebabe (hex letters only)",
    "pi is 3.14159265358979 and 12345678901.25 has a decimal point",
    "a table row 2019 2020 2021 2022 and amounts 1200 1350 1480 1620",
    "05-MAR-2024, 10AM-11PM, 2024-03-05T12:30:00Z, 2023-2024-2025",
    "glued: https://x.com/files/AB12CD34EF ref.AB12CD34EF SN-4F7K-9Q2X-118Z-rev2 abcSN12345678",
    "inside words: café1234567890 x_1234567890 id1234567890 0x9f86d081884c7d65",
    "中文里的日期2024年3月5日，电话+86 10 1234 5678，价格￥1299.99元。",
])
def test_not_identifiers(text):
    assert found(text) == []


@pytest.mark.parametrize("text, expected", [
    ("card 4111 1111 1111 1111 ok", [("number", "4111 1111 1111 1111")]),
    ("ISBN 978-3-16-148410-0.", [("number", "978-3-16-148410-0")]),
    ("（账号：6222021234567890123）", [("number", "6222021234567890123")]),
    ("SN-12345 and ABC-12345-XYZ", [("serial", "SN-12345"), ("serial", "ABC-12345-XYZ")]),
    ("Order #A1B2C3D4 shipped.", [("serial", "A1B2C3D4")]),
    ("upper-case hash DEADBEEF00112233", [("hash", "DEADBEEF00112233")]),
    ("uuid {550E8400-E29B-41D4-A716-446655440000}", [("uuid", "550E8400-E29B-41D4-A716-446655440000")]),
    ("IBAN DE89370400440532013000.", [("iban", "DE89370400440532013000")]),
    # a following word in capitals is not taken as the IBAN's last group
    ("pay BE68 5390 0754 7034 THEN stop", [("iban", "BE68 5390 0754 7034")]),
    ("NL91 ABNA 0417 1643 00 AND more", [("iban", "NL91 ABNA 0417 1643 00")]),
    # overlaps: the most specific kind wins (upper-case hex is also serial-shaped)
    ("sum 9F86D081884C7D659A2FEAA0C55AD015", [("hash", "9F86D081884C7D659A2FEAA0C55AD015")]),
    ("序列号AB12CD34EF。", [("serial", "AB12CD34EF")]),  # CJK right beside it is still a boundary
])
def test_identifiers(text, expected):
    assert found(text) == expected


def test_dedup_keeps_first_and_limit_cuts_in_order():
    text = f"{CODE} {MD5} {CODE} {ACCOUNT} {MD5} {SN}"
    assert found(text) == [("serial", CODE), ("hash", MD5), ("number", ACCOUNT), ("serial", SN)]
    assert found(text, limit=2) == [("serial", CODE), ("hash", MD5)]
    assert found(text, limit=0) == [] and found("") == []


# --- relevance -----------------------------------------------------------------------------------------

IDS = find_identifiers(TEXT)


def ask(question: str, **kwargs) -> list[str]:
    return [i.value for i in relevant(IDS, TEXT, question, **kwargs)]


@pytest.mark.parametrize("question, expected", [
    ("What does SN-4F7K refer to?", [SN]),                       # a prefix
    ("Where is sn-4f7k-9q2x-118z registered?", [SN]),            # the whole value, typed in lower case
    ("ＳＮ－４Ｆ７Ｋ是什么？", [SN]),                              # typed full-width with a Chinese IME
    (f"Is {MD5} mentioned?", [MD5]),
    ("What is the IBAN?", [IBAN]),
    ("What is the UUID?", [UUID]),
])
def test_exact_answers(question, expected):
    assert ask(question) == expected


def test_a_fragment_outranks_everything():
    assert ask("Which boat's code ends in 118Z?")[0] == SN
    assert ask(f"Compare 2291 with {UUID[:8]}")[:2] == [UUID, SAMPLE]


def test_kind_questions_get_that_kind_best_placed_first():
    assert ask("What is the SHA-256 checksum of the firmware?") == [SHA256, MD5]
    assert set(ask("Which hashes are given?")) == {SHA256, MD5}
    assert set(ask("List the IDs.")) == {SN, UUID, ACCOUNT, SAMPLE, BATCH, CODE}
    zh = relevant(IDS, TEXT, "样品编号是多少？")
    assert zh[0].value == SAMPLE and {i.kind for i in zh} <= {"serial", "number"}
    bank = ask("银行账号是什么？")
    assert set(bank) == {IBAN, ACCOUNT}
    assert ask("What is the account number?", limit=1) == [ACCOUNT]


def test_context_words_pick_the_identifier():
    assert ask("Which boat left the dock?")[0] == SN
    assert ask("海鸥号登记在哪里？")[0] == SAMPLE


def test_ties_go_by_position():
    text = "AAAA1111BB, then CCCC2222DD; finally EEEE3333FF."
    ids = find_identifiers(text)
    assert [i.value for i in relevant(ids, text, "Which serials exist?")] == [i.value for i in ids]


@pytest.mark.parametrize("question", [
    "Who wrote the poem about autumn leaves?",
    "这首诗的作者是谁？",
    "",
])
def test_no_signal_no_identifiers(question):
    assert ask(question) == []


def test_a_year_is_no_fragment():
    text = "Account 2024123456789 was opened; see also X7-2024/55QQ."
    ids = find_identifiers(text)
    assert [i.value for i in ids] == ["2024123456789", "X7-2024/55QQ"]
    assert relevant(ids, text, "What happened in 2024?") == []
    assert [i.value for i in relevant(ids, text, "What is 2024/55QQ?")] == ["X7-2024/55QQ"]


# --- the hint ------------------------------------------------------------------------------------------

def test_hint_english():
    chosen = relevant(IDS, TEXT, "Which boat left the dock?")
    text = hint(chosen, TEXT)
    lines = text.split("\n")
    assert lines[0] == "Exact identifiers from the document's text (copy them character for character):"
    assert lines[1] == f'- {SN} (serial) in: "...the pilot boat Gull, serial {SN}, left the NASA dock. Its..."'
    assert len(lines) == len(chosen) + 1
    assert all(f"- {i.value} ({i.kind}) in: " in text for i in chosen)


def test_hint_chinese_and_every_value_verbatim():
    chosen = relevant(IDS, TEXT, "样品编号是多少？")
    text = hint(chosen, TEXT, "zh")
    assert text.startswith("文档中的精确编号（请逐字照抄）：\n")
    assert f"- {SAMPLE}（编号）出处：“" in text and "样品编号 " + SAMPLE in text
    assert all(i.value in text for i in chosen)


def test_hint_snippet_collapses_whitespace_and_marks_cuts():
    text = f"Line one\n\n  the\tcode is {CODE}\n  here."
    expected = f'- {CODE} (serial) in: "Line one the code is {CODE} here."'
    assert hint(find_identifiers(text), text).endswith(expected)
    long = "word " * 20 + IBAN + " tail" * 20
    assert hint(find_identifiers(long), long).endswith(f'in: "...{"word " * 6}{IBAN}{" tail" * 6}..."')
    cut = "x" * 40 + " Serial number: " + CODE + " was recorded yesterday at noon."
    expected = f'in: "...Serial number: {CODE} was recorded yesterday at..."'
    assert hint(find_identifiers(cut), cut).endswith(expected)
    assert hint([], TEXT) == ""


# --- performance and properties ------------------------------------------------------------------------

def test_two_megabytes_quickly():
    paragraph = ("The pilot boat Gull, serial SN-{n:04X}-9Q2X-{b:03d}Z, left dock {b} on 2024-03-05 at 14:30; "
                 "record {u}, checksum {h}. Account 1234{b:08d} at IBAN GB82 WEST 1234 5698 7654 32. "
                 "样品编号 SMP-7Q4K-{b:04d}-XB 已送检。Words NASA HTTP2 version 2.14.1 costs $1,299.99. ")
    parts, size = [], 0
    while size < 2_000_000:
        n = len(parts)
        part = paragraph.format(n=n, b=n % 1000, u=uuid.UUID(int=n), h=hashlib.sha256(str(n).encode()).hexdigest())
        parts.append(part)
        size += len(part)
    text = "".join(parts)
    started = time.perf_counter()
    everything = find_identifiers(text, limit=10**6)
    first = find_identifiers(text)
    chosen = relevant(first, text, "What is the serial of the boat that left dock 42?")
    elapsed = time.perf_counter() - started
    n = len(parts)
    # per paragraph a serial, a UUID and a hash; accounts and samples repeat every 1000; the IBAN once
    assert len(everything) == 3 * n + 1000 + 1000 + 1
    assert len(first) == 500 and first == everything[:500]
    assert chosen and chosen[0].value == "SN-002A-9Q2X-042Z"
    assert elapsed < 2.0, f"{elapsed:.2f} s for 2 MB"


def _joins(ch: str) -> bool:
    """A character that would make an identifier part of a longer word (CJK never does)."""
    return (ch.isalnum() or ch == "_") and unicodedata.east_asian_width(ch) not in "WF"


PIECES = [SN, CODE, UUID, MD5, IBAN, ACCOUNT, BATCH, "4111 1111 1111 1111", "9F86D081884C7D65",
          "-", "/", ".", " ", "x", "_", "é", "中", "Q", "7", "+", "(", ")", "\n", "a1b2", "AB", "12"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.text(alphabet="0123456789ABCDEFQXZabcdef-/. +()_é中\n", max_size=80),
))
def test_found_values_are_whole_tokens_of_the_text(text):
    ids = find_identifiers(text)
    assert len({i.value for i in ids}) == len(ids)
    previous_end = 0
    for ident in ids:
        assert ident.kind in KINDS
        assert ident.value == text[ident.start:ident.end] and ident.start < ident.end
        assert ident.start >= previous_end  # in order, no overlaps
        previous_end = ident.end
        before, after = text[:ident.start], text[ident.end:]
        assert not (before and _joins(before[-1])), (ident, text)
        assert not (after and _joins(after[0])), (ident, text)
        # nor glued to a word by a separator ("ref.AB12CD34EF", "SN-...-rev2")
        assert not (len(before) >= 2 and before[-1] in "-/." and _joins(before[-2])), (ident, text)
        assert not (len(after) >= 2 and after[0] in "-/." and _joins(after[1])), (ident, text)
