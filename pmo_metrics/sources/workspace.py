"""The DuckDB database a batch is read into, and the pieces of SQL the readers hand each other.

A batch is never held in Python memory. Readers describe each source as a piece of SQL (a
`read_csv(…)`, a `read_parquet(…)`, a table of rows fetched from a database) with its bound
values; the mapping turns those into the contract tables with more SQL; the rules run as SQL over
the tables. All of it runs in one DuckDB database — for a load the new database file itself, for
`validate` one in memory — with a memory limit and a spill folder, so a batch of any size is read
in bounded memory: DuckDB writes what does not fit to the spill folder instead of growing.
"""
from __future__ import annotations

import itertools
import shutil
import tempfile
import weakref
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# What DuckDB may use for a batch, beyond which it spills to the workspace's folder. A load builds
# the new database file, whose tables DuckDB writes out compressed as it goes: 500 MB keeps the
# enterprise demo batch (5.6 M rows, 191 MB of CSV) at ~350 MB peak RSS and a 25 M-row one at
# ~0.6 GB. `validate` holds the tables in memory, uncompressed (~600 MB for the enterprise batch):
# with 500 MB it spilled and took ~10 % more CPU; 1 GB holds them, at ~750 MB peak RSS.
MEMORY_LIMIT = "500MB"
MEMORY_LIMIT_IN_MEMORY = "1GB"


@dataclass
class Sql:
    """A piece of SQL with the values it binds (`$name` parameters, unique within a workspace)."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


class Workspace:
    """One DuckDB connection for reading and checking a batch, with its own spill folder.

    `path` is the database file to build (a load's new database). Without it the database is in
    memory (what does not fit spills to the folder): `validate` keeps nothing, and tables held in
    memory are written without the compression a database file needs (~30 % faster)."""

    def __init__(self, path: str | Path | None = None, memory_limit: str | None = None):
        import duckdb  # the library's import stays light: the engine loads when a batch is read

        from ..db import OFFLINE_CONFIG

        self.folder = Path(tempfile.mkdtemp(prefix="pmo-batch-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.folder, True)
        self.path = Path(path) if path is not None else None
        memory_limit = memory_limit or (MEMORY_LIMIT if path is not None else MEMORY_LIMIT_IN_MEMORY)
        config = {**OFFLINE_CONFIG, "memory_limit": memory_limit, "temp_directory": str(self.folder / "spill"),
                  "preserve_insertion_order": True}
        if self.path is not None:
            # A database file being built is of no use until it is complete: its owner syncs it
            # once then, before it swaps it in (the loader's _publish), and a file left by a crash
            # is thrown away. DuckDB's own sync at every commit while it is built is time spent
            # for nothing (~0.2 s of an enterprise load, where every table is a few commits).
            config["fsync_mode"] = "NONE"
        self.con = duckdb.connect(str(self.path) if self.path else ":memory:", config=config)
        self.con.execute("SET enable_progress_bar = false")  # the loader reports its own progress
        self._names = itertools.count(1)

    def name(self, prefix: str) -> str:
        """A fresh name for a temporary relation or parameter (our own text, safe in SQL)."""
        return f"{prefix}_{next(self._names)}"

    def param(self, params: dict[str, Any], value: Any) -> str:
        """Bind `value` under a fresh name in `params`; returns the placeholder to write in SQL."""
        key = self.name("p")
        params[key] = value
        return f"${key}"

    def file(self, suffix: str) -> Path:
        """A fresh file name inside the workspace folder (transcoded copies and the like)."""
        return self.folder / f"{self.name('file')}{suffix}"

    def execute(self, sql: Sql | str, params: dict[str, Any] | None = None):
        if isinstance(sql, Sql):
            return self.con.execute(sql.text, {**sql.params, **(params or {})} or None)
        return self.con.execute(sql, params or None)

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            self._finalizer()


def ident(name: str) -> str:
    """A name read from a file (a header) or the database's own catalog, quoted as an identifier.

    Only the raw layer keeps a source's own headers as column names; everywhere else the SQL
    names columns itself (c1, c2, …)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str | None) -> str:
    """A text as a SQL string literal, where a parameter cannot go (a view's or a generated
    column's definition): quotes doubled, the only escape DuckDB's strings have."""
    return "NULL::VARCHAR" if value is None else "'" + value.replace("'", "''") + "'"


def interrupt_until_done(cursors, futures) -> None:
    """Interrupt `cursors` until every one of `futures` (the statements run on them) is done: a
    statement that began just as the interrupt came is interrupted again. done(), not
    concurrent.futures.wait: a future cancelled in the queue never counts as done there."""
    import time

    while not all(f.done() for f in futures):
        for cur in cursors:
            cur.interrupt()
        time.sleep(0.02)


def run_on_cursors(cursors, work, thread_name: str, on_failure) -> None:
    """Run `work(cur)` for each of `cursors`, each in a thread of its own with no progress bar, and
    close the cursors. The first failure (or Ctrl-C) calls `on_failure()` (so that no worker starts
    more work), then interrupts the statements still running on the others, and is raised."""
    def quiet(cur) -> None:
        cur.execute("SET enable_progress_bar = false")
        work(cur)

    pool = ThreadPoolExecutor(max_workers=len(cursors), thread_name_prefix=thread_name)
    futures = [pool.submit(quiet, cur) for cur in cursors]
    try:
        wait(futures, return_when=FIRST_EXCEPTION)
        for f in futures:
            if f.done() and f.exception() is not None:
                raise f.exception()
    except BaseException:
        on_failure()
        interrupt_until_done(cursors, futures)
        raise
    finally:
        pool.shutdown(wait=True)
        for cur in cursors:
            cur.close()
