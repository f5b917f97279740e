"""Loading a batch into the DuckDB warehouse, all or nothing (CONTRACT §2, load semantics).

A load builds a complete new database file next to the live one — the batch's tables from the
batch, every other table copied from the live file — checkpoints and closes it, and only then
swaps it in with `os.replace`. The live file is never opened for writing, so:

* readers keep serving the previous data while a load runs, and see the new data on their
  next query (they watch the file's identity, see `db.Warehouse`);
* a rejected, failed or killed load (at any instant, SIGKILL included) leaves the live file
  exactly as it was — at worst a half-written `*.new-*` file is left, removed by the next load;
* two loads never interleave: the second waits for a lock file, then gives up with a message.

Layers inside the file: `raw.<table>` holds the rows as read (every source column, as text);
`main.<table>` the typed contract tables (staging: renamed and cast, with lineage columns
`_load_id`, `_file`, `_row`); `marts.*` the joined, KPI-level tables; `meta.*` the load log,
findings, quarantined rows and the monthly project and milestone snapshots.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from . import contract as c
from .db import DEFAULT_DB, OFFLINE_CONFIG, DatabaseError, open_readonly, cursor_for
from .findings import ERROR, SELECT_FINDINGS, BatchError, ValidationReport
from .schemas import DATABASE, check_tables, rejected_rows
from .schemas.quarantine import cascade_quarantine
from .sources.batch import BATCH_FINDINGS
from .sources.frames import run
from .sources.workspace import Workspace, ident, literal

Progress = Callable[[str, float], None]
log = logging.getLogger(__name__)

META_DDL = (
    "CREATE TABLE IF NOT EXISTS meta.load_log (load_id VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP, "
    "status VARCHAR, batch VARCHAR, batch_sha256 VARCHAR, mapping VARCHAR, quarantine BOOLEAN, load_date DATE, "
    "files VARCHAR, rows_read VARCHAR, rows_loaded VARCHAR, rows_rejected VARCHAR, message VARCHAR)",
    "CREATE TABLE IF NOT EXISTS meta.findings (load_id VARCHAR, rule_id VARCHAR, severity VARCHAR, "
    '"table" VARCHAR, message VARCHAR, file VARCHAR, "row" BIGINT, "column" VARCHAR, value VARCHAR, project_id VARCHAR)',
    'CREATE TABLE IF NOT EXISTS meta.quarantine (load_id VARCHAR, "table" VARCHAR, file VARCHAR, "row" BIGINT, '
    "rule_ids VARCHAR, reasons VARCHAR, record VARCHAR)",
    "CREATE TABLE IF NOT EXISTS meta.table_rows (load_id VARCHAR, \"table\" VARCHAR, rows_read BIGINT, "
    "rows_loaded BIGINT, rows_rejected BIGINT)",
    "CREATE TABLE IF NOT EXISTS meta.project_snapshots (snapshot_month VARCHAR, load_id VARCHAR, project_id VARCHAR, "
    "stage VARCHAR, budget_at_completion DOUBLE, baseline_finish_date DATE, forecast_finish_date DATE, "
    "actual_finish_date DATE)",
    "CREATE TABLE IF NOT EXISTS meta.milestone_snapshots (snapshot_month VARCHAR, load_id VARCHAR, "
    "milestone_id VARCHAR, project_id VARCHAR, milestone_name VARCHAR, is_gate BOOLEAN, baseline_date DATE, "
    "forecast_date DATE, actual_date DATE)",
)
META_TABLES = ("load_log", "findings", "quarantine", "table_rows", "project_snapshots", "milestone_snapshots")
# Each snapshot table, the contract table it keeps a month of, and the columns it keeps: a load that
# carries the table replaces its month's snapshot; one that does not leaves every snapshot as it was.
SNAPSHOTS = {
    "project_snapshots": ("projects", "project_id, stage, budget_at_completion, baseline_finish_date, "
                                      "forecast_finish_date, actual_finish_date"),
    "milestone_snapshots": ("milestones", "milestone_id, project_id, milestone_name, is_gate, baseline_date, "
                                          "forecast_date, actual_date"),
}


class LoadBusy(Exception):
    """Another load holds the database; nothing was changed."""


@dataclass
class LoadResult:
    status: str  # loaded | rejected | skipped | failed
    report: ValidationReport
    load_id: str
    message: str
    rows_loaded: dict[str, int] = field(default_factory=dict)
    rows_rejected: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "skipped")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def log_path(db_path: Path) -> Path:
    """Every load attempt, one JSON object per line — kept outside the database on purpose, so a
    rejected or killed load is recorded without touching the database it left unchanged."""
    return db_path.with_name(db_path.name + ".loads.jsonl")


def archive_dir(db_path: Path) -> Path:
    return db_path.parent / "archive" / db_path.stem


def _append_log(db_path: Path, record: dict) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path(db_path), "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def load_history(db_path: str | Path = DEFAULT_DB) -> list[dict]:
    """Every recorded load attempt, newest first; an attempt with no end record was killed."""
    path = log_path(Path(db_path))
    if not path.exists():
        return []
    attempts: dict[str, dict] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
        attempts.setdefault(rec["load_id"], {"status": "interrupted"}).update(rec)
    return sorted(attempts.values(), key=lambda r: r.get("started_at", ""), reverse=True)


@contextmanager
def _exclusive(db_path: Path, wait_seconds: float) -> Iterator[None]:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with open(db_path.with_name(db_path.name + ".lock"), "a+") as fh:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LoadBusy(f"another load is writing {db_path}; try again when it has finished") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _attach_live(con, db_path: Path | None) -> dict[str, str]:
    """Attach the live database read-only as `old`; its contract tables, for the cross-table rules."""
    if db_path is None or not db_path.exists():
        return {}
    try:
        con.execute("ATTACH ? AS old (READ_ONLY)", [str(db_path)])
    except duckdb.Error as exc:
        raise DatabaseError(f"{db_path} is not a readable PMO database ({str(exc).splitlines()[0]})") from exc
    names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'old' "
                                       "AND schema_name = 'main'").fetchall()}
    return {t: f'old.main."{t}"' for t in c.TABLE_NAMES if t in names}  # allow-listed names


def _check(batch, loaded: dict[str, str], load_date: date, report: ValidationReport) -> None:
    """The reading findings and every rule's, into the report."""
    con = batch.ws.con
    report.store.attach_to(con)
    try:
        con.execute(f"INSERT INTO report.findings SELECT * FROM {BATCH_FINDINGS} ORDER BY rowid")
        check_tables(con, {n: t.relation for n, t in batch.tables.items()}, loaded, "report.findings", load_date)
    finally:
        report.store.detach_from(con)


