"""Opening the warehouse for reading, and noticing when a load has published a new one.

A load never writes to the live file: it builds a new database beside it and swaps it in with
`os.replace`. Readers therefore open the file read-only and reopen when its identity (inode,
modification time) changes. They open it by ATTACH from a private in-memory instance rather
than `duckdb.connect(path)`: connect() hands back a process-wide cached instance for a path
that is already open, which would keep serving the replaced file.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = Path("data") / "pmo.duckdb"
CATALOG = "pmo"

# Nothing may try the network: extensions are never downloaded, nor loaded on demand.
OFFLINE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


class DatabaseError(Exception):
    """The warehouse file is missing or unreadable; the message says what to do."""


class DatabaseChanged(Exception):
    """A load published a new database since the caller read its version: start over on the new one."""


@dataclass(frozen=True)
class Version:
    inode: int
    mtime_ns: int
    size: int

    @property
    def token(self) -> str:
        return f"{self.inode}-{self.mtime_ns}-{self.size}"


def database_version(path: str | Path) -> Version | None:
    """Identity of the published database file, or None when there is none yet."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return Version(st.st_ino, st.st_mtime_ns, st.st_size)


def open_readonly(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A private read-only connection to the warehouse; `cursor_for` it before querying."""
    import duckdb  # imported on first use, so the command line's --help does not load the engine

    path = Path(path)
    if not path.exists():
        raise DatabaseError(f"no database at {path}: load a batch first (python -m pmo_metrics load BATCH)")
    con = duckdb.connect(config=OFFLINE_CONFIG)
    try:
        con.execute(f"ATTACH ? AS {CATALOG} (READ_ONLY)", [str(path)])
        con.execute(f"USE {CATALOG}")
    except duckdb.Error as exc:
        con.close()
        raise DatabaseError(f"{path} is not a readable PMO database ({str(exc).splitlines()[0]})") from exc
    return con


def unreadable(path: str | Path) -> bool:
    """Whether a database file exists at `path` but cannot be opened (a corrupt or foreign file)."""
    if not Path(path).exists():
        return False
    try:
        open_readonly(path).close()
    except DatabaseError:
        return True
    return False


def cursor_for(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor for one thread, pointed at the warehouse catalog (a cursor does not inherit USE)."""
    cur = con.cursor()
    cur.execute(f"USE {CATALOG}")
    return cur


class Warehouse:
    """A reader that follows the published database: `cursor()` reopens when a load swapped it.

    Thread-safe: each caller gets its own cursor; a shared DuckDB connection must not be used
    from several threads at once.
    """

    def __init__(self, path: str | Path = DEFAULT_DB):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: Version | None = None

    @property
    def version(self) -> Version | None:
        return database_version(self.path)

    def cursor(self, token: str | None = None) -> duckdb.DuckDBPyConnection:
        """A cursor on the published database; with `token`, on that version only (DatabaseChanged
        when a load has replaced it), so one page run never reads two versions."""
        with self._lock:
            current = database_version(self.path)
            if current is None:
                raise DatabaseError(f"no database at {self.path}: load a batch first")
            if token is not None and current.token != token:
                raise DatabaseChanged(f"{self.path} was replaced by a load")
            if self._con is None or current != self._version:
                # The old connection is left to the garbage collector: cursors handed out
                # earlier keep reading the old file until their caller is done with them.
                self._con = open_readonly(self.path)
                self._version = current
            return cursor_for(self._con)
