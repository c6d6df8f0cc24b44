#!/usr/bin/env python3
"""Render benchmark and fidelity check against the official method, in the same run.

    python scripts/bench_render.py [--kit ../shared/glyph-reference] [--engine reference] [--dpi 72] [--json]
    python scripts/bench_render.py --whole-process [--runs 3] [--long] [--json]

For each sample text of the reference kit (input.txt, case1..4.txt) it renders with config_en.json and the
kit's Verdana twice: with glyph-web's engine, and with a plain transcription of the official pipeline
(tests/oracle.py: reportlab -> PDF -> one pdftoppm -> crop). It prints seconds for both, the speed ratio,
page counts, and the worst per-page mean absolute grey difference (0-255) and differing pixel count. For
input.txt it also compares with the official Little_Red_Riding_Hood.png.

--whole-process times whole processes on case3.txt, alternating runs: the official method (this script
re-running itself with --official-run, which writes PNG files as the official code does; its output for
input.txt is checked against Little_Red_Riding_Hood.png first, so the baseline is honest) against
`python -m glyph_web render`. It prints the medians and their ratio, the in-process characters per second,
and the peak memory (RSS) of a process rendering case3.txt, and with --long a ten times longer text.
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
           "speedup": round(official_s / ours_s, 2), **compare(ours.images, theirs),
           "warnings": ours.warnings}
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


def _peak_rss_mb(text_path: Path, config_path: Path, engine: str) -> float:
    code = ("import resource, sys; from pathlib import Path; sys.path.insert(0, %r); "
            "from glyph_web.render import RenderConfig, render_text; "
            "render_text(Path(%r).read_text(encoding='utf-8'), RenderConfig.from_file(%r), engine=%r); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)") % (str(ROOT), str(text_path),
                                                                               str(config_path), engine)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return int(out.stdout.strip().splitlines()[-1]) / 1024  # KiB on Linux


def whole_process(kit: Path, engine: str, runs: int, long: bool) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="glyph-bench-"))
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
    official_cmd = [sys.executable, me, "--official-run", str(case), str(config_path), str(tmp / "official")]
    ours_cmd = [sys.executable, "-m", "glyph_web", "render", str(case), "--config", str(config_path),
                "--out", str(tmp / "ours"), "--engine", engine]
    official, ours = [], []
    for _ in range(runs):  # alternating, so that the machine's mood hits both alike
        official.append(_timed(official_cmd))
        ours.append(_timed(ours_cmd))
    text = case.read_text(encoding="utf-8")
    config = RenderConfig.from_file(config_path)
    started = time.perf_counter()
    render_text(text, config, engine=engine)
    in_process = time.perf_counter() - started
    result = {
        "case": case.name, "characters": len(text), "runs": runs, "engine": engine,
        "baseline_equals_official_png": honest["worst_differing_pixels"] == 0,
        "official_whole_process_s": round(statistics.median(official), 3),
        "ours_whole_process_s": round(statistics.median(ours), 3),
        "in_process_s": round(in_process, 3), "in_process_chars_per_s": round(len(text) / in_process),
        "peak_rss_mb": round(_peak_rss_mb(case, config_path, engine), 1),
    }
    result["whole_process_ratio"] = round(result["official_whole_process_s"] / result["ours_whole_process_s"], 2)
    if long:
        longer = tmp / "case3x10.txt"
        longer.write_text(text * 10, encoding="utf-8")
        result["peak_rss_mb_10x"] = round(_peak_rss_mb(longer, config_path, engine), 1)
    return result


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) == 5 and sys.argv[1] == "--official-run":
        official_run(*sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kit", type=Path, default=ROOT.parent / "shared" / "glyph-reference",
                        help="the Glyph reference kit folder")
    parser.add_argument("--engine", default="fast", choices=ENGINE_NAMES)
    parser.add_argument("--dpi", type=float, default=72)
    parser.add_argument("--cases", nargs="*", default=list(CASES), help="sample file names in the kit")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--whole-process", action="store_true", help="time whole processes on case3.txt")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs of each side (--whole-process)")
    parser.add_argument("--long", action="store_true", help="also the peak memory for a 10x longer text")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # font warnings go into the rows, not the console
    if not (args.kit / "Verdana.ttf").is_file():
        print(f"bench_render: error: no reference kit with Verdana.ttf at {args.kit} (use --kit)", file=sys.stderr)
        return 2
    if args.whole_process:
        result = whole_process(args.kit, args.engine, args.runs, args.long)
        print(json.dumps(result) if args.json else "\n".join(f"{k:>28}: {v}" for k, v in result.items()))
        return 0
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
