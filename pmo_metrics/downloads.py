"""Files in and out of the dashboard: tables as CSV and Excel downloads, safe to open in a
spreadsheet, and uploaded files staged as a batch the loader can read.

Names in the extracts come from users; a cell such as `=HYPERLINK(...)` would run as a formula
when the CSV is opened in Excel (CSV/formula injection). Every text cell and header that starts
with `=`, `+`, `-`, `@` (or a tab or carriage return, which Excel strips before looking) is
prefixed with a single quote, as OWASP recommends. Numbers are left as numbers.
"""
from __future__ import annotations

import io
import re
import shutil
import tempfile
import weakref
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import formatting as fmt
from . import theme

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MAX_ROWS = 1_048_576 - 1  # one row for the header
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def neutralise_cell(value):
    """A text value made inert for spreadsheets; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of df whose text cells and column names cannot be read as spreadsheet formulas."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype) \
                or isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype(object).map(neutralise_cell)
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out


def _excel_ready(df: pd.DataFrame) -> pd.DataFrame:
    out = neutralise_formulas(df)
    for col in out.columns:
        s = out[col]
        # Excel has no time zones; write the wall-clock time.
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_localize(None)
    return out


@dataclass(frozen=True)
class Field:
    """One column of a table as a download writes it: the heading the screen shows, the kind of value
    (its Excel number format: money, share, percent, hours, count, ratio, days, date, …) and, for a
    coded column (kind 'enum' or 'rag'), the enumeration whose words replace the codes."""

    column: str
    header: str
    kind: str = "text"
    enumeration: str | None = None
    decimals: int | None = None


def as_shown(df: pd.DataFrame, fields: list[Field]) -> pd.DataFrame:
    """The columns of `fields` in their order, headed as on screen, codes as their words
    ('on_hold' → 'On hold'); numbers stay numbers (a share stays 0.45: Excel formats it)."""
    out = {}
    for f in fields:
        if f.column not in df.columns:
            continue
        values = df[f.column]
        if f.kind in ("enum", "rag"):
            values = values.map(lambda v, e=f.enumeration: fmt.label(v, e, empty=None)).astype(object)
        out[f.header] = values.reset_index(drop=True)
    return pd.DataFrame(out)


def excel_formats(fields: list[Field], currency: str = "") -> dict[str, str]:
    """{header: Excel number format} for the numeric and date columns of `fields`."""
    return {f.header: fmt.excel_format(f.kind, currency, decimals=f.decimals) for f in fields
            if fmt.excel_format(f.kind) != "General"}


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel shows accented names correctly."""
    return neutralise_formulas(df).to_csv(index=False).encode("utf-8-sig")


def sheet_name(name: str) -> str:
    """A valid Excel sheet name (≤ 31 characters, none of []:*?/\\)."""
    cleaned = _SHEET_BAD.sub(" ", name).strip("' ") or "data"
    return cleaned[:31]


def to_excel_bytes(df: pd.DataFrame | dict[str, pd.DataFrame], sheet: str = "data", *,
                   number_formats: dict[str, str] | None = None, rag_columns: tuple[str, ...] = ()) -> bytes:
    """An .xlsx workbook: one sheet, or one per entry of a dict. Cells are written as values,
    never as formulas or links, and rows beyond Excel's limit raise ValueError. `number_formats`
    ({column: Excel format}) formats the cells as the screen shows them while keeping the full
    values; the cells of `rag_columns` are coloured by their RAG word, as on screen."""
    frames = df if isinstance(df, dict) else {sheet: df}
    formats = number_formats or {}
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter", date_format="yyyy-mm-dd", datetime_format="yyyy-mm-dd hh:mm",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False,
                                                   "strings_to_numbers": False}}) as writer:
        used: set[str] = set()
        for name, frame in frames.items():
            if len(frame) > EXCEL_MAX_ROWS:
                raise ValueError(f"{len(frame):,} rows do not fit in an Excel sheet; download the CSV instead")
            base = sheet_name(str(name))
            title, i = base, 1
            while title.lower() in used:
                i += 1
                title = f"{base[:28]}_{i}"
            used.add(title.lower())
            data = _excel_ready(frame)
            data.to_excel(writer, sheet_name=title, index=False)
            ws = writer.sheets[title]
            ws.freeze_panes(1, 0)
            for j, (col, original) in enumerate(zip(data.columns, frame.columns)):
                width = _column_width(col, data[col])
                number_format = formats.get(original)
                ws.set_column(j, j, width, writer.book.add_format({"num_format": number_format})
                              if number_format else None)
                if original in rag_columns and len(data):
                    _colour_rag(writer.book, ws, j, len(data))
    return buf.getvalue()


def _column_width(header, values: pd.Series) -> int:
    """The width of a column: its heading or its longest value among the first 200, at most 60.

    An empty cell is no text: a column with no values at all (an empty date column) is as wide as
    its heading (the longest length of no strings is NaN, which int() refuses)."""
    sample = values.head(200).dropna()
    longest = sample.astype(str).str.len().max() if len(sample) else 0
    return min(60, max(len(str(header)), int(longest) if pd.notna(longest) else 0) + 2)