def _cascade(batch, loaded: dict[str, str], report: ValidationReport) -> None:
    """With quarantine on: the rows whose parent an error sets aside are set aside too (REF-QUARANTINED)."""
    con = batch.ws.con
    report.store.attach_to(con)
    try:
        cascade_quarantine(con, {n: t.relation for n, t in batch.tables.items()}, loaded, "report.findings")
    finally:
        report.store.detach_from(con)


def _read(batch_path, mapping, progress: Progress, policy, workspace: Workspace | None = None,
          load_id: str | None = None, checksums: bool = True):
    """The batch read, and a report that knows its tables."""
    from .sources import read_batch

    progress("reading files", 0.0)
    batch = read_batch(batch_path, mapping, progress=lambda m, f: progress(m, 0.5 * f), policy=policy,
                       workspace=workspace, load_id=load_id, checksums=checksums)
    report = ValidationReport()
    report.rows_read = {name: t.rows for name, t in batch.tables.items()}
    # Duplicates dedupe folded are not rows read into the table, so read − loaded = rejected holds.
    report.rows_collapsed = {name: t.collapsed for name, t in batch.tables.items() if t.collapsed}
    report.files = {name: list(t.files) for name, t in batch.tables.items()}
    return batch, report


def validate_batch(batch_path: str | Path, mapping: str | Path | None = None, db_path: str | Path | None = DEFAULT_DB,
                   load_date: date | None = None, progress: Progress | None = None, policy=None):
    """Read and check a batch against every rule; writes nothing. Returns (batch, report).

    `policy` (a `sources.SourcePolicy`) limits what the mapping may reach; default: the CLI's. The
    batch's tables live in a scratch database of its own until the batch is closed (or collected).
    Nothing is published, so no file's SHA-256 is worked out (the batch's `files` have none)."""
    progress = progress or (lambda msg, frac: None)
    batch, report = _read(batch_path, mapping, progress, policy, checksums=False)
    progress("checking the data accuracy rules", 0.5)
    _check(batch, _attach_live(batch.ws.con, Path(db_path) if db_path else None), load_date or date.today(), report)
    batch.ws.con.execute("DETACH DATABASE IF EXISTS old")
    progress("checked", 0.7)
    return batch, report


