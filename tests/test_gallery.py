"""The pages gallery: encoded page files with the pages' very pixels, kept while their document lives, within
their byte bound, and gone at close; Gradio takes them as they are. No browser, no timing."""

from __future__ import annotations

import gc
import io
import os
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from glyph_web.chat import Library
from glyph_web.contracts import RenderOptions
from glyph_web.documents import Document, from_text
from glyph_web.documents.model import ImagePart, digest
from glyph_web.render.png import encode_compact_png, encode_png
from glyph_web.ui import gallery as gallery_module
from glyph_web.ui.gallery import PAGES_PREFIX, PageFiles, gallery, gallery_images, page_files

LETTER = "Dear Ines,\n\nthe harbour logged 41 ships in March, 12 more than in February.\n\nRegards, Tom\n" * 60


@pytest.fixture
def options(empty_fonts_dir) -> RenderOptions:
    return RenderOptions(dpi=72, fonts_dir=str(empty_fonts_dir))


@pytest.fixture
def store(tmp_path) -> PageFiles:
    files = PageFiles(tmp_path / "pages")
    yield files
    files.close()


def prepare(library: Library, options: RenderOptions, text: str = LETTER):
    return library.prepare_documents([from_text(text)], options)


def picture_document(image: Image.Image, name: str = "photo.png") -> Document:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return Document(name=name, kind="image", parts=[ImagePart(image, name)], sha256=digest(out.getvalue()))


def decoded(path: str | Path) -> Image.Image:
    with Image.open(path) as img:
        img.load()
        return img


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and np.array_equal(np.asarray(a.convert("RGBA")), np.asarray(b.convert("RGBA")))


# --- the files ---------------------------------------------------------------------------------------------------


def test_the_gallery_points_at_png_files_with_the_pages_very_pixels(store, options):
    prepared = prepare(Library(), options, LETTER * 4)
    value = gallery(prepared, "en", store)
    assert len(value) == len(prepared.pages.images) >= 2
    assert [caption for _, caption in value] == [f"page {n}" for n in range(1, len(value) + 1)]
    for (path, _), page in zip(value, prepared.pages.images):
        assert isinstance(path, str) and Path(path).is_file() and path.endswith(".png")
        assert Path(path).resolve().is_relative_to(store.root.resolve())  # only files written here
        img = decoded(path)
        assert img.mode == "L"  # text pages are grey: one channel
        assert img.size == page.size and np.array_equal(np.asarray(img.convert("RGB")), np.asarray(page))
    # the model's images are left as they were
    assert all(img.mode == "RGB" for img in prepared.pages.images)


def test_colour_and_transparent_pictures_keep_their_pixels(store):
    rng = np.random.default_rng(7)
    colour = Image.fromarray(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8), "RGB")
    clear = Image.fromarray(rng.integers(0, 256, (20, 50, 4), dtype=np.uint8), "RGBA")
    grey = Image.fromarray(rng.integers(0, 256, (25, 25), dtype=np.uint8), "L")
    library = Library()
    for picture in (colour, clear, grey):
        prepared = library.prepare_documents([picture_document(picture, f"p{picture.mode}.png")], RenderOptions())
        [(path, caption)] = gallery(prepared, "en", store)
        assert caption == "page 1" and same_pixels(decoded(path), prepared.pages.images[0])
    assert decoded(gallery(library.prepare_documents([picture_document(colour)], RenderOptions()), "en",
                           store)[0][0]).mode == "RGB"


def test_compact_png_is_grey_only_when_the_channels_agree():
    rng = np.random.default_rng(3)
    grey = rng.integers(0, 256, (17, 23), dtype=np.uint8)
    rgb_grey = np.repeat(grey[:, :, None], 3, axis=2)
    decoded_grey = Image.open(io.BytesIO(encode_compact_png(rgb_grey)))
    assert decoded_grey.mode == "L" and np.array_equal(np.asarray(decoded_grey), grey)
    assert len(encode_compact_png(rgb_grey)) < len(encode_png(rgb_grey))
    colour = rgb_grey.copy()
    colour[5, 7, 1] ^= 1  # one pixel off grey
    assert encode_compact_png(colour) == encode_png(colour)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encode_compact_png(colour)))), colour)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encode_compact_png(grey[:, :, None])))), grey)


def test_a_document_shown_again_reuses_its_files(store, options):
    library = Library()
    prepared = prepare(library, options)
    first = gallery(prepared, "en", store)
    stamps = [os.stat(path).st_mtime_ns for path, _ in first]
    assert [path for path, _ in gallery(prepared, "zh", store)] == [path for path, _ in first]
    again = prepare(library, options)  # the same text again: another document, the same pages
    assert again.id != prepared.id and [path for path, _ in gallery(again, "en", store)] == [p for p, _ in first]
    assert [os.stat(path).st_mtime_ns for path, _ in first] == stamps and len(store.folders()) == 1


