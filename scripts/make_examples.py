#!/usr/bin/env python3
"""Build the two example files of assets/examples/ that cannot be edited as plain text.

    python scripts/make_examples.py [OUTPUT_DIR]      # default: assets/examples in this checkout

It writes exactly two files:
  equipment_purchase_contract_zh.docx  the Word file of the Chinese contract, built with python-docx from its text,
                                       assets/examples/sources/equipment_purchase_contract_zh.md
  rv_saltmarrow_deck_log.txt           seven weeks of a ship's log: seeded filler entries with one sentence (the
                                       access code the ship-log example asks for) placed on day 19

Everything else in assets/examples/ (the pump manual, the planning_day/ files, examples.json, README.md and the
contract's source text) is an ordinary committed file, edited by hand; nothing generates it. The output is
deterministic (no clock, no network, a fixed-seed generator defined here, fixed dates inside the .docx), so the
committed files are exactly what this script writes; tests/test_examples.py checks that byte for byte. After
editing the contract's source text or the log generator, run it again and commit both files.
All companies, people, places and vessels in these texts are fictional.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "assets" / "examples"

CONTRACT_FILE = "equipment_purchase_contract_zh.docx"
CONTRACT_SOURCE = DEFAULT_OUT / "sources" / "equipment_purchase_contract_zh.md"
LOG_FILE = "rv_saltmarrow_deck_log.txt"

# The sentence the ship-log example asks about; it must occur exactly once in the log (checked when writing).
NEEDLE_CODE = "KC-58R3-0746-LN"
NEEDLE = (f"Chief Officer Tollefsen replaced the battery of the electronic key cabinet in the chart room and set a "
          f"new access code, {NEEDLE_CODE}; the Master asked for it to be recorded here.")


# ---------------------------------------------------------------------------------------------------------------
# Determinism helpers


class Rng:
    """splitmix64: a tiny seeded generator whose sequence never changes (random.Random's helpers may)."""

    def __init__(self, seed: int) -> None:
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return self.next() % n

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * (self.next() >> 11) / float(1 << 53)

    def choice(self, seq):
        return seq[self.below(len(seq))]

    def chance(self, p: float) -> bool:
        return self.uniform(0.0, 1.0) < p


def once(text: str, needle: str, what: str) -> None:
    count = text.count(needle)
    if count != 1:
        raise AssertionError(f"{what}: {needle!r} occurs {count} times, expected exactly once")


# ---------------------------------------------------------------------------------------------------------------
# The Chinese contract (.docx), from its source text


def contract_blocks(text: str) -> list[tuple[str, object]]:
    """The source text as ("title", str), ("heading", str), ("paragraph", str) and ("table", [header, *rows])."""
    if text.lstrip().startswith("<!--"):
        text = text.split("-->", 1)[1]  # the note for editors at the top
    blocks: list[tuple[str, object]] = []
    previous = ""
    for line in (line.strip(" \t\r") for line in text.split("\n")):  # keeps ideographic spaces (U+3000)
        if line.startswith("|"):
            cells = [cell.strip(" \t") for cell in line.strip("|").split("|")]
            if all(cell and set(cell) <= set("-: ") for cell in cells):
                pass  # the |---| line under the header
            elif previous.startswith("|"):
                blocks[-1][1].append(cells)
            else:
                blocks.append(("table", [cells]))
        elif line.startswith("# "):
            blocks.append(("title", line[2:].strip(" ")))
        elif line.startswith("## "):
            blocks.append(("heading", line[3:].strip(" ")))
        elif line:
            blocks.append(("paragraph", line))
        previous = line
    return blocks


def contract_docx(source: Path = CONTRACT_SOURCE) -> bytes:
    import datetime as dt

    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    for style_name, east_asian, size in (("Normal", "宋体", 10.5), ("Title", "黑体", 18), ("Heading 2", "黑体", 12)):
        style = doc.styles[style_name]
        style.font.size = Pt(size)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.insert(0, fonts)
        fonts.set(qn("w:eastAsia"), east_asian)

    title = None
    for kind, value in contract_blocks(source.read_text(encoding="utf-8")):
        if kind == "title":
            title = value
            doc.add_paragraph(value, style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif kind == "heading":
            doc.add_paragraph(value, style="Heading 2")
        elif kind == "paragraph":
            doc.add_paragraph(value)
        else:
            header, *rows = value
            if any(len(row) != len(header) for row in rows):
                raise ValueError(f"{source}: every row of the table {header} must have {len(header)} cells")
            table = doc.add_table(rows=1, cols=len(header))
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for cell, text in zip(table.rows[0].cells, header):
                cell.text = ""
                cell.paragraphs[0].add_run(text).bold = True
            for row in rows:
                for cell, text in zip(table.add_row().cells, row):
                    cell.text = text
    if title is None:
        raise ValueError(f"{source}: no '# ' title line")

    props = doc.core_properties
    fixed = dt.datetime(2025, 6, 26, 9, 0, 0)
    props.author = props.last_modified_by = "glyph-web examples"
    props.title = f"{title}（虚构示例）"
    props.created = props.modified = fixed
    props.revision = 1

    _slim(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return _deterministic_zip(buf.getvalue())


def _slim(doc) -> None:
    """Drop what python-docx's template carries but this contract does not use: about 160 unused (mostly table)
    styles, the optional Word 2010 copy of them (stylesWithEffects) and the template's blank-page thumbnail. The
    file then stays small without compression."""
    from docx.oxml.ns import qn

    styles = doc.styles.element
    by_id = {st.get(qn("w:styleId")): st for st in styles.iterfind(qn("w:style"))}
    body = doc.element.body
    numbering = doc.part.numbering_part.element  # its list levels name the List styles
    wanted = {el.get(qn("w:val")) for root in (body, numbering)
              for tag in ("w:pStyle", "w:rStyle", "w:tblStyle", "w:styleLink", "w:numStyleLink")
              for el in root.iter(qn(tag))}
    wanted |= {sid for sid, st in by_id.items() if st.get(qn("w:default")) in ("1", "true")}
    todo = list(wanted)
    while todo:  # keep the styles that the used ones are based on, linked to or followed by
        st = by_id.get(todo.pop())
        if st is None:
            continue
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = st.find(qn(tag))
            if ref is not None and ref.get(qn("w:val")) not in wanted:
                wanted.add(ref.get(qn("w:val")))
                todo.append(ref.get(qn("w:val")))
    for sid, st in by_id.items():
        if sid not in wanted:
            styles.remove(st)
    for owner in (doc.part, doc.part.package):
        for r_id, rel in list(owner.rels.items()):
            if rel.reltype.endswith(("/stylesWithEffects", "/thumbnail")):
                owner.drop_rel(r_id) if owner is doc.part else owner.rels.pop(r_id)


def _deterministic_zip(data: bytes) -> bytes:
    """The same archive with fixed member dates (python-docx stamps the current time) and stored members, so that
    the bytes do not depend on the clock or on the zlib build."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(2025, 6, 26, 9, 0, 0))
            member.compress_type = zipfile.ZIP_STORED
            member.external_attr = 0o644 << 16
            member.create_system = 0
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# The ship's log (needle in a haystack)

CREW = {
    "master": "Captain Ilse Varnholt",
    "co": "Chief Officer Maren Tollefsen",
    "2o": "Second Officer Declan Orrey",
    "3o": "Third Officer Sunniva Kade",
    "ce": "Chief Engineer Tomasz Brelling",
    "bosun": "Bosun Afa Lemuel",
    "scientist": "Dr Hester Quayle",
}
WATCHES = [("0000", "2o"), ("0400", "co"), ("0800", "3o"), ("1200", "2o"), ("1600", "co"), ("2000", "3o")]
WIND_DIRS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
SEA = {0: "calm", 1: "calm", 2: "smooth", 3: "slight", 4: "moderate", 5: "rough", 6: "rough", 7: "very rough",
       8: "high"}
SKY = ["clear", "fair", "partly cloudy", "overcast", "overcast with drizzle", "low cloud and rain showers",
       "broken cloud", "hazy sunshine", "fog patches", "squally showers"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SPECIES = ["a pod of about {n} white-beaked dolphins", "{n} pilot whales heading west", "a minke whale close to "
           "the starboard bow", "{n} gannets diving astern", "a raft of about {n} puffins", "a basking shark "
           "at the surface", "{n} fulmars following the wake", "a sunfish drifting past on the port side",
           "a group of {n} harbour porpoises", "a great skua harrying the kittiwakes"]
VESSELS = ["fishing vessel Merrow Dawn", "trawler Gull Reach", "cargo ship Tarnvale", "yacht Skerry Lass",
           "research vessel Corrie Bright", "fishing vessel Brannoch Star", "tanker Ostrevan Pride",
           "fisheries patrol vessel Kelda"]


def _latlon(lat: float, lon: float) -> str:
    la, lo = abs(lat), abs(lon)
    return (f"{int(la):02d}°{(la - int(la)) * 60:04.1f}'{'N' if lat >= 0 else 'S'} "
            f"{int(lo):03d}°{(lo - int(lo)) * 60:04.1f}'{'W' if lon < 0 else 'E'}")


def log_text() -> str:
    import datetime as dt

    rng = Rng(20250421)
    out: list[str] = []
    w = out.append
    w("RV SALTMARROW - DECK LOG")
    w("Voyage SM-25-04: Haldervik to the Brannoch Bank survey area and return")
    w(f"Master: {CREW['master']}. Chief Scientist: {CREW['scientist']}.")
    w("Times are ship's time (UTC+1). Positions by GNSS. Wind force on the Beaufort scale. Courses in degrees true.")
    w("(RV Saltmarrow, her crew, the ports, the other vessels and the survey area are fictional; this log was "
      "written as a glyph-web example.)")
    w("")

    port, area = (57.52, -1.93), (60.90, -4.90)
    lat, lon = port
    wind_dir, force, baro = 9, 3, 1016.0
    station = line_no = 0
    total_days, needle_day = 48, 19
    start = dt.date(2025, 4, 21)
    for voyage_day in range(1, total_days + 1):
        date = start + dt.timedelta(days=voyage_day - 1)
        month = ["January", "February", "March", "April", "May", "June", "July"][date.month - 1]  # not locale-bound
        w(f"=== Day {voyage_day} - {WEEKDAYS[date.weekday()]} {date.day} {month} {date.year} ===")
        phase = "out" if voyage_day == 1 else "home" if voyage_day == total_days else "survey"
        if phase == "out":
            w(f"0640 Pilot on board. Main engines tested ahead and astern. {CREW['master']} on the bridge.")
            w("0712 All lines let go; proceeding out of Haldervik harbour under pilotage.")
            w("0748 Pilot disembarked off the north breakwater. Full away on passage to the Brannoch Bank.")
            watches = WATCHES[2:]
        elif phase == "home":
            watches = WATCHES[:4]
        else:
            watches = WATCHES
        for watch_index, (time, officer) in enumerate(watches):
            wind_dir = (wind_dir + rng.choice([-1, 0, 0, 0, 1])) % 16
            force = max(1, min(8, force + rng.choice([-1, 0, 0, 0, 1])))
            baro = max(982.0, min(1031.0, baro + rng.uniform(-2.4, 2.4) + (1012.0 - baro) * 0.06
                                  - (force - 4) * 0.15))
            if phase == "out":  # day 1, 0800 to 2000: a quarter of the way per watch
                k = (watch_index + 1) / 4.5
                lat = port[0] + (area[0] - port[0]) * k + rng.uniform(-0.02, 0.02)
                lon = port[1] + (area[1] - port[1]) * k + rng.uniform(-0.03, 0.03)
                course, speed = 326 + rng.below(7), rng.uniform(9.6, 10.8)
            elif phase == "home":  # last day, 0000 to 1200: steaming back
                k = (watch_index + 1) / 4.3
                lat = area[0] + (port[0] - area[0]) * k + rng.uniform(-0.02, 0.02)
                lon = area[1] + (port[1] - area[1]) * k + rng.uniform(-0.03, 0.03)
                course, speed = 146 + rng.below(7), rng.uniform(9.8, 11.2)
            else:
                lat = min(max(lat + rng.uniform(-0.05, 0.05), area[0] - 0.3), area[0] + 0.3)
                lon = min(max(lon + rng.uniform(-0.08, 0.08), area[1] - 0.5), area[1] + 0.5)
                course, speed = rng.below(360), rng.uniform(3.0, 9.5)
            swell = max(0.5, force * 0.45 + rng.uniform(-0.4, 0.6))
            sky = rng.choice(SKY)
            vis = rng.choice(["good", "good", "good", "moderate", "very good", "poor in showers"])
            keeper = CREW[officer]
            entry = (f"{time} {_latlon(lat, lon)}. Co {course:03d}°, {speed:.1f} kn. Wind {WIND_DIRS[wind_dir]} "
                     f"{force}, sea {SEA[force]}, swell {swell:.1f} m. {sky.capitalize()}, visibility {vis}. "
                     f"Bar {baro:.1f} hPa. ")
            entry += rng.choice([
                f"{keeper} on watch.",
                f"Watch taken over by {keeper}; all well.",
                f"{keeper} has the watch. Fire and security rounds completed.",
                f"{keeper} on the bridge; lookout posted.",
                f"Watch changed, {keeper} in charge.",
                f"{keeper} relieved the watch. Deck and accommodation rounds completed.",
                f"{keeper} on watch. Navigation lights checked.",
            ])
            w(entry)
            if time == "1200":
                stations = f"{station} station{'s' if station != 1 else ''}"
                w(rng.choice([
                    "Noon: ship's clocks unchanged. Crew and science party well.",
                    "Noon: no defects reported. Medical log: nothing to report.",
                ] + ([f"Noon: day's run {round(speed * 24 * 0.45)} nm. All crew well.",
                      f"Noon summary: {stations} worked so far on this voyage."] if phase == "survey" else [])))
            events: list[tuple[int, str]] = []  # (minutes after the watch began, text)

            def at(text: str) -> None:
                events.append((rng.below(228) + 6, text))

            if phase == "survey":
                if rng.chance(0.55):
                    station += 1
                    depth = 90 + rng.below(310)
                    at(rng.choice([
                        f"Hove to at station BB-{station:03d}. CTD cast to {depth} m; bottle samples taken at "
                        f"{3 + rng.below(6)} depths. Recovered safely.",
                        f"Station BB-{station:03d}: CTD deployed to {depth} m, {CREW['scientist']} reports good "
                        f"profiles. Under way again.",
                        f"Arrived at station BB-{station:03d}, depth {depth + 12} m. CTD and plankton net "
                        f"(200 micron) deployed and recovered without incident.",
                        f"Station BB-{station:03d} worked: CTD to {depth} m, then a vertical net haul. Science "
                        f"party processing samples in the wet lab.",
                    ]))
                if rng.chance(0.3):
                    line_no += 1
                    at(rng.choice([
                        f"Multibeam survey line L-{line_no:02d} started; steering {rng.below(360):03d}° at 6 kn.",
                        f"Completed survey line L-{line_no:02d}. Turned onto the next line.",
                        f"Survey line L-{line_no:02d} interrupted by a fishing vessel working gear on the line; "
                        f"line re-run after she cleared.",
                    ]))
            if rng.chance(0.22):
                at("Sighted " + rng.choice(SPECIES).format(n=3 + rng.below(30)) + ". Logged for the science party.")
            if rng.chance(0.15):
                cables, vessel = 4 + rng.below(30), rng.choice(VESSELS)
                Vessel = vessel[0].upper() + vessel[1:]
                at(rng.choice([
                    f"{Vessel} passed {cables} cables off to port; no action needed.",
                    f"Called the {vessel} on VHF 16 to agree a passing; passed {cables} cables clear.",
                    f"{Vessel} on radar, {cables / 10:.1f} nm, CPA clear. Monitored until out of range.",
                ]))
            if time == "0800" and rng.chance(0.5):
                at(rng.choice([
                    f"{CREW['ce']} reports the fresh water generator made {9 + rng.below(8)} tonnes overnight.",
                    f"Engine room: purifier cleaned; No. {1 + rng.below(3)} generator on load, "
                    f"{180 + rng.below(120)} kW.",
                    f"Fuel soundings taken: {140 - voyage_day * 2 + rng.below(5)} m³ remaining, consumption as "
                    f"planned.",
                    f"{CREW['bosun']} and deck crew chipping and painting on the aft deck.",
                    "Galley reports fresh bread baked; stores checked, all in order.",
                    f"Ballast adjusted: {rng.below(40) + 10} tonnes transferred to trim the vessel by the stern.",
                ]))
            if time == "1200" and voyage_day % 7 == 4:
                at(rng.choice([
                    "Fire drill held: simulated fire in the paint store. Mustered in 4 minutes, hoses run out, "
                    "drill satisfactory.",
                    "Abandon ship drill: all hands mustered at the boat stations with lifejackets; lifeboat "
                    "engine run for 3 minutes.",
                    "Man overboard drill: dummy recovered with the rescue boat in 9 minutes.",
                ]))
            if force >= 6 and rng.chance(0.5):
                at(rng.choice([
                    "Weather deteriorating; over-side work suspended. Loose gear secured on deck.",
                    "Heavy rolling; science party advised to secure equipment in the labs.",
                    "Reduced speed for the sea; spray over the foredeck.",
                ]))
            if voyage_day == needle_day and time == "1200":
                at(NEEDLE)
            hour = int(time[:2])
            for minutes, text in sorted(events, key=lambda e: e[0]):
                w(f"{hour + minutes // 60:02d}{minutes % 60:02d} {text}")
        if phase == "home":
            w("1420 Pilot on board off the north breakwater.")
            w("1506 All fast alongside, Haldervik, port side to. Finished with engines.")
        w("")
    w("=== End of voyage ===")
    w(f"Log closed by {CREW['master']}, Master.")
    return "\n".join(out) + "\n"

# ---------------------------------------------------------------------------------------------------------------


def build() -> dict[str, bytes]:
    """The generated files of assets/examples, by name."""
    log = log_text()
    once(log, NEEDLE, "ship's log")
    once(log, NEEDLE_CODE, "ship's log")
    if len(log) < 60_000:
        raise AssertionError(f"the ship's log has {len(log):,} characters, fewer than 60,000")
    return {CONTRACT_FILE: contract_docx(), LOG_FILE: log.encode("utf-8")}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Build the example contract (.docx) and the ship's log.")
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT,
                        help="output folder (default: assets/examples in this checkout)")
    args = parser.parse_args(argv)
    for name, data in build().items():
        path = args.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{path}  {len(data):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
