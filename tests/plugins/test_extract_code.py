"""The code extractor (mmrag_code): Python symbols via ast, blocks for other languages."""

from __future__ import annotations

from pathlib import Path

import mmrag_code
from mmrag_code import register_extractors
from mmrag_code.blocks import split_lines
from mmrag_desktop.chunking import estimate_tokens
from mmrag_desktop.interfaces import ExtractContext, Extractor
from mmrag_desktop.testing import run_hook

PYTHON = '''\
"""Module docstring about invoices."""

import os

RATE = 0.2


# Computes the tax.
@staticmethod
def tax(amount):
    """Return the tax on amount."""
    return amount * RATE


class Invoice:
    """An invoice with lines."""

    def total(self):
        return sum(self.lines)


async def fetch(url):
    return url


if __name__ == "__main__":
    print(tax(10))
'''


def extract(path: Path, ctx: ExtractContext) -> list:
    # Through the plugin's own hook, as the app gets it.
    (extractor,) = run_hook("register_extractors", mmrag_code)
    return list(extractor.extract(path, ctx))


def source_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def test_registers_code_extractor_with_languages() -> None:
    registered: list[Extractor] = []
    register_extractors(registered.append)
    (extractor,) = registered
    assert {".py", ".js", ".ts", ".tsx", ".go", ".rs", ".java", ".c", ".cpp", ".sh", ".sql"} <= set(
        extractor.extensions
    )
    assert all(ext == ext.lower() and ext.startswith(".") for ext in extractor.extensions)
    assert extractor.media_type_for(Path("x.py")) == "text/x-python"
    assert extractor.media_type_for(Path("x.RS")) == "text/x-rust"


def test_python_top_level_symbols(tmp_path: Path, ctx: ExtractContext) -> None:
    path = tmp_path / "billing.py"
    path.write_text(PYTHON)
    lines = source_lines(path)
    items = extract(path, ctx)

    symbols = {item.locator.symbol: item for item in items if item.kind == "symbol"}
    assert list(symbols) == ["tax", "Invoice", "fetch"]
    tax = symbols["tax"]
    assert tax.text.startswith("tax\n# Computes the tax.\n@staticmethod\ndef tax(amount):")
    assert '"""Return the tax on amount."""' in tax.text
    assert lines[tax.locator.line_start - 1] == "# Computes the tax."
    assert lines[tax.locator.line_end - 1] == "    return amount * RATE"
    invoice = symbols["Invoice"]
    assert lines[invoice.locator.line_start - 1] == "class Invoice:"
    assert invoice.text.endswith("return sum(self.lines)")
    assert all(item.meta["language"] == "python" for item in items)

    blocks = [item for item in items if item.kind == "chunk"]
    assert all(item.locator.symbol is None for item in blocks)
    block_text = "\n".join(item.text for item in blocks)
    assert "import os" in block_text and "RATE = 0.2" in block_text and '__name__ == "__main__"' in block_text
    assert "def " not in block_text
    for item in items:
        assert item.text.split("\n")[-1] == lines[item.locator.line_end - 1]


def test_section_header_comment_joins_the_next_definition(tmp_path: Path, ctx: ExtractContext) -> None:
    path = tmp_path / "wrap.py"
    path.write_text("import os\n\n\n# -- Convenience interface ----------\n\ndef wrap(text):\n    return text\n")
    items = extract(path, ctx)
    assert [(item.locator.line_start, item.locator.symbol) for item in items] == [(1, None), (4, "wrap")]
    assert items[1].text.startswith("wrap\n# -- Convenience interface")