def load_batch(batch_path: str | Path, db_path: str | Path = DEFAULT_DB, mapping: str | Path | None = None, *,
               quarantine: bool = False, load_date: date | None = None, progress: Progress | None = None,
               wait_seconds: float = 30.0, archive: bool = True, replace_corrupt: bool = False,
               policy=None, keep_loads: int | None = None, keep_months: int | None = None) -> LoadResult:
    """Validate a batch and publish it into the warehouse, all or nothing.

    The batch is read straight into the new database file, which is swapped in only when it is
    complete. `policy` (a `sources.SourcePolicy`) limits what the mapping may reach; default: the
    CLI's. With `replace_corrupt`, a live database file that cannot be opened is moved aside (kept
    as `<name>.corrupt-<load id>`) and the batch builds a new one; without it, such a file stops
    the load. After a published load the archive keeps the raw files of the last `keep_loads` loads
    and of the last `keep_months` months (default: the settings archive_keep_loads and
    archive_keep_months) and loses those of loads that never published.
    """
    db_path = Path(db_path)
    load_date = load_date or date.today()
    progress = progress or (lambda msg, frac: None)
    load_id = datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    started = _now()
    record = {"load_id": load_id, "started_at": started.isoformat(), "batch": str(batch_path),
              "mapping": None if mapping is None else str(mapping), "quarantine": quarantine,
              "load_date": load_date.isoformat(), "status": "interrupted"}

    with _exclusive(db_path, wait_seconds):
        for leftover in db_path.parent.glob(db_path.name + ".new-*"):
            leftover.unlink(missing_ok=True)  # from a load that was killed; we hold the lock
        _append_log(db_path, record)
        tmp = db_path.with_name(f"{db_path.name}.new-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        ws = beside = None
        archived = prepared = None
        try:
            try:
                _check_live(db_path, replace_corrupt, load_id)
                ws = Workspace(tmp)
                batch, report = _read(batch_path, mapping, progress, policy, ws, load_id)
                loaded = _attach_live(ws.con, db_path)
                # While the rules run: the archive copy, and what the new database needs whatever
                # they find — the tables the batch leaves in place, and the marts. Each waits on
                # something else than the other (the disk, one thread of DuckDB's), so the load
                # takes about as long as the longest of the three, not their sum.
                beside = ThreadPoolExecutor(max_workers=2)
                archived = beside.submit(_archive, db_path, load_id, batch.files) if archive else None
                prepared = beside.submit(_prepare, ws.con.cursor(), batch, bool(loaded) or db_path.exists(), load_date)
                # The rows read are in the new file by now: flushed to disk while the rules run, so
                # that the fsync before the swap has only the marts and the rest to write (5.6 M
                # rows: 0.045 s at publish against 0.12 s). That one still makes the file durable.
                beside.submit(_fsync, tmp)
                progress("checking the data accuracy rules", 0.5)
                _check(batch, loaded, load_date, report)
                if quarantine:
                    _cascade(batch, loaded, report)
                progress("checked", 0.7)
            except (BatchError, DatabaseError) as exc:
                _finish(db_path, record, "failed", str(exc))
                raise
            record["files"] = [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in batch.files]
            record["rows_read"] = report.rows_read
            record["rows_collapsed"] = report.rows_collapsed
            digest = batch.digest()
            record["batch_sha256"] = digest

            if _last_loaded_digest(db_path) == digest:
                msg = "this batch is identical to the last one loaded; nothing to do"
                _finish(db_path, record, "skipped", msg)
                return LoadResult("skipped", report, load_id, msg)

            errors, unfixable = report.store.con().execute(
                f"SELECT count(*), count(*) FILTER (WHERE \"row\" IS NULL OR file = ?) FROM findings "
                f"WHERE severity = '{ERROR}'", [DATABASE]).fetchone()
            if errors and (not quarantine or unfixable):
                why = ("the batch has errors that no row can be set aside for" if quarantine
                       else "the batch has errors; nothing was loaded (use --quarantine to load the valid rows)")
                msg = f"rejected: {report.n_errors:,} error(s); {why}"
                _finish(db_path, record, "rejected", msg)
                return LoadResult("rejected", report, load_id, msg)

            try:
                progress("writing the new database", 0.7)
                if archived is not None:
                    progress("archiving the raw files", 0.7)
                rows_loaded, rows_rejected = _publish(db_path, tmp, batch, report, record, load_id, started,
                                                      load_date, archived.result() if archived else None,
                                                      prepared, progress)
                archived = None  # published: the archive stays
            except Exception as exc:
                _finish(db_path, record, "failed", f"{type(exc).__name__}: {exc}")
                raise
        finally:
            if beside is not None:
                beside.shutdown(wait=True)
            if archived is not None and archived.exception() is None:
                shutil.rmtree(archived.result(), ignore_errors=True)  # a load that did not publish keeps no archive
            if ws is not None:
                ws.close()
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)
        msg = (f"loaded {sum(rows_loaded.values()):,} rows into {len(rows_loaded)} table(s)"
               + (f"; {sum(rows_rejected.values()):,} row(s) quarantined" if sum(rows_rejected.values()) else ""))
        record.update(rows_loaded=rows_loaded, rows_rejected=rows_rejected)
        _finish(db_path, record, "loaded", msg)
        _prune_archive(db_path, keep_loads, keep_months)
        progress("done", 1.0)
        return LoadResult("loaded", report, load_id, msg, rows_loaded, rows_rejected)