def test_concurrent_calls_for_one_document_write_one_folder(store, options):
    prepared = prepare(Library(), options)
    results, barrier = [], threading.Barrier(4)

    def show():
        barrier.wait()
        results.append(gallery(prepared, "en", store))

    threads = [threading.Thread(target=show) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({tuple(path for path, _ in value) for value in results}) == 1
    assert len(store.folders()) == 1 and [p for p in store.root.iterdir()] == store.folders()


# --- how long they stay ------------------------------------------------------------------------------------------


def test_files_go_once_the_library_has_dropped_their_document(store, options):
    library = Library(max_documents=1)
    first = prepare(library, options, "first letter\n" * 300)
    first_paths = [Path(path) for path, _ in gallery(first, "en", store)]
    first_folder = first_paths[0].parent
    second = prepare(library, options, "second letter\n" * 300)  # the library drops the first
    assert library.get(first.id) is None
    del first
    gc.collect()
    second_paths = [Path(path) for path, _ in gallery(second, "en", store)]
    assert not first_folder.exists() and not any(path.exists() for path in first_paths)
    assert all(path.exists() for path in second_paths) and store.folders() == [second_paths[0].parent]
    assert store.bytes == sum(path.stat().st_size for path in second_paths)


def test_files_stay_while_any_document_with_those_pages_lives(store, options):
    library = Library(max_documents=2)
    first = prepare(library, options)
    twin = prepare(library, options)  # the same pages
    paths = [Path(path) for path, _ in gallery(first, "en", store)]
    gallery(twin, "en", store)
    del first
    gc.collect()
    other = prepare(library, options, "another letter\n" * 300)  # the library drops the first
    gallery(other, "en", store)
    assert all(path.exists() for path in paths)  # the twin still shows them
    prepare(library, options, "a third letter\n" * 300)  # and now the twin
    del twin
    gc.collect()
    gallery(other, "en", store)
    assert not any(path.exists() for path in paths)


def test_the_files_stay_within_their_byte_bound(tmp_path, options):
    library = Library()
    docs = [prepare(library, options, f"letter number {n}\n" * 400) for n in range(4)]
    sizes = []
    for doc in docs:
        probe = PageFiles(tmp_path / f"probe-{doc.id}")
        sizes.append(sum(Path(path).stat().st_size for path, _ in gallery(doc, "en", probe)))
        probe.close()
    bound = sizes[-1] + sizes[-2] + 1  # room for the two newest
    store = PageFiles(tmp_path / "bounded", max_bytes=bound)
    for doc in docs:
        gallery(doc, "en", store)
        on_disk = sum(f.stat().st_size for f in store.root.rglob("*") if f.is_file())
        assert store.bytes == on_disk <= bound
    assert len(store.folders()) == 2
    # the oldest is written again when shown again (still alive): the newest is always kept
    value = gallery(docs[0], "en", store)
    assert all(Path(path).is_file() for path, _ in value) and store.bytes <= bound
    # one document alone over the bound is still kept
    tiny = PageFiles(tmp_path / "tiny", max_bytes=1)
    assert all(Path(path).is_file() for path, _ in gallery(docs[0], "en", tiny))
    assert len(tiny.folders()) == 1
    tiny.close()
    store.close()


def test_close_removes_every_file(tmp_path, options):
    store = PageFiles(tmp_path / "pages")
    library = Library()
    for n in range(2):
        gallery(prepare(library, options, f"letter {n}\n" * 200), "en", store)
    assert store.bytes > 0
    store.close()
    assert not (tmp_path / "pages").exists() and store.bytes == 0
    with pytest.raises(RuntimeError):
        store.pages(library.get("d1"))


def test_the_process_folder_is_in_the_temp_folder_and_dead_processes_folders_go(private_tmp, monkeypatch, options):
    dead = private_tmp / f"{PAGES_PREFIX}999999999-abc"  # no such process
    dead.mkdir()
    (dead / "pages-x").mkdir()
    alive = private_tmp / f"{PAGES_PREFIX}{os.getpid()}-old"
    alive.mkdir()
    monkeypatch.setattr(gallery_module, "_default", None)
    store = page_files()
    try:
        assert page_files() is store
        assert store.root.parent == Path(tempfile.gettempdir()) == private_tmp
        assert store.root.name.startswith(f"{PAGES_PREFIX}{os.getpid()}-")
        assert not dead.exists() and alive.exists()
        value = gallery(prepare(Library(), options), "en")  # the process's own store by default
        assert all(Path(path).parent.parent == store.root for path, _ in value)
    finally:
        store.close()
    assert not store.root.exists()


def test_the_gallery_falls_back_to_the_images_when_files_cannot_be_written(tmp_path, options):
    store = PageFiles(tmp_path / "pages")
    store.root.rmdir()  # a temp folder that vanished
    prepared = prepare(Library(), options)
    value = gallery(prepared, "en", store)
    assert [img for img, _ in value] == prepared.pages.images
    assert value == gallery_images(prepared, "en")


# --- Gradio ------------------------------------------------------------------------------------------------------


def test_gradio_takes_the_files_as_they_are(private_tmp, monkeypatch, options):
    import gradio as gr

    monkeypatch.setattr(gallery_module, "_default", None)
    store = page_files()
    try:
        prepared = prepare(Library(), options)
        value = gallery(prepared, "en")
        data = gr.Gallery().postprocess(value)
        assert [item.image.path for item in data.root] == [path for path, _ in value]  # no re-encoding
        assert {item.image.mime_type for item in data.root} == {"image/png"}
        assert [item.caption for item in data.root] == [caption for _, caption in value]
        # Gradio takes files from handlers that lie in the system's temp folder (or in its allowed paths)
        assert all(Path(path).resolve().is_relative_to(Path(tempfile.gettempdir()).resolve()) for path, _ in value)
    finally:
        store.close()