def test_big_class_is_split_into_methods(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    methods = "\n\n".join(
        f'    def method_{n}(self, value):\n        """Handle case {n}."""\n        return value + {n}'
        for n in range(8)
    )
    source = f'class Ledger:\n    """Keeps accounts."""\n\n    currency = "EUR"\n\n{methods}\n'
    path = tmp_path / "ledger.py"
    path.write_text(source)
    lines = source_lines(path)
    items = extract(path, ctx)
    within_budget(items, ctx)

    assert [item.locator.symbol for item in items] == ["Ledger"] + [f"Ledger.method_{n}" for n in range(8)]
    header = items[0]
    assert header.text.startswith("Ledger\nclass Ledger:") and 'currency = "EUR"' in header.text
    method = items[3]
    assert method.text.startswith("Ledger.method_2\n    def method_2(self, value):")
    assert lines[method.locator.line_start - 1] == "    def method_2(self, value):"
    assert lines[method.locator.line_end - 1] == "        return value + 2"
    assert all(item.kind == "symbol" for item in items)


def test_long_function_is_split_in_parts_keeping_symbol(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    body = "\n\n".join(f"    step_{n} = compute(alpha_{n}, beta_{n}, gamma_{n})\n    log(step_{n})" for n in range(20))
    path = tmp_path / "long.py"
    path.write_text(f"def pipeline():\n{body}\n")
    items = extract(path, ctx)
    within_budget(items, ctx)
    assert len(items) > 2
    assert all(item.locator.symbol == "pipeline" and item.text.startswith("pipeline\n") for item in items)
    assert [item.meta["part"] for item in items] == list(range(1, len(items) + 1))
    assert items[0].locator.line_start == 1 and items[-1].locator.line_end == 60  # 1 + 20 * 2 + 19 blank lines


def test_python_syntax_error_falls_back_to_blocks(tmp_path: Path, ctx: ExtractContext) -> None:
    path = tmp_path / "broken.py"
    path.write_text("def ok():\n    return 1\n\n\nprint 'python two'\n\nx = [1, 2\n")
    items = extract(path, ctx)
    assert all(item.kind == "chunk" and item.locator.symbol is None for item in items)
    assert all(item.meta["language"] == "python" for item in items)
    assert "line 5" in items[0].meta["parse_error"]
    assert "print 'python two'" in "\n".join(item.text for item in items)


def test_other_language_split_by_blank_line_blocks(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    functions = [
        f"function handler{n}(request) {{\n  const value = request.body.field{n};\n  return value * {n};\n}}"
        for n in range(15)
    ]
    source = "// Request handlers.\n\n" + "\n\n".join(functions) + "\n"
    path = tmp_path / "handlers.ts"
    path.write_text(source)
    lines = source_lines(path)
    items = extract(path, ctx)
    within_budget(items, ctx)
    assert len(items) > 2
    assert all(item.meta == {"language": "typescript"} for item in items)
    for item in items:
        loc = item.locator
        assert item.text == "\n".join(lines[loc.line_start - 1 : loc.line_end])
    # blocks are never cut inside a function (each fits the budget alone)
    assert all(item.text.count("{") == item.text.count("}") for item in items)
    assert "request.body.field14" in items[-1].text  # "." kept: code is never split at sentences


def test_minified_line_is_cut_to_budget(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    path = tmp_path / "bundle.min.js"
    path.write_text("var a=1;" * 400 + "\n")
    items = extract(path, ctx)
    within_budget(items, ctx)
    assert len(items) > 5
    assert all(item.locator.line_start == item.locator.line_end == 1 for item in items)


def test_chinese_comments_gb18030_and_empty_file(tmp_path: Path, ctx: ExtractContext) -> None:
    path = tmp_path / "cn.go"
    path.write_bytes("// 计算总价\nfunc Total() int {\n\treturn 1\n}\n".encode("gb18030"))
    (item,) = extract(path, ctx)
    assert item.text.startswith("// 计算总价")
    assert item.meta["language"] == "go"
    empty = tmp_path / "empty.py"
    empty.write_bytes(b"")
    assert extract(empty, ctx) == []


def test_split_lines_budget_and_ranges() -> None:
    lines = ["a b c d e f g h"] * 10 + [""] + ["x"] * 3
    blocks = split_lines(lines, 5, 20)
    assert all(estimate_tokens(block.text) <= 20 for block in blocks)
    assert blocks[0].line_start == 5
    assert blocks[-1].line_end == 5 + len(lines) - 1
    assert sum(block.text.count("a b c") for block in blocks) == 10
