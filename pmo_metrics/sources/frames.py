"""What a reader hands on: one source of a batch as a piece of SQL, and how to run SQL over it.

Every reader — CSV, workbook, Parquet, database — turns one table source into a `SourceFrame`: a
relation with `_row` (the row a spreadsheet user sees) and one text column per header, named c1,
c2, … by position, plus the values the source had already typed (Excel numbers and dates, Parquet
columns) as n1, n2, …. Mapping, parsing, findings and de-duplication only ever see frames, so the
SQL never carries a name read from a file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .workspace import Sql, Workspace

if TYPE_CHECKING:
    from .delimited import CsvFile

ROW, FILE = "_row", "_file"


class Headers(list):
    """A frame's header names, remembering which of them repeat an earlier one: `repeated` maps a
    renamed header (`x_2`) to the header it repeats (`x`) and its 1-based position (HDR-DUPLICATE)."""

    def __init__(self, names=()):
        super().__init__(names)
        self.repeated: dict[str, tuple[str, int]] = {}


def unique_headers(names: list[Any]) -> list[str]:
    """Trimmed header names, unique case-insensitively: a repeated `x` becomes `x_2`, `x_3`;
    a blank header becomes `column_N` (N = its 1-based position)."""
    out: list[str] = Headers()
    seen: set[str] = set()
    first: dict[str, str] = {}
    for i, raw in enumerate(names, start=1):
        name = "" if raw is None else str(raw).replace("\ufeff", "").strip()
        if not name:
            name = f"column_{i}"
        base, n = name, 1
        while name.lower() in seen or name in (ROW, FILE):
            n += 1
            name = f"{base}_{n}"
        if name != base and base.lower() in first:
            out.repeated[name] = (first[base.lower()], i)
        first.setdefault(name.lower(), name)
        seen.add(name.lower())
        out.append(name)
    return out


@dataclass
class SourceFrame:
    """One table source as read: its headers, and the SQL that yields its rows."""

    label: str                       # the _file value: 'projects.csv', 'book.xlsx[projects]'
    columns: list[str]               # unique headers; the i-th (from 0) is column c{i+1}
    path: Path | None = None         # the physical file, for hashing and the archive
    csv: "CsvFile | None" = None     # a delimited file: its reader makes (and remakes) the SQL
    table: str | None = None         # else a workspace relation holding _row, c1…, n1…
    natives: dict[str, str] = field(default_factory=dict)  # header → its natively typed column
    empty: bool = False              # the file had no bytes / the sheet no cells at all

    @classmethod
    def nothing(cls, label: str, path: Path | None) -> "SourceFrame":
        return cls(label, [], path, empty=True)

    def col(self, header: str) -> str:
        """The frame's column for a header (exactly as `columns` spells it)."""
        return f"c{self.columns.index(header) + 1}"

    def sql(self) -> Sql:
        """A parenthesised relation: _row, c1…, n1…."""
        if self.csv is not None:
            return self.csv.frame_sql()
        return Sql(f"(SELECT * FROM {self.table})")

    def cells(self, numbered: str | None = None, types: dict[str, str] | None = None) -> tuple[Sql, str]:
        """The frame for building a table from it in one pass: (relation, blank-row condition).

        A delimited file's relation is its records as DuckDB reads them, in file order, with
        blank records in and `_row` empty: the table built from it is numbered afterwards
        (`CsvFile.number_table`) — numbering them as they are read would read them on one
        thread. Other frames are numbered already, blank rows left out.

        For a delimited file with no blank line (whose records' numbers follow one another),
        `numbered` numbers them as they are read, on one thread: "whole" the whole file (a small
        one, which DuckDB reads on one thread anyway), "piece" one piece of a plain file ($piece_rows
        records after $piece_skip lines, the first numbered $piece_first + 1: see
        `CsvFile.reader_sql`), read beside the others on a cursor of its own. `types`: the columns
        a delimited file's reader types itself (`CsvFile.reader_sql`)."""
        if self.csv is not None:
            reader = self.csv.reader_sql(piece=numbered == "piece", types=types)
            cols = ", ".join(f"c{i}" for i in range(1, self.csv.width + 1))
            if numbered is None:
                return Sql(f"(SELECT NULL::BIGINT AS {ROW}, {cols} FROM {reader.text})", reader.params), self.csv.blank
            first, records = ("1", reader.text) if numbered == "whole" else \
                ("$piece_first", f"(SELECT * FROM {reader.text} LIMIT $piece_rows)")
            return (Sql(f"(SELECT row_number() OVER () + {first} AS {ROW}, {cols} FROM {records})", reader.params),
                    self.csv.blank)
        return self.sql(), "false"


def run(ws: Workspace, frames: list[SourceFrame], build: Callable[[], Sql],
        action: Callable[[Sql], Any] | None = None):
    """Execute SQL built over `frames` (or hand it to `action`); when DuckDB refuses a delimited
    file, its reader decides how to read it instead (padding short rows, a copy with uniform line
    ends) and the SQL is built and run again — or raises the BatchError that names the file."""
    import duckdb

    for _ in range(8):
        sql = build()
        try:
            return action(sql) if action is not None else ws.execute(sql)
        except duckdb.Error as exc:
            message = str(exc)
            frame = next((f for f in frames if f.csv is not None and f"file = {f.csv.path}" in message), None)
            if frame is None:
                raise
            frame.csv.recover(message)
    raise RuntimeError("a delimited file could not be read after every fallback")
