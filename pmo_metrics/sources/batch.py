"""Read a batch — a folder, a workbook, or whatever a mapping names — into contract tables."""
from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import polars as pl

from ..contract import LOAD_ORDER, TABLES
from ..findings import WARNING, BatchError, Finding
from .mapping import Mapping, SourceSpec, TableSpec, load_mapping
from .policy import SourcePolicy, confine, default_policy
from .readers import (DATA_EXTS, FILE, READER_KINDS, ROW, WORKBOOK_EXTS, ReadContext, SourceFrame,
                      claimed_paths, file_label, open_workbook)
from .transform import MISSING, Lookups, Sink, View, build_part, dedupe

Progress = Callable[[str, float], None]


@dataclass
class SourceFile:
    path: Path
    name: str
    sha256: str
    size: int


@dataclass
class TableData:
    name: str              # contract table name
    data: pl.DataFrame     # contract columns in contract order, typed, plus _file and _row
    raw: pl.DataFrame      # rows as read: all strings, original headers, plus _file and _row
    files: list[str] = field(default_factory=list)


@dataclass
class Batch:
    tables: dict[str, TableData]
    findings: list[Finding]
    files: list[SourceFile]   # every file read, and the mapping file


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _unknown(name: str, why: str) -> Finding:
    return Finding("UNKNOWN-FILE", WARNING, None, why, name)


def _convention(mapping: Mapping, ctx: ReadContext, files: list[Path], sink: Sink) -> dict[str, list[str]]:
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
            sheets = wb.sheet_names if wb is not None else []
            if not sheets:
                sink.add(_unknown(name, "a workbook not named after a contract table and with no sheet "
                                        "named after one; not read"))
            for sh in sheets:
                if sh.strip().lower() in TABLES:
                    take(sh.strip().lower(), f, sh, f"{name}[{sh}]")
                else:
                    sink.add(_unknown(f"{name}[{sh}]", "sheet not named after a contract table; not read"))
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
               progress: Progress | None = None, policy: SourcePolicy | None = None) -> Batch:
    """Read every table of a batch, typed as the contract says, with findings for what is wrong.

    `path` is a folder (one file per table, named after it), one workbook (a sheet per table), or
    one file named after a table; with a mapping, its sources' paths are relative to that folder
    (the workbook's or file's folder) and must stay inside it. `policy` says what the mapping may
    reach (default: the command line's, from the settings; the Data loads page passes a stricter
    one). Raises BatchError when the batch cannot be read at all."""
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
    if p.is_dir():
        ctx = ReadContext(p, policy=policy)
        files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith((".", "~$")))
        for f in files:  # a file linked in from elsewhere is no part of the batch folder
            confine(f, p, f"{f.name} (a symlink)")
    else:
        ctx = ReadContext(p.parent, p if p.suffix.lower() in WORKBOOK_EXTS else None, policy=policy)
        files = [p]
    sink = Sink()
    say = progress or (lambda message, fraction: None)
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

    def options(src: SourceSpec) -> dict:
        return {**m.read_defaults, **src.options}

    pool = ThreadPoolExecutor(max_workers=2)  # hashing overlaps reading; hashlib releases the GIL
    hashes: dict[Path, Future] = {}

    def hash_later(path_: Path) -> None:
        if path_ not in hashes:
            hashes[path_] = pool.submit(_sha256, path_)

    if m.path is not None:
        hash_later(m.path)
    for s in needed:
        src = m.sources[s]
        if src.kind == "file":
            for f in claimed_paths(options(src), ctx):
                hash_later(f.resolve())

    steps = max(len(needed) + len(table_sources), 1)
    done = 0
    frames: dict[str, list[SourceFrame]] = {}
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
                done += 1
            return frames[name]

        views: dict[tuple[int, str], View] = {}

        def view_for(frame: SourceFrame, source_name: str) -> View:
            key = (id(frame), source_name)
            if key not in views:
                src = m.sources[source_name]
                views[key] = View(frame, src, m.value_defaults.merged(src.values), lookups)
            return views[key]

        lookups = Lookups(m, frames_of, view_for)
        for s in needed:
            frames_of(s)

        tables: dict[str, TableData] = {}
        for t in LOAD_ORDER:
            if t not in table_sources:
                continue
            say(f"Mapping {t}", done / steps)
            spec = m.tables.get(t) or TableSpec(t, ())
            table = TABLES[t]
            parts, raws, labels, missing = [], [], [], False
            for s in table_sources[t]:
                for fr in frames_of(s):
                    labels.append(fr.label)
                    raws.append(fr.strings.with_columns(pl.lit(fr.label, dtype=pl.String).alias(FILE))
                                .select([c for c in fr.columns] + [FILE, ROW]))
                    part = build_part(table, spec, m.sources[s], view_for(fr, s), m, sink)
                    if part is MISSING:
                        missing = True
                    elif part is not None and part.height:
                        parts.append(part)
            done += 1
            if missing or not parts:
                continue
            data = pl.concat(parts, how="vertical_relaxed") if len(parts) > 1 else parts[0]
            if spec.dedupe is not None:
                data = dedupe(data, spec.dedupe)
            raw = pl.concat(raws, how="diagonal") if len(raws) > 1 else raws[0]
            tables[t] = TableData(t, data, raw, labels)

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
        files_out = [SourceFile(f, file_label(f, ctx), hashes[f].result(), f.stat().st_size) for f in seen]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    say("Done", 1.0)
    return Batch(tables, sink.close(), files_out)
