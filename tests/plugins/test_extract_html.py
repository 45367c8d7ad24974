"""The HTML extractor (mmrag_html): noise dropped, sections by heading, charset."""

from __future__ import annotations

from pathlib import Path

import mmrag_html
from mmrag_desktop.interfaces import ExtractContext, Extractor
from mmrag_desktop.testing import run_hook
from mmrag_html import HtmlExtractor, declared_charset, register_extractors

PAGE = """\
<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>MM-RAG Manual</title>
  <style>body { color: red; }</style>
  <script>var secret = "tracking";</script>
</head>
<body>
<nav><a href="/">Home</a> | <a href="/docs">Docs</a></nav>
<div role="navigation">Breadcrumbs here</div>
<div class="navheader main">Prev | Next</div>
<p>Welcome to the manual &amp; guide.</p>
<h1>Install</h1>
<p>General install notes.</p>
<h2>Debian</h2>
<p>Run <code>apt install mmrag</code>.<br>Then start it.</p>
<ul><li>first point</li><li>second point</li></ul>
<h2>Windows</h2>
<table><tr><th>Step</th><th>Action</th></tr><tr><td>1</td><td>Download</td></tr></table>
<pre>line one
  line two</pre>
<div hidden>invisible text</div>
<h1>使用说明</h1>
<p>离线搜索你的文件。</p>
<aside>Related links</aside>
<footer>Copyright footer</footer>
</body>
</html>
"""


def extract(path: Path, ctx: ExtractContext) -> list:
    # Through the plugin's own hook, as the app gets it.
    (extractor,) = run_hook("register_extractors", mmrag_html)
    return list(extractor.extract(path, ctx))


def test_registers_html_extractor() -> None:
    registered: list[Extractor] = []
    register_extractors(registered.append)
    assert [type(e) for e in registered] == [HtmlExtractor]
    assert {".html", ".htm", ".xhtml"} == set(registered[0].extensions)


def test_sections_title_noise_and_source_lines(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    path = tmp_path / "manual.html"
    path.write_text(PAGE, encoding="utf-8")
    source = PAGE.split("\n")
    items = extract(path, ctx)
    within_budget(items, ctx)

    by_section = {item.locator.section: item for item in items}
    assert list(by_section) == [None, "Install", "Install > Debian", "Install > Windows", "使用说明"]
    everything = "\n".join(item.text for item in items)
    for noise in ("color: red", "tracking", "Home", "Breadcrumbs", "Prev", "invisible", "Related links", "Copyright"):
        assert noise not in everything
    assert all(item.meta == {"title": "MM-RAG Manual"} for item in items)

    root = by_section[None]
    assert root.text == "MM-RAG Manual\n\nWelcome to the manual & guide."
    assert source[root.locator.line_start - 1] == "<p>Welcome to the manual &amp; guide.</p>"

    debian = by_section["Install > Debian"]
    assert debian.text == (
        "MM-RAG Manual\nInstall > Debian\n\nRun apt install mmrag.\nThen start it.\n\nfirst point\n\nsecond point"
    )
    assert source[debian.locator.line_start - 1].startswith("<p>Run <code>apt")
    assert source[debian.locator.line_end - 1].startswith("<ul><li>first point")

    windows = by_section["Install > Windows"]
    assert "Step | Action\n\n1 | Download" in windows.text
    assert "line one\n  line two" in windows.text
    assert source[windows.locator.line_end - 1] == "  line two</pre>"

    chinese = by_section["使用说明"]
    assert chinese.text == "MM-RAG Manual\n使用说明\n\n离线搜索你的文件。"


def test_long_section_chunked_with_prefix(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    paragraphs = "\n".join(f"<p>Paragraph {n} explains setting{n} in some detail for readers.</p>" for n in range(30))
    path = tmp_path / "long.htm"
    path.write_text(f"<html><body><h1>Settings</h1>\n{paragraphs}\n</body></html>")
    items = extract(path, ctx)
    assert len(items) > 3
    within_budget(items, ctx)
    assert all(item.text.startswith("Settings\n\nParagraph") for item in items)
    assert items[0].locator.line_start == 2 and items[-1].locator.line_end == 31
    assert "setting29" in items[-1].text


def test_meta_charset_gbk_and_detected_gb18030(tmp_path: Path, ctx: ExtractContext) -> None:
    declared = tmp_path / "gbk.html"
    declared.write_bytes(
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=GB2312"><title>标题</title></head>'
        "<body><p>中文内容</p></body></html>".encode("gb18030")
    )
    assert declared_charset(declared.read_bytes()) == "gb18030"
    (item,) = extract(declared, ctx)
    assert item.text == "标题\n\n中文内容"

    latin = tmp_path / "latin.html"
    latin.write_bytes(b'<meta charset="iso-8859-1"><p>caf\xe9 \x93quoted\x94</p>')
    (item,) = extract(latin, ctx)
    assert item.text == "café “quoted”"

    undeclared = tmp_path / "plain.html"
    undeclared.write_bytes("<p>没有声明编码</p>".encode("gb18030"))
    (item,) = extract(undeclared, ctx)
    assert item.text == "没有声明编码"


def test_empty_title_only_and_broken_html(tmp_path: Path, ctx: ExtractContext) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    assert extract(empty, ctx) == []
    title_only = tmp_path / "t.html"
    title_only.write_text("<html><head><title>Only a title</title></head><body></body></html>")
    (item,) = extract(title_only, ctx)
    assert item.text == "Only a title"
    broken = tmp_path / "broken.html"
    broken.write_text("<nav>menu <p>unclosed nav</body><p>after body</p><h2>Late <b>heading</h2><p>text")
    items = extract(broken, ctx)
    assert [(item.locator.section, item.text) for item in items] == [
        (None, "after body"),
        ("Late heading", "Late heading\n\ntext"),
    ]
