"""Fixtures shared by the extractor tests: import path, contexts, budget checks and a
tiny PDF writer (so PDFs are generated at test time with no extra dependency)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

# The core and the built-in plugins are found through the installed distribution; a
# plain checkout (no `pip install -e .`) finds them here.
_ROOT = Path(__file__).resolve().parents[2]
for _name, _folder in (("mmrag_desktop", _ROOT), ("mmrag_text", _ROOT / "plugins")):
    if importlib.util.find_spec(_name) is None and str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from mmrag_desktop.chunking import estimate_tokens  # noqa: E402
from mmrag_desktop.interfaces import ExtractContext  # noqa: E402
from mmrag_desktop.records import Item  # noqa: E402


@pytest.fixture
def ctx() -> ExtractContext:
    return ExtractContext(chunk_tokens=64, overlap_tokens=8)


def assert_within_budget(items: Iterable[Item], ctx: ExtractContext) -> None:
    for item in items:
        tokens = estimate_tokens(item.text)
        assert tokens <= ctx.chunk_tokens, f"{tokens} tokens > {ctx.chunk_tokens}: {item.text[:80]!r}"


@pytest.fixture
def within_budget() -> Callable[[Iterable[Item], ExtractContext], None]:
    return assert_within_budget


def _pdf_string(text: str) -> bytes:
    return b"(" + text.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def build_pdf(pages: list[list[str] | None], *, encrypted: bool = False) -> bytes:
    """A valid PDF: each page is a list of text lines (Helvetica), ``None`` for a page
    with only an image on it (a scan), or ``[]`` for a blank page. ``encrypted`` adds a
    standard security handler whose user password is not empty."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    image = add(
        b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Length 4 >>\nstream\n\x00\xff\xff\x00\nendstream"
    )
    kids = []
    for page in pages:
        if page is None:
            content = b"q 300 0 0 300 100 300 cm /Im1 Do Q"
        elif not page:
            content = b""
        else:
            content = b"\n".join(
                [b"BT /F1 9 Tf 11 TL 40 770 Td", *(_pdf_string(line) + b" Tj T*" for line in page), b"ET"]
            )
        stream = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >>"
                b" /XObject << /Im1 %d 0 R >> >> /Contents %d 0 R >>" % (font, image, stream)
            )
        )
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    trailer = b""
    if encrypted:
        encrypt = add(b"<< /Filter /Standard /V 1 /R 2 /O <" + b"ab" * 32 + b"> /U <" + b"cd" * 32 + b"> /P -44 >>")
        trailer = b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (encrypt, b"01" * 16, b"01" * 16)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


@pytest.fixture
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    def make(pages: list[list[str] | None], name: str = "doc.pdf", **options: bool) -> Path:
        path = tmp_path / name
        path.write_bytes(build_pdf(pages, **options))
        return path

    return make


def draw_text_picture(lines: list[str], size: tuple[int, int] = (900, 400)) -> Image.Image:
    """Black lines of text (44 px, Pillow's built-in font) on white: a sign, a receipt,
    or at page size a scanned page."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=44)
    for n, line in enumerate(lines):
        draw.text((40, 40 + 70 * n), line, fill="black", font=font)
    return image


@pytest.fixture(scope="session")
def text_picture() -> Callable[..., Image.Image]:
    return draw_text_picture
