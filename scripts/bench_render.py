#!/usr/bin/env python3
"""Render benchmark against the official method, in one run: fidelity, whole-process speed, memory.

    python scripts/bench_render.py [--kit ../shared/glyph-reference] [--runs 3] [--json]
    python scripts/bench_render.py --engine reference --dpi 96 --cases input.txt case1.txt

1. Fidelity and in-process time. Each sample text of the reference kit (input.txt, case1..4.txt) is rendered
   with config_en.json and the kit's Verdana twice: with glyph-web's engine (render_text, what the app pays:
   no files), and with a plain transcription of the official pipeline (tests/oracle.py: reportlab -> PDF ->
   one pdftoppm -> crop). Per case: seconds for both and their ratio, characters per second, page counts,
   and the worst per-page mean grey difference (0-255) and differing pixel count; input.txt is also compared
   with the official Little_Red_Riding_Hood.png.
2. Whole process, case3.txt, alternating runs: the official method as a process (this script with
   --official-run, which writes PNG files as the official code does; its page for input.txt is first checked
   against Little_Red_Riding_Hood.png, so the baseline is honest) against `python -m glyph_web render`.
   Medians and their ratio (`whole_process_ratio`).
3. Peak memory (largest RSS in the process tree) of `python -m glyph_web render` on case3.txt and on a ten
   times longer text.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import tempfile
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
           "speedup": round(official_s / ours_s, 2), "chars_per_s": round(len(text) / ours_s),
           "fallback": ours.fallback, **compare(ours.images, theirs), "warnings": ours.warnings}
    png = kit / "Little_Red_Riding_Hood.png"
    if name == "input.txt" and dpi == 72 and png.is_file():
        row["vs_official_png"] = compare(ours.images, [Image.open(png).convert("RGB")])
    return row


def official_run(text_path: str, config_path: str, out: str) -> None:
    """The official method as a whole process: read the text, render, write page_NNN.png."""
    raw = json.loads(Path(config_path).read_text())
    pages = official_pages(Path(text_path).read_text(encoding="utf-8"), raw, raw["font-path"])
    Path(out).mkdir(parents=True, exist_ok=True)
    for number, img in enumerate(pages, 1):
        img.save(Path(out) / f"page_{number:03d}.png", "PNG")


def _timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _peak_rss_mb(cmd: list[str]) -> float:
    """Largest RSS of any process in the tree that cmd starts (Linux folds a reaped child's largest
    descendant into its parent's RUSAGE_CHILDREN), in MB."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
            "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], check=True, capture_output=True, text=True,
                         cwd=ROOT)
    return int(out.stdout.strip().splitlines()[-1]) / 1024  # KiB on Linux


def whole_process(kit: Path, engine: str, runs: int, tmp: Path) -> dict:
    raw = json.loads((kit / "config_en.json").read_text())
    raw["font-path"] = str((kit / "Verdana.ttf").resolve())
    config_path = tmp / "config_en.json"
    config_path.write_text(json.dumps(raw))
    me = str(Path(__file__).resolve())
    # the baseline must be the official method: its page for input.txt equals the official PNG
    subprocess.run([sys.executable, me, "--official-run", str(kit / "input.txt"), str(config_path), str(tmp / "in")],
                   check=True)
    honest = compare([Image.open(tmp / "in" / "page_001.png").convert("RGB")],
                     [Image.open(kit / "Little_Red_Riding_Hood.png").convert("RGB")])
    case = kit / "case3.txt"

    def ours_cmd(text: Path, out: str) -> list[str]:
        return [sys.executable, "-m", "glyph_web", "render", str(text), "--config", str(config_path),
                "--out", str(tmp / out), "--engine", engine, "--max-pages", "1000"]

    official_cmd = [sys.executable, me, "--official-run", str(case), str(config_path), str(tmp / "official")]
    official, ours = [], []
    for _ in range(runs):  # alternating, so that the machine's mood hits both alike
        official.append(_timed(official_cmd))
        ours.append(_timed(ours_cmd(case, "ours")))
    same = compare([Image.open(p).convert("RGB") for p in sorted((tmp / "ours").glob("page_*.png"))],
                   [Image.open(p).convert("RGB") for p in sorted((tmp / "official").glob("page_*.png"))])
    longer = tmp / "case3x10.txt"
    text = case.read_text(encoding="utf-8")
    longer.write_text(text * 10, encoding="utf-8")
    result = {
        "case": case.name, "characters": len(text), "runs": runs,
        "baseline_equals_official_png": honest["worst_differing_pixels"] == 0,
        "official_s": round(statistics.median(official), 3),
        "ours_s": round(statistics.median(ours), 3),
        "pages_equal_official": same["worst_differing_pixels"] == 0,
        "peak_rss_mb": round(_peak_rss_mb(ours_cmd(case, "mem")), 1),
        "peak_rss_mb_10x": round(_peak_rss_mb(ours_cmd(longer, "mem10")), 1),
        "characters_10x": len(text) * 10,
    }
    result["ratio"] = round(result["official_s"] / result["ours_s"], 2)
    return result


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) == 5 and sys.argv[1] == "--official-run":
        official_run(*sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kit", type=Path, default=ROOT.parent / "shared" / "glyph-reference",
                        help="the Glyph reference kit folder")
    parser.add_argument("--engine", default="fast", choices=ENGINE_NAMES)
    parser.add_argument("--dpi", type=float, default=72, help="DPI of the fidelity cases (part 1)")
    parser.add_argument("--cases", nargs="*", default=list(CASES), help="sample file names in the kit (part 1)")
    parser.add_argument("--runs", type=int, default=3, help="alternating whole-process runs of each side")
    parser.add_argument("--no-whole-process", action="store_true", help="skip parts 2 and 3")
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
    if not args.no_whole_process:
        with tempfile.TemporaryDirectory(prefix="glyph-bench-") as tmp:
            result["whole_process"] = whole_process(args.kit, args.engine, args.runs, Path(tmp))
        result["whole_process_ratio"] = result["whole_process"]["ratio"]
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'case':<12}{'chars':>9}{'pages':>7}{'ours s':>9}{'official s':>12}{'ratio':>7}{'chars/s':>10}"
          f"{'worst diff':>12}")
    for r in rows:
        diff = "size!" if r["worst_mean_diff"] is None else f"{r['worst_mean_diff']:.3f}"
        print(f"{r['case']:<12}{r['characters']:>9}{r['pages']:>7}{r['seconds']:>9.2f}"
              f"{r['official_seconds']:>12.2f}{r['speedup']:>7.2f}{r['chars_per_s']:>10}{diff:>12}")
    print(f"in process: {result['total_seconds']:.2f}s vs {result['total_official_seconds']:.2f}s official "
          f"({result['speedup']}x); worst page mean difference {result['worst_mean_diff']}")
    whole = result.get("whole_process")
    if whole:
        print(f"whole process, {whole['case']} (median of {whole['runs']}): {whole['ours_s']:.2f}s vs "
              f"{whole['official_s']:.2f}s official = {whole['ratio']}x; pages equal: "
              f"{whole['pages_equal_official']}; baseline equals the official PNG: "
              f"{whole['baseline_equals_official_png']}")
        print(f"peak memory (largest process): {whole['peak_rss_mb']} MB for {whole['characters']:,} characters, "
              f"{whole['peak_rss_mb_10x']} MB for {whole['characters_10x']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