def _prune_archive(db_path: Path, keep_loads: int | None, keep_months: int | None) -> list[str]:
    from .archive import prune_archive

    if keep_loads is None or keep_months is None:
        from .settings import load_settings

        settings = load_settings()
        keep_loads = settings.archive_keep_loads if keep_loads is None else keep_loads
        keep_months = settings.archive_keep_months if keep_months is None else keep_months
    published = {r["load_id"]: datetime.fromisoformat(r["started_at"]) for r in load_history(db_path)
                 if r.get("status") == "loaded" and r.get("started_at")}
    return prune_archive(archive_dir(db_path), published, keep_loads, keep_months)


def rebuild_marts(db_path: str | Path = DEFAULT_DB, wait_seconds: float = 30.0) -> None:
    """Rebuild the published database's marts with this version's SQL (after an upgrade).

    The same new-file-and-swap as a load: every other table is copied as it is, the marts are
    built anew, and readers see the result on their next query.
    """
    db_path = Path(db_path)
    with _exclusive(db_path, wait_seconds):
        if not db_path.exists():
            raise DatabaseError(f"no database at {db_path}: load a batch first")
        _check_live(db_path, False, "")
        for leftover in db_path.parent.glob(db_path.name + ".new-*"):
            leftover.unlink(missing_ok=True)  # from a load or rebuild that was killed; we hold the lock
        tmp = db_path.with_name(f"{db_path.name}.new-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        try:
            con = duckdb.connect(str(tmp), config=OFFLINE_CONFIG)
            try:
                con.execute("ATTACH ? AS old (READ_ONLY)", [str(db_path)])
                tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'old' "
                                     "AND schema_name <> 'marts' ORDER BY 1, 2").fetchall()
                views = con.execute("SELECT schema_name, sql FROM duckdb_views() WHERE database_name = 'old' "
                                    "AND NOT internal").fetchall()
                for schema in sorted({s for s, _ in tables} | {s for s, _ in views}):
                    con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
                for schema, table in tables:
                    con.execute(f"CREATE TABLE {ident(schema)}.{ident(table)} AS "
                                f"SELECT * FROM old.{ident(schema)}.{ident(table)}")
                for _, sql in views:
                    con.execute(sql)  # our own raw-layer view definitions, as the catalog stored them
                load_date = _last_load_date(con)
                con.execute("DETACH old")
                from .marts import WORKERS, build_marts
                build_marts(con, load_date, WORKERS)
                con.execute("CHECKPOINT")
            finally:
                con.close()
            _fsync(tmp)
            os.replace(tmp, db_path)
            _fsync(db_path.parent)
        finally:
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)


