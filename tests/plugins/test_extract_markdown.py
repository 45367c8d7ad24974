"""The Markdown extractor (mmrag_text.markdown): sections, heading paths, line ranges."""

from __future__ import annotations

from pathlib import Path

from mmrag_desktop.interfaces import ExtractContext, Extractor
from mmrag_text.markdown import MarkdownExtractor, register_extractors, split_sections

DOC = """\
---
title: not a heading
---
Intro paragraph before any heading.

# Install

General install notes.

## Debian

Run apt install mmrag.

```sh
# not a heading, a shell comment
apt install mmrag
```

## Windows ##

Use the installer.

Usage
=====

Search your files.

Advanced topics
---------------

Tuning the index.

- a list item
---

### Empty leaf

# 中文标题

中文段落：离线检索。
"""


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def test_registers_markdown_extractor() -> None:
    registered: list[Extractor] = []
    register_extractors(registered.append)
    assert [type(e) for e in registered] == [MarkdownExtractor]
    assert {".md", ".markdown"} <= set(registered[0].extensions)


def test_sections_follow_atx_and_setext_headings_not_code_or_front_matter() -> None:
    paths = [section.path for section in split_sections(DOC)]
    assert paths == [
        (),
        ("Install",),
        ("Install", "Debian"),
        ("Install", "Windows"),
        ("Usage",),
        ("Usage", "Advanced topics"),
        ("Usage", "Advanced topics", "Empty leaf"),
        ("中文标题",),
    ]


def test_items_carry_heading_path_prefix_and_line_ranges(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    path = tmp_path / "README.md"
    path.write_text(DOC, encoding="utf-8")
    source = lines_of(DOC)

    items = list(MarkdownExtractor().extract(path, ctx))
    within_budget(items, ctx)
    by_section: dict[str | None, list] = {}
    for item in items:
        by_section.setdefault(item.locator.section, []).append(item)

    assert set(by_section) == {
        None,
        "Install",
        "Install > Debian",
        "Install > Windows",
        "Usage",
        "Usage > Advanced topics",
        "Usage > Advanced topics > Empty leaf",
        "中文标题",
    }
    (root,) = by_section[None]
    assert "Intro paragraph" in root.text and "title: not a heading" in root.text
    assert root.locator.line_start == 1

    (debian,) = by_section["Install > Debian"]
    assert debian.text.startswith("Install > Debian\n\nRun apt install mmrag.")
    assert "# not a heading, a shell comment" in debian.text
    assert source[debian.locator.line_start - 1] == "Run apt install mmrag."
    assert source[debian.locator.line_end - 1] == "```"

    (advanced,) = by_section["Usage > Advanced topics"]
    assert source[advanced.locator.line_start - 1] == "Tuning the index."
    assert "- a list item\n---" in advanced.text  # a rule after a list item is no heading

    (leaf,) = by_section["Usage > Advanced topics > Empty leaf"]
    assert leaf.text == "Usage > Advanced topics > Empty leaf"
    assert source[leaf.locator.line_start - 1] == "### Empty leaf"

    (chinese,) = by_section["中文标题"]
    assert chinese.text == "中文标题\n\n中文段落：离线检索。"
    assert source[chinese.locator.line_start - 1] == "中文段落：离线检索。"


def test_heading_without_text_but_with_subsections_yields_no_item(tmp_path: Path, ctx: ExtractContext) -> None:
    path = tmp_path / "a.md"
    path.write_text("# Top\n## Sub\nbody\n")
    items = list(MarkdownExtractor().extract(path, ctx))
    assert [(i.locator.section, i.text) for i in items] == [("Top > Sub", "Top > Sub\n\nbody")]
    assert (items[0].locator.line_start, items[0].locator.line_end) == (3, 3)


def test_long_section_is_chunked_each_chunk_prefixed(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    body = "\n\n".join(f"Step {n}: configure option{n} before running the indexer again." for n in range(30))
    source = f"# Guide\n\n## Configuration\n\n{body}\n"
    path = tmp_path / "guide.md"
    path.write_text(source)
    items = list(MarkdownExtractor().extract(path, ctx))
    assert len(items) > 4
    within_budget(items, ctx)
    lines = lines_of(source)
    for item in items:
        assert item.locator.section == "Guide > Configuration"
        assert item.text.startswith("Guide > Configuration\n\nStep ")
        assert lines[item.locator.line_start - 1].startswith("Step ")
        assert item.text.endswith(lines[item.locator.line_end - 1])
    assert "option29" in items[-1].text


def test_empty_markdown_and_gb18030_markdown(tmp_path: Path, ctx: ExtractContext) -> None:
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    assert list(MarkdownExtractor().extract(empty, ctx)) == []
    chinese = tmp_path / "cn.md"
    chinese.write_bytes("# 安装\n\n运行安装程序。\n".encode("gb18030"))
    (item,) = MarkdownExtractor().extract(chinese, ctx)
    assert item.locator.section == "安装"
    assert item.text == "安装\n\n运行安装程序。"
