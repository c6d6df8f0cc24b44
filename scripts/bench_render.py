#!/usr/bin/env python3
"""Render benchmark and fidelity check against the official method, in the same run.

    python scripts/bench_render.py [--kit ../shared/glyph-reference] [--engine reference] [--dpi 72] [--json]

For each sample text of the reference kit (input.txt, case1..4.txt) it renders with config_en.json and the
kit's Verdana twice: with glyph-web's engine, and with a plain transcription of the official pipeline
(tests/oracle.py: reportlab -> PDF -> one pdftoppm -> crop). It prints seconds for both, the speed ratio,
page counts, and the worst per-page mean absolute grey difference (0-255) and differing pixel count. For
input.txt it also compares with the official Little_Red_Riding_Hood.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from glyph_web.render import ENGINE_NAMES, RenderConfig, render_text  # noqa: E402
from oracle import official_pages  # noqa: E402

CASES = ("input.txt", "case1.txt", "case2.txt", "case3.txt", "case4.txt")


def compare(ours: list[Image.Image], theirs: list[Image.Image]) -> dict:
    """Worst page difference; sizes must agree page for page."""
    same_sizes = len(ours) == len(theirs) and all(a.size == b.size for a, b in zip(ours, theirs))
    worst_mean, worst_pixels = None, None
    if same_sizes:
        worst_mean, worst_pixels = 0.0, 0
        for a, b in zip(ours, theirs):
            ga, gb = np.asarray(a.convert("L"), float), np.asarray(b.convert("L"), float)
            worst_mean = max(worst_mean, float(np.abs(ga - gb).mean()))
            worst_pixels = max(worst_pixels, int((np.asarray(a) != np.asarray(b)).any(-1).sum()))
    return {"same_page_sizes": same_sizes, "worst_mean_diff": worst_mean, "worst_differing_pixels": worst_pixels}


def bench_case(kit: Path, name: str, engine: str, dpi: float) -> dict:
    text = (kit / name).read_text(encoding="utf-8")
    raw = json.loads((kit / "config_en.json").read_text())
    raw["font-path"] = str((kit / "Verdana.ttf").resolve())
    raw["dpi"] = dpi
    started = time.perf_counter()
    theirs = official_pages(text, raw, raw["font-path"])
    official_s = time.perf_counter() - started
    started = time.perf_counter()
    ours = render_text(text, RenderConfig.from_dict(raw), engine=engine)
    ours_s = time.perf_counter() - started
    row = {"case": name, "characters": len(text), "pages": len(ours.images), "official_pages": len(theirs),
           "seconds": round(ours_s, 3), "official_seconds": round(official_s, 3),
           "speedup": round(official_s / ours_s, 2), **compare(ours.images, theirs),
           "warnings": ours.warnings}
    png = kit / "Little_Red_Riding_Hood.png"
    if name == "input.txt" and dpi == 72 and png.is_file():
        row["vs_official_png"] = compare(ours.images, [Image.open(png).convert("RGB")])
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kit", type=Path, default=ROOT.parent / "shared" / "glyph-reference",
                        help="the Glyph reference kit folder")
    parser.add_argument("--engine", default="reference", choices=ENGINE_NAMES)
    parser.add_argument("--dpi", type=float, default=72)
    parser.add_argument("--cases", nargs="*", default=list(CASES), help="sample file names in the kit")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # font warnings go into the rows, not the console
    if not (args.kit / "Verdana.ttf").is_file():
        print(f"bench_render: error: no reference kit with Verdana.ttf at {args.kit} (use --kit)", file=sys.stderr)
        return 2
    rows = [bench_case(args.kit, name, args.engine, args.dpi) for name in args.cases]
    diffs = [r["worst_mean_diff"] for r in rows if r["worst_mean_diff"] is not None]
    result = {
        "engine": args.engine, "dpi": args.dpi, "cases": rows,
        "all_page_sizes_equal": all(r["same_page_sizes"] for r in rows),
        "worst_mean_diff": max(diffs) if diffs else None,
        "total_seconds": round(sum(r["seconds"] for r in rows), 3),
        "total_official_seconds": round(sum(r["official_seconds"] for r in rows), 3),
    }
    result["speedup"] = round(result["total_official_seconds"] / result["total_seconds"], 2)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'case':<12}{'chars':>9}{'pages':>7}{'ours s':>9}{'official s':>12}{'ratio':>7}{'worst diff':>12}")
    for r in rows:
        diff = "size!" if r["worst_mean_diff"] is None else f"{r['worst_mean_diff']:.3f}"
        print(f"{r['case']:<12}{r['characters']:>9}{r['pages']:>7}{r['seconds']:>9.2f}"
              f"{r['official_seconds']:>12.2f}{r['speedup']:>7.2f}{diff:>12}")
    print(f"total: {result['total_seconds']:.2f}s vs {result['total_official_seconds']:.2f}s official "
          f"({result['speedup']}x); worst page mean difference {result['worst_mean_diff']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
