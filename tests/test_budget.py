"""A request's budget, checked before the work it bounds: pictures against the page limit before anything is
decoded, declared sizes before base64, pixels from the headers before the pixels, PDF page trees before any text
is extracted, huge PDF pages rasterised small; and the memory kept between requests bounded by bytes.

Each test is one of the attacks that once worked (hundreds of image parts, poster-sized blank PDF pages, a
tiny PDF naming 90,000 pages, caches that kept every page they saw); memory is read from /proc/self/status.
"""

from __future__ import annotations

import base64
import gc
import io
import time
from types import SimpleNamespace

import pytest
from PIL import Image

from glyph_web import poppler
from glyph_web.chat import Library, RenderOptions
from glyph_web.documents import Document, ImagePart, Limits, load_bytes
from glyph_web.documents import images as images_module
from glyph_web.errors import DocumentError
from glyph_web.render.cache import MB, PageCache, pages_bytes
from glyph_web.settings import Settings

import docgen
from fakes import READY, FakeBackend, script

QUESTION = {"type": "text", "text": "What is on these pages?"}


# --- helpers -------------------------------------------------------------------------------------------------


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} in /proc/self/status")


class _Memory:
    """Growth of this process's memory over a block: its peak (VmHWM, reset first where the kernel allows)
    over the resident size before, or the resident size after when the peak cannot be reset."""

    def __enter__(self):
        gc.collect()
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset VmHWM to the current resident size
            self.peak = True
        except OSError:
            self.peak = False
        self.before = _status_mb("VmRSS")
        return self

    def __exit__(self, *exc):
        gc.collect()
        self.after = _status_mb("VmRSS")
        self.growth = (_status_mb("VmHWM") if self.peak else self.after) - self.before
        return False


def _png(size=(1400, 1400), colour=(255, 255, 255)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def _image_part(data: bytes) -> dict:
    return {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(data).decode()}}


def _file_part(data: bytes, name: str, media: str = "application/octet-stream") -> dict:
    return {"type": "file", "file": {"filename": name,
                                     "file_data": f"data:{media};base64," + base64.b64encode(data).decode()}}


def _post(client, *parts):
    return client.post("/v1/chat/completions",
                       json={"model": "glyph", "messages": [{"role": "user", "content": [*parts, QUESTION]}]})


def _error(response) -> str:
    body = response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}, body  # OpenAI's shape
    return body["error"]["message"]


@pytest.fixture()
def api(tmp_path):
    """A TestClient over create_app with a scripted backend, made with the given settings."""
    from fastapi.testclient import TestClient

    from glyph_web.server import create_app

    opened = []

    def make(**settings):
        backend = FakeBackend(script("Blank pages."))
        backend.model_state = READY
        app, _ = create_app(Settings(log_dir=str(tmp_path / "logs"), rate_limit=0, **settings), backend=backend,
                            start=False)
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client, backend

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture()
def counted(monkeypatch):
    """Calls of base64.b64decode and of the picture decoder (open_page_image), counted."""
    calls = {"b64decode": 0, "decode_pixels": 0}
    b64decode, open_page_image = base64.b64decode, images_module.open_page_image

    def counting_b64decode(*args, **kwargs):
        calls["b64decode"] += 1
        return b64decode(*args, **kwargs)

    def counting_open(*args, **kwargs):
        calls["decode_pixels"] += 1
        return open_page_image(*args, **kwargs)

    monkeypatch.setattr(base64, "b64decode", counting_b64decode)
    monkeypatch.setattr(images_module, "open_page_image", counting_open)
    return calls




# --- the API: pictures, sizes and pixels before decoding -------------------------------------------------------


