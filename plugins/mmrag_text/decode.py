"""Turning the bytes of a file of unknown encoding into clean text.

Every text-ish extractor (plain text, Markdown, code, CSV, HTML) needs the same answer to
"what encoding is this?", and the same refusal of binary data that merely carries a text
extension, so it lives here once.

The order of guesses: a byte-order mark (UTF-8, UTF-16, UTF-32); strict UTF-8; strict
GB18030 (the common legacy encoding of Chinese files, a superset of GBK and GB2312);
and finally UTF-8 with undecodable bytes replaced, so a file is never refused for a few
bad bytes. Detection streams over the file in blocks, so it costs no more memory than
one block whatever the file's size.

The text handed back has universal newlines (``\\n`` only), no NUL characters, and no
other characters that :meth:`str.splitlines` would treat as a line break, so line
numbers counted by the chunker match the ones an editor shows.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mmrag_desktop.interfaces import ExtractionError

#: How much of the start of a file is inspected for binary data.
SNIFF_BYTES = 8192
#: Block size of the streaming passes.
BLOCK_BYTES = 1 << 20
#: Largest file :func:`read_text` reads whole (the streaming API has no limit).
MAX_READ_BYTES = 64 << 20

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control bytes that ordinary text does contain: backspace, tab, LF, VT, FF, CR, ESC.
_TEXT_CONTROLS = frozenset({8, 9, 10, 11, 12, 13, 27})
_CONTROL_BYTES = bytes(b for b in range(32) if b not in _TEXT_CONTROLS) + b"\x7f"
_BINARY_RATIO = 0.10
# GB18030 decodes almost any byte soup; output with private-use characters means the
# guess was wrong (e.g. Latin-1 text), so it is not taken.
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
# NUL goes; VT and FF vanish (page breaks sit next to a newline anyway); the other
# characters splitlines() breaks on become spaces.
_CLEAN = str.maketrans(
    {
        "\x00": None,
        "\x0b": None,
        "\x0c": None,
        "\x1c": " ",
        "\x1d": " ",
        "\x1e": " ",
        "\x85": " ",
        "\u2028": " ",
        "\u2029": " ",
    }
)

# ANSI/VT escape sequences: CSI (colours, cursor moves), OSC (window title, links)
# ended by BEL or ESC \\, and any other ESC with its one following character.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.?")


@dataclass(frozen=True)
class Encoding:
    """A codec name and the error policy to decode with."""

    name: str
    errors: str = "strict"


def looks_binary(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) is binary data rather than text:
    it has a NUL byte, or more than 10% of it is control characters text never uses."""
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls / len(head) > _BINARY_RATIO


def clean_text(text: str) -> str:
    """Normalise newlines to ``\\n``, drop characters that break line counting and
    terminal colour/title escape sequences (``fortune`` files, saved terminal logs): they
    are not words, and a snippet carrying them would drive the user's terminal."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text:
        text = _ESCAPES.sub("", text)
    return text.translate(_CLEAN)


def _decodes(blocks: Iterable[bytes], encoding: str, *, reject: re.Pattern[str] | None = None) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for block in blocks:
            text = decoder.decode(block)
            if reject is not None and reject.search(text):
                return False
        text = decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return not (reject is not None and reject.search(text))


def _detect(head: bytes, blocks: Callable[[], Iterator[bytes]]) -> Encoding:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return Encoding(name, "replace")
    if looks_binary(head):
        raise ExtractionError("binary data, not text")
    if _decodes(blocks(), "utf-8"):
        return Encoding("utf-8")
    if _decodes(blocks(), "gb18030", reject=_PRIVATE_USE):
        return Encoding("gb18030")
    return Encoding("utf-8", "replace")


def _file_blocks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            yield block


def detect_encoding(path: Path) -> Encoding:
    """Guess the encoding of the file at ``path`` (see the module docstring).

    Raises :class:`ExtractionError` when the file looks like binary data.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise ExtractionError(f"cannot read file: {exc.strerror or exc}") from exc
    return _detect(head, lambda: _file_blocks(path))


def decode_bytes(data: bytes, *, declared: str | None = None) -> str:
    """Decode in-memory ``data`` and clean it (see :func:`clean_text`).

    ``declared`` is an encoding the format itself names (an HTML meta charset); it is
    used when Python knows it and no byte-order mark says otherwise.
    """
    if declared and not any(data.startswith(bom) for bom, _ in _BOMS):
        try:
            codecs.lookup(declared)
        except LookupError:
            pass
        else:
            return clean_text(data.decode(declared, errors="replace"))
    encoding = _detect(data[:SNIFF_BYTES], lambda: iter((data,)))
    return clean_text(data.decode(encoding.name, errors=encoding.errors))


def open_text(path: Path, *, newline: str | None = None) -> io.TextIOWrapper:
    """Open ``path`` as a text stream in its detected encoding (a byte-order mark is
    skipped). Text read from it is not yet passed through :func:`clean_text`.

    ``newline`` is passed to :class:`io.TextIOWrapper` (``""`` for the csv module).
    """
    encoding = detect_encoding(path)
    raw = open(path, "rb")  # noqa: SIM115 - handed to the wrapper, which closes it
    return io.TextIOWrapper(raw, encoding=encoding.name, errors=encoding.errors, newline=newline)


def read_text(path: Path, *, max_bytes: int = MAX_READ_BYTES) -> str:
    """Read the whole file at ``path`` as clean text; for formats that need all of it
    at once (a parser). Files over ``max_bytes`` raise :class:`ExtractionError`."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExtractionError(f"cannot read file: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise ExtractionError(
            f"file too large to read as text ({size // (1 << 20)} MiB, limit {max_bytes // (1 << 20)} MiB)"
        )
    with open_text(path) as stream:
        return clean_text(stream.read())
