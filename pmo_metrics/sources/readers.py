"""Readers: each turns one source of a batch into frames (see `frames`), one per table source.

A reader kind is registered in `READER_KINDS` under the name a mapping's `kind` uses, with the
mapping keys it accepts. File readers live here (delimited text in `delimited`), the database
reader in `database`. Everything after the reader — mapping, parsing, findings — only sees frames.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..findings import BatchError
from .delimited import read_csv
from .frames import ROW, SourceFrame, unique_headers
from .jsonfile import JSON_EXTS, JSON_KEYS, read_json
from .policy import SourcePolicy, confine
from .workbook_cells import formula_findings, sheet_formulas
from .workspace import Workspace

CSV_EXTS = (".csv", ".tsv", ".txt")
WORKBOOK_EXTS = (".xlsx", ".xlsm", ".xls", ".ods")
PARQUET_EXTS = (".parquet", ".pq")
DATA_EXTS = CSV_EXTS + WORKBOOK_EXTS + PARQUET_EXTS + JSON_EXTS


@dataclass
class ReadContext:
    """What readers share during one batch: the batch folder, the workspace, open workbooks."""

    batch_dir: Path
    ws: Workspace
    batch_workbook: Path | None = None
    blank_lines: Callable[[Path], bool] | None = None  # a delimited file has an empty line (hashing looks)
    workbooks: dict[Path, Any] = field(default_factory=dict)
    progress: Callable[[str], None] | None = None  # a reader's progress message (long reads)
    policy: SourcePolicy | None = None            # what the mapping may reach (None: the CLI's)
    findings: list = field(default_factory=list)  # what a reader noticed (formulas in a sheet), in order


@dataclass(frozen=True)
class ReaderKind:
    name: str
    keys: frozenset[str]  # keys a mapping source of this kind may set, besides the common ones
    read: Callable[[str, dict, ReadContext], list[SourceFrame]]  # (source name, options, ctx)
    check: Callable[[dict], None] | None = None  # mapping-time check; raises ValueError with the message


def resolve_paths(pattern: str, ctx: ReadContext, source: str, optional: bool = False) -> list[Path]:
    """A mapping path or glob → existing files (sorted), relative to the batch folder.

    Every path must resolve (symlinks followed) inside the batch folder: `/etc/passwd`, `../x` or a
    link pointing out of the folder is refused before anything is read, so a mapping — uploaded,
    say — cannot make the server read its own files."""
    what = f"mapping source {source!r}: path {pattern!r}"
    p = Path(pattern).expanduser()
    # Checked before looking, so nothing tells whether a file outside the folder exists.
    confine(p if p.is_absolute() else ctx.batch_dir / p, ctx.batch_dir, what)
    if p.is_absolute():
        p = p.resolve().relative_to(ctx.batch_dir.resolve())
    base = ctx.batch_dir / p
    if any(ch in pattern for ch in "*?["):
        found = sorted(x for x in ctx.batch_dir.glob(str(p)) if x.is_file())
    else:
        found = [base] if base.is_file() else []
    for x in found:  # a symlink inside the folder may still point out of it
        confine(x, ctx.batch_dir, what if x == base else f"{what} ({file_label(x, ctx)})")
    if not found and not optional:
        raise BatchError(f"mapping source {source!r}: {pattern!r} matches no file in {ctx.batch_dir} "
                         "(if it may be absent, declare the source optional = true)")
    return found


class FrameWriter:
    """Rows held in Python (a worksheet, chunks of a database result) → a workspace table.

    Each `append` hands DuckDB Arrow arrays — the _row numbers, one list of text per header, and
    for some headers a pyarrow array of the source's own typed values — so a result fetched chunk
    by chunk is never held whole in Python."""

    def __init__(self, ws: Workspace, label: str, columns: list[str], path: Path | None = None):
        self.ws, self.label, self.columns, self.path = ws, label, columns, path
        self.table = ws.name("frame")
        self.natives: dict[str, str] = {}
        self.created = False

    def append(self, rows: list[int], strings: list[list[str | None]], natives: dict[str, Any] | None = None) -> None:
        import pyarrow as pa

        arrays = {ROW: pa.array(rows, type=pa.int64())}
        arrays.update({f"c{i}": pa.array(values, type=pa.string()) for i, values in enumerate(strings, start=1)})
        for i, (header, values) in enumerate((natives or {}).items(), start=1):
            arrays[f"n{i}"] = values
            self.natives[header] = f"n{i}"
        arrow = pa.table(arrays)  # noqa: F841 — DuckDB reads the local variable by name
        if self.created:
            self.ws.con.execute(f"INSERT INTO {self.table} SELECT * FROM arrow")
        else:
            self.ws.con.execute(f"CREATE TEMP TABLE {self.table} AS SELECT * FROM arrow")
            self.created = True

    def frame(self) -> SourceFrame:
        return SourceFrame(self.label, self.columns, self.path, table=self.table, natives=self.natives)


# --- Excel -------------------------------------------------------------------------------------

def open_workbook(path: Path, ctx: ReadContext):
    """Open (once per batch) a workbook with python-calamine."""
    import python_calamine

    if path not in ctx.workbooks:
        if path.stat().st_size == 0:
            ctx.workbooks[path] = None
        else:
            try:
                ctx.workbooks[path] = python_calamine.CalamineWorkbook.from_path(str(path))
            except Exception as e:  # calamine raises its own error types (zip, xml, password)
                raise BatchError(f"{path.name}: not a readable workbook ({e})") from None
    return ctx.workbooks[path]


def visible_sheets(wb) -> list[str]:
    """The sheets of a workbook a user sees (not hidden, not very hidden)."""
    import python_calamine

    return [m.name for m in wb.sheets_metadata if m.visible == python_calamine.SheetVisibleEnum.Visible]


def _cell_text(v: Any) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _native_column(values: list[Any]):
    """Excel's own typing of a column, for cells that are numbers, dates or booleans."""
    import pyarrow as pa

    if any(isinstance(v, dt.date) for v in values):
        return pa.array([(v.date() if isinstance(v, dt.datetime) else v) if isinstance(v, dt.date) else None
                         for v in values], type=pa.date32())
    nums = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in values]
    if any(n is not None for n in nums):
        return pa.array(nums, type=pa.float64())
    if any(isinstance(v, bool) for v in values):
        return pa.array([v if isinstance(v, bool) else None for v in values], type=pa.bool_())
    return None


