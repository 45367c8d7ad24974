"""The table extractors (mmrag_table): CSV/TSV and XLSX as header + row groups."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import openpyxl
import pytest

from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_table import CsvExtractor, XlsxExtractor, register_extractors, sniff_delimiter


def rows_of(items: list) -> list[tuple[int, int]]:
    return [(item.locator.row_start, item.locator.row_end) for item in items]


def test_registers_csv_and_xlsx() -> None:
    registered: list[Extractor] = []
    register_extractors(registered.append)
    assert [type(e) for e in registered] == [CsvExtractor, XlsxExtractor]
    assert {".csv", ".tsv"} <= set(registered[0].extensions)
    assert ".xlsx" in registered[1].extensions


def test_csv_rows_rendered_as_pairs_under_header(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    lines = ["id,customer,city,amount"] + [f"{n},Customer {n},City{n},{n * 10}" for n in range(1, 41)]
    path = tmp_path / "sales.csv"
    path.write_text("\n".join(lines) + "\n")
    items = list(CsvExtractor().extract(path, ctx))

    assert len(items) > 2
    within_budget(items, ctx)
    spans = rows_of(items)
    assert spans[0][0] == 2 and spans[-1][1] == 41  # header is row 1
    assert all(start <= end for start, end in spans)
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(spans))  # contiguous, no overlap
    for item in items:
        assert item.kind == "rows" and item.locator.sheet is None
        header, *rows = item.text.split("\n")
        assert header == "id | customer | city | amount"
        assert len(rows) == item.locator.row_end - item.locator.row_start + 1
        first = item.locator.row_start - 1
        assert rows[0] == f"id: {first}; customer: Customer {first}; city: City{first}; amount: {first * 10}"


def test_semicolon_csv_quotes_multiline_cells_and_chinese(tmp_path: Path, ctx: ExtractContext) -> None:
    path = tmp_path / "客户.csv"
    content = '名称;城市;备注\r\n"张三";北京;"第一行\r\n第二行"\r\n\r\n李四;上海;"含;分号"\r\n'
    path.write_bytes(content.encode("gb18030"))
    (item,) = CsvExtractor().extract(path, ctx)
    assert item.text.split("\n") == [
        "名称 | 城市 | 备注",
        "名称: 张三; 城市: 北京; 备注: 第一行 第二行",
        "名称: 李四; 城市: 上海; 备注: 含;分号",
    ]
    assert rows_of([item]) == [(2, 4)]  # row 3 is blank but still counts


def test_tsv_and_delimiter_sniffing() -> None:
    assert sniff_delimiter("a\tb\tc\n1\t2\t3\n", ".tsv") == "\t"
    assert sniff_delimiter("a;b;c\n1;2;3\n4;5;6\n", ".csv") == ";"
    assert sniff_delimiter("a|b\n1|2\n", ".csv") == "|"
    assert sniff_delimiter("single column\nvalue\n", ".csv") == ","
    assert sniff_delimiter("single column\nvalue\n", ".tsv") == "\t"


def test_tsv_file(tmp_path: Path, ctx: ExtractContext) -> None:
    path = tmp_path / "data.tsv"
    path.write_text("name\tscore\nann\t3\nbob\t\n")
    (item,) = CsvExtractor().extract(path, ctx)
    assert item.text == "name | score\nname: ann; score: 3\nname: bob"
    assert CsvExtractor().media_type_for(path) == "text/tab-separated-values"


def test_header_only_empty_and_binary_csv(tmp_path: Path, ctx: ExtractContext) -> None:
    header_only = tmp_path / "h.csv"
    header_only.write_text("alpha,beta\n")
    (item,) = CsvExtractor().extract(header_only, ctx)
    assert item.text == "alpha | beta" and rows_of([item]) == [(1, 1)]
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    assert list(CsvExtractor().extract(empty, ctx)) == []
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(ExtractionError, match="binary"):
        list(CsvExtractor().extract(junk, ctx))


def test_wide_row_is_split_within_budget(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    columns = [f"col{n}" for n in range(40)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(columns) + "\n" + ",".join(f"value number {n}" for n in range(40)) + "\nx,y\n")
    items = list(CsvExtractor().extract(path, ctx))
    within_budget(items, ctx)
    wide = [item for item in items if item.locator.row_start == 2]
    assert len(wide) > 1 and all(item.locator.row_end == 2 for item in wide)
    assert [item.meta["part"] for item in wide] == list(range(1, len(wide) + 1))
    assert "col39: value number 39" in wide[-1].text
    assert rows_of(items)[-1] == (3, 3)


def test_xlsx_every_sheet_with_real_row_numbers(tmp_path: Path, ctx: ExtractContext, within_budget) -> None:
    workbook = openpyxl.Workbook()
    sales = workbook.active
    sales.title = "Sales"
    sales.append(["Product", "Price", "Date", "Total"])
    sales.append(["Widget", 2.0, dt.datetime(2024, 5, 1), "=B2*2"])
    sales.append([None, None, None, None])
    sales.append(["Gadget", 3.5, dt.date(2024, 6, 2), None])
    people = workbook.create_sheet("人员")
    people["B3"] = "姓名"
    people["C3"] = "部门"
    people["B4"] = "王五"
    people["C4"] = "研发"
    for n in range(5, 40):
        people[f"B{n}"] = f"员工{n}"
        people[f"C{n}"] = "销售"
    path = tmp_path / "book.xlsx"
    workbook.save(path)

    items = list(XlsxExtractor().extract(path, ctx))
    within_budget(items, ctx)

    first = items[0]
    assert first.locator.sheet == "Sales"
    assert first.text.split("\n") == [
        "Sheet: Sales",
        "Product | Price | Date | Total",
        "Product: Widget; Price: 2; Date: 2024-05-01",  # no cached formula value: cell left out
        "Product: Gadget; Price: 3.5; Date: 2024-06-02",
    ]
    assert rows_of([first]) == [(2, 4)]
    chinese = [item for item in items if item.locator.sheet == "人员"]
    assert len(chinese) > 1
    assert chinese[0].text.startswith("Sheet: 人员\n姓名 | 部门\n姓名: 王五; 部门: 研发")
    assert chinese[0].locator.row_start == 4
    assert chinese[-1].locator.row_end == 39


def test_corrupt_xlsx_is_refused(tmp_path: Path, ctx: ExtractContext) -> None:
    not_zip = tmp_path / "bad.xlsx"
    not_zip.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(ExtractionError, match="not a readable Excel workbook"):
        list(XlsxExtractor().extract(not_zip, ctx))

    workbook = openpyxl.Workbook()
    workbook.active.append(["a", "b"])
    good = tmp_path / "good.xlsx"
    workbook.save(good)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ExtractionError):
        list(XlsxExtractor().extract(truncated, ctx))