def test_three_hundred_image_parts_are_refused_before_any_is_decoded(api, counted):
    client, backend = api()
    parts = [_image_part(_png())] * 300  # 1400x1400 white: a few kB each, 5.9 MB once decoded
    with _Memory() as memory:
        response = _post(client, *parts)
    print(f"\n300 image parts: {response.status_code}, memory growth {memory.growth:.1f} MB "
          f"(before {memory.before:.0f} MB, after {memory.after:.0f} MB, peak measured: {memory.peak})")
    assert response.status_code == 400
    message = _error(response)
    assert "300 pictures" in message and "limit of 100 pages" in message and "--max-pages" in message
    assert "GLYPH_MAX_PAGES" in message
    assert counted == {"b64decode": 0, "decode_pixels": 0}
    assert memory.growth < 400
    assert backend.requests == []


def test_pictures_in_file_parts_are_counted_by_content_before_their_pixels(api, counted):
    client, _ = api(max_pages=2)
    # file parts that say they are text: counted once decoded from base64, still before any pixel is
    parts = [_file_part(_png((300, 300)), f"page{n}.txt", "text/plain") for n in range(3)]
    response = _post(client, *parts)
    assert response.status_code == 400 and "3 pictures" in _error(response)
    assert counted["b64decode"] == 3 and counted["decode_pixels"] == 0


def test_the_pixels_of_a_request_are_read_from_the_headers_and_refused_before_decoding(api, counted):
    client, _ = api(request_max_megapixels=5)
    response = _post(client, *[_image_part(_png()) for _ in range(3)])  # 3 x 1.96 million pixels
    assert response.status_code == 413
    message = _error(response)
    assert "6 million pixels" in message and "limit of 5 million" in message
    assert "--request-max-megapixels" in message and "GLYPH_REQUEST_MAX_MEGAPIXELS" in message
    assert counted["decode_pixels"] == 0
    # within the budget they are read
    assert _post(client, _image_part(_png((400, 300), (20, 120, 200)))).status_code == 200


def test_a_part_larger_than_the_upload_limit_is_refused_before_base64_is_decoded(api, counted):
    client, _ = api(max_upload_mb=0.05)
    big = _file_part(b"x " * 40_000, "big.txt", "text/plain")  # 80 kB, over 0.05 MB, in a body under its limit
    response = _post(client, big)
    assert response.status_code == 413
    message = _error(response)
    assert "big.txt is 0.1 MB, over the upload limit of 0.05 MB" in message and "GLYPH_MAX_UPLOAD_MB" in message
    assert counted["b64decode"] == 0
    # two parts under the limit each, over it together: refused as a whole, still before decoding
    halves = [_file_part(b"y " * 15_000, f"half{n}.txt", "text/plain") for n in range(2)]
    response = _post(client, *halves)
    assert response.status_code == 413
    assert "0.1 MB together, over the limit of 0.05 MB for one request" in _error(response)
    assert counted["b64decode"] == 0


def test_the_api_does_not_keep_its_documents_in_the_library(api, monkeypatch):
    libraries, kept = [], []
    init, keep = Library.__init__, Library._keep
    monkeypatch.setattr(Library, "__init__", lambda self, *a, **k: libraries.append(self) or init(self, *a, **k))
    monkeypatch.setattr(Library, "_keep", lambda self, prepared: kept.append(prepared) or keep(self, prepared))
    client, backend = api()
    for request in range(4):  # distinct pictures each time, as in the attack that filled the memory
        pictures = [_image_part(_png((600, 600), (request, n, 200))) for n in range(3)]
        assert _post(client, *pictures).status_code == 200
    assert len(backend.requests) == 4 and kept == []
    (library,) = libraries
    assert library.bytes == 0
    assert 0 < library.page_cache.bytes <= library.page_cache.max_bytes


# --- PDF: page trees and page sizes before the work -----------------------------------------------------------


