"""Delimited text files (csv / tsv / txt), read by DuckDB's CSV reader.

Python only looks at the head of a file — the encoding, the separator, the header — and hands
DuckDB a `read_csv` with every column typed as text, so a file of any size streams into the
database without passing through Python. Three things DuckDB does not do as a spreadsheet user
counts are handled here, each only when a file needs it:

* Rows keep the number a spreadsheet shows (the header is row 1), although DuckDB skips blank
  lines: a file that may have one outside a quoted cell is scanned, quote-aware, and the rows
  after each blank line are numbered past it.
* A file that mixes CRLF and LF line ends (DuckDB refuses it) is read from a copy whose line
  ends are all LF; line breaks inside quoted cells are kept as written.
* A row with fewer cells than the header is padded with empty cells (DuckDB does that only
  single-threaded, so only a file that needs it is read that way); a row with more is an error,
  as is a quote that is never closed.

Encodings other than UTF-8 (declared in a mapping, or a UTF-16 byte-order mark) are decoded by
Python's codecs into a UTF-8 copy in the workspace first, chunk by chunk.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from pathlib import Path
from typing import Callable

from ..findings import BatchError
from .frames import ROW, SourceFrame, unique_headers
from .workspace import Sql, Workspace, literal as quote

SEPARATORS = (",", ";", "\t", "|")
SNIFF_BYTES = 1 << 16
CHUNK_BYTES = 1 << 24
# A file of fewer than twice this many bytes is read on one thread (as DuckDB reads it anyway) and
# numbered as it is read; a larger plain one in pieces of at least this size (see
# read_ahead.ReadAhead).
PIECE_BYTES = 1 << 24
_BLANK_LINE = re.compile(rb"\n\r?\n")


def _bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # a UTF-16 BOM is itself a declaration: Excel's "Unicode text"
    return None


def not_utf8(label: str, path: Path) -> BatchError:
    """The message for a file that is not UTF-8: the first bad byte, its line and offset."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 1
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                # The decoder may hold up to 3 bytes of the previous chunk: count from its start.
                pos = max(e.start - len(e.object) + len(chunk), 0)
                line = lines + chunk.count(b"\n", 0, pos)
                return BatchError(
                    f"{label}: not UTF-8 (byte 0x{chunk[pos]:02x} at line {line}, offset {offset + pos}); "
                    f"declare the file's encoding in a mapping, e.g. encoding = \"cp1252\"")
            offset += len(chunk)
            lines += chunk.count(b"\n")
    return BatchError(f"{label}: not UTF-8; declare its encoding in a mapping, e.g. encoding = \"cp1252\"")


