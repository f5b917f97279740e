"""The `database` reader kind: a contract table straight from a SQL database through SQLAlchemy.

A mapping declares the connection once (`[sources.pmis] kind = "database"`, `url = "${PMIS_DB_URL}"`
or `url_secret = "pmis"`) and each table says what to read from it (`table = "schema.name"` or
`query = "SELECT …"`); see docs/mappings.md §6. Credentials never live in the mapping: the URL
comes from the environment (allow-listed variables only, see `policy`) or from
`.streamlit/secrets.toml`, and is resolved only when data is read.

A source system is never changed by a load, nor by `validate`: a query must be exactly one
`SELECT` (parsed with sqlglot in the database's dialect, so `WITH d AS (DELETE … RETURNING *)`,
`SELECT … INTO`, `FOR UPDATE`, a second statement or a PRAGMA are refused before anything is sent),
and the connection itself is read-only wherever the driver allows it — SQLite opens the file with
`mode=ro` and `query_only`; PostgreSQL and MySQL run the read in a READ ONLY transaction that is
rolled back. Messages show the URL as the mapping wrote it, with every expanded value and the
password masked.

Rows are streamed in chunks into a workspace table, every cell as text, so the rest of the pipeline
(renames, translations, validation, the all-or-nothing load) treats a query result like any other
extract, and a large result is never held whole in Python.
Row numbers follow the spreadsheet convention: the result's first row is row 2 (the header is 1).
"""
from __future__ import annotations

import datetime as dt
import decimal
import logging
import os
import re
import sqlite3
import tomllib
import urllib.parse
from pathlib import Path
from typing import Any

import sqlglot
import sqlglot.expressions as sx

from ..findings import BatchError
from .policy import SourcePolicy, confine, default_policy
from .frames import SourceFrame, unique_headers
from .readers import FrameWriter, ReadContext