def _last_load_date(con) -> date | None:
    """The load date of the live database's latest load (attached as `old`), for a rebuild's marts."""
    try:
        row = con.execute("SELECT load_date FROM old.meta.load_log WHERE status = 'loaded' "
                          "ORDER BY finished_at DESC LIMIT 1").fetchone()
    except duckdb.Error:  # a database built outside the loader has no load log
        return None
    return row[0] if row else None


def _check_live(db_path: Path, replace_corrupt: bool, load_id: str) -> None:
    if not db_path.exists():
        return
    try:
        open_readonly(db_path).close()
    except DatabaseError as exc:
        if not replace_corrupt:
            raise DatabaseError(f"{exc}; load with --replace-corrupt to set it aside and build a new one") from exc
        os.replace(db_path, db_path.with_name(f"{db_path.name}.corrupt-{load_id}"))


def _finish(db_path: Path, record: dict, status: str, message: str) -> None:
    record.update(status=status, message=message, finished_at=_now().isoformat())
    _append_log(db_path, record)
    seconds = (datetime.fromisoformat(record["finished_at"]) - datetime.fromisoformat(record["started_at"])).total_seconds()
    fields = {k: record.get(k) for k in ("load_id", "status", "message", "quarantine", "rows_loaded", "rows_rejected")}
    log.log(logging.WARNING if status == "failed" else logging.INFO, "load %s %s", record["load_id"], status,
            extra={"pmo": {"event": "load", **fields, "batch": Path(record["batch"]).name,
                           "database": db_path.name, "seconds": round(seconds, 3)}})


def _last_loaded_digest(db_path: Path) -> str | None:
    if not db_path.exists():
        return None
    con = open_readonly(db_path)
    try:
        row = cursor_for(con).execute(
            "SELECT batch_sha256 FROM meta.load_log WHERE status = 'loaded' ORDER BY finished_at DESC LIMIT 1").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    return row[0] if row else None


def _prepare(cur, batch, previous: bool, load_date: date | None = None) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """The new database's schemas, the tables the batch leaves in place (copied from the live
    database attached as `old`, or empty), and the marts; returns the old database's tables and raw
    views. Runs on a cursor of its own beside the rules."""
    from .marts import WORKERS, build_marts

    try:
        cur.execute("CREATE SCHEMA IF NOT EXISTS raw; CREATE SCHEMA IF NOT EXISTS meta; CREATE SCHEMA IF NOT EXISTS marts")
        for ddl in META_DDL:
            cur.execute(ddl)
        old_tables: set[tuple[str, str]] = set()
        old_views: dict[str, str] = {}
        if previous:
            old_tables = set(cur.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                                         "WHERE database_name = 'old'").fetchall())
            old_views = dict(cur.execute("SELECT view_name, sql FROM duckdb_views() WHERE database_name = 'old' "
                                         "AND schema_name = 'raw' AND NOT internal").fetchall())
        for name in c.LOAD_ORDER:
            if name in batch.tables:
                continue
            if ("main", name) in old_tables:
                cur.execute(f'CREATE TABLE main."{name}" AS SELECT * FROM old.main."{name}"')
                if ("raw", name) in old_tables:
                    cur.execute(f'CREATE TABLE raw."{name}" AS SELECT * FROM old.raw."{name}"')
                elif name in old_views:
                    cur.execute(old_views[name])
            else:
                cur.execute(c.create_table_sql(c.TABLES[name]))
                for col, typ in (("_load_id", "VARCHAR"), ("_file", "VARCHAR"), ("_row", "BIGINT")):
                    cur.execute(f'ALTER TABLE main."{name}" ADD COLUMN {col} {typ}')
        build_marts(cur, load_date, WORKERS)
        return old_tables, old_views
    finally:
        cur.close()


