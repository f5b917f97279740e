"""What a workbook's cells hold besides their values: formulas and Excel error values (XLSX-FORMULA).

python-calamine hands on each cell's cached value only: a formula Excel never calculated (a file
written by a script) reads as empty, a stale cached value reads as if current, and an error value
(`#N/A` from a failed VLOOKUP) reads as an empty cell, silently. The sheet's XML says which cells
hold formulas and errors; it is scanned with regular expressions over the bytes (C speed, no Python
per cell unless the cell holds a formula or an error). Only .xlsx/.xlsm (zip) workbooks are scanned.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from ..findings import WARNING, Finding

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# A cell whose first child is a formula (<f>…</f> or a shared <f …/>), with its cached value if any.
_FORMULA = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})([0-9]+)"[^>]*>(<f\b[^>]*?/>|<f\b[^>]*>[^<]*</f>)'
                      rb'(?:<v>([^<]*)</v>|<v/>)?')
# A cell of type error (t="e"), with or without a formula, and its error value.
_ERROR = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})([0-9]+)"[^>]*?\bt="e"[^>]*>(?:<f\b[^>]*?/>|<f\b[^>]*>[^<]*</f>)?'
                    rb'<v>([^<]*)</v>')


@dataclass(frozen=True)
class Formulas:
    """The formula cells of a sheet ((row, column) 1-based → whether a cached value exists) and
    its error cells ((row, column) → the error text, e.g. '#N/A')."""

    cached: dict[tuple[int, int], bool]
    errors: dict[tuple[int, int], str]


NONE = Formulas({}, {})


def _column(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _part(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding `sheet`'s cells."""
    rid = next((s.get(f"{_REL}id") for s in ElementTree.fromstring(book.read("xl/workbook.xml")).iter(f"{_MAIN}sheet")
                if s.get("name") == sheet), None)
    if rid is None:
        return None
    for rel in ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels")):
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return None


def sheet_formulas(path: Path, sheet: str) -> Formulas:
    """The formulas and error values of one sheet (NONE for a workbook that is no zip, or unreadable
    here: the values calamine read are then all there is)."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return NONE
    try:
        with zipfile.ZipFile(path) as book:
            part = _part(book, sheet)
            if part is None:
                return NONE
            data = book.read(part)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError):
        return NONE
    if b"<f" not in data and b't="e"' not in data:
        return NONE
    cached = {(int(m[2]), _column(m[1])): bool(m[4]) for m in _FORMULA.finditer(data)}
    errors = {(int(m[2]), _column(m[1])): m[3].decode("utf-8", "replace") for m in _ERROR.finditer(data)}
    return Formulas(cached, errors)


def formula_findings(formulas: Formulas, label: str, header_row: int, first_col: int, keep: list[int],
                     headers: list[str]) -> list[Finding]:
    """XLSX-FORMULA: per column, one warning for its formula cells (their cached values are used;
    those without one read as empty) and one for its error values, each naming the first row."""
    out = []
    for j, header in zip(keep, headers):
        col = first_col + j
        cells = sorted(r for (r, c), _ in formulas.cached.items() if c == col and r > header_row)
        if cells:
            empty = sorted(r for r in cells if not formulas.cached[(r, col)])
            words = (f"{len(cells):,} cell(s) hold a formula (rows {cells[0]}–{cells[-1]}): their values are "
                     "the ones Excel last saved")
            if empty:
                words += (f"; {len(empty):,} (first row {empty[0]}) have no saved value and read as empty")
            out.append(Finding("XLSX-FORMULA", WARNING, None, words + " (recalculate and save in Excel)",
                               label, cells[0], header, None))
        errors = sorted((r, v) for (r, c), v in formulas.errors.items() if c == col and r > header_row)
        if errors:
            out.append(Finding("XLSX-FORMULA", WARNING, None,
                               f"{len(errors):,} cell(s) hold an Excel error value (first {errors[0][1]} in row "
                               f"{errors[0][0]}): read as that text, never as empty", label, errors[0][0], header,
                               errors[0][1]))
    return out
