"""Read a batch — a folder, a workbook, or whatever a mapping names — into contract tables.

The tables land in a `Workspace` (a DuckDB database): `main.<table>` holds the contract columns,
typed, then `_load_id`, `_file` and `_row`. The `Batch` that comes back names them, with the
reading findings and the files read (with their SHA-256, computed beside the reading).
"""
from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Callable

from ..contract import LOAD_ORDER, TABLES
from ..findings import ERROR, FINDINGS_DDL, WARNING, BatchError, Finding, polars_frame
from .checks import declared_checks
from .delimited import digest
from .frames import FILE, ROW, SourceFrame, run
from .mapping import Mapping, SourceSpec, TableSpec, load_mapping
from .policy import SourcePolicy, confine, default_policy
from .read_ahead import ReadAhead
from .readers import (CSV_EXTS, DATA_EXTS, READER_KINDS, SUPPORTED, WORKBOOK_EXTS, ReadContext, claimed_paths, file_label,
                      open_workbook)
from .transform import (MISSING, Findings, Lookups, PartBuilder, Query, finish_part, mark_departed, quoted,
                        stack)
from .workspace import Sql, Workspace, ident

Progress = Callable[[str, float], None]
BATCH_FINDINGS = "batch_findings"   # the reading findings, capped, in order (a workspace temp table)


@dataclass
class SourceFile:
    path: Path
    name: str
    sha256: str | None  # None when the batch was read without checksums (read_batch's `checksums`)
    size: int


@dataclass
class TableData:
    """A contract table as read: `main.<name>` in the batch's workspace."""

    name: str                               # contract table name
    ws: Workspace
    frames: list[SourceFrame] = field(default_factory=list)  # the sources that fed it
    rows: int = 0
    collapsed: int = 0  # rows read that dedupe folded into another row of the same key

    @property
    def files(self) -> list[str]:
        return [f.label for f in self.frames]

    @property
    def relation(self) -> str:
        return f"main.{quoted(self.name)}"

    @property
    def data(self):
        """Contract columns in contract order, typed, plus _file and _row, as a polars frame."""
        cols = ", ".join(quoted(c) for c in TABLES[self.name].column_names)
        return polars_frame(self.ws.con, f"SELECT {cols}, {FILE}, {ROW} FROM {self.relation} ORDER BY rowid")

    def headers(self) -> list[str]:
        """The raw layer's columns: every source's headers, in order of first appearance (a header
        spelled in another case by a later source is the same column)."""
        seen: dict[str, str] = {}
        for fr in self.frames:
            for h in fr.columns:
                seen.setdefault(h.lower(), h)
        return list(seen.values())

    def _union(self, q: Query, select: Callable[[dict[str, str]], str]) -> str:
        """The frames stacked: each row as `select({header in lower case: the frame's column})` makes it."""
        selects = []
        for fr in self.frames:
            if fr.empty:
                continue
            sql = fr.sql()
            q.params.update(sql.params)
            own = {h.lower(): fr.col(h) for h in fr.columns}
            selects.append(f"SELECT {select(own)}, {q.bind(fr.label)}::VARCHAR AS {FILE}, {ROW} FROM {sql.text}")
        return " UNION ALL ".join(selects)

    def raw_sql(self, load_id: str | None = None) -> Sql:
        """The rows as read — every cell as text, under the source's own headers, plus _file and
        _row (and _load_id) — from every source that fed the table."""
        q = Query(self.ws)
        headers = self.headers()
        body = self._union(q, lambda own: ", ".join(f"{own.get(h.lower(), 'NULL::VARCHAR')} AS {ident(h)}"
                                                    for h in headers))
        # The first source's headers, _file and _row, then the headers later sources add.
        first = len(next((fr.columns for fr in self.frames if not fr.empty), []))
        order = [ident(h) for h in headers[:first]] + [FILE, ROW] + [ident(h) for h in headers[first:]]
        lid = f", {q.bind(load_id)}::VARCHAR AS _load_id" if load_id is not None else ""
        return q(f"SELECT {', '.join(order)}{lid} FROM ({body})")

    def records_sql(self, rows: str) -> Sql:
        """The raw rows named by `rows` (a relation with file and "row") as JSON objects keyed by
        the source's headers: (_file, _row, record)."""
        raw = self.raw_sql()
        q = Query(self.ws)
        q.params.update(raw.params)
        pairs = ", ".join(f"{q.bind(h)}, f.{ident(h)}" for h in self.headers())
        # Joined first, so the JSON is made for the rows asked for only.
        return q(f"SELECT f.{FILE}, f.{ROW}, json_object({pairs})::VARCHAR AS record FROM ({raw.text}) AS f "
                 f"SEMI JOIN {rows} AS r ON r.file = f.{FILE} AND r.\"row\" = f.{ROW}")

    @property
    def raw(self):
        """The rows as read, as a polars frame (see `raw_sql`)."""
        return run(self.ws, self.frames, self.raw_sql,
                   lambda sql: polars_frame(self.ws.con, sql.text, sql.params or None))