KEYS = frozenset({"url", "url_secret", "query", "table", "chunk_size", "attach"})
CHUNK_SIZE = 50_000
CONNECT_TIMEOUT = 10  # seconds; an unreachable host should fail the load, not hang it
SECRETS_FILES = (Path(".streamlit") / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml")

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# scheme://user:password@… — the password part, as literally written in the mapping
_URL_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://[^/@?#]*?:([^/@?#]*)@")


def check_options(options: dict) -> None:
    """Mapping-time checks of a database source (ValueError with the message to show)."""
    has_url, has_secret = "url" in options, "url_secret" in options
    if has_url == has_secret:
        raise ValueError("a database source needs exactly one of url (e.g. \"${PMIS_DB_URL}\") or url_secret")
    for k in ("url", "url_secret", "query", "table"):
        if k in options and (not isinstance(options[k], str) or not options[k].strip()):
            raise ValueError(f"{k} must be a non-empty string")
    if "query" in options and "table" in options:
        raise ValueError("give either query or table, not both")
    if has_url:
        m = _URL_PASSWORD.match(options["url"])
        if m and m.group(1) and not _ENV.fullmatch(m.group(1)):
            raise ValueError("url contains a password; keep credentials out of the mapping: write "
                             "url = \"${ENV_VAR}\" or url_secret = \"NAME\" ([connections.NAME] in "
                             ".streamlit/secrets.toml)")
    if "chunk_size" in options:
        n = options["chunk_size"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError("chunk_size must be a positive whole number")
    if "attach" in options:
        att = options["attach"]
        if not (isinstance(att, dict) and all(isinstance(v, str) for v in att.values())):
            raise ValueError("attach must be a table of schema = \"path/to/file.sqlite\"")


# SQLAlchemy backend name → sqlglot dialect; others are parsed as generic SQL.
_DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite", "mysql": "mysql", "mariadb": "mysql",
             "mssql": "tsql", "oracle": "oracle", "duckdb": "duckdb", "snowflake": "snowflake",
             "bigquery": "bigquery", "redshift": "redshift"}
# Anything that writes, locks, changes the session or is not plain SQL, anywhere in the tree.
_WRITES = (sx.DML, sx.DDL, sx.Drop, sx.Alter, sx.Command, sx.Into, sx.Lock, sx.Pragma, sx.Attach,
           sx.Detach, sx.Set, sx.Use, sx.Transaction, sx.Commit, sx.Rollback, sx.TruncateTable, sx.Grant,
           sx.Merge, sx.Analyze, sx.Refresh, sx.Kill, sx.Cache, sx.Uncache, sx.LoadData)
# Functions with effects that a read-only transaction does not stop.
_WRITE_FUNCTIONS = frozenset({
    "set_config", "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile",
    "pg_switch_wal", "pg_create_restore_point", "pg_promote", "lo_import", "lo_export", "lo_unlink",
    "lo_create", "lo_from_bytea", "lo_put", "dblink", "dblink_exec", "dblink_connect", "pg_advisory_lock",
    "pg_advisory_xact_lock", "pg_notify", "load_extension", "writefile", "sys_exec", "sys_eval",
})


def check_query(query: str, backend: str | None, source: str) -> None:
    """Refuse anything but exactly one SELECT (WITH … SELECT, UNION …) before it reaches the server."""
    dialect = _DIALECTS.get(backend or "")
    sqlglot_log = logging.getLogger("sqlglot")
    level = sqlglot_log.level
    sqlglot_log.setLevel(logging.ERROR)  # it warns when it falls back to an opaque Command
    try:
        statements = [s for s in sqlglot.parse(query, read=dialect) if s is not None]
    except sqlglot.errors.SqlglotError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise BatchError(f"{source}: the query is not one SELECT this product can check ({first}); "
                         "a database source runs only a single SELECT statement") from None
    finally:
        sqlglot_log.setLevel(level)
    if len(statements) != 1:
        raise BatchError(f"{source}: the query holds {len(statements)} statements; a database source "
                         "runs exactly one SELECT")
    root = statements[0]
    while isinstance(root, sx.Subquery):
        root = root.this
    if not isinstance(root, (sx.Select, sx.SetOperation)):
        raise BatchError(f"{source}: the query is a {root.key.upper()} statement, not a SELECT; a database "
                         "source only reads (the source system is never changed)")
    for node in statements[0].walk():
        if isinstance(node, _WRITES):
            what = "SELECT … INTO" if isinstance(node, sx.Into) else (
                "a locking clause (FOR UPDATE/SHARE)" if isinstance(node, sx.Lock) else node.key.upper())
            raise BatchError(f"{source}: the query contains {what}; a database source only reads "
                             "(the source system is never changed)")
        fname = (node.name if isinstance(node, sx.Anonymous) else node.sql_name()) if isinstance(node, sx.Func) else ""
        if fname.lower() in _WRITE_FUNCTIONS:
            raise BatchError(f"{source}: the query calls {fname}(), which changes the server; "
                             "a database source only reads")


class _Masker:
    """Replaces expanded values and credentials in any text shown to a user by '***'."""

    def __init__(self, values: list[str]):
        self.values = sorted({v for v in values if v and len(v) >= 3}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for v in self.values:
            text = text.replace(v, "***")
        return text


def _secret_url(name: str, source: str) -> str:
    for path in SECRETS_FILES:
        if not path.is_file():
            continue
        try:
            secrets = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise BatchError(f"{source}: {path} is not valid TOML ({e})") from None
        conn = secrets.get("connections", {}).get(name)
        if conn is None:
            continue
        if isinstance(conn, dict) and isinstance(conn.get("url"), str):
            return conn["url"]
        if isinstance(conn, dict) and "dialect" in conn:
            # Streamlit's SQLConnection fields: dialect, driver, username, password, host, port, database
            from sqlalchemy.engine import URL

            drivername = conn["dialect"] + (f"+{conn['driver']}" if conn.get("driver") else "")
            return URL.create(drivername, conn.get("username"), conn.get("password"), conn.get("host"),
                              conn.get("port"), conn.get("database")).render_as_string(hide_password=False)
        raise BatchError(f"{source}: [connections.{name}] in {path} has no url")
    raise BatchError(f"{source}: no [connections.{name}] with a url in .streamlit/secrets.toml "
                     f"(looked in {', '.join(str(p) for p in SECRETS_FILES)})")


def resolve_url(options: dict, source: str, policy: SourcePolicy | None = None) -> tuple[str, str, _Masker]:
    """(URL, URL as shown, masker): ${VAR}s taken from the environment — allow-listed names only — or
    the secret looked up. The shown URL is the mapping's own text (or `secret NAME`), password masked."""
    policy = policy or default_policy()
    if "url_secret" in options:
        url = _secret_url(options["url_secret"], source)
        return url, f"the URL of secret {options['url_secret']!r}", _Masker([url, *_url_parts(url)])
    expanded: list[str] = []

    def env(m: re.Match) -> str:
        policy.check_variable(m.group(1), source)
        value = os.environ.get(m.group(1))
        if value is None:
            raise BatchError(f"{source}: environment variable {m.group(1)} (used in its url) is not set")
        expanded.append(value)
        return value

    url = _ENV.sub(env, options["url"])
    return url, options["url"], _Masker([*expanded, *_url_parts(url)])


def _url_parts(url_text: str) -> list[str]:
    """The parts of a URL that are nobody's business in a message: the password and the database
    (for SQLite, the file's path)."""
    import sqlalchemy as sa

    try:
        url = sa.engine.make_url(url_text)
    except Exception:  # not a URL at all: the caller reports that; mask the whole text meanwhile
        return [url_text]
    parts = [url.password or "", url.database or ""]
    if url.password:
        parts.append(urllib.parse.quote(url.password, safe=""))
    return [str(p) for p in parts]


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) and v.tzinfo is None else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    return str(v)


def _columns(rows: list, width: int) -> list[list[str | None]]:
    cols = list(zip(*rows)) if rows else [()] * width
    return [[_cell_text(v) for v in col] for col in cols]


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    return " ".join(lines[:2])[:300] if lines else type(orig).__name__


def _connect_error(label: str, shown_url: str, exc: BaseException, mask: _Masker) -> BatchError:
    text = mask(_reason(exc))
    low = text.lower()
    if "password" in low or "authentication" in low or "access denied" in low:
        why = "wrong user name or password"
    elif "does not exist" in low and "database" in low:
        why = "no such database"
    elif "unable to open database file" in low:
        why = "database file cannot be opened"
    else:
        why = "database unreachable"
    return BatchError(f"{label}: cannot connect to {shown_url}: {why} ({text})")


def _table_parts(name: str) -> tuple[str | None, str]:
    schema, _, table = name.strip().rpartition(".")
    return (schema or None), table


def _sqlite_uri(path: str) -> str:
    """A SQLite file as a read-only URI (`file:…?mode=ro`): the file is never opened for writing.
    A relative path is relative to the working directory, as SQLAlchemy reads `sqlite:///name`."""
    return f"file:{urllib.parse.quote(str(Path(path).expanduser().resolve()))}?mode=ro"


def _engine(url, label: str, ctx: ReadContext, options: dict, mask: _Masker):
    """A SQLAlchemy engine whose connections cannot write where the driver can prevent it."""
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.pool import NullPool

    backend = url.get_backend_name()
    attach = options.get("attach") or {}
    if attach and backend != "sqlite":
        raise BatchError(f"{label}: attach is for SQLite databases only")
    files = {}
    for schema, path in attach.items():
        p = Path(path).expanduser()
        p = confine(p if p.is_absolute() else ctx.batch_dir / p, ctx.batch_dir, f"{label}: attach {schema}")
        if not p.is_file():
            raise BatchError(f"{label}: attach {schema} = {path!r}: no such file")
        files[schema] = p
    try:
        if backend == "sqlite":
            if not url.database or url.database == ":memory:":
                raise BatchError(f"{label}: a SQLite source needs a database file (sqlite:///path/to/file)")
            uri = _sqlite_uri(url.database)

            def creator():
                con = sqlite3.connect(uri, uri=True, check_same_thread=False)  # errors reach _connect_error
                con.execute("PRAGMA query_only = ON")
                for schema, p in files.items():
                    # ATTACH takes the file name as a bound value; the schema name is an identifier
                    quoted = '"' + schema.replace('"', '""') + '"'
                    con.execute(f"ATTACH DATABASE ? AS {quoted}",
                                (f"file:{urllib.parse.quote(str(p.resolve()))}?mode=ro",))
                # mode=ro and query_only stop writes to the files, but not an ATTACH (which creates a
                # file) or VACUUM INTO: the authorizer refuses every action a read does not need.
                con.set_authorizer(_sqlite_reads_only)
                return con
            engine = sa.create_engine("sqlite://", creator=creator, poolclass=NullPool)
        else:
            connect_args: dict[str, Any] = {}
            if backend == "postgresql":
                connect_args["connect_timeout"] = CONNECT_TIMEOUT
            engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except (sa_exc.NoSuchModuleError, ModuleNotFoundError) as e:
        raise BatchError(f"{label}: no database driver for {url.drivername} ({mask(_reason(e))})") from None
    return engine


_SQLITE_READ_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                                   sqlite3.SQLITE_RECURSIVE, sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT})