def _publish(db_path: Path, tmp: Path, batch, report: ValidationReport, record: dict, load_id: str,
             started: datetime, load_date: date, archived: Path | None, prepared, progress: Progress):
    """Complete the new database the batch was read into, and swap it in."""
    from .marts import WORKERS, build_marts

    con = batch.ws.con
    rows_loaded: dict[str, int] = {}
    rows_rejected: dict[str, int] = {}
    mapping_free = record.get("mapping") is None
    progress("building the marts", 0.72)
    old_tables, _ = prepared.result()
    report.store.attach_to(con)
    try:
        rejected_rows(con, "report.findings", "rejected")
        steps = len(c.LOAD_ORDER)
        for i, name in enumerate(c.LOAD_ORDER):
            progress(f"writing {name}", 0.75 + 0.2 * i / steps)
            table = batch.tables.get(name)
            if table is None:
                continue
            rows_rejected[name] = _set_aside(con, name, table, load_id)
            rows_loaded[name] = con.execute(f"SELECT count(*) FROM {table.relation}").fetchone()[0]
            view = _raw_view_sql(name, table, archived, load_id) if archived and mapping_free else None
            if view:
                con.execute(view)
            else:
                run(batch.ws, table.frames, lambda t=table, n=name: _as_table(f'raw."{n}"', t.raw_sql(load_id)))

        batch_tables = list(batch.tables)
        for meta in META_TABLES:
            if ("meta", meta) not in old_tables:
                continue
            if meta in ("findings", "quarantine", "table_rows"):
                # Findings and set-aside rows of tables this batch replaces are superseded.
                con.execute(f'INSERT INTO meta.{meta} BY NAME SELECT * FROM old.meta.{meta} '
                            f'WHERE NOT list_contains(?, "table")', [batch_tables])
            elif meta in SNAPSHOTS and SNAPSHOTS[meta][0] in batch.tables:
                con.execute(f"INSERT INTO meta.{meta} SELECT * FROM old.meta.{meta} "
                            "WHERE snapshot_month <> ?", [_snapshot_month(con, load_date)])
            else:
                con.execute(f"INSERT INTO meta.{meta} SELECT * FROM old.meta.{meta}")
        con.execute(f"INSERT INTO meta.findings SELECT ?, {SELECT_FINDINGS} FROM report.findings ORDER BY rowid",
                    [load_id])
    finally:
        report.store.detach_from(con)
    for name in batch_tables:
        con.execute("INSERT INTO meta.table_rows VALUES (?, ?, ?, ?, ?)",
                    [load_id, name, report.rows_read.get(name, 0), rows_loaded.get(name, 0),
                     rows_rejected.get(name, 0)])
    for meta, (name, columns) in SNAPSHOTS.items():
        if name in batch.tables:
            con.execute(f"INSERT INTO meta.{meta} SELECT ?, ?, {columns} FROM main.{name}",
                        [_snapshot_month(con, load_date), load_id])
    con.execute("INSERT INTO meta.load_log VALUES (?, ?, ?, 'loaded', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        load_id, started, _now(), record["batch"], record["batch_sha256"], record["mapping"],
        record["quarantine"], load_date, json.dumps(record["files"]), json.dumps(report.rows_read),
        json.dumps(rows_loaded), json.dumps(rows_rejected), f"{report.n_warnings:,} warning(s)"])
    con.execute("DETACH DATABASE IF EXISTS old")
    if sum(rows_rejected.values()):
        build_marts(con, load_date, WORKERS)  # the marts were built beside the rules, before rows were set aside
    con.execute("CHECKPOINT")
    batch.close()
    _fsync(tmp)
    progress("publishing the new database", 0.98)
    os.replace(tmp, db_path)
    _fsync(db_path.parent)
    return rows_loaded, rows_rejected