@dataclass
class Batch:
    tables: dict[str, TableData]
    findings: list[Finding]
    files: list[SourceFile]   # every file read, and the mapping file
    ws: Workspace

    def close(self) -> None:
        self.ws.close()

    def digest(self) -> str:
        """Identity of a batch: its files' SHA-256, plus the rows themselves, since a database source
        has no file whose checksum would change when its tables do."""
        if any(f.sha256 is None for f in self.files):
            raise ValueError("the batch was read without checksums (read_batch(checksums=False))")
        h = hashlib.sha256()
        for f in sorted(self.files, key=lambda f: f.name):
            h.update(f"{f.name}\0{f.sha256}\n".encode())
        for name in sorted(self.tables):
            cols = ", ".join(quoted(c) for c in TABLES[name].column_names)
            n, total = self.ws.con.execute(f"SELECT count(*), coalesce(sum(hash({cols})), 0) "
                                           f"FROM {self.tables[name].relation}").fetchone()
            h.update(f"{name}\0{n}\0{total}\n".encode())
        return h.hexdigest()


def _unknown(name: str, why: str) -> Finding:
    return Finding("UNKNOWN-FILE", WARNING, None, why, name)


def _convention(mapping: Mapping, ctx: ReadContext, files: list[Path], sink: Findings) -> dict[str, list[str]]:
    """Sources for tables the mapping does not map, found by name; warnings for everything else."""
    claimed: set[Path] = set()
    for s in mapping.sources.values():
        if s.kind == "file":
            claimed.update(p.resolve() for p in claimed_paths({**mapping.read_defaults, **s.options}, ctx))
    if mapping.path is not None:
        claimed.add(mapping.path.resolve())
    found: dict[str, list[tuple[Path, str | None]]] = {}
    mapped = {t for t, spec in mapping.tables.items() if spec.sources}

    def take(table: str, path: Path, sheet: str | None, what: str) -> None:
        if table in mapped:
            sink.add(_unknown(what, f"named after table {table}, which the mapping reads from other "
                                    "sources; not read"))
        else:
            found.setdefault(table, []).append((path, sheet))

    for f in files:
        if f.resolve() in claimed:
            continue
        stem, ext = f.stem.strip().lower(), f.suffix.lower()
        name = file_label(f, ctx)
        if ext in DATA_EXTS and stem in TABLES:
            take(stem, f, None, name)
        elif ext in WORKBOOK_EXTS:
            wb = open_workbook(f, ctx)
            sheets = _visible_sheets(wb, name, sink) if wb is not None else []
            if not sheets:
                sink.add(_unknown(name, "a workbook not named after a contract table and with no sheet "
                                        "named after one; not read"))
            for sh in sheets:
                if sh.strip().lower() in TABLES:
                    take(sh.strip().lower(), f, sh, f"{name}[{sh}]")
                else:
                    sink.add(_unknown(f"{name}[{sh}]", "sheet not named after a contract table; not read"))
        elif stem in TABLES:
            sink.add(_unknown(name, f"named after table {stem}, but {ext or 'a file without a suffix'} is not a "
                                    f"format the loader reads ({SUPPORTED}); not read"))
        elif ext == ".toml":
            sink.add(_unknown(name, "a mapping file this load does not use (pass it as the mapping); not read"))
        else:
            sink.add(_unknown(name, "not named after a contract table (nor read by the mapping); not read"))
    sources: dict[str, list[str]] = {}
    for table, hits in found.items():
        if len(hits) > 1:
            names = ", ".join(file_label(p, ctx) + (f"[{s}]" if s else "") for p, s in hits)
            raise BatchError(f"{names}: two sources for table {table}; keep one")
        path, sheet = hits[0]
        key = f"{table}<{file_label(path, ctx)}>"
        opts = {"path": str(path), **({"sheet": sheet} if sheet else {})}
        mapping.sources[key] = SourceSpec(key, "file", opts, origin=f"file {file_label(path, ctx)}")
        sources[table] = [key]
    return sources