def _sqlite_reads_only(action: int, arg1, arg2, _db, _trigger) -> int:
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _WRITE_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    if action in _SQLITE_READ_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _SQLITE_READ_PRAGMAS:
        return sqlite3.SQLITE_OK  # what SQLAlchemy reads on connecting and reflecting: table_info …
    return sqlite3.SQLITE_DENY


# Pragmas that only report (the argument of table_info is a table name, not a value to set);
# read_uncommitted is what SQLAlchemy reads on connecting.
_SQLITE_READ_PRAGMAS = frozenset({"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
                                  "read_uncommitted", "foreign_key_list", "database_list", "table_list",
                                  "collation_list"})


def _begin_read_only(con, backend: str) -> None:
    """Start the transaction the read runs in as READ ONLY (it is rolled back afterwards)."""
    if backend == "postgresql":
        con.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif backend in ("mysql", "mariadb"):
        con.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")


def read_database(source: str, options: dict, ctx: ReadContext) -> list[SourceFrame]:
    """Read one table or query result of a database source into one SourceFrame, read-only."""
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc

    label = source
    if "query" not in options and "table" not in options:
        raise BatchError(f"{label}: a database source needs a table or a query")
    policy = getattr(ctx, "policy", None) or default_policy()
    url_text, shown_text, mask = resolve_url(options, label, policy)
    try:
        url = sa.engine.make_url(url_text)
    except sa_exc.ArgumentError:
        raise BatchError(f"{label}: {mask(shown_text)} is not a SQLAlchemy database URL "
                         "(e.g. postgresql+psycopg://user@host/db)") from None
    shown = mask(shown_text)
    backend = url.get_backend_name()
    if "query" in options:
        check_query(options["query"], backend, label)
    engine = _engine(url, label, ctx, options, mask)
    chunk = int(options.get("chunk_size") or CHUNK_SIZE)
    say = getattr(ctx, "progress", None) or (lambda message: None)
    try:
        try:
            con = engine.connect()
        except BatchError:
            raise
        except sa_exc.DBAPIError as e:
            raise _connect_error(label, shown, e, mask) from None
        except Exception as e:  # a driver failing before the DBAPI layer (DNS, bad port …)
            raise _connect_error(label, shown, e, mask) from None
        with con:
            trans = con.begin()
            try:
                _begin_read_only(con, backend)
                if "table" in options:
                    schema, name = _table_parts(options["table"])
                    try:
                        tbl = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=con)
                    except sa_exc.NoSuchTableError:
                        raise BatchError(f"{label}: no table {options['table']!r} in {shown}") from None
                    except sa_exc.DBAPIError as e:
                        raise BatchError(f"{label}: cannot read table {options['table']!r} "
                                         f"({mask(_reason(e))})") from None
                    stmt = sa.select(tbl)
                else:
                    stmt = sa.text(options["query"])
                try:
                    result = con.execution_options(stream_results=True, yield_per=chunk).execute(stmt)
                    names = unique_headers(list(result.keys()))
                    writer, n = FrameWriter(ctx.ws, label, names), 0
                    for rows in result.partitions():
                        writer.append(list(range(n + 2, n + 2 + len(rows))), _columns(rows, len(names)))
                        n += len(rows)
                        say(f"Reading {label}: {n:,} rows")
                    if not writer.created:
                        writer.append([], _columns([], len(names)))
                except sa_exc.DBAPIError as e:
                    what = "query failed" if "query" in options else f"reading table {options['table']!r} failed"
                    raise BatchError(f"{label}: {what} ({mask(_reason(e))})") from None
            finally:
                trans.rollback()  # nothing is ever committed to a source
    finally:
        engine.dispose()
    return [writer.frame()]
