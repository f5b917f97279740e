"""Readers: each turns one source of a batch into string frames, one per table source.

A reader kind is registered in `READER_KINDS` under the name a mapping's `kind` uses, with the
mapping keys it accepts. File readers (csv / xlsx / parquet) live here; a database reader slots in
beside them by registering another kind (say "sql", with keys "url" and "query") whose `read`
returns `SourceFrame`s the same way. Everything after the reader — mapping, parsing, findings —
only sees `SourceFrame`s.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import polars as pl

from ..findings import BatchError
from .policy import SourcePolicy, confine

CSV_EXTS = (".csv", ".tsv", ".txt")
WORKBOOK_EXTS = (".xlsx", ".xlsm", ".xls", ".ods")
PARQUET_EXTS = (".parquet", ".pq")
DATA_EXTS = CSV_EXTS + WORKBOOK_EXTS + PARQUET_EXTS
SEPARATORS = (",", ";", "\t", "|")
SNIFF_BYTES = 1 << 16
ROW, FILE = "_row", "_file"


@dataclass
class SourceFrame:
    """One table source as read: every cell a string, plus what the source had already typed."""

    label: str                        # the _file value: 'projects.csv', 'book.xlsx[projects]'
    strings: pl.DataFrame             # pl.String columns with unique names, plus _row (Int64)
    native: pl.DataFrame | None = None  # same rows; Excel numbers/dates, Parquet typed columns
    path: Path | None = None          # the physical file, for hashing and the archive
    empty: bool = False               # the file had no bytes / the sheet no cells at all

    @property
    def columns(self) -> list[str]:
        return [c for c in self.strings.columns if c != ROW]


@dataclass
class ReadContext:
    """What readers share during one batch: the batch folder and open workbooks."""

    batch_dir: Path
    batch_workbook: Path | None = None
    workbooks: dict[Path, Any] = field(default_factory=dict)
    progress: Callable[[str], None] | None = None  # a reader's progress message (long reads)
    policy: SourcePolicy | None = None            # what the mapping may reach (None: the CLI's)


@dataclass(frozen=True)
class ReaderKind:
    name: str
    keys: frozenset[str]  # keys a mapping source of this kind may set, besides the common ones
    read: Callable[[str, dict, ReadContext], list[SourceFrame]]  # (source name, options, ctx)
    check: Callable[[dict], None] | None = None  # mapping-time check; raises ValueError with the message


def unique_headers(names: list[Any]) -> list[str]:
    """Trimmed header names, unique case-insensitively: a repeated `x` becomes `x_2`, `x_3`;
    a blank header becomes `column_N` (N = its 1-based position)."""
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names, start=1):
        name = "" if raw is None else str(raw).replace("\ufeff", "").strip()
        if not name:
            name = f"column_{i}"
        base, n = name, 1
        while name.lower() in seen or name in (ROW, FILE):
            n += 1
            name = f"{base}_{n}"
        seen.add(name.lower())
        out.append(name)
    return out


def _with_rows(df: pl.DataFrame, first_row: int) -> pl.DataFrame:
    """Add _row (first data row = `first_row`) and drop rows with no value at all (blank lines),
    keeping the numbering of the rest."""
    df = df.with_columns(pl.int_range(first_row, pl.len() + first_row, dtype=pl.Int64).alias(ROW))
    cols = [c for c in df.columns if c != ROW]
    if cols and df.height:
        blank = pl.all_horizontal(pl.col(cols).is_null())
        if df.select(blank.any()).item():
            df = df.filter(~blank)
    return df


def _empty_frame(label: str, path: Path | None) -> SourceFrame:
    return SourceFrame(label, pl.DataFrame({ROW: pl.Series([], dtype=pl.Int64)}), None, path, empty=True)


def resolve_paths(pattern: str, ctx: ReadContext, source: str) -> list[Path]:
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
    if not found:
        raise BatchError(f"mapping source {source!r}: {pattern!r} matches no file in {ctx.batch_dir}")
    return found


# --- CSV ---------------------------------------------------------------------------------------

def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # a UTF-16 BOM is itself a declaration: Excel's "Unicode text"
    return None


def _not_utf8(label: str, data: bytes, offset: int = 0) -> BatchError:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        pos = e.start
        line = data.count(b"\n", 0, pos) + 1
        return BatchError(
            f"{label}: not UTF-8 (byte 0x{data[pos]:02x} at line {line}, offset {offset + pos}); "
            f"declare the file's encoding in a mapping, e.g. encoding = \"cp1252\"")
    return BatchError(f"{label}: not UTF-8; declare its encoding in a mapping, e.g. encoding = \"cp1252\"")


def sniff_separator(text: str) -> str:
    """The separator that splits the header line most often (outside quotes); "," on a tie."""
    first = text.split("\n", 1)[0]
    first = re.sub(r'"[^"]*"', "", first)
    counts = {sep: first.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: (counts[s], s == ","))
    return best if counts[best] else ","


def read_csv(path: Path, label: str, options: dict) -> SourceFrame:
    """A delimited text file → all-string frame. UTF-8 (BOM or not) goes straight to polars;
    a declared encoding is decoded in Python first, because polars reads UTF-8 only."""
    size = path.stat().st_size
    if size == 0:
        return _empty_frame(label, path)
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    encoding = options.get("encoding") or _bom_encoding(head) or "utf-8"
    errors = options.get("encoding_errors") or "strict"
    is_utf8 = codecs.lookup(encoding).name == "utf-8" or encoding.lower().replace("_", "-") == "utf-8-sig"
    source: Path | bytes
    if is_utf8 and errors == "strict":
        try:
            head_text = codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) == size)
        except UnicodeDecodeError:
            raise _not_utf8(label, head) from None
        head_text = head_text.lstrip("\ufeff")
        source = path
    else:
        try:
            text = path.read_bytes().decode(encoding, errors)
        except UnicodeDecodeError as e:
            line = e.object.count(b"\n", 0, e.start) + 1
            raise BatchError(f"{label}: byte 0x{e.object[e.start]:02x} at line {line} is not valid "
                             f"{encoding}; try another encoding or encoding_errors = \"replace\"") from None
        text = text.lstrip("\ufeff")
        head_text = text[:SNIFF_BYTES]
        source = text.encode("utf-8")
    if not head_text.strip():
        return _empty_frame(label, path)
    sep = options.get("separator") or ("\t" if path.suffix.lower() == ".tsv" else sniff_separator(head_text))
    try:
        header = next(csv.reader(io.StringIO(head_text), delimiter=sep))
    except (csv.Error, StopIteration):
        header = []
    try:
        df = pl.read_csv(source, separator=sep, infer_schema=False, has_header=True, raise_if_empty=False)
    except pl.exceptions.ComputeError as e:
        if "utf-8" in str(e).lower() and isinstance(source, Path):
            raise _not_utf8(label, path.read_bytes()) from None
        raise BatchError(f"{label}: cannot be read as CSV ({str(e).splitlines()[0]})") from None
    except pl.exceptions.PolarsError as e:
        raise BatchError(f"{label}: cannot be read as CSV ({str(e).splitlines()[0]})") from None
    names = header if len(header) == df.width else df.columns
    df.columns = unique_headers(names)
    # polars returns empty cells as null already; the header is row 1, the first record row 2
    # (a quoted cell spanning several lines still counts as one row, as a spreadsheet shows it).
    return SourceFrame(label, _with_rows(df, 2), None, path)


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


def _native_column(values: list[Any]) -> pl.Series | None:
    """Excel's own typing of a column, for cells that are numbers, dates or booleans."""
    dates = [v if isinstance(v, dt.date) else None for v in values]
    if any(d is not None for d in dates):
        return pl.Series([d.date() if isinstance(d, dt.datetime) else d for d in dates], dtype=pl.Date)
    nums = [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in values]
    if any(n is not None for n in nums):
        return pl.Series(nums, dtype=pl.Float64)
    bools = [v if isinstance(v, bool) else None for v in values]
    if any(b is not None for b in bools):
        return pl.Series(bools, dtype=pl.Boolean)
    return None


