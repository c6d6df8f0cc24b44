#!/usr/bin/env python3
"""Upload-to-pages benchmark: how long a person waits for the pages, against the render itself, in one run.

    python scripts/bench_upload.py [--text ../shared/glyph-reference/case3.txt] [--repeats 5] [--json]
                                   [--gallery both|files|pil]

Each repeat measures, with a document nobody has seen each time (the text plus a line of its own, so every
page cache is cold), a render right before each upload (the order of files and pil alternating by repeat):
  render   the in-process render of the text as the app renders it: render_document with the app's settings
           (fast engine), its RenderConfig made as the Library makes it;
  files    upload to all pages on screen in a real browser, the gallery as it is: the app (create_app with a
           fake backend, on a free loopback port, in this process) in headless Chromium through Playwright; the
           text is uploaded through the page's file input (#doc-upload) from a fresh page load, and the clock
           stops when the gallery (#pages) shows one loaded <img> per page (complete, naturalWidth > 0; the
           grid's lazy images are made eager, as if scrolled to);
  pil      the same with the gallery's old value, the page images that Gradio encodes itself (the baseline:
           ui.gallery.gallery_images swapped in for the handlers' gallery).
Printed: the medians, and each upload median over the render median (the target: files at most 3x render).
A warm-up round of each goes first and is not counted. The machine's noise hits all of them alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

DEFAULT_TEXT = ROOT.parent / "shared" / "glyph-reference" / "case3.txt"
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 120_000
SETTLE_S = 1.0  # after a page load, for its load events (language, status, admin view) to be answered
# The gallery's grid images are lazy: those past the first rows would wait for a scroll. Made eager as they
# appear, so that "every page loaded" is a state the page reaches by itself (as a person scrolling sees it).
EAGER_JS = """new MutationObserver(() => {
  for (const img of document.querySelectorAll('#pages img[loading=lazy]')) img.loading = 'eager';
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['loading']});"""
# every grid image of the gallery loaded; arg: the page count
ALL_LOADED_JS = """n => {
  const imgs = document.querySelectorAll('#pages img');
  if (imgs.length < n) return false;
  for (const img of imgs) if (!img.complete || img.naturalWidth === 0) return false;
  return true;
}"""


def render_seconds(text: str, settings) -> tuple[float, int]:
    """Seconds render_document takes for the text as the Library renders it, and the page count."""
    from glyph_web.documents import from_text
    from glyph_web.render import RenderConfig, render_document

    options = settings.render_options()
    doc = from_text(text)
    config = RenderConfig.for_options(doc.text, options)
    fonts_dir = Path(options.fonts_dir) if options.fonts_dir else None
    started = time.perf_counter()
    pages = render_document(doc, config, engine=options.engine, fonts_dir=fonts_dir, max_pages=options.max_pages)
    return time.perf_counter() - started, len(pages.images)


def upload_seconds(browser, url: str, path: Path, pages: int) -> float:
    """Seconds from handing the file to the page's input to every page's image loaded in the gallery."""
    page = browser.new_page(viewport={"width": 1440, "height": 960})
    page.add_init_script(EAGER_JS)
    try:
        page.goto(url)
        file_input = page.locator("#doc-upload input[type=file]")
        file_input.wait_for(state="attached", timeout=TIMEOUT_MS)
        page.wait_for_function("() => (document.querySelector('#status') || {innerText: ''}).innerText"
                               ".includes('ready')", timeout=TIMEOUT_MS)
        time.sleep(SETTLE_S)
        started = time.perf_counter()
        file_input.set_input_files(str(path))
        page.wait_for_function(ALL_LOADED_JS, arg=pages, polling="raf", timeout=TIMEOUT_MS)
        elapsed = time.perf_counter() - started
        shown = page.evaluate("() => document.querySelectorAll('#pages img').length")
        if shown != pages:
            raise RuntimeError(f"the gallery shows {shown} images for {pages} pages")
        return elapsed
    finally:
        page.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text", type=Path, default=DEFAULT_TEXT, help="the text to upload (default: case3.txt)")
    parser.add_argument("--repeats", type=int, default=5, help="measured rounds (default 5); medians reported")
    parser.add_argument("--gallery", choices=("both", "files", "pil"), default="both",
                        help="the gallery's value: files (as it is), pil (the page images, as before), or both")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    if not args.text.is_file():
        parser.error(f"no text at {args.text} (the reference kit beside the checkout has case3.txt)")
    if not Path(CHROMIUM).exists():
        parser.error(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    text = args.text.read_text(encoding="utf-8")
    modes = ("files", "pil") if args.gallery == "both" else (args.gallery,)

    with tempfile.TemporaryDirectory(prefix="bench-upload-") as work:
        work = Path(work)
        os.environ["GRADIO_TEMP_DIR"] = str(work / "gradio")  # Gradio's copies go, and are removed, with it
        os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
        from playwright.sync_api import sync_playwright

        from fakes import FakeBackend, Server
        from glyph_web.settings import Settings
        from glyph_web.ui import gallery as gallery_module
        from glyph_web.ui import handlers

        settings = Settings(log_dir=str(work / "logs"), rate_limit=0)
        server = Server(settings, backend=FakeBackend())
        files_gallery = handlers.gallery
        galleries = {"files": files_gallery, "pil": gallery_module.gallery_images}
        times: dict[str, list[float]] = {"render": [], **{mode: [] for mode in modes}}
        serial = iter(range(10**6))

        def fresh_upload() -> Path:
            folder = work / f"upload-{next(serial)}"
            folder.mkdir()
            path = folder / args.text.name
            path.write_text(f"{text}\nbench_upload round {folder.name} {time.time_ns()}\n", encoding="utf-8")
            return path

        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=["--no-sandbox", "--disable-background-networking"])
                try:
                    _, pages = render_seconds(f"{text}\nwarm-up\n", settings)
                    for mode in modes:  # warm-up: first loads of the page's scripts, lazy imports
                        handlers.gallery = galleries[mode]
                        upload_seconds(browser, server.url, fresh_upload(), pages)
                    for round_ in range(args.repeats):
                        order = modes if round_ % 2 == 0 else modes[::-1]  # neither always runs first
                        for mode in order:  # a render right before each upload: they share the machine's mood
                            unseen = f"{text}\nrender round {round_} {mode} {time.time_ns()}\n"
                            times["render"].append(render_seconds(unseen, settings)[0])
                            handlers.gallery = galleries[mode]
                            times[mode].append(upload_seconds(browser, server.url, fresh_upload(), pages))
                        if not args.json:
                            print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items()),
                                  file=sys.stderr)
                finally:
                    browser.close()
        finally:
            handlers.gallery = files_gallery
            server.stop()

    medians = {name: statistics.median(values) for name, values in times.items()}
    result = {"text": str(args.text), "pages": pages, "repeats": args.repeats, "cpus": os.cpu_count(),
              "load_average": [round(x, 2) for x in os.getloadavg()],
              "median_s": {k: round(v, 4) for k, v in medians.items()},
              "runs_s": {k: [round(x, 4) for x in v] for k, v in times.items()},
              "ratio_to_render": {mode: round(medians[mode] / medians["render"], 2) for mode in modes}}
    if "pil" in modes and "files" in modes:
        result["speedup_files_over_pil"] = round(medians["pil"] / medians["files"], 2)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{args.text.name}: {pages} pages, {args.repeats} repeats, load average {result['load_average']}")
    print(f"render in process     median {medians['render']:.3f} s")
    for mode in modes:
        label = "upload to pages, " + ("files (now)" if mode == "files" else "pil (before)")
        print(f"{label:<29} median {medians[mode]:.3f} s  = {result['ratio_to_render'][mode]:.2f}x render")
    if "speedup_files_over_pil" in result:
        print(f"files over pil: {result['speedup_files_over_pil']:.2f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
