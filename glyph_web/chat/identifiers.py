"""The exact-identifier assist: long exact strings of a document, given to the model as text.

Glyph reads documents as page images, and its authors list a known weakness: long exact strings (UUIDs,
hashes, serial numbers) are sometimes misread from the image. The document's text is at hand, so the app
finds such identifiers there (`find_identifiers`), keeps the ones a question is about (`relevant`) and
puts them beside the page images as plain text (`hint`), so that they are answered character for character.

Kinds, most specific first (the order that settles overlaps):
  uuid    canonical 8-4-4-4-12 hex, any case
  iban    2 letters, 2 digits, 11-30 letters/digits, compact or in groups of 4 joined by single spaces
  hash    16-128 hex digits in one case, with both letters and digits (MD5, SHA-1, SHA-256, ...)
  serial  8+ characters of uppercase letters and digits, at least 2 of each, in groups joined by - / .
  number  10+ digits, compact, dash-joined, or as 4-5 space-separated groups of 4 (not phones, prices,
          decimals, table rows)
Every identifier is a whole token: it neither starts nor ends inside a word, nor is it glued to a word by a
separator. CJK characters do not count as word characters (Chinese is written without spaces). Standard
library only; one regex pass per kind, well under a second on megabytes of text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

__all__ = ["Identifier", "KINDS", "find_identifiers", "relevant", "hint"]

KINDS = ("uuid", "iban", "hash", "serial", "number")  # most specific first: it wins an overlap
_PRIORITY = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Identifier:
    kind: str
    value: str  # exactly text[start:end]
    start: int
    end: int


# --- finding -------------------------------------------------------------------------------------------

# Scripts written without spaces: an identifier right beside a Han character is still a whole token.
_CJK = ("\u2e80-\u2fff\u3000-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af"
        "\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f")
_W = f"[^\\W{_CJK}]"  # a word character that joins a token: letters (any script but CJK), digits, _
# The first character comes first so that the regex engine can skip ahead to it quickly; the lookbehinds
# then check the character(s) before it: not a word character, nor a separator glued to one ("ref.AB12").
_START = f"(?<!{_W}.)(?<!{_W}[-/.].)"
_END = f"(?!{_W})(?![-/.]{_W})"  # and the same after: "SN-4F7K-abc" is one longer token, not a serial
_HEX = "0-9a-fA-F"

_UUID = re.compile(f"[{_HEX}]{_START}[{_HEX}]{{7}}(?:-[{_HEX}]{{4}}){{3}}-[{_HEX}]{{12}}{_END}")
_HASH = re.compile(f"(?:[0-9a-f]{_START}[0-9a-f]{{15,127}}|[0-9A-F]{_START}[0-9A-F]{{15,127}}){_END}")
_IBAN = re.compile(f"[A-Z]{_START}[A-Z][0-9]{{2}}"
                   f"(?:[A-Z0-9]{{11,30}}|(?: [A-Z0-9]{{4}}){{2,7}}(?: [A-Z0-9]{{1,3}})?){_END}")
# The lookaheads on length let the engine drop short tokens ("2024", "NASA") without a Python call.
_SERIAL = re.compile(f"[A-Z0-9]{_START}(?=[A-Z0-9/.-]{{7}})[A-Z0-9]*(?:[-/.][A-Z0-9]+)*{_END}")
# Space-separated groups only as 4 or 5 groups of 4 (cards, accounts), no digits just before or after.
_NUMBER = re.compile(f"[0-9]{_START}(?:(?<![0-9] .)[0-9]{{3}}(?: [0-9]{{4}}){{3,4}}(?! ?[0-9])"
                     f"|(?=[0-9-]{{9}})[0-9]*(?:-[0-9]+)*){_END}")

_DIGIT = re.compile("[0-9]").search
_LETTER = re.compile("[A-Za-z]").search
_GROUP_SEP = re.compile("[-/.]")
_MONTHS = frozenset("JAN FEB MAR APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC".split())
_CLOCK = re.compile(r"[0-9]{1,2}(?:AM|PM)")
# A leading +, an area code in parentheses, or a currency sign before the digits: a phone or a price.
_PHONE_OR_PRICE = re.compile(r"(?:\+[0-9 .\-]*|\([0-9]{1,5}\)[ .\-]?|[$€£¥][ ]?)$")
_YEAR = re.compile("(?:19|20)[0-9]{2}")
_DATE = re.compile(r"(?:19|20)[0-9]{2}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12][0-9]|3[01])(?![0-9])")  # date ranges
_NANP = {(3, 3, 4), (1, 3, 3, 4)}  # 555-123-4567, 1-800-555-0199: phones even without parentheses

# IBAN lengths by country (ISO 13616 registry); a compact candidate must fit one (or pass the checksum),
# since "2 letters + 2 digits + 11-30 more" alone would also take many product codes.
_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
_MAX_SERIAL = 64  # longer chains of groups are data (tables, encodings), not one code
_MAX_NUMBER = 40  # likewise digit runs: the digits of pi are no account number


def _mod97(compact: str) -> bool:
    """The IBAN check digits (ISO 7064 mod 97-10)."""
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _uuid_end(text: str, m: re.Match) -> int | None:
    return m.end()


def _hash_end(text: str, m: re.Match) -> int | None:
    value = m.group()
    return m.end() if _DIGIT(value) and _LETTER(value) else None


def _iban_end(text: str, m: re.Match) -> int | None:
    value = m.group()
    if " " not in value:
        country = _IBAN_LENGTHS.get(value[:2])
        return m.end() if country is not None and (country == len(value) or _mod97(value)) else None
    groups = value.split(" ")
    if not _mod97("".join(groups)):
        # The regex may have taken a following word in capitals as a last group ("... 7034 THEN"):
        # account tails are digits, so trailing letters-only groups go while enough remains.
        while groups[-1].isalpha() and sum(map(len, groups[:-1])) >= 15:
            groups.pop()
    if not 15 <= sum(map(len, groups)) <= 34:
        return None
    return m.start() + len(" ".join(groups))


def _serial_end(text: str, m: re.Match) -> int | None:
    value = m.group()
    if len(value) > _MAX_SERIAL:
        return None
    digits = sum(ch.isdigit() for ch in value)
    letters = len(value) - digits - sum(ch in "-/." for ch in value)
    if digits < 2 or letters < 2:
        return None
    groups = _GROUP_SEP.split(value)
    mixed = [g for g in groups if _DIGIT(g) and _LETTER(g)]
    if mixed:  # a group of letters and digits together is code-like: AB12CD34EF, 4F7K
        return None if all(_CLOCK.fullmatch(g) for g in mixed) else m.end()  # 10AM-11PM
    if any(g in _MONTHS for g in groups):  # 05-MAR-2024
        return None
    # Words joined to numbers ("COVID-19", "ISO-9001", "SHA-512/256") are names; a code has a longer
    # number in it and more parts or more digits (SN-12345, ABC-1234-XYZ).
    if not any(len(g) >= 4 and g.isdigit() for g in groups):
        return None
    return m.end() if len(groups) >= 3 or digits >= 5 else None


def _number_end(text: str, m: re.Match) -> int | None:
    value = m.group()
    digits = sum(ch.isdigit() for ch in value)
    if digits < 10 or len(value) > _MAX_NUMBER:
        return None
    if "-" in value:
        groups = value.split("-")
        if tuple(map(len, groups)) in _NANP or _DATE.search(value) or all(map(_YEAR.fullmatch, groups)):
            return None
    if " " in value:
        # Four-digit numbers side by side are more often a table row (years, amounts) than one number.
        groups = [int(g) for g in value.split(" ")]
        rising = all(x < y for x, y in zip(groups, groups[1:]))
        falling = all(x > y for x, y in zip(groups, groups[1:]))
        if rising or falling or all(1900 <= g <= 2099 or g % 100 == 0 for g in groups):
            return None
    if _PHONE_OR_PRICE.search(text, max(0, m.start() - 24), m.start()):
        return None
    return m.end()


_PASSES: tuple[tuple[str, re.Pattern, Callable[[str, re.Match], int | None]], ...] = (
    ("uuid", _UUID, _uuid_end),
    ("iban", _IBAN, _iban_end),
    ("hash", _HASH, _hash_end),
    ("serial", _SERIAL, _serial_end),
    ("number", _NUMBER, _number_end),
)


def find_identifiers(text: str, limit: int = 500) -> list[Identifier]:
    """Identifiers of `text` in order of appearance, each value once (its first occurrence), at most `limit`."""
    if limit <= 0 or not text:
        return []
    candidates: list[tuple[int, int, int, str]] = []  # start, end, priority, kind
    for kind, pattern, end_of in _PASSES:
        rank = _PRIORITY[kind]
        for m in pattern.finditer(text):
            end = end_of(text, m)
            if end is not None:
                candidates.append((m.start(), end, rank, kind))
    candidates.sort()
    found: list[Identifier] = []
    seen: set[str] = set()
    i = 0
    while i < len(candidates) and len(found) < limit:
        # A cluster of overlapping candidates (usually one): the most specific kinds win their spans.
        j, cluster_end = i + 1, candidates[i][1]
        while j < len(candidates) and candidates[j][0] < cluster_end:
            cluster_end = max(cluster_end, candidates[j][1])
            j += 1
        chosen: list[tuple[int, int, int, str]] = []
        for cand in sorted(candidates[i:j], key=lambda c: (c[2], c[0])):
            if all(cand[1] <= other[0] or cand[0] >= other[1] for other in chosen):
                chosen.append(cand)
        for start, end, _, kind in sorted(chosen):
            value = text[start:end]
            if value not in seen and len(found) < limit:
                seen.add(value)
                found.append(Identifier(kind, value, start, end))
        i = j
    return found


# --- relevance -----------------------------------------------------------------------------------------

_ALL = frozenset(KINDS)
_CODES = frozenset({"serial", "number"})
_KIND_WORDS: dict[str, frozenset[str]] = {
    **dict.fromkeys(["uuid", "guid"], frozenset({"uuid"})),
    **dict.fromkeys(["hash", "checksum", "sha", "md5", "digest", "fingerprint"], frozenset({"hash"})),
    "iban": frozenset({"iban"}),
    **dict.fromkeys(["account", "bank"], frozenset({"iban", "number"})),
    **dict.fromkeys(["serial", "code", "number", "reference", "ref", "part", "sample", "lot", "batch",
                     "tracking", "sn"], _CODES),
    "id": frozenset({"serial", "number", "uuid"}),
    "identifier": _ALL,
}
_ZH_KIND_WORDS: dict[str, frozenset[str]] = {
    **dict.fromkeys(["哈希", "校验和", "校验码", "散列", "摘要"], frozenset({"hash"})),
    **dict.fromkeys(["账号", "账户", "帐号", "帐户", "银行"], frozenset({"iban", "number"})),
    **dict.fromkeys(["序列号", "编号", "代码", "号码", "批号", "样品", "编码", "单号"], _CODES),
    "标识": _ALL,
}
_STOPWORDS = frozenset("""
    a an the and or but nor of to in on at by for with from into onto about as than then so if is are was
    were be been being am do does did has have had having can could would should will shall may might must
    what which who whom whose when where why how this that these those there here it its i me my we our you
    your he him his she her they them their not no yes all any each every some many much more most other
    such only also just very please tell give find show list say says said mentioned listed written given
    used document documents text file files page pages doc exact exactly value values one ones same