def _shared_page_pdf(fan=(30, 30, 100), count: int | None = None, text: bytes = b"") -> bytes:
    """A PDF whose page tree names prod(fan) pages through shared nodes and a single page object (blank, or
    with `text` on it); `count` replaces the root's (honest) /Count."""
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    nodes = list(range(2, 2 + len(fan))) + [2 + len(fan)]
    below = 1
    for f in fan:
        below *= f
    for level, f in enumerate(fan):
        kids = b" ".join(b"%d 0 R" % nodes[level + 1] for _ in range(f))
        declared = count if level == 0 and count is not None else below
        objects[nodes[level]] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (declared, kids)
        below //= f
    page, font, content = nodes[-1], nodes[-1] + 1, nodes[-1] + 2
    drawn = b"" if not text else (b" /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R" % (font, content))
    objects[page] = b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792]%s >>" % (nodes[-2], drawn)
    if text:
        stream = b"BT /F1 12 Tf 72 712 Td (%s) Tj ET" % text
        objects[font] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
        objects[content] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, objects[number]))
    xref, size = out.tell(), max(objects) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[number])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()


@pytest.mark.parametrize("count", [None, 1], ids=["honest-count", "lying-count"])
def test_a_tiny_pdf_of_90000_pages_is_refused_at_once(count, monkeypatch):
    data = _shared_page_pdf(count=count)
    assert len(data) < 4096
    extracted = []
    from pypdf import PageObject

    monkeypatch.setattr(PageObject, "extract_text", lambda self, *a, **k: extracted.append(1) or "")
    started = time.perf_counter()
    with pytest.raises(DocumentError) as caught:
        load_bytes(data, "many.pdf")
    seconds = time.perf_counter() - started
    print(f"\n90,000-page PDF ({'lying' if count else 'honest'} /Count): refused in {seconds:.3f} s")
    assert seconds < 5 and extracted == []
    message = str(caught.value)
    assert message.startswith("many.pdf has ") and "at most 1,000 PDF pages are read" in message
    assert message.endswith("whichever pages are chosen. Split the file.")  # no flag: the CLI adds its own


def test_a_pdf_within_the_page_bound_is_still_read_and_a_shared_page_only_once(monkeypatch):
    from glyph_web.documents import pdf_layout

    calls = []
    read_one = pdf_layout._read_one
    monkeypatch.setattr(pdf_layout, "_read_one", lambda *a, **k: calls.append(1) or read_one(*a, **k))
    # 10 x 10 x 10 = 1000 pages (one shared page of text): exactly at the bound of 10 x --max-pages, read
    doc = load_bytes(_shared_page_pdf(fan=(10, 10, 10), text=b"Tide table"), "thousand.pdf", Limits(max_pages=100))
    assert doc.text.split("\n") == ["Tide table"] * 1000 and doc.warnings == []
    assert len(calls) == 1  # the page's content is read once, not once per mention


def test_a_pdf_with_more_text_than_the_pages_can_show_is_refused_while_reading():
    # 20 mentions of a page of 4000 characters, two pages allowed (at most 60,000 characters)
    data = _shared_page_pdf(fan=(20,), text=b"x" * 4000)
    with pytest.raises(DocumentError, match=r"long.pdf holds more text than 2 pages can show \(over 60,000 "
                                            r"characters by page 16\): choose fewer pages"):
        load_bytes(data, "long.pdf", Limits(max_pages=2))


def test_a_lying_small_count_does_not_hide_pages_from_the_page_bound():
    with pytest.raises(DocumentError, match="more than 20 pages"):
        load_bytes(_shared_page_pdf(fan=(3, 10), count=2), "liar.pdf", Limits(max_pages=2))


def _poster_pdf(side: float, pages: int = 3, ink: bool = False) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(side, side))
    for _ in range(pages):
        if ink:  # something to see, and no text layer: a "scan"
            c.setFillColorRGB(0.1, 0.1, 0.1)
            c.rect(side * 0.1, side * 0.4, side * 0.8, side * 0.2, stroke=0, fill=1)
        c.showPage()
    c.save()
    return buffer.getvalue()