def read_batch(path: str | Path, mapping: str | Path | Mapping | None = None, *,
               progress: Progress | None = None, policy: SourcePolicy | None = None,
               workspace: Workspace | None = None, load_id: str | None = None, checksums: bool = True) -> Batch:
    """Read every table of a batch, typed as the contract says, with findings for what is wrong.

    `path` is a folder (one file per table, named after it), one workbook (a sheet per table), or
    one file named after a table; with a mapping, its sources' paths are relative to that folder
    (the workbook's or file's folder) and must stay inside it. `policy` says what the mapping may
    reach (default: the command line's, from the settings; the Data loads page passes a stricter
    one). The tables go into `workspace` (default: a scratch one, closed with the batch), their
    rows marked with `load_id`. Without `checksums` (a batch that is only checked) the files'
    SHA-256 are not worked out: each `SourceFile.sha256` is None and `Batch.digest` refuses.
    Raises BatchError when the batch cannot be read at all."""
    p = Path(path).expanduser()
    if not p.exists():
        raise BatchError(f"{p}: batch path does not exist")
    if isinstance(mapping, Mapping):
        m = mapping
    elif mapping is not None:
        m = load_mapping(mapping)
    else:
        m = Mapping()
    policy = policy or default_policy()
    if not policy.database_sources:
        databases = [n for n, src in m.sources.items() if src.kind == "database"]
        if databases:
            raise BatchError(f"{m.label}: [sources.{databases[0]}] reads a database; a mapping uploaded on the "
                             "Data loads page may not (an administrator can allow it with "
                             "PMO_UPLOAD_DATABASE_SOURCES=1, or load it with python -m pmo_metrics load)")
    # The mapping object is extended with this batch's convention sources: work on a copy.
    m = replace(m, read_defaults=dict(m.read_defaults), sources=dict(m.sources), tables=dict(m.tables),
                lookups=dict(m.lookups))
    p = p.resolve()
    strays: list[Path] = []
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith((".", "~$")))
        strays = _strays(p)
        for f in files:  # a file linked in from elsewhere is no part of the batch folder
            confine(f, p, f"{f.name} (a symlink)")
    else:
        files = [p]
    ws = workspace or Workspace()
    try:
        return _read(p, m, files, ws, policy, progress or (lambda message, fraction: None), load_id, strays,
                     checksums)
    except BaseException:
        if workspace is None:
            ws.close()
        raise