def read_sheet(path: Path, sheet: str | None, ctx: ReadContext, label: str | None = None) -> SourceFrame:
    """One worksheet → frame; the header is the first non-empty row, _row the sheet's row number."""
    wb = open_workbook(path, ctx)
    if wb is None:
        return _empty_frame(label or file_label(path, ctx), path)
    names = wb.sheet_names
    if sheet is None:
        sheet = names[0]
    else:
        match = [n for n in names if n.strip().lower() == sheet.strip().lower()]
        if not match:
            raise BatchError(f"{path.name}: no sheet {sheet!r} (sheets: {', '.join(names)})")
        sheet = match[0]
    label = label or f"{file_label(path, ctx)}[{sheet}]"
    try:
        ws = wb.get_sheet_by_name(sheet)
        rows = ws.to_python(skip_empty_area=True)
    except Exception as e:
        raise BatchError(f"{label}: cannot be read ({e})") from None
    if not rows:
        return _empty_frame(label, path)
    header_row = (ws.start[0] + 1) if ws.start else 1
    width = max(len(r) for r in rows)
    rows = [list(r) + [""] * (width - len(r)) for r in rows]
    header, data = rows[0], rows[1:]
    # Columns with neither a header nor a value are padding, not data.
    keep = [j for j in range(width) if str(header[j]).strip() or any(r[j] not in ("", None) for r in data)]
    names_ = unique_headers([_cell_text(header[j]) or f"column_{j + 1}" for j in keep])  # a header 2024 is "2024"
    strings, native = {}, {}
    for name, j in zip(names_, keep):
        col = [r[j] for r in data]
        strings[name] = pl.Series(name, [_cell_text(v) for v in col], dtype=pl.String)
        nat = _native_column(col)
        if nat is not None:
            native[name] = nat.alias(name)
    sdf = pl.DataFrame(strings) if strings else pl.DataFrame()
    ndf = pl.DataFrame(native) if native else None
    sdf = sdf.with_columns(pl.int_range(header_row + 1, pl.len() + header_row + 1, dtype=pl.Int64).alias(ROW))
    if data and len(names_):
        blank = sdf.select(pl.all_horizontal(pl.col(names_).is_null())).to_series()
        if blank.any():
            sdf = sdf.filter(~blank)
            ndf = ndf.filter(~blank) if ndf is not None else None
    return SourceFrame(label, sdf, ndf, path)


