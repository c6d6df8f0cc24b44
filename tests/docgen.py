"""Small documents made on the fly for tests (no binary fixtures in the repository)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import Image, ImageDraw


def pdf(pages: list[str | None | bytes], fontsize: int = 11) -> bytes:
    """A PDF with one page per item: text lines (str), a scanned picture (b"scan"), or a blank page (None)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    for page in pages:
        if isinstance(page, str):
            y = 800
            for line in page.split("\n"):
                c.setFont("Helvetica", fontsize)
                c.drawString(50, y, line)
                y -= fontsize + 4
        elif page == b"scan":
            c.drawImage(ImageReader(scan_picture()), 40, 300, width=500, height=500)
        c.showPage()
    c.save()
    return buf.getvalue()


def scan_picture(size=(400, 400)) -> Image.Image:
    """Something a scanner would produce: dark strokes on off-white, no text layer."""
    img = Image.new("RGB", size, (250, 250, 245))
    draw = ImageDraw.Draw(img)
    for y in range(30, size[1] - 30, 24):
        draw.rectangle((30, y, size[0] - 60, y + 8), fill=(30, 30, 30))
    return img


def encrypt(data: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str, size=(120, 80), mode="RGB", color=(200, 30, 30), **save) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color).save(buf, fmt, **save)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions with almost no data: how decompression bombs start."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + chunk(b"IEND", b""))


def to_bytes(document) -> bytes:
    """A python-docx Document as the bytes of its .docx."""
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, bytes | None]) -> bytes:
    """The package with members replaced (None drops one)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    dst.writestr(info.filename, replace[info.filename])
            else:
                dst.writestr(info.filename, src.read(info.filename))
    return out.getvalue()