def _transcode(path: Path, label: str, encoding: str, errors: str, dest: Path) -> None:
    """Decode a file with Python's codecs into a UTF-8 copy, chunk by chunk."""
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    lines = 1
    with path.open("rb") as src, dest.open("wb") as out:
        while True:
            chunk = src.read(CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as e:
                pos = max(e.start - len(e.object) + len(chunk), 0)
                line = lines + chunk.count(b"\n", 0, pos)
                raise BatchError(f"{label}: byte 0x{chunk[pos]:02x} at line {line} is not valid {encoding}; "
                                 f"try another encoding or encoding_errors = \"replace\"") from None
            out.write(text.lstrip("\ufeff").encode("utf-8") if lines == 1 and out.tell() == 0 else text.encode("utf-8"))
            lines += chunk.count(b"\n")
            if not chunk:
                break


def sniff_separator(text: str) -> str:
    """The separator that splits the header line most often (outside quotes); "," on a tie."""
    first = text.split("\n", 1)[0]
    first = re.sub(r'"[^"]*"', "", first)
    counts = {sep: first.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: (counts[s], s == ","))
    return best if counts[best] else ","


def _header(head_text: str, sep: str) -> tuple[list[str], int]:
    """The header's cells and the number of blank lines before it."""
    skipped = 0
    try:
        for row in csv.reader(io.StringIO(head_text), delimiter=sep):
            if row:
                return row, skipped
            skipped += 1
    except csv.Error:  # a NUL byte, say: DuckDB decides; the first line split is the header
        rest = head_text.lstrip("\r\n")
        lines = rest.splitlines()
        return (lines[0].split(sep) if lines else []), head_text[:len(head_text) - len(rest)].count("\n")
    return [], skipped


def _content_end(path: Path) -> int:
    """The file's size less the line ends it finishes with (a trailing blank line moves no row)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(size - 4096, 0))
        tail = fh.read()
    return size - (len(tail) - len(tail.rstrip(b"\r\n")))


def digest(path: Path, delimited: bool, checksum: bool = True) -> tuple[str | None, bool]:
    """A file's SHA-256 and, for a delimited file, whether an empty line comes before its last row
    (inside a quoted cell too) — found in the one pass that hashing reads the file anyway; the
    exact, quote-aware scan (`scan_lines`) runs only when this says yes. Without `checksum` (a
    batch that is only checked) the SHA-256 is None and not worked out: 0.15 s per 166 MB."""
    h = hashlib.sha256() if checksum else None
    if h is None and not delimited:
        return None, False
    end = _content_end(path) if delimited else 0
    blank, offset, tail = False, 0, b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES // 16):
            if h is not None:
                h.update(chunk)
            if delimited and not blank and offset < end:
                part = chunk[:end - offset]
                blank = bool(_BLANK_LINE.search(tail + part[:2]) or _BLANK_LINE.search(part))
                tail = part[-2:]
            offset += len(chunk)
            if h is None and (blank or offset >= end):
                break  # nothing more to find
    return (h.hexdigest() if h is not None else None), blank


# Bytes after which a cell may need a trim, or DuckDB's cast reads a number the fast parse must
# not ("1_000", " 12", "+-1"): whitespace, quotes (a quoted cell may hold a line end), "_", and
# "+" when it comes before "-". Each is looked for by memchr (bytes.find): ~0.02 s per 166 MB,
# where a two-byte search or a count takes 0.1-0.17 s.
_NOT_PLAIN = (b" ", b"\t", b"\x0b", b"\x0c", b'"', b"_")


def plain_cells(path: Path, skip: int) -> bool:
    """Whether every cell after the header is plain: ASCII, with no whitespace, quote or "_" and
    no "+-", and a carriage return only before a line feed (DuckDB reads CRLF line ends itself).
    Then no cell needs a trim, and DuckDB's cast reads a number exactly as the fast parse does
    (`cells.clean`, `cells.fast`): the lean pass over such a file leaves both out — 0.35 s of
    1.1 s for 5 M timesheet rows, for a look at the file that costs 0.15 s. A chunk boundary
    between a CR and its LF, or between + and -, only makes the answer no."""
    return look_at_cells(path, skip)[0]


def look_at_cells(path: Path, skip: int, pieces: int = 1) -> tuple[bool, list[int]]:
    """`plain_cells`, and where the file splits into `pieces` of about equal size at line ends:
    the number of lines after the header before each piece but the first, counted on the way
    (~0.05 s per 100 MB; only while a split point is ahead). A plain file has no quote, so each
    of its lines is one record and a piece is read by skipping the lines before it (see
    `CsvFile.reader_sql`). The list is empty for a file that is not plain, or too short to split."""
    splits: list[int] = []
    with path.open("rb") as fh:
        for _ in range(skip + 1):  # the blank lines before the header, and the header
            if not fh.readline():
                return True, splits
        start = fh.tell()
        size = path.stat().st_size - start
        targets = [start + size * k // pieces for k in range(1, pieces)]
        tail, offset, lines = b"", start, 0
        while chunk := fh.read(CHUNK_BYTES):
            if not chunk.isascii() or any(chunk.find(b) >= 0 for b in _NOT_PLAIN):
                return False, []
            if (chunk.find(b"+") >= 0 and b"+-" in chunk) or (tail == b"+" and chunk[:1] == b"-"):
                return False, []
            if chunk.find(b"\r") >= 0 and chunk.count(b"\r") != chunk.count(b"\r\n"):
                return False, []
            while targets and targets[0] < offset + len(chunk):
                end = chunk.find(b"\n", max(targets[0] - offset, 0))
                if end < 0:
                    break  # the line goes on into the next chunk: split at its end there
                splits.append(lines + chunk.count(b"\n", 0, end + 1))
                last = offset + end + 1
                targets.pop(0)
            if targets:
                lines += chunk.count(b"\n")
            tail = chunk[-1:]
            offset += len(chunk)
    if targets or len(set(splits)) < len(splits) or (splits and (splits[0] == 0 or last >= _content_end(path))):
        return True, []  # a piece would be empty (a few very long lines): read the file whole
    return True, splits


def scan_lines(path: Path, skip: int, normalise_to: Path | None = None) -> tuple[list[tuple[int, int]], bool]:
    """Quote-aware pass over a file: where blank lines shift the row numbers, and whether a quote
    is left open at the end. With `normalise_to`, also write a copy whose line ends outside
    quotes are LF (the CR of a CRLF is dropped).

    Returns (shifts, open_quote). Shifts are (n, k) pairs: from the record DuckDB numbers n on
    (2 = the first after the header, blank lines not counted), k blank lines came before it."""
    import numpy as np  # vectorised over 8 MB chunks: a 200 MB file is scanned in well under a second

    quotes = 0               # quote characters so far: odd means inside a quoted cell
    line_start = 0           # offset of the current line's first byte
    lines = 0                # complete lines so far
    in_header = True         # the header line is not behind us yet
    records = 0              # non-blank lines after the header
    blanks = 0               # blank lines after the header
    shifts: list[tuple[int, int]] = []
    offset = 0
    out = normalise_to.open("wb") if normalise_to is not None else None
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK_BYTES // 2):
                while chunk.endswith(b"\r") and (more := fh.read(1)):
                    chunk += more  # a CRLF never straddles two chunks
                a = np.frombuffer(chunk, dtype=np.uint8)
                is_quote = a == 34
                inside = (quotes + np.cumsum(is_quote, dtype=np.uint8)) & 1  # parity survives the wrap-around
                newline = np.flatnonzero((a == 10) & (inside == 0))
                starts = np.concatenate(([line_start - offset], newline[:-1] + 1))
                lengths = newline - starts
                crlf = (newline > 0) & (a[np.maximum(newline - 1, 0)] == 13)
                blank = (lengths == 0) | ((lengths == 1) & crlf)
                index = lines + np.arange(len(newline))
                if in_header:
                    header = np.flatnonzero((index >= skip) & ~blank)
                    if len(header):
                        in_header = False
                        blank, index = blank[header[0] + 1:], index[header[0] + 1:]
                    else:
                        blank = blank[:0]
                if len(blank):
                    total = blanks + np.cumsum(blank)
                    shift = total[~blank]
                    previous = np.concatenate(([blanks], shift[:-1]))
                    changed = np.flatnonzero(shift != previous)
                    numbers = records + 2 + np.arange(len(shift))
                    shifts += list(zip(numbers[changed].tolist(), shift[changed].tolist()))
                    records += len(shift)
                    blanks = int(total[-1])
                if out is not None:
                    drop = newline[crlf] - 1
                    out.write(np.delete(a, drop).tobytes() if len(drop) else chunk)
                if len(newline):
                    line_start = offset + int(newline[-1]) + 1
                lines += len(newline)
                quotes += int(is_quote.sum())
                offset += len(chunk)
    finally:
        if out is not None:
            out.close()
    return shifts, bool(quotes & 1)


class CsvFile:
    """How DuckDB is to read one delimited file, and what to do when it refuses."""

    def __init__(self, path: Path, label: str, sep: str, width: int, skip: int, ws: Workspace,
                 blank_lines: Callable[[], bool]):
        self.path, self.label, self.sep, self.width, self.skip, self.ws = path, label, sep, width, skip, ws
        self.blank_lines: Callable[[], bool] | None = blank_lines  # asked once, when rows are numbered
        self.line_bytes: int | None = None  # DuckDB's longest line when a file needs more than its 2 MB
        self.padded = False     # single-threaded with null padding (a row with fewer cells)
        self.normalised = False  # read from a copy with LF line ends
        self.shifts: list[tuple[int, int]] = []
        self.shift_table: str | None = None
        self._plain: bool | None = None
        self.splits: list[int] = []  # where a plain file splits into pieces (look_at_cells)

    def plain(self, pieces: int = 1) -> bool:
        """Whether every cell of the file is plain (`plain_cells`; looked at once, and with
        `pieces` > 1 where the file splits into that many: `splits`)."""
        if self._plain is None:
            self._plain, self.splits = look_at_cells(self.path, self.skip, pieces)
        return self._plain

    def reader_sql(self, path: Path | None = None, literal: bool = False, piece: bool = False,
                   types: dict[str, str] | None = None) -> Sql:
        """`read_csv(…)` of the file; with `literal`, every value written into the text (for a view
        over the archived copy, which cannot bind parameters — all of them are the loader's own).
        With `piece`, one piece of a plain file (`look_at_cells`), read on one thread: no header,
        the lines before the piece skipped ($piece_skip, bound when the piece is read). `types`:
        the columns (c1…) DuckDB's reader is to type itself, DOUBLE or DATE (as %Y-%m-%d, strictly:
        a cell it cannot read stops the statement), the others being text (see
        `transform.PartBuilder._typed_reads`)."""
        params: dict = {}

        def value(v) -> str:
            if literal:
                return quote(v) if isinstance(v, str) else str(v)
            return self.ws.param(params, v)

        types = types or {}
        columns = "{" + ", ".join(f"'c{i}': '{types.get(f'c{i}', 'VARCHAR')}'" for i in range(1, self.width + 1)) + "}"
        mode = ("null_padding = true, parallel = false" if self.padded else
                "null_padding = false" + (", parallel = false" if piece else ""))
        # The longest line DuckDB expects also sizes its read buffers: raising it for every file
        # would read each in one buffer, on one thread; it is raised for a file that needs it.
        text = (f"read_csv({value(str(path or self.path))}, columns = {columns}, "
                f"header = {'false' if piece else 'true'}, "
                f"delim = {value(self.sep)}, quote = '\"', escape = '\"', auto_detect = false, "
                f"skip = {'$piece_skip' if piece else value(self.skip)}, {mode}"
                + (f", max_line_size = {self.line_bytes}" if self.line_bytes else "")
                + (", new_line = '\\n'" if self.normalised else "")
                + (", dateformat = '%Y-%m-%d'" if "DATE" in types.values() else "") + ")")
        return Sql(text, params)

    @property
    def blank(self) -> str:
        """A record with no value at all (a line of separators): skipped, its number kept."""
        return " AND ".join(f"c{i} IS NULL" for i in range(1, self.width + 1))

    def frame_sql(self, path: Path | None = None, literal: bool = False) -> Sql:
        """Records numbered as a spreadsheet does, blank records left out."""
        self._number_rows()
        reader = self.reader_sql(path, literal)
        cols = ", ".join(f"c{i}" for i in range(1, self.width + 1))
        if not self.shifts:
            body = f"SELECT row_number() OVER () + 1 AS {ROW}, {cols} FROM {reader}"
        elif literal:
            cases = " ".join(f"WHEN n >= {n} THEN n + {k}" for n, k in reversed(self.shifts))
            body = (f"SELECT CASE {cases} ELSE n END AS {ROW}, {cols} FROM "
                    f"(SELECT row_number() OVER () + 1 AS n, {cols} FROM {reader})")
        else:
            body = (f"SELECT r.n + coalesce(s.k, 0) AS {ROW}, {cols} FROM "
                    f"(SELECT row_number() OVER () + 1 AS n, {cols} FROM {reader}) AS r "
                    f"ASOF LEFT JOIN {self.shift_table} AS s ON r.n >= s.n")
        return Sql(f"(SELECT * FROM ({body}) WHERE NOT ({self.blank}))", reader.params)

    def number_table(self, table: str) -> None:
        """Number the rows of a table made from `reader_sql` in file order (blank records included),
        as frame_sql does. A table keeps the order its rows were inserted in (rowid), so this costs
        an update of every row — in parallel, where `row_number() OVER ()` in the reading pass would
        hold that pass to one thread."""
        self._number_rows()
        if not self.shifts:
            self.ws.con.execute(f"UPDATE {table} SET {ROW} = rowid + 2")
            return
        self.ws.con.execute(f"UPDATE {table} SET {ROW} = x.n FROM (SELECT t.rowid AS id, t.rowid + 2 + coalesce(s.k, 0) AS n "
                            f"FROM {table} AS t ASOF LEFT JOIN {self.shift_table} AS s ON t.rowid + 2 >= s.n) AS x "
                            f"WHERE {table}.rowid = x.id")

    def _use_shifts(self, shifts: list[tuple[int, int]]) -> None:
        self.shifts = shifts
        if shifts:
            self.shift_table = self.ws.name("shifts")
            self.ws.con.execute(f"CREATE TEMP TABLE {self.shift_table} (n BIGINT, k BIGINT)")
            self.ws.con.executemany(f"INSERT INTO {self.shift_table} VALUES (?, ?)", [list(s) for s in shifts])

    def _number_rows(self) -> None:
        """Scan the file for blank lines outside quotes (once), when it has an empty line at all."""
        if self.blank_lines is not None:
            has_blank, self.blank_lines = self.blank_lines(), None
            if has_blank:
                self._use_shifts(scan_lines(self.path, self.skip)[0])

    def recover(self, message: str) -> None:
        """DuckDB refused the file: switch to the way of reading it needs, or raise the BatchError
        that says why it cannot be read."""
        if "Invalid unicode" in message:
            raise not_utf8(self.label, self.path)
        longest = re.search(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:(\d+)", message)
        if longest:
            self.line_bytes = max(4 * int(longest.group(2)), 8 * int(longest.group(1)))
            return
        cells = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
        line = re.search(r"CSV Error on Line: (\d+)", message)
        where = f"line {line.group(1)}" if line else "a line"
        if cells and int(cells.group(2)) < int(cells.group(1)) and not self.padded:
            if scan_lines(self.path, self.skip)[1]:
                raise BatchError(f"{self.label}: cannot be read as CSV (a quoted cell is never closed)")
            self.padded = True
            return
        # Mixed line ends make DuckDB's state machine give up, or find a quote it thinks is open.
        confused = "state machine reached an invalid state" in message or "unterminated quote" in message
        if confused and not self.normalised:
            copy = self.ws.file(".csv")
            shifts, open_quote = scan_lines(self.path, self.skip, normalise_to=copy)
            if open_quote:
                raise BatchError(f"{self.label}: cannot be read as CSV (a quoted cell is never closed)")
            self.path, self.normalised, self.blank_lines = copy, True, None
            self._use_shifts(shifts)
            return
        if cells:
            why = f"{where} has {cells.group(2)} cells, the header {cells.group(1)}"
        elif "unterminated quote" in message:
            why = f"a quoted cell opened on {where} is never closed"
        else:
            why = message.splitlines()[0].removeprefix("Invalid Input Error: ")
        raise BatchError(f"{self.label}: cannot be read as CSV ({why})")


def read_csv(path: Path, label: str, options: dict, ws: Workspace,
             blank_lines: Callable[[], bool] | None = None) -> SourceFrame:
    """A delimited text file → a frame whose SQL reads it with DuckDB, every cell as text.

    `blank_lines` says whether the file has an empty line (see `digest`; default: look now)."""
    size = path.stat().st_size
    if size == 0:
        return SourceFrame.nothing(label, path)
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    encoding = options.get("encoding") or _bom_encoding(head) or "utf-8"
    errors = options.get("encoding_errors") or "strict"
    is_utf8 = codecs.lookup(encoding).name == "utf-8" or encoding.lower().replace("_", "-") == "utf-8-sig"
    source = path
    if is_utf8 and errors == "strict":
        try:
            head_text = codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) == size)
        except UnicodeDecodeError:
            raise not_utf8(label, path) from None
        head_text = head_text.lstrip("\ufeff")
    else:
        source = ws.file(".csv")
        _transcode(path, label, encoding, errors, source)
        with source.open("rb") as f:
            head_text = f.read(SNIFF_BYTES).decode("utf-8", "ignore")  # a cut character at the end is harmless
    if not head_text.strip():
        return SourceFrame.nothing(label, path)
    sep = options.get("separator") or ("\t" if path.suffix.lower() == ".tsv" else sniff_separator(head_text))
    header, skip = _header(head_text, sep)
    if not header:
        raise BatchError(f"{label}: cannot be read as CSV (no header line)")
    if source != path or blank_lines is None:  # a transcoded copy is looked at itself
        blank_lines = lambda: digest(source, True)[1]  # noqa: E731
    reader = CsvFile(source, label, sep, len(header), skip, ws, blank_lines)
    return SourceFrame(label, unique_headers(header), path, csv=reader)