# --- Parquet -----------------------------------------------------------------------------------

def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    c = pl.col(name)
    if dtype == pl.String:
        return c
    if dtype.is_float():
        # 1001.0 reads as "1001", like Excel shows it, so ids stored as floats still join.
        return pl.when(c.is_finite() & (c == c.round()) & (c.abs() < 1e15)).then(
            c.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(c.cast(pl.String))
    if dtype == pl.Boolean:
        return pl.when(c).then(pl.lit("true")).when(~c).then(pl.lit("false"))
    if isinstance(dtype, pl.Datetime):
        return c.dt.strftime("%Y-%m-%d %H:%M:%S").str.strip_suffix(" 00:00:00")
    try:
        return c.cast(pl.String)
    except Exception:
        return c.map_elements(str, return_dtype=pl.String)


def read_parquet(path: Path, label: str) -> SourceFrame:
    """Parquet → string frame for the raw layer, keeping typed columns as `native`."""
    if path.stat().st_size == 0:
        return _empty_frame(label, path)
    try:
        df = pl.read_parquet(path)
    except Exception as e:  # polars raises several error types for a truncated file
        raise BatchError(f"{label}: not a readable Parquet file ({str(e).splitlines()[0]})") from None
    names = unique_headers(df.columns)
    df.columns = names
    try:
        strings = df.select([_as_text(n, df.schema[n]).alias(n) for n in names])
    except pl.exceptions.PolarsError:
        strings = df.select([pl.col(n).map_elements(str, return_dtype=pl.String) for n in names])
    typed = [n for n in names if df.schema[n] != pl.String and (
        df.schema[n].is_numeric() or df.schema[n] in (pl.Date, pl.Boolean) or isinstance(df.schema[n], pl.Datetime))]
    native = df.select(typed) if typed else None
    strings = strings.with_columns(pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias(ROW))
    return SourceFrame(label, strings, native, path)


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
        return read_parquet(path, label)
    if ext in CSV_EXTS or ext == "":
        return read_csv(path, label, options)
    raise BatchError(f"{label}: unsupported file type {ext!r} (csv, tsv, txt, xlsx, xls, parquet)")


def _read_files(source: str, options: dict, ctx: ReadContext) -> list[SourceFrame]:
    pattern = options.get("path")
    sheet = options.get("sheet")
    if pattern is None:
        if ctx.batch_workbook is None:
            raise BatchError(f"mapping source {source!r}: no path (only a workbook batch may omit it)")
        paths = [ctx.batch_workbook]
    else:
        paths = resolve_paths(pattern, ctx, source)
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
    "file": ReaderKind("file", frozenset({"path", "sheet", "encoding", "encoding_errors", "separator"}),
                       _read_files),
    "database": ReaderKind("database", frozenset({"url", "url_secret", "query", "table", "chunk_size", "attach"}),
                           _read_database, _check_database),
}
