#!/usr/bin/env python3
"""PDF text extraction benchmark: today's pypdf text layer against the layout reader (pdfplumber), in one run.

    python scripts/bench_extract.py [--pages 200] [--json] [--traced]

A PDF of N pages is made with reportlab: text paragraphs on most pages, a ruled order table (reportlab's Table)
every fifth page, a two-column page drawn line by line in alternation (left line, right line, ...) every fifth
page, and a running header and footer on every page. Each reader then runs in its own subprocess (this script
with --run NAME), so that the peak memory of one does not hide the other's: seconds for the whole document,
milliseconds per page (wall clock, and the process's CPU time, steadier on a shared machine), the growth of the
largest resident size (ru_maxrss) during the timed run, and with --traced the peak of Python's allocations
(tracemalloc) in a second run. Printed: both and their ratios (layout / pypdf); --json prints JSON. The layout
reader is timed as pdf.py would call it: pdf_layout.read_text over the pypdf reader that pdf.py opens anyway.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

WORDS = ("the pump station report describes flow pressure valve maintenance schedule engineers measured "
         "quarterly results customers ordered spare parts delivery north south plant water energy savings "
         "approved budget review").split()
PAGE = (595, 842)  # A4, points
MARGIN = 56


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _paragraphs(c, rng: random.Random, top: float, bottom: float, width: float, x: float = MARGIN) -> None:
    from reportlab.lib.utils import simpleSplit

    y = top
    while y > bottom + 60:
        text = " ".join(_sentence(rng, rng.randint(8, 16)) for _ in range(rng.randint(3, 6)))
        for line in simpleSplit(text, "Helvetica", 10, width):
            if y < bottom:
                return
            c.drawString(x, y, line)
            y -= 13
        y -= 8


def _table(c, rng: random.Random, top: float) -> float:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    rows = [["Item", "Unit price", "Quantity"]]
    rows += [[f"Pump A-{rng.randint(1, 99)}", f"{rng.randint(1, 40) * 100} EUR", str(rng.randint(1, 9))]
             for _ in range(6)]
    table = Table(rows, colWidths=[180, 120, 80])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                               ("FONTNAME", (0, 0), (-1, -1), "Helvetica"), ("FONTSIZE", (0, 0), (-1, -1), 10)]))
    _w, h = table.wrapOn(c, PAGE[0] - 2 * MARGIN, PAGE[1])
    table.drawOn(c, MARGIN, top - h)
    return top - h - 20


def _two_columns(c, rng: random.Random) -> None:
    from reportlab.lib.utils import simpleSplit

    width = (PAGE[0] - 2 * MARGIN - 24) / 2
    left = simpleSplit(" ".join(_sentence(rng, 12) for _ in range(30)), "Helvetica", 10, width)
    right = simpleSplit(" ".join(_sentence(rng, 12) for _ in range(30)), "Helvetica", 10, width)
    y = PAGE[1] - 90
    for a, b in zip(left, right):  # the content stream alternates: left line, right line, ...
        if y < 80:
            break
        c.drawString(MARGIN, y, a)
        c.drawString(MARGIN + width + 24, y, b)
        y -= 13


def make_pdf(pages: int = 200, seed: int = 7) -> bytes:
    from reportlab.pdfgen import canvas

    rng = random.Random(seed)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=PAGE)
    for number in range(1, pages + 1):
        c.setFont("Helvetica", 9)
        c.drawString(MARGIN, PAGE[1] - 40, "ACME Water Board - Annual pump station report")
        c.drawCentredString(PAGE[0] / 2, 30, f"Page {number} of {pages}")
        c.setFont("Helvetica", 10)
        kind = number % 5
        if kind == 3:
            y = _table(c, rng, PAGE[1] - 90)
            c.setFont("Helvetica", 10)
            _paragraphs(c, rng, y, 60, PAGE[0] - 2 * MARGIN)
        elif kind == 0:
            _two_columns(c, rng)
        else:
            _paragraphs(c, rng, PAGE[1] - 90, 60, PAGE[0] - 2 * MARGIN)
        c.showPage()
    c.save()
    return buf.getvalue()


def _pypdf(data: bytes) -> int:
    """Today's reader: pypdf's text layer page by page, as glyph_web.documents.pdf.load_pdf reads it."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return sum(len(page.extract_text() or "") for page in reader.pages)


def _layout(data: bytes) -> int:
    """The layout reader as pdf.py would call it: over the pypdf reader it opens anyway."""
    from pypdf import PdfReader

    from glyph_web.documents import pdf_layout

    texts, _notes = pdf_layout.read_text(data, PdfReader(io.BytesIO(data)))
    return sum(len(t or "") for t in texts)


READERS = {"pypdf": _pypdf, "layout": _layout}


def run_one(name: str, path: str, traced: bool) -> dict:
    """In this process: import the reader and warm it up, time it, and with `traced` measure its allocations in
    a second run (tracemalloc slows Python down several times, so the timed run goes without it)."""
    data = Path(path).read_bytes()
    READERS[name](make_pdf(2))  # imports and first-use costs stay out of the figures
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu = time.perf_counter(), time.process_time()
    characters = READERS[name](data)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    result = {"seconds": seconds, "cpu_seconds": cpu, "characters": characters,
              "rss_growth_mb": (rss_after - rss_before) / 1024}
    if traced:
        tracemalloc.start()
        READERS[name](data)
        result["peak_traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--traced", action="store_true", help="also the peak of Python's allocations (slow)")
    parser.add_argument("--run", choices=sorted(READERS), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, args.file, args.traced)))
        return
    data = make_pdf(args.pages)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.pdf"
        path.write_bytes(data)
        for name in ("pypdf", "layout"):
            command = [sys.executable, __file__, "--run", name, "--file", str(path)] + ["--traced"] * args.traced
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            results[name] = json.loads(out.strip().splitlines()[-1])
            results[name]["ms_per_page"] = 1000 * results[name]["seconds"] / args.pages
            results[name]["cpu_ms_per_page"] = 1000 * results[name]["cpu_seconds"] / args.pages
    report = {"pages": args.pages, "pdf_bytes": len(data), **results,
              "ratio_time": results["layout"]["seconds"] / results["pypdf"]["seconds"],
              "ratio_cpu": results["layout"]["cpu_seconds"] / results["pypdf"]["cpu_seconds"],
              "ratio_rss_growth": results["layout"]["rss_growth_mb"] / max(results["pypdf"]["rss_growth_mb"], 0.1)}
    if args.traced:
        report["ratio_peak_traced"] = results["layout"]["peak_traced_mb"] / results["pypdf"]["peak_traced_mb"]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{args.pages} pages, {len(data) / 2**20:.1f} MB")
    for name in ("pypdf", "layout"):
        r = results[name]
        traced = f", peak traced {r['peak_traced_mb']:.1f} MB" if args.traced else ""
        print(f"{name:>7}: {r['ms_per_page']:6.1f} ms/page ({r['seconds']:.2f} s; CPU {r['cpu_ms_per_page']:.1f} "
              f"ms/page), largest RSS grew {r['rss_growth_mb']:.1f} MB{traced}, {r['characters']} characters")
    traced = f", {report['ratio_peak_traced']:.2f}x the peak traced memory" if args.traced else ""
    print(f"  layout/pypdf: {report['ratio_time']:.2f}x the time ({report['ratio_cpu']:.2f}x the CPU time), "
          f"{report['ratio_rss_growth']:.2f}x the RSS "
          f"growth{traced}")


if __name__ == "__main__":
    main()