def _colour_rag(book, ws, column: int, rows: int) -> None:
    for state, (ground, ink) in theme.RAG_CELLS.items():
        ws.conditional_format(1, column, rows, column, {
            "type": "cell", "criteria": "==", "value": f'"{fmt.RAG_LABELS[state]}"',
            "format": book.add_format({"bg_color": ground, "font_color": ink})})


def file_stem(title: str) -> str:
    """A safe file name stem from a table title: 'Largest variances (2025-03)' → 'largest_variances_2025-03'."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", title.strip().lower()).strip("_.")
    return stem[:80] or "table"


# -- uploads --------------------------------------------------------------------------------------

DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
MAPPING_SUFFIXES = (".toml",)
MAX_ZIP_ENTRIES = 2000  # a batch has a dozen tables; thousands of members is an attack, not an export


class UploadError(ValueError):
    """The uploaded files cannot make a batch; the message says why in one line."""


@dataclass
class StagedUpload:
    batch_path: Path                 # a folder, or one workbook
    mapping_path: Path | None
    files: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


class StagingFolder:
    """A private temporary folder for one upload, removed by `remove()` or, at the latest, when the
    object is collected — when the session that holds it ends — or the process exits."""

    def __init__(self, prefix: str = "pmo-upload-"):
        self.path = Path(tempfile.mkdtemp(prefix=prefix))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)

    def remove(self) -> None:
        self._finalizer()

    def __fspath__(self) -> str:
        return str(self.path)


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip()
    if not base or base in (".", "..") or base.startswith("."):
        return ""
    return re.sub(r"[^\w.\- ]+", "_", base)


def stage_upload(files: list[tuple[str, bytes]], dest: str | Path, *, mapping: tuple[str, bytes] | None = None,
                 max_bytes: int = 2 * 1024 ** 3, max_upload_bytes: int | None = None) -> StagedUpload:
    """Write uploaded files into `dest` as a batch: one zip (unpacked, folders flattened), one workbook,
    or several table files. A `.toml` among them (or `mapping`) becomes the mapping.

    Zip members are never written outside `dest` (names are reduced to their base name), and the
    unpacked total is capped at `max_bytes`, so a hostile archive cannot fill
    the disk (the uploaded files themselves at `max_upload_bytes` when given). Files of other types are set aside in `ignored`; an upload with no table at all is
    refused with a message naming what was ignored.
    """
    dest = Path(dest)
    uploaded = sum(len(data) for _, data in files) + (len(mapping[1]) if mapping is not None else 0)
    if max_upload_bytes is not None and uploaded > max_upload_bytes:
        raise UploadError(f"the upload is larger than {max_upload_bytes / 1024 ** 2:,.0f} MB")
    batch_dir = dest / "batch"
    batch_dir.mkdir(parents=True, exist_ok=True)
    entries: list[tuple[str, bytes]] = []
    for name, data in files:
        if name.lower().endswith(".zip"):
            entries += _unzip(data, max_bytes)
        else:
            entries.append((name, data))
    if mapping is not None:
        entries.append(mapping)
    staged = StagedUpload(batch_dir, None)
    seen: set[str] = set()
    for name, data in entries:
        safe = _safe_name(name)
        suffix = Path(safe).suffix.lower()
        if not safe or suffix not in DATA_SUFFIXES + MAPPING_SUFFIXES:
            staged.ignored.append(name)
            continue
        if suffix in MAPPING_SUFFIXES:
            if staged.mapping_path is not None:
                raise UploadError("more than one mapping (.toml) file was uploaded; keep one")
            staged.mapping_path = dest / safe
            staged.mapping_path.write_bytes(data)
            continue
        if safe.lower() in seen:
            raise UploadError(f"two uploaded files are both named {safe}; a batch holds one file per table")
        seen.add(safe.lower())
        (batch_dir / safe).write_bytes(data)
        staged.files.append(safe)
    if not staged.files:
        ignored = f" ({', '.join(staged.ignored[:5])} {'is' if len(staged.ignored) == 1 else 'are'} not a " \
                  "supported type)" if staged.ignored else ""
        raise UploadError(f"no table files found{ignored}: upload CSV, Excel or Parquet files named after "
                          "their tables, a zip of them, or one workbook")
    if len(staged.files) == 1 and Path(staged.files[0]).suffix.lower() in WORKBOOK_SUFFIXES \
            and staged.mapping_path is None:
        staged.batch_path = batch_dir / staged.files[0]
    return staged


def _unzip(data: bytes, max_bytes: int) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UploadError(f"the zip file cannot be opened ({exc})") from None
    out, total = [], 0
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir() and "__MACOSX" not in i.filename]
        if len(members) > MAX_ZIP_ENTRIES:
            raise UploadError(f"the zip holds {len(members):,} files; a batch has at most {MAX_ZIP_ENTRIES:,}")
        for info in members:
            total += info.file_size
            if total > max_bytes:
                raise UploadError(f"the zip unpacks to more than {max_bytes / 1024 ** 2:,.0f} MB")
            try:
                # Reads at most the declared size; a member that inflates beyond it fails its CRC check.
                out.append((info.filename, archive.read(info)))
            except RuntimeError:  # zipfile's word for an encrypted member
                raise UploadError(f"{info.filename} in the zip is encrypted; upload an unencrypted zip") from None
            except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, zlib.error) as exc:
                raise UploadError(f"{info.filename} in the zip cannot be unpacked ({exc})") from None
    return out