def _read(p: Path, m: Mapping, files: list[Path], ws: Workspace, policy: SourcePolicy, say: Progress,
          load_id: str | None, strays: list[Path] = (), checksums: bool = True) -> Batch:
    if p.is_dir():
        ctx = ReadContext(p, ws, policy=policy)
    else:
        ctx = ReadContext(p.parent, ws, p if p.suffix.lower() in WORKBOOK_EXTS else None, policy=policy)
    sink = Findings(ws)
    for stray in strays:
        sink.add(_unknown(stray.name, f"named like a data file but {_kind_of(stray)}, not a file; not read"))
    done, steps = 0, 1
    ctx.progress = lambda message: say(message, done / steps)
    say("Finding the batch's files", 0.0)

    table_sources = _convention(m, ctx, files, sink)
    for name, spec in m.tables.items():
        if spec.sources:
            table_sources[name] = list(spec.sources)
        else:
            conv = [s for s in m.sources if s.startswith(f"{name}<")]
            if not conv:
                raise BatchError(f"{m.label}: [tables.{name}] has no `from` and the batch has no file "
                                 f"named after {name}")
            table_sources[name] = conv
    needed: list[str] = []
    for t in LOAD_ORDER:
        for s in table_sources.get(t, []):
            if s not in needed:
                needed.append(s)
    for lk in m.lookups.values():
        needed += [s for s in lk.sources if s not in needed]
    # A source several tables (or lookups) read is read once, into a workspace table.
    readers: dict[str, int] = {}
    for t in LOAD_ORDER:
        for s in table_sources.get(t, []):
            readers[s] = readers.get(s, 0) + 1
    for lk in m.lookups.values():
        for s in lk.sources:
            readers[s] = readers.get(s, 0) + 1

    def options(src: SourceSpec) -> dict:
        return {**m.read_defaults, **src.options}

    pool = ThreadPoolExecutor(max_workers=2)  # hashing overlaps reading; hashlib releases the GIL
    hashes: dict[Path, Future] = {}

    def hash_later(path_: Path) -> Future:
        if path_ not in hashes:
            hashes[path_] = pool.submit(digest, path_, path_.suffix.lower() in CSV_EXTS or not path_.suffix, checksums)
        return hashes[path_]

    ctx.blank_lines = lambda path_: hash_later(path_.resolve()).result()[1]

    if m.path is not None:
        hash_later(m.path)
    for s in needed:
        src = m.sources[s]
        if src.kind == "file":
            for f in claimed_paths(options(src), ctx):
                hash_later(f.resolve())

    steps = max(len(needed) + len(table_sources), 1)
    frames: dict[str, list[SourceFrame]] = {}
    reading = None  # the lean passes read ahead (read_ahead.ReadAhead)
    try:
        def frames_of(name: str) -> list[SourceFrame]:
            nonlocal done
            if name not in frames:
                src = m.sources[name]
                say(f"Reading {src.options.get('path') or src.name}", done / steps)
                frames[name] = READER_KINDS[src.kind].read(name, options(src), ctx)
                for fr in frames[name]:
                    if fr.path is not None:
                        hash_later(fr.path.resolve())
                    if readers.get(name, 0) > 1 and fr.csv is not None:
                        _materialise(ws, fr)
                done += 1
            return frames[name]

        lookups = Lookups(m, frames_of, ws)
        for s in needed:
            frames_of(s)
        for noticed in ctx.findings:
            sink.add(noticed)

        tables: dict[str, TableData] = {}
        # A table that is one delimited file is built by a builder made here, whose lean pass is
        # read ahead while the tables before it are built (`ReadAhead`).
        mapped = [t for t in LOAD_ORDER if t in table_sources]
        specs = {t: m.tables.get(t) or TableSpec(t, ()) for t in mapped}
        inputs = {t: [(m.sources[s], fr) for s in table_sources[t] for fr in frames_of(s)] for t in mapped}
        singles = {t for t in mapped if len(inputs[t]) == 1 and specs[t].dedupe is None}
        ahead: dict[str, PartBuilder] = {}
        for t in [] if m.lookups else mapped:
            if t in singles and inputs[t][0][1].csv is not None:
                src, fr = inputs[t][0]
                ahead[t] = PartBuilder(ws, TABLES[t], specs[t], src, fr, m, lookups, sink, 0, TableData(t, ws).relation,
                                       load_id)
        reading = ReadAhead(ws, list(ahead.values()))
        for t in mapped:
            say(f"Mapping {t}", done / steps)
            spec, table, data = specs[t], TABLES[t], TableData(t, ws)
            builders = inputs[t]
            data.frames.extend(fr for _, fr in builders)
            single = t in singles
            parts, missing = [], False
            for i, (src, fr) in enumerate(builders):
                _repeated_headers(t, spec, src, fr, sink)
                target = data.relation if single else ws.name("part")
                part = (ahead.get(t) or PartBuilder(ws, table, spec, src, fr, m, lookups, sink, i, target, load_id,
                                                    temporary=not single)).build()
                if part is MISSING:
                    missing = True
                elif part is not None:
                    parts.append(part)
            done += 1
            if missing or not parts:
                for part in parts:
                    ws.con.execute(f"DROP TABLE {part.table}")
                continue
            if single:
                finish_part(ws, parts[0])
            else:
                stacked = sum(ws.con.execute(f"SELECT count(*) FROM {p.table} WHERE NOT _drop").fetchone()[0]
                              for p in parts)
                body = stack(ws, parts, table, spec.dedupe, data.relation)
                if spec.departed:
                    n, newest = mark_departed(ws, body, data.relation, spec.departed)
                    if n:
                        sink.add(Finding("MAP-VALUE", WARNING, t, f"{n:,} project(s) absent from the newest "
                                         f"snapshot ({newest}) have left the portfolio: stage {spec.departed} "
                                         f"(the mapping's departed)", None, None, "stage"))
                for part in parts:
                    ws.con.execute(f"DROP TABLE {part.table}")
            data.rows = ws.con.execute(f"SELECT count(*) FROM {data.relation}").fetchone()[0]
            data.collapsed = 0 if single else stacked - data.rows
            if spec.checks:
                declared_checks(ws, sink, spec, data.relation)
            tables[t] = data

        ws.con.execute(f"CREATE TEMP TABLE {BATCH_FINDINGS} {FINDINGS_DDL}")
        sink.finish(BATCH_FINDINGS)
        say("Checksums", done / steps)
        seen: list[Path] = []
        for fl in frames.values():
            for fr in fl:
                if fr.path is not None and fr.path.resolve() not in seen:
                    seen.append(fr.path.resolve())
        if m.path is not None:
            seen.append(m.path.resolve())
        for f in seen:
            hash_later(f)
        files_out = [SourceFile(f, file_label(f, ctx), hashes[f].result()[0], f.stat().st_size) for f in seen]
    except BaseException:
        if reading is not None:
            reading.interrupt()
        raise
    finally:
        if reading is not None:
            reading.close()
        pool.shutdown(wait=True, cancel_futures=True)
    findings = [Finding(*r) for r in ws.con.execute(f"SELECT * FROM {BATCH_FINDINGS} ORDER BY rowid").fetchall()]
    if not tables and not any(f.severity == ERROR for f in findings):
        # Nothing read and nothing wrong to report: a "successful" load of nothing hides a wrong folder.
        unknown = [f.file for f in findings if f.rule_id == "UNKNOWN-FILE"]
        raise BatchError(f"{p}: no table to read: no file is named after a contract table (projects.csv, "
                         f"status_reports.xlsx, …) and the mapping reads none"
                         + (f" (not read: {', '.join(unknown[:3])}{', …' if len(unknown) > 3 else ''})" if unknown else ""))
    say("Done", 1.0)
    return Batch(tables, findings, files_out, ws)