def read_sheet(path: Path, sheet: str | None, ctx: ReadContext, label: str | None = None) -> SourceFrame:
    """One worksheet → frame; the header is the first non-empty row, _row the sheet's row number.

    Cells come out of python-calamine as Python values, one by one; at worksheet sizes (Excel
    stops at 1,048,576 rows) that is what the read costs, so they go to DuckDB as Arrow arrays
    without another library in between."""
    wb = open_workbook(path, ctx)
    if wb is None:
        return SourceFrame.nothing(label or file_label(path, ctx), path)
    names = wb.sheet_names
    shown = visible_sheets(wb)
    if sheet is None:
        sheet = (shown or names)[0]
    else:
        match = [n for n in names if n.strip().lower() == sheet.strip().lower()]
        if not match:
            raise BatchError(f"{path.name}: no sheet {sheet!r} (sheets: {', '.join(names)})")
        sheet = match[0]
        if sheet not in shown:  # XLSX-HIDDEN: what nobody sees in Excel is never read
            raise BatchError(f"{path.name}: sheet {sheet!r} is hidden; unhide it in Excel if it belongs to the batch")
    label = label or f"{file_label(path, ctx)}[{sheet}]"
    try:
        ws = wb.get_sheet_by_name(sheet)
        rows = ws.to_python(skip_empty_area=True)
    except Exception as e:
        raise BatchError(f"{label}: cannot be read ({e})") from None
    if not rows:
        return SourceFrame.nothing(label, path)
    header_row = (ws.start[0] + 1) if ws.start else 1
    width = max(len(r) for r in rows)
    rows = [list(r) + [""] * (width - len(r)) for r in rows]
    formulas = sheet_formulas(path, sheet)
    first_col = (ws.start[1] + 1) if ws.start else 1
    for (r, col), error in formulas.errors.items():  # read as its text, so the parsers name it
        if 0 <= r - header_row < len(rows) and 0 <= col - first_col < width:
            rows[r - header_row][col - first_col] = error
    header, data = rows[0], rows[1:]
    # Columns with neither a header nor a value are padding, not data.
    keep = [j for j in range(width) if str(header[j]).strip() or any(r[j] not in ("", None) for r in data)]
    headers = unique_headers([_cell_text(header[j]) or f"column_{j + 1}" for j in keep])  # a header 2024 is "2024"
    if formulas.cached or formulas.errors:
        ctx.findings += formula_findings(formulas, label, header_row, first_col, keep, headers)
    texts = [[_cell_text(r[j]) for r in data] for j in keep]
    # Blank rows are skipped but keep their numbers.
    filled = [i for i in range(len(data)) if any(col[i] is not None for col in texts)] if keep else []
    natives = {}
    for name, j in zip(headers, keep):
        native = _native_column([data[i][j] for i in filled])
        if native is not None:
            natives[name] = native
    writer = FrameWriter(ctx.ws, label, headers, path)
    writer.append([header_row + 1 + i for i in filled], [[col[i] for i in filled] for col in texts], natives)
    return writer.frame()


