"""The plain-text extractor and the shared decoding helpers (mmrag_text)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from mmrag_desktop.chunking import estimate_tokens
from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_text import PlainTextExtractor, register_extractors
from mmrag_text.decode import decode_bytes, detect_encoding, looks_binary, read_text
from mmrag_text.fit import hard_split, prefixed_chunks

PARAGRAPHS = [
    f"Paragraph {n} talks about topic{n} and says something useful about it, in plain words." for n in range(1, 13)
]


def extract(path: Path, ctx: ExtractContext, extractor: Extractor | None = None) -> list:
    return list((extractor or PlainTextExtractor()).extract(path, ctx))


def test_registers_one_text_extractor() -> None:
    registered: list[Extractor] = []
    register_extractors(registered.append)
    assert [type(e) for e in registered] == [PlainTextExtractor]
    extractor = registered[0]
    assert {".txt", ".log", ".rst", ".org", ".tex"} <= set(extractor.extensions)
    assert all(ext.startswith(".") and ext == ext.lower() for ext in extractor.extensions)
    assert extractor.media_type_for(Path("a.rst")) == "text/x-rst"
    assert extractor.media_type_for(Path("a.txt")) == "text/plain"


def test_empty_and_blank_files_yield_nothing(tmp_path: Path, ctx: ExtractContext) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.txt"
    blank.write_text("\n\n   \n\t\n")
    assert extract(empty, ctx) == []
    assert extract(blank, ctx) == []


def test_terminal_escape_sequences_are_dropped(tmp_path: Path, ctx: ExtractContext) -> None:
    # Debian's fortune files colour each title; a saved terminal log also sets the title.
    path = tmp_path / "tang300"
    path.write_text("\x1b[32m《感遇・其一》\x1b[m\n\x1b[33m作者：张九龄\x1b[m\n兰叶春葳蕤\x1b]0;title\x07\n", "utf-8")
    (item,) = extract(path, ctx)
    assert item.text == "《感遇・其一》\n作者：张九龄\n兰叶春葳蕤"
    assert (item.locator.line_start, item.locator.line_end) == (1, 3)


def test_chunks_carry_true_line_numbers_and_fit_budget(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    lines = ["", ""]  # the text starts on line 3
    for paragraph in PARAGRAPHS:
        lines += [paragraph, ""]
    path = tmp_path / "notes.txt"
    path.write_text("\n".join(lines), encoding="utf-8")

    items = extract(path, ctx)

    assert len(items) > 3
    within_budget(items, ctx)
    assert items[0].locator.line_start == 3
    for item in items:
        assert item.kind == "chunk" and item.modality == "text"
        loc = item.locator
        body = item.text.split("\n")
        assert body[0] == lines[loc.line_start - 1]
        assert body[-1] == lines[loc.line_end - 1]
    joined = "\n".join(item.text for item in items)
    assert all(paragraph in joined for paragraph in PARAGRAPHS)


def test_crlf_and_cr_line_endings_count_like_an_editor(tmp_path: Path, ctx: ExtractContext) -> None:
    path = tmp_path / "dos.txt"
    path.write_bytes(b"first line\r\n\r\nthird line\r\rfifth line\x0c\r\n")
    items = extract(path, ctx)
    assert len(items) == 1
    assert items[0].text == "first line\n\nthird line\n\nfifth line"
    assert (items[0].locator.line_start, items[0].locator.line_end) == (1, 5)


def test_streamed_segments_keep_line_numbers(tmp_path: Path, ctx: ExtractContext) -> None:
    class SmallSegments(PlainTextExtractor):
        segment_chars = 300

    lines = []
    for n in range(1, 121):
        lines.append(f"line {n} says word{n}")
        if n % 3 == 0:
            lines.append("")
    path = tmp_path / "big.log"
    path.write_text("\n".join(lines) + "\n")

    items = extract(path, ctx, SmallSegments())

    seen = set()
    for item in items:
        for text in item.text.split("\n"):
            if text:
                assert text in lines
                seen.add(text)
        assert item.text.split("\n")[0] == lines[item.locator.line_start - 1]
        assert item.text.split("\n")[-1] == lines[item.locator.line_end - 1]
    assert seen == {line for line in lines if line}


def test_binary_junk_named_txt_is_refused(tmp_path: Path, ctx: ExtractContext) -> None:
    png = tmp_path / "image.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(ExtractionError, match="binary data, not text"):
        extract(png, ctx)
    controls = tmp_path / "controls.txt"
    controls.write_bytes(bytes([1, 2, 3, 4, 5, 6, 7, 65, 66]) * 100)
    with pytest.raises(ExtractionError, match="binary"):
        extract(controls, ctx)


def test_invalid_utf8_is_replaced_not_refused(tmp_path: Path, ctx: ExtractContext) -> None:
    path = tmp_path / "broken.txt"
    path.write_bytes("naïve café\n".encode() + b"bad byte \xff here\n")
    assert detect_encoding(path).errors == "replace"
    (item,) = extract(path, ctx)
    assert item.text == "naïve café\nbad byte \ufffd here"


def test_gb18030_chinese_file(tmp_path: Path, ctx: ExtractContext) -> None:
    text = "第一段：多模态检索系统的说明。\n\n第二段：支持离线使用，保护隐私。"
    path = tmp_path / "chinese.txt"
    path.write_bytes(text.encode("gb18030"))
    assert detect_encoding(path).name == "gb18030"
    (item,) = extract(path, ctx)
    assert item.text == text
    assert (item.locator.line_start, item.locator.line_end) == (1, 3)


def test_long_chinese_text_is_chunked_to_budget(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    sentence = "本地多模态知识检索让用户在自己的电脑上搜索文件。"
    path = tmp_path / "long.txt"
    path.write_text("\n\n".join(sentence * 3 for _ in range(10)), encoding="utf-8")
    items = extract(path, ctx)
    assert len(items) >= 5
    within_budget(items, ctx)
    assert all("检索" in item.text for item in items)


@pytest.mark.parametrize(
    ("bom_encoding", "expected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-16-be", "utf-16"), ("utf-32", "utf-32")],
)
def test_byte_order_marks(tmp_path: Path, ctx: ExtractContext, bom_encoding: str, expected: str) -> None:
    text = "Hello 世界\n\nsecond paragraph"
    data = text.encode(bom_encoding)
    if bom_encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    path = tmp_path / "bom.txt"
    path.write_bytes(data)
    assert detect_encoding(path).name == expected
    items = extract(path, ctx)
    assert [item.text for item in items] == [text]


def test_read_text_refuses_files_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x" * 2000)
    with pytest.raises(ExtractionError, match="too large"):
        read_text(path, max_bytes=1000)


def test_decode_helpers() -> None:
    assert not looks_binary(b"")
    assert not looks_binary(b"plain text\twith tabs\r\n and \x1b[31mcolour\x1b[0m")
    assert looks_binary(b"abc\x00def")
    assert decode_bytes("中文".encode("gb18030")) == "中文"
    assert decode_bytes(b"caf\xe9", declared="cp1252") == "café"
    assert decode_bytes(b"a\r\nb\rc") == "a\nb\nc"
    assert decode_bytes("x\u2028y".encode()) == "x y"
    # A declared charset Python does not know falls back to detection.
    assert decode_bytes("é".encode(), declared="no-such-charset") == "é"
    # Latin-1 that happens to be valid GB18030 but maps into the private-use area.
    assert decode_bytes(b"\xaa\xa1 cafe") == "\ufffd\ufffd cafe"


def test_fit_helpers_respect_budget() -> None:
    ctx = ExtractContext(chunk_tokens=40, overlap_tokens=8)
    long_word = "a" * 2000
    parts = hard_split(long_word, 10)
    assert "".join(parts) == long_word
    assert all(estimate_tokens(part) <= 10 for part in parts)
    chunks = prefixed_chunks(ctx, "Install > Debian", "\n\n".join(PARAGRAPHS))
    assert all(chunk.text.startswith("Install > Debian\n\n") for chunk in chunks)
    assert all(estimate_tokens(chunk.text) <= 40 for chunk in chunks)
    long_prefix = " > ".join(["Heading"] * 50)
    chunks = prefixed_chunks(ctx, long_prefix, "short body")
    assert chunks[0].text.endswith("short body")
    assert estimate_tokens(chunks[0].text) <= 40


def test_long_wrapped_paragraph_is_cut_between_lines(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    lines = [f"Wrapped line {n} cites version 3.{n} of www.example.org, e.g. for item{n}" for n in range(1, 41)]
    path = tmp_path / "wrapped.txt"
    path.write_text("\n".join(lines) + "\n")
    items = extract(path, ctx)
    assert len(items) > 4
    within_budget(items, ctx)
    for item in items:
        body = [line for line in item.text.split("\n") if line]
        assert all(line in lines for line in body)  # no line cut at "3." or "e.g."
        assert body[0] == lines[item.locator.line_start - 1]
        assert body[-1] == lines[item.locator.line_end - 1]
    assert items[0].locator.line_start == 1 and items[-1].locator.line_end == 40