def _strays(folder: Path) -> list[Path]:
    """Entries of the batch folder named like a table's file that are no regular file (a folder, a
    FIFO, a device): never opened (reading a FIFO waits for ever), but named."""
    out = []
    for f in sorted(folder.iterdir()):
        if f.name.startswith((".", "~$")) or f.is_file():
            continue
        if f.suffix.lower() in DATA_EXTS or f.stem.strip().lower() in TABLES:
            out.append(f)
    return out


def _kind_of(path: Path) -> str:
    if path.is_symlink() and not path.exists():
        return "a broken link"
    if path.is_dir():
        return "a folder"
    if path.is_fifo():
        return "a FIFO (named pipe)"
    if path.is_char_device() or path.is_block_device():
        return "a device"
    if path.is_socket():
        return "a socket"
    return "something else"


def _visible_sheets(wb, label: str, sink: Findings) -> list[str]:
    """The sheets a user sees; XLSX-HIDDEN for each hidden or very hidden one, which is not read
    (nobody checked what it holds before sending the workbook)."""
    import python_calamine

    shown = []
    for meta in wb.sheets_metadata:
        if meta.visible == python_calamine.SheetVisibleEnum.Visible:
            shown.append(meta.name)
            continue
        how = "very hidden" if meta.visible == python_calamine.SheetVisibleEnum.VeryHidden else "hidden"
        sink.add(Finding("XLSX-HIDDEN", WARNING, None, f"a {how} sheet: not read (unhide it in Excel if it "
                                                       "belongs to the batch)", f"{label}[{meta.name}]"))
    return shown


def _named_in(spec) -> set[str]:
    """Every text a mapping's column specs hold (header names among them), in lower case."""
    if isinstance(spec, str):
        return {spec.strip().lower()}
    if isinstance(spec, dict):
        return set().union(*(_named_in(v) for v in spec.values())) if spec else set()
    if isinstance(spec, (list, tuple)):
        return set().union(*(_named_in(v) for v in spec)) if spec else set()
    if is_dataclass(spec):
        return set().union(*(_named_in(getattr(spec, f.name)) for f in fields(spec))) or set()
    return set()


def _repeated_headers(table: str, spec: TableSpec, source: SourceSpec, frame: SourceFrame, sink: Findings) -> None:
    """HDR-DUPLICATE: a header that names a column again, unless the mapping names the repeat
    (`overall_rag_2`) and so says which to use: the first is read, the others are named."""
    repeated = getattr(frame.columns, "repeated", {})
    if not repeated:
        return
    named = _named_in(spec.columns) | _named_in(source.columns)
    for renamed, (first, position) in repeated.items():
        if renamed.lower() in named:
            continue
        sink.add(Finding("HDR-DUPLICATE", WARNING, table,
                         f"the header names {first} again in column {position}: the first {first} is read and "
                         f"this one is not (a mapping can name it as {renamed})", frame.label, None, first, renamed))


def _materialise(ws: Workspace, frame: SourceFrame) -> None:
    """Read a delimited file once into a workspace table, for a source that several tables read."""
    table = ws.name("frame")

    def build() -> Sql:
        sql = frame.sql()
        return Sql(f"CREATE TEMP TABLE {table} AS SELECT * FROM {sql.text}", sql.params)

    run(ws, [frame], build)
    frame.csv, frame.table = None, table