def test_poster_sized_blank_pages_are_rasterised_small_and_leave_nothing_behind(private_tmp, monkeypatch):
    data = _poster_pdf(5000)  # three 5000-pt pages without text: 108 million pixels each at 150 dpi
    assert len(data) < 4096
    commands = []
    popen = poppler.subprocess.Popen
    monkeypatch.setattr(poppler.subprocess, "Popen", lambda args, **kw: commands.append(args) or popen(args, **kw))
    started = time.perf_counter()
    with _Memory() as memory, pytest.raises(DocumentError, match="poster.pdf has nothing to read"):
        load_bytes(data, "poster.pdf")  # refused as empty, once its pages were looked at
    seconds = time.perf_counter() - started
    print(f"\n3 blank 5000-pt pages: {seconds:.2f} s, memory growth {memory.growth:.1f} MB")
    budget = 4 * Limits().image_max_pixels
    assert commands
    for args in commands:  # pdftoppm drew at most 4x the pixel budget per page, at a lowered resolution
        width, height = int(args[args.index("-W") + 1]), int(args[args.index("-H") + 1])
        assert width * height <= budget * 1.01 and float(args[args.index("-r") + 1]) < 150
    assert memory.growth < 300
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("side", [9000, 14400])
def test_a_huge_scanned_page_becomes_a_page_within_the_pixel_budget(side, private_tmp):
    with _Memory() as memory:
        doc = load_bytes(_poster_pdf(side, pages=1, ink=True), "huge.pdf")
    print(f"\none {side}-pt page with ink: memory growth {memory.growth:.1f} MB")
    (page,) = doc.images
    assert page.width * page.height <= Limits().image_max_pixels and page.width > 1000
    assert page.convert("L").getextrema()[0] < 60  # the ink survived
    assert memory.growth < 300
    assert list(private_tmp.iterdir()) == []


def test_huge_pdf_pages_reach_the_api_client_as_an_answer_or_a_4xx(api):
    client, backend = api()
    blank = _post(client, _file_part(_poster_pdf(5000), "poster.pdf", "application/pdf"))
    assert blank.status_code == 400 and "poster.pdf has nothing to read" in _error(blank)
    inked = _post(client, _file_part(_poster_pdf(9000, pages=1, ink=True), "huge.pdf", "application/pdf"))
    assert inked.status_code == 200
    (page,) = backend.requests[-1].pages
    assert page.width * page.height <= Limits().image_max_pixels
    many = _post(client, _file_part(_shared_page_pdf(), "many.pdf", "application/pdf"))
    assert many.status_code == 400 and "at most 1,000 PDF pages" in _error(many)


def test_normal_scanned_pages_keep_their_pixels():
    """A4 at 150 dpi is within the raster bound: drawn as before (no lowered resolution, nothing cropped)."""
    data = docgen.pdf([b"scan"])
    whole = poppler.rasterize(data, 150, [(1, 1)])[0]
    limits = Limits(image_max_pixels=10_000_000)  # no scaling afterwards either
    (page,) = load_bytes(data, "a4.pdf", limits).images
    assert page.size == whole.size and page.tobytes() == whole.tobytes()


# --- memory kept between requests: bytes, not only counts -------------------------------------------------------


def _picture_doc(number: int, size=(400, 400)) -> Document:
    image = Image.new("RGB", size, (number % 256, 90, 160))
    return Document(name=f"p{number}.png", kind="image", parts=[ImagePart(image, f"p{number}.png")],
                    sha256=f"{number:064x}")


def test_the_library_keeps_documents_within_its_byte_budget_and_always_the_newest():
    library = Library(cache_mb=2)  # 1 MB for documents, 1 MB for the page cache
    each = 400 * 400 * 3  # 480 kB: two fit
    prepared = [library.prepare_documents([_picture_doc(n)], RenderOptions()) for n in range(6)]
    assert library.max_bytes == MB and library.page_cache.max_bytes == MB
    assert library.bytes <= library.max_bytes and library.bytes == 2 * each
    assert library.page_cache.bytes <= library.page_cache.max_bytes
    assert [library.get(p.id) is p for p in prepared] == [False] * 4 + [True] * 2
    # one document larger than the whole budget is still kept (someone is about to ask about it), alone
    big = library.prepare_documents([_picture_doc(99, (800, 800))], RenderOptions())
    assert library.get(big.id) is big and library.bytes == pages_bytes(big.pages) > library.max_bytes
    assert all(library.get(p.id) is None for p in prepared)
    # and what is asked with keep=False is not kept at all
    once = library.prepare_documents([_picture_doc(7)], RenderOptions(), keep=False)
    assert library.get(once.id) is None and library.get(big.id) is big