# --- Parquet -----------------------------------------------------------------------------------

def _float_text(expr: str) -> str:
    """A float as text, as it was shown before the loader moved into DuckDB (1e-7, not 1e-07)."""
    return (f"CASE WHEN isnan({expr}) THEN 'NaN' ELSE regexp_replace(regexp_replace(CAST({expr} AS VARCHAR), "
            r"'e-0(\d)$', 'e-\1'), '^(-?)(\d)(?:\.(\d+))?e-5$', '\10.0000\2\3') END")


def parquet_text(expr: str, dtype: str) -> str:
    """A Parquet column as text: 1001.0 reads as "1001", like Excel shows it, so ids stored as
    floats still join; midnight timestamps as their date."""
    if dtype == "VARCHAR":
        return expr
    if dtype in ("DOUBLE", "FLOAT"):
        return (f"CASE WHEN isfinite({expr}) AND {expr} = round({expr}) AND abs({expr}) < 1e15 "
                f"THEN CAST(CAST({expr} AS BIGINT) AS VARCHAR) ELSE {_float_text(expr)} END")
    if dtype.startswith("TIMESTAMP"):
        return f"regexp_replace(strftime({expr}, '%Y-%m-%d %H:%M:%S'), ' 00:00:00$', '')"
    return f"CAST({expr} AS VARCHAR)"


_NATIVE_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "FLOAT", "DOUBLE", "DATE", "BOOLEAN")


def _refuse_nested(label: str, headers: list[str], dtypes: list[str]) -> None:
    """A struct, list, map or union column has no single value per cell: its text (`{'a': 1}`)
    would load as if it were one. Refused, naming the column."""
    for header, dtype in zip(headers, dtypes):
        if dtype.startswith(("STRUCT", "MAP", "UNION")) or dtype.endswith("]"):
            shown = dtype if len(dtype) <= 60 else dtype[:57] + "..."
            raise BatchError(f"{label}: column {header!r} holds nested values ({shown}); the loader reads "
                             "flat columns only: export it as plain columns")


def read_parquet(path: Path, label: str, ws: Workspace) -> SourceFrame:
    """Parquet → a workspace table: every column as text, and the typed ones also as they are."""
    import duckdb

    if path.stat().st_size == 0:
        return SourceFrame.nothing(label, path)
    try:
        described = ws.con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        headers = unique_headers([name for name, *_ in described])
        _refuse_nested(label, headers, [dtype for _, dtype, *_ in described])
        texts, natives, named = [], [], {}
        for i, (header, (_, dtype, *_)) in enumerate(zip(headers, described), start=1):
            texts.append(f"{parquet_text(f'#{i}', dtype)} AS c{i}")
            if dtype in _NATIVE_TYPES or dtype.startswith(("DECIMAL", "TIMESTAMP")):
                natives.append(f"#{i} AS n{len(natives) + 1}")
                named[header] = f"n{len(natives)}"
        table = ws.name("frame")
        # Materialised here, so a file corrupt past its footer fails now, naming the file.
        ws.con.execute(f"CREATE TEMP TABLE {table} AS SELECT file_row_number + 2 AS {ROW}, "
                       f"{', '.join(texts + natives)} FROM read_parquet(?, file_row_number = true)", [str(path)])
    except duckdb.Error as e:
        raise BatchError(f"{label}: not a readable Parquet file ({str(e).splitlines()[0]})") from None
    return SourceFrame(label, headers, path, table=table, natives=named)