""".split())
_ZH_FUNCTION_CHARS = frozenset("的是了吗呢么什哪请问这那个些吧啊呀和与及或在有为把被给")
_EN_WORD = re.compile("[a-z0-9]+")
_Q_TOKEN = re.compile("[A-Za-z0-9]+(?:[-/.][A-Za-z0-9]+)*")
_NOT_ALNUM = re.compile("[^0-9A-Z]")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WINDOW = 120  # characters each side of an identifier that count as its context


def _compact(value: str) -> str:
    return _NOT_ALNUM.sub("", value.upper())


def _stem(word: str) -> str:
    # Enough to meet plurals halfway ("boats" / "boat"); the context is matched word for word.
    if len(word) > 4 and word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _kinds_of(word: str) -> frozenset[str]:
    kinds = _KIND_WORDS.get(word) or _KIND_WORDS.get(_stem(word)) or _KIND_WORDS.get(word.removesuffix("s"))
    if kinds is None and word.startswith("sha") and word[3:].isdigit():  # sha1, sha256
        kinds = _KIND_WORDS["sha"]
    return kinds or frozenset()


def relevant(identifiers: list[Identifier], text: str, question: str, limit: int = 12) -> list[Identifier]:
    """The identifiers this question is about, best first, at most `limit`; [] when nothing points at any.

    Signals, strongest first: (a) the question quotes the identifier or a fragment of 4+ characters of it;
    (b) it asks for its kind ("checksum", "IBAN", "序列号"); (c) its words occur near the identifier.
    When the question asks for kinds, other kinds come only by (a).
    """
    if not identifiers or limit <= 0 or not question.strip():
        return []
    q = unicodedata.normalize("NFKC", question)  # full-width letters and digits typed with a CJK IME
    q_compact = _compact(q)

    values = [_compact(ident.value) for ident in identifiers]
    fragments: set[str] = set()
    quoted: list[str] = []  # question tokens that are (parts of) identifiers: "SN-4F7K" is no kind word
    for token in _Q_TOKEN.findall(q):
        frag = _compact(token)
        # A fragment needs a digit (or length) to be specific: "4F7K", "118Z", "deadbeef", not "boat"
        # or a year, which would point at every identifier that happens to contain it.
        if len(frag) >= 4 and (_DIGIT(frag) or len(frag) >= 8) and not _YEAR.fullmatch(frag):
            fragments.add(frag)
            if any(frag in value for value in values):
                quoted.append(token.lower())

    wanted: set[str] = set()
    kind_text = q.lower()
    for token in quoted:
        kind_text = kind_text.replace(token, " ")
    for word in _EN_WORD.findall(kind_text):
        wanted |= _kinds_of(word)
    for key, kinds in _ZH_KIND_WORDS.items():
        if key in q:
            wanted |= kinds

    # The quoted identifier itself is (a)'s business: left in, it would find every window it appears in.
    context_words = {_stem(w) for w in _EN_WORD.findall(kind_text)
                     if (len(w) >= 3 or (len(w) == 2 and w.isdigit())) and w not in _STOPWORDS}
    bigrams = {run[k:k + 2] for run in _CJK_RUN.findall(q) for k in range(len(run) - 1)}
    bigrams = {b for b in bigrams if b.isalnum() and not (set(b) & _ZH_FUNCTION_CHARS) and b != "文档"}

    scored: list[tuple[Identifier, int, int, dict[str, float]]] = []
    for ident, value in zip(identifiers, values):
        if len(value) >= 4 and value in q_compact:
            a = 1000
        else:
            a = sum(len(f) for f in fragments if f in value)
        b = int(ident.kind in wanted)
        if wanted and not b and not a:
            continue  # asked for checksums: a UUID next to the same words is not the answer
        near = _near(ident, text, context_words, bigrams)
        if a or b or near:
            scored.append((ident, a, b, near))

    # Words found near every identifier say little; rare ones weigh more (inverse document frequency).
    df: dict[str, int] = {}
    for *_, near in scored:
        for word in near:
            df[word] = df.get(word, 0) + 1
    n = len(scored)

    def rank(entry: tuple[Identifier, int, int, dict[str, float]]) -> tuple:
        ident, a, b, near = entry
        c = sum(math.log(1 + n / df[w]) * closeness for w, closeness in near.items())
        return (-a, -b, -c, ident.start)

    return [entry[0] for entry in sorted(scored, key=rank)[:limit]]


def _codelike(token: str) -> bool:
    """An identifier-like compound ("x7-2024/55qq", "2024123456789"), unlike "sha-256" or "2024-03-05"."""
    compact = _compact(token)
    if len(compact) < 6 or not _DIGIT(compact):
        return False
    return len(compact) >= 10 or any(_DIGIT(g) and _LETTER(g) for g in _GROUP_SEP.split(token))


def _near(ident: Identifier, text: str, words: set[str], bigrams: set[str]) -> dict[str, float]:
    """Question words in the window around `ident`, each with its closeness (1 beside it, less farther)."""
    if not words and not bigrams:
        return {}
    lo = max(0, ident.start - _WINDOW)
    window = text[lo:ident.end + _WINDOW].lower()
    found: dict[str, float] = {}

    def note(word: str, pos: int, length: int) -> None:
        at = lo + pos
        distance = ident.start - (at + length) if at < ident.start else max(0, at - ident.end)
        closeness = 1 / (1 + max(0, distance) / 30)  # a label right before the value beats a neighbour's
        if closeness > found.get(word, 0.0):
            found[word] = closeness

    if words:
        for compound in _Q_TOKEN.finditer(window):
            if _codelike(compound.group()):
                continue  # "2024" inside X7-2024/55QQ (or the identifier itself) is no context word
            for m in _EN_WORD.finditer(compound.group()):
                word = _stem(m.group())
                if word in words:
                    note(word, compound.start() + m.start(), len(m.group()))
    for bigram in bigrams:
        pos = window.find(bigram)
        while pos >= 0:
            note(bigram, pos, 2)
            pos = window.find(bigram, pos + 1)
    return found


# --- the hint ------------------------------------------------------------------------------------------

_HEADERS = {
    "en": "Exact identifiers from the document's text (copy them character for character):",
    "zh": "文档中的精确编号（请逐字照抄）：",
}
_ZH_KINDS = {"uuid": "UUID", "iban": "IBAN", "hash": "哈希值", "serial": "编号", "number": "号码"}
_SNIPPET = 30  # characters of context each side: enough to tell which is which, short for the prompt
_SPACES = re.compile(r"\s+")
_TOKEN_AT = re.compile(f"[-/.]?{_W}")  # a word (or a code's next group) goes on here
_EDGE_HEAD = re.compile(f"^{_W}*(?:[-/.]{_W}+)*")
_EDGE_TAIL = re.compile(f"(?:{_W}+[-/.])*{_W}*$")


def hint(identifiers: list[Identifier], text: str, language: str = "en") -> str:
    """The plain-text block for the model: each value verbatim, its kind and a short snippet of context."""
    if not identifiers:
        return ""
    zh = language.lower().startswith("zh")
    lines = [_HEADERS["zh" if zh else "en"]]
    for ident in identifiers:
        snippet = _snippet(text, ident, "…" if zh else "...")
        if zh:
            lines.append(f"- {ident.value}（{_ZH_KINDS.get(ident.kind, ident.kind)}）出处：“{snippet}”")
        else:
            lines.append(f'- {ident.value} ({ident.kind}) in: "{snippet}"')
    return "\n".join(lines)


def _snippet(text: str, ident: Identifier, ellipsis: str) -> str:
    lo, hi = max(0, ident.start - _SNIPPET), min(len(text), ident.end + _SNIPPET)
    before, after = text[lo:ident.start], text[ident.end:hi]
    # Drop a word cut in half at either edge ("...Its", not "...It"); Chinese characters stay as they are.
    if lo > 0 and _TOKEN_AT.match(text, lo - 1):
        before = _EDGE_HEAD.sub("", before)
    if hi < len(text) and _TOKEN_AT.match(text, hi):
        after = _EDGE_TAIL.sub("", after)
    before = _SPACES.sub(" ", before).lstrip()
    after = _SPACES.sub(" ", after).rstrip()
    head = ellipsis if lo > 0 else ""
    tail = ellipsis if hi < len(text) else ""
    return f"{head}{before}{text[ident.start:ident.end]}{after}{tail}"


def with_hint(question: str, text: str, found: list[Identifier]) -> tuple[str, list[Identifier]]:
    """The question as the model gets it, and the identifiers it carries: those of `found` (from
    find_identifiers(text)) that the question is about, after it, in the question's language."""
    from glyph_web.render.config import has_cjk

    chosen = relevant(found, text, question)
    if not chosen:
        return question, []
    return f"{question}\n\n{hint(chosen, text, 'zh' if has_cjk(question) else 'en')}", chosen