def test_documents_sharing_pages_count_them_once():
    library = Library(cache_mb=2)
    first = library.prepare_documents([_picture_doc(1)], RenderOptions())
    second = library.prepare_documents([_picture_doc(1)], RenderOptions())  # the page cache hands out the same
    assert second.pages is first.pages and library.bytes == pages_bytes(first.pages) == 400 * 400 * 3


def test_the_page_cache_keeps_pages_within_its_byte_budget():
    def pages(size):
        image = Image.new("RGB", size)
        return SimpleNamespace(images=[image], page_sizes=[image.size])

    cache = PageCache(max_entries=100, max_bytes=1_000_000)
    made = [cache.get_or_render(f"k{n}", lambda: pages((300, 300))) for n in range(8)]  # 270 kB each
    assert cache.bytes <= cache.max_bytes and cache.bytes == 3 * 270_000 and cache.entries == 3
    assert cache.get_or_render("k7", lambda: pages((1, 1))) is made[-1]  # the newest is kept
    assert cache.get_or_render("k0", lambda: pages((1, 1))) is not made[0]  # the oldest went
    huge = cache.get_or_render("huge", lambda: pages((1000, 1000)))  # alone over the budget: handed back only
    assert huge.images and cache.bytes <= cache.max_bytes
    assert cache.get_or_render("huge", lambda: pages((2, 2))) is not huge


def test_image_files_past_the_page_limit_are_refused_before_their_pixels(tmp_path, counted):
    paths = []
    for n in range(3):
        path = tmp_path / f"p{n}.png"
        path.write_bytes(_png((200, 200)))
        paths.append(path)
    library = Library(Limits(max_pages=2))
    with pytest.raises(DocumentError, match=r"3 image pages \(pictures or scanned pages\), over the limit of 2"):
        library.prepare(paths, None, RenderOptions(max_pages=2))
    assert counted["decode_pixels"] == 0


# --- figures within a request's page limit ----------------------------------------------------------------------


def _report_pdf(place: str, seed: int) -> bytes:
    """Four pages, each a sentence and a bar chart picture under it (600x400, different on every page)."""
    from PIL import ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(595, 842))
    for page, topic in enumerate(("pumps", "valves", "energy use", "staff hours")):
        chart = Image.new("RGB", (600, 400), "white")
        draw = ImageDraw.Draw(chart)
        for bar in range(4):
            height = 60 + 70 * ((seed + page + bar) % 5)
            draw.rectangle((60 + bar * 130, 390 - height, 150 + bar * 130, 390), fill=(40, 30 * page, 200 - seed))
        c.setFont("Helvetica", 11)
        c.drawString(50, 800, f"The {place} station chart below shows {topic} by quarter.")
        c.drawImage(ImageReader(chart), 50, 350, width=450, height=300)
        c.showPage()
    c.save()
    return buffer.getvalue()


def test_figures_of_several_documents_are_cut_to_fit_the_page_limit_not_refused(api):
    from glyph_web.documents import image_pages

    north, south = _report_pdf("north", 0), _report_pdf("south", 60)
    alone = [load_bytes(data, "x.pdf", Limits(max_pages=6)) for data in (north, south)]
    assert [image_pages(doc) for doc in alone] == [3, 3]  # alone, each takes the six pages: three charts
    client, backend = api(max_pages=6)
    response = _post(client, _file_part(north, "north.pdf", "application/pdf"),
                     _file_part(south, "south.pdf", "application/pdf"))
    assert response.status_code == 200, response.text
    pages = backend.requests[-1].pages
    assert len(pages) <= 6
    charts = [page for page in pages if page.size == (600, 400)]  # the charts keep their size; text pages differ
    print(f"\npages reaching the backend: {[page.size for page in pages]}")
    assert 1 <= len(charts) < 6