def _as_table(target: str, sql):
    """CREATE TABLE target AS the query (whose values stay bound)."""
    sql.text = f"CREATE TABLE {target} AS {sql.text}"
    return sql


def _set_aside(con, name: str, table, load_id: str) -> int:
    """Move the rows an error rejects out of main.<name> into meta.quarantine; how many."""
    n = con.execute('SELECT count(*) FROM rejected WHERE "table" = ?', [name]).fetchone()[0]
    if not n:
        return 0
    these = f"(SELECT * FROM rejected WHERE \"table\" = '{name}')"  # a contract table's name
    records = table.records_sql(these)
    con.execute(f"INSERT INTO meta.quarantine SELECT $load_id, r.\"table\", r.file, r.\"row\", r.rule_ids, "
                f"r.reasons, rec.record FROM {these} AS r LEFT JOIN ({records.text}) AS rec "
                f"ON rec._file = r.file AND rec._row = r.\"row\" ORDER BY r._first",
                {**records.params, "load_id": load_id})
    # The rows deleted, not the rows named: read − loaded = rejected holds by construction.
    return con.execute(f"DELETE FROM {table.relation} AS t USING {these} AS r "
                       f"WHERE r.file = t._file AND r.\"row\" = t._row").fetchone()[0]


def _raw_view_sql(name: str, table, archived: Path, load_id: str) -> str | None:
    """The raw layer of a plain CSV or Parquet extract, as a view over its archived copy.

    Copying millions of raw rows into the database a second time would double the load's cost
    for rows already kept byte for byte in the archive. The view reads the copy exactly as the
    batch was read (the same `read_csv`, separator and row numbers), so what the raw layer shows
    is what was validated. Extracts read through a mapping, from a workbook, in another encoding
    or with mixed line ends are materialised instead.
    """
    if len(table.frames) != 1:
        return None
    frame = table.frames[0]
    path = archived / frame.label
    if frame.label != f"{name}{path.suffix}" or not path.exists():
        return None
    if path.suffix == ".parquet":  # our own archive path, as a quoted literal
        return f'CREATE VIEW raw."{name}" AS SELECT * FROM read_parquet({literal(str(path.resolve()))})'
    if path.suffix != ".csv" or frame.csv is None or frame.csv.path != frame.path:
        return None
    reader = frame.csv.frame_sql(path, literal=True).text
    cols = ", ".join(f"{frame.col(h)} AS {ident(h)}" for h in frame.columns)
    return (f"CREATE VIEW raw.\"{name}\" AS SELECT {cols}, '{name}.csv' AS _file, _row, '{load_id}' AS _load_id "
            f"FROM {reader}")


def _snapshot_month(con: duckdb.DuckDBPyConnection, load_date: date) -> str:
    """The month a snapshot (of projects, of milestones) stands for: that of the latest status report,
    else the load's."""
    row = con.execute("SELECT max(report_date) FROM main.status_reports WHERE report_date <= ?", [load_date]).fetchone()
    return (row[0] or load_date).strftime("%Y-%m")


def _archive(db_path: Path, load_id: str, files) -> Path:
    target = archive_dir(db_path) / load_id
    partial = target.with_name(target.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    manifest = []
    for f in files:
        dest = partial / f.name
        shutil.copyfile(f.path, dest)
        manifest.append({"name": f.name, "sha256": f.sha256, "size": f.size, "source": str(f.path)})
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(partial, target)
    return target


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