# --- the file reader kind ----------------------------------------------------------------------

def file_label(path: Path, ctx: ReadContext) -> str:
    """How a file is named in findings: its path inside the batch folder, else its name."""
    try:
        return path.relative_to(ctx.batch_dir).as_posix()
    except ValueError:
        return path.name


def read_file(path: Path, options: dict, ctx: ReadContext, sheet: str | None = None) -> SourceFrame:
    """Read one file by its extension."""
    ext = path.suffix.lower()
    label = file_label(path, ctx)
    if ext in WORKBOOK_EXTS:
        return read_sheet(path, sheet, ctx)
    if sheet is not None:
        raise BatchError(f"{label}: 'sheet' is set but the file is no workbook")
    if ext in PARQUET_EXTS:
        return read_parquet(path, label, ctx.ws)
    if ext in CSV_EXTS or ext == "":
        blank = (lambda: ctx.blank_lines(path)) if ctx.blank_lines else None
        return read_csv(path, label, options, ctx.ws, blank)
    if ext in JSON_EXTS:
        return read_json(path, label, options, ctx.ws)
    raise BatchError(f"{label}: unsupported file type {ext!r} ({SUPPORTED})")


SUPPORTED = "csv, tsv, txt, xlsx, xlsm, xls, ods, parquet, json, jsonl, ndjson"


def _check_file(options: dict) -> None:
    if not isinstance(options.get("optional", False), bool):
        raise ValueError("optional must be true or false")
    for key in ("records", "explode"):
        if key in options and (not isinstance(options[key], str) or not options[key].strip(".").strip()):
            raise ValueError(f"{key} must be the dotted path of a JSON field (\"projects\", \"data.items\")")
    if "join" in options and not isinstance(options["join"], str):
        raise ValueError("join must be a string (the text between an array's elements)")


def _read_files(source: str, options: dict, ctx: ReadContext) -> list[SourceFrame]:
    pattern = options.get("path")
    sheet = options.get("sheet")
    if pattern is None:
        if ctx.batch_workbook is None:
            raise BatchError(f"mapping source {source!r}: no path (only a workbook batch may omit it)")
        paths = [ctx.batch_workbook]
    else:
        # An optional source (a yearly file some folders lack) that matches nothing adds no rows.
        paths = resolve_paths(pattern, ctx, source, bool(options.get("optional")))
    return [read_file(p, options, ctx, sheet) for p in paths]


def claimed_paths(options: dict, ctx: ReadContext) -> list[Path]:
    """Files a file source would read, without reading them (for the unknown-file check)."""
    if options.get("path") is None:
        return [ctx.batch_workbook] if ctx.batch_workbook else []
    try:
        return resolve_paths(options["path"], ctx, "")
    except BatchError:
        return []


def _read_database(source: str, options: dict, ctx: ReadContext) -> list[SourceFrame]:
    from .database import read_database  # SQLAlchemy is imported only when a mapping uses a database

    return read_database(source, options, ctx)


def _check_database(options: dict) -> None:
    from .database import check_options

    check_options(options)


READER_KINDS: dict[str, ReaderKind] = {
    "file": ReaderKind("file", frozenset({"path", "sheet", "encoding", "encoding_errors", "separator", "optional"})
                       | JSON_KEYS,
                       _read_files, _check_file),
    "database": ReaderKind("database", frozenset({"url", "url_secret", "query", "table", "chunk_size", "attach"}),
                           _read_database, _check_database),
}
