"""Built-in plugin: tables (CSV, TSV, Excel workbooks) as header + row groups.

A row is the unit a person asks about ("which invoice mentions ACME?"), so items are
groups of whole rows sized to the token budget, each rendered as ``column: value``
pairs under the header line, located by row numbers as a spreadsheet shows them (the
header is row 1) and, for workbooks, the sheet. Both formats are streamed: CSV through
the csv module, XLSX through openpyxl's read-only mode.
"""

from __future__ import annotations

import csv
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from mmrag_desktop import hookimpl
from mmrag_desktop.interfaces import ExtractContext, ExtractionError, Extractor
from mmrag_desktop.records import Item
from mmrag_text.decode import clean_text, open_text

from .rows import Row, row_items

MMRAG_HOOK_API = "1"

__all__ = ["CsvExtractor", "XlsxExtractor", "register_extractors"]

_SNIFF_CHARS = 64 * 1024
_DELIMITERS = ",;\t|"
#: Largest uncompressed shared-strings table (openpyxl holds it in memory whole).
MAX_SHARED_STRINGS_BYTES = 256 << 20
#: Longest single CSV field accepted (the csv module's default is 128 KiB).
_FIELD_LIMIT = 16 << 20


def sniff_delimiter(sample: str, suffix: str) -> str:
    """The delimiter of a CSV sample; falls back to the one the extension implies."""
    default = "\t" if suffix in (".tsv", ".tab") else ","
    if default == "\t" and "\t" in sample.split("\n", 1)[0]:
        return default  # a TSV header with tabs needs no guessing
    cut = sample.rfind("\n")
    if cut > 0:
        sample = sample[:cut]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return default
    return delimiter


def _csv_rows(stream: TextIO, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(stream, delimiter=delimiter, quotechar='"', doublequote=True)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield Row(number, [clean_text(cell) for cell in record])
    except csv.Error as exc:
        raise ExtractionError(f"malformed CSV near row {number + 1}: {exc}") from exc


class CsvExtractor(Extractor):
    """Delimited text tables: CSV (delimiter sniffed) and TSV."""

    name = "csv"
    extensions = (".csv", ".tsv", ".tab")
    media_type = "text/csv"
    modality = "text"
    version = "1"

    def media_type_for(self, path: Path) -> str:
        return "text/tab-separated-values" if path.suffix.lower() in (".tsv", ".tab") else self.media_type

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        if csv.field_size_limit() < _FIELD_LIMIT:
            csv.field_size_limit(min(_FIELD_LIMIT, sys.maxsize))
        with open_text(path, newline="") as stream:
            sample = stream.read(_SNIFF_CHARS)
            if not sample.strip():
                return
            delimiter = sniff_delimiter(sample, path.suffix.lower())
            stream.seek(0)
            yield from row_items(_csv_rows(stream, delimiter), ctx)


def _check_size(path: Path) -> None:
    """Refuse a workbook whose shared strings would inflate beyond the limit."""
    with zipfile.ZipFile(path) as archive:
        size = sum(info.file_size for info in archive.infolist() if info.filename.lower().endswith("sharedstrings.xml"))
    if size > MAX_SHARED_STRINGS_BYTES:
        raise ExtractionError(f"workbook's text table too large to read ({size // (1 << 20)} MiB)")


class XlsxExtractor(Extractor):
    """Excel workbooks (.xlsx, .xlsm): every worksheet, cached formula values."""

    name = "xlsx"
    extensions = (".xlsx", ".xlsm")
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    modality = "text"
    version = "1"

    def media_type_for(self, path: Path) -> str:
        if path.suffix.lower() == ".xlsm":
            return "application/vnd.ms-excel.sheet.macroEnabled.12"
        return self.media_type

    def extract(self, path: Path, ctx: ExtractContext) -> Iterator[Item]:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            _check_size(path)
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (
            zipfile.BadZipFile,
            InvalidFileException,
            KeyError,
            ValueError,
            OSError,
            EOFError,
            SyntaxError,
            zlib.error,
        ) as exc:
            raise ExtractionError(
                f"not a readable Excel workbook (damaged, encrypted, or another format): {exc}"
            ) from exc
        try:
            for sheet in workbook.worksheets:
                if hasattr(sheet, "reset_dimensions"):
                    sheet.reset_dimensions()  # stored dimensions are often wrong; read every row
                rows = (Row(n, cells) for n, cells in enumerate(sheet.iter_rows(values_only=True), start=1))
                try:
                    yield from row_items(rows, ctx, sheet=sheet.title)
                except (zipfile.BadZipFile, KeyError, ValueError, EOFError, SyntaxError, zlib.error) as exc:
                    raise ExtractionError(f"sheet {sheet.title!r} is damaged: {exc}") from exc
        finally:
            workbook.close()


@hookimpl
def register_extractors(register: Callable[[Extractor], None]) -> None:
    register(CsvExtractor())
    register(XlsxExtractor())
