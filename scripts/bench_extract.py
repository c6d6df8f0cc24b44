#!/usr/bin/env python3
"""PDF extraction benchmark: pypdf's text layer, the layout reader (pdfplumber), and the whole documents stage.

    python scripts/bench_extract.py [--pages 200] [--json] [--traced]
    python scripts/bench_extract.py --scaling [--json]

A PDF of N pages is made with reportlab: text paragraphs on most pages, a ruled order table (reportlab's Table)
every fifth page, a two-column page drawn line by line in alternation (left line, right line, ...) every fifth
page, a running header and footer on every page, and figures: a raster bar chart (a 600x400 PNG drawn with PIL,
different on every page) every tenth page (pages 2, 12, ...) and a vector bar chart (reportlab's own, drawn as
paths, a different size each time) every tenth page offset by five (pages 7, 17, ...).

Three readers, each in its own subprocess (this script with --run NAME), so that the peak memory of one does
not hide another's:
  pypdf     pypdf's text layer page by page (the reader before pdf_layout);
  layout    pdf_layout.read_text over the pypdf reader that pdf.py opens anyway (text only);
  document  the whole extraction as users get it: glyph_web.documents.load_bytes(data, "bench.pdf",
            Limits(max_pages=1000)): text, tables, columns, and the figures found, decoded and rasterised as
            image pages (max_pages is raised from 100 so that the page budget cuts no figure).
For each: seconds for the whole document, milliseconds per page (wall clock, and the process's CPU time,
steadier on a shared machine), the growth of the largest resident size (ru_maxrss) during the timed run, the
text characters (and for document the figure pages) produced, and with --traced the peak of Python's
allocations (tracemalloc) in a second run. Printed: all three and the ratios layout / pypdf and
document / pypdf; --json prints JSON.

--scaling runs the document reader alone at 50, 100 and 200 pages and prints its RSS growth and ms/page at
each, to show that memory stays flat in the page count (the target: under 50 ms a page, memory flat). The
document reader's growth is also split into what its result must hold (the figures' pixels, RGB, and the text:
these grow with the figures drawn) and the working memory beyond it, which should not grow with the pages.
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


def _raster_chart(c, rng: random.Random, number: int, top: float) -> float:
    """A 600x400 PNG bar chart drawn with PIL, its bars and title different each time (so never a repeat)."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    img = Image.new("RGB", (600, 400), "white")
    draw = ImageDraw.Draw(img)
    draw.line((40, 20, 40, 380, 590, 380), fill="black", width=2)
    for i in range(6):
        height = rng.randint(40, 330)
        draw.rectangle((60 + i * 88, 380 - height, 130 + i * 88, 380), fill=(40 + 30 * i, 90, 200 - 25 * i))
        draw.text((70 + i * 88, 385 - height - 16), str(height), fill="black")
    draw.text((300, 4), f"Figure {number}: flow by station", fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    buf.seek(0)
    c.drawImage(ImageReader(buf), MARGIN, top - 300, width=450, height=300)
    return top - 320


def _vector_chart(c, rng: random.Random, number: int, top: float) -> float:
    """reportlab's vector bar chart (paths, not a picture), its size and bars different each time."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing

    bars = 4 + (number // 10) % 5
    drawing = Drawing(440, 260)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 50, 40, 250 + (number % 37) * 3, 170
    chart.data = [tuple(rng.randint(50, 400) for _ in range(bars)), tuple(rng.randint(50, 400) for _ in range(bars))]
    chart.categoryAxis.categoryNames = [f"Q{i + 1}" for i in range(bars)]
    drawing.add(chart)
    renderPDF.draw(drawing, c, MARGIN, top - 260)
    c.setFont("Helvetica", 10)
    return top - 280


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
            y = PAGE[1] - 90
            if number % 10 == 2:
                y = _raster_chart(c, rng, number, y)
            elif number % 10 == 7:
                y = _vector_chart(c, rng, number, y)
            _paragraphs(c, rng, y, 60, PAGE[0] - 2 * MARGIN)
        c.showPage()
    c.save()
    return buf.getvalue()


def expected_figures(pages: int) -> int:
    return sum(number % 10 in (2, 7) for number in range(1, pages + 1))


def _pypdf(data: bytes) -> dict:
    """The reader before pdf_layout: pypdf's text layer page by page."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return {"characters": sum(len(page.extract_text() or "") for page in reader.pages)}


def _layout(data: bytes) -> dict:
    """The layout reader as pdf.py calls it: over the pypdf reader it opens anyway."""
    from pypdf import PdfReader

    from glyph_web.documents import pdf_layout

    texts, _notes = pdf_layout.read_text(data, PdfReader(io.BytesIO(data)))
    return {"characters": sum(len(t or "") for t in texts)}


DOCUMENT_MAX_PAGES = 1000  # the page budget of the document reader: large enough to cut no figure


def _document(data: bytes) -> dict:
    """The whole documents stage as users get it: text in reading order and the figures as image pages."""
    from glyph_web.documents import ImagePart, Limits, image_pages, load_bytes

    doc = load_bytes(data, "bench.pdf", Limits(max_pages=DOCUMENT_MAX_PAGES))
    # what the Document hands on and so must hold: its image pages' pixels (RGB) and its text
    held = sum(len(p.image.tobytes()) if isinstance(p, ImagePart) else len(p.text.encode()) for p in doc.parts)
    return {"characters": len(doc.text), "figure_pages": image_pages(doc), "output_mb": held / 2**20}


READERS = {"pypdf": _pypdf, "layout": _layout, "document": _document}


def run_one(name: str, path: str, traced: bool) -> dict:
    """In this process: import the reader and warm it up, time it, and with `traced` measure its allocations in
    a second run (tracemalloc slows Python down several times, so the timed run goes without it)."""
    data = Path(path).read_bytes()
    READERS[name](make_pdf(10))  # imports and first-use costs (a raster and a vector figure too) stay out
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start, cpu = time.perf_counter(), time.process_time()
    produced = READERS[name](data)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    result = {"seconds": seconds, "cpu_seconds": cpu, **produced, "rss_growth_mb": (rss_after - rss_before) / 1024,
              "peak_rss_mb": rss_after / 1024}
    if "output_mb" in result:  # the working memory: the growth beyond what the result itself holds
        result["rss_growth_less_output_mb"] = result["rss_growth_mb"] - result["output_mb"]
    if traced:
        tracemalloc.start()
        READERS[name](data)
        result["peak_traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result


def measure(name: str, path: Path, pages: int, traced: bool = False) -> dict:
    """One reader over the file at `path`, in a subprocess of its own."""
    command = [sys.executable, __file__, "--run", name, "--file", str(path)] + ["--traced"] * traced
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["ms_per_page"] = 1000 * result["seconds"] / pages
    result["cpu_ms_per_page"] = 1000 * result["cpu_seconds"] / pages
    return result


def _line(name: str, r: dict, traced: bool) -> str:
    peak = f", peak traced {r['peak_traced_mb']:.1f} MB" if traced else ""
    figures = f", {r['figure_pages']} figure pages" if "figure_pages" in r else ""
    held = (f"; {r['output_mb']:.1f} MB of it the pages handed on, {r['rss_growth_less_output_mb']:.1f} MB "
            f"beyond" if "output_mb" in r else "")
    return (f"{name:>8}: {r['ms_per_page']:6.1f} ms/page ({r['seconds']:.2f} s; CPU {r['cpu_ms_per_page']:.1f} "
            f"ms/page), largest RSS grew {r['rss_growth_mb']:.1f} MB{held} (peak {r['peak_rss_mb']:.0f} MB){peak}, "
            f"{r['characters']} characters{figures}")


def scaling(as_json: bool, sizes=(50, 100, 200)) -> None:
    """The document reader at several page counts: ms/page and RSS growth at each."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for pages in sizes:
            path = Path(tmp) / f"bench{pages}.pdf"
            path.write_bytes(make_pdf(pages))
            rows.append({"pages": pages, "pdf_bytes": path.stat().st_size, "expected_figures": expected_figures(pages),
                         **measure("document", path, pages)})
    if as_json:
        print(json.dumps({"reader": "document", "max_pages": DOCUMENT_MAX_PAGES, "runs": rows}, indent=2))
        return
    print(f"document reader (load_bytes, Limits(max_pages={DOCUMENT_MAX_PAGES}) so that no figure is cut):")
    for r in rows:
        print(f"  {r['pages']:4d} pages: {r['ms_per_page']:6.1f} ms/page (CPU {r['cpu_ms_per_page']:.1f}), largest RSS "
              f"grew {r['rss_growth_mb']:5.1f} MB: {r['output_mb']:5.1f} MB the pages handed on (figures' pixels, "
              f"text) and {r['rss_growth_less_output_mb']:4.1f} MB beyond; peak {r['peak_rss_mb']:.0f} MB; "
              f"{r['figure_pages']} figure pages of {r['expected_figures']}, {r['characters']} characters")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--traced", action="store_true", help="also the peak of Python's allocations (slow)")
    parser.add_argument("--scaling", action="store_true",
                        help="the document reader alone at 50, 100 and 200 pages: is memory flat in the page count?")
    parser.add_argument("--run", choices=sorted(READERS), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, args.file, args.traced)))
        return
    if args.scaling:
        scaling(args.json)
        return
    data = make_pdf(args.pages)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.pdf"
        path.write_bytes(data)
        results = {name: measure(name, path, args.pages, args.traced) for name in READERS}
    base = results["pypdf"]
    report = {"pages": args.pages, "pdf_bytes": len(data), "expected_figures": expected_figures(args.pages),
              "document_max_pages": DOCUMENT_MAX_PAGES, **results}
    for name in ("layout", "document"):
        r = results[name]
        report[f"ratio_{name}_pypdf"] = {"time": r["seconds"] / base["seconds"],
                                         "cpu": r["cpu_seconds"] / base["cpu_seconds"],
                                         "rss_growth": r["rss_growth_mb"] / max(base["rss_growth_mb"], 0.1)}
        if args.traced:
            report[f"ratio_{name}_pypdf"]["peak_traced"] = r["peak_traced_mb"] / base["peak_traced_mb"]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{args.pages} pages, {len(data) / 2**20:.1f} MB, {report['expected_figures']} figures drawn; document: "
          f"load_bytes with Limits(max_pages={DOCUMENT_MAX_PAGES}), so that the page budget cuts no figure")
    for name in READERS:
        print(_line(name, results[name], args.traced))
    for name in ("layout", "document"):
        ratio = report[f"ratio_{name}_pypdf"]
        traced = f", {ratio['peak_traced']:.2f}x the peak traced memory" if args.traced else ""
        print(f"  {name}/pypdf: {ratio['time']:.2f}x the time ({ratio['cpu']:.2f}x the CPU time), "
              f"{ratio['rss_growth']:.2f}x the RSS growth{traced}")


if __name__ == "__main__":
    main()
