"""The `database` reader kind: a contract table straight from a SQL database through SQLAlchemy.

A mapping declares the connection once (`[sources.pmis] kind = "database"`, `url = "${PMIS_DB_URL}"`
or `url_secret = "pmis"`) and each table says what to read from it (`table = "schema.name"` or
`query = "SELECT …"`); see docs/database_sources.md. Credentials never live in the mapping: the URL
comes from the environment or from `.streamlit/secrets.toml`, and is resolved only when data is read.

Rows are streamed in chunks into all-string polars frames, so the rest of the pipeline (renames,
translations, validation, the all-or-nothing load) treats a query result like any other extract.
Row numbers follow the spreadsheet convention: the result's first row is row 2 (the header is 1).
"""
from __future__ import annotations

import datetime as dt
import decimal
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import polars as pl

from ..findings import BatchError
from .readers import ROW, ReadContext, SourceFrame, unique_headers

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


def resolve_url(options: dict, source: str) -> str:
    """The connection URL, with ${VAR}s taken from the environment or the secret looked up."""
    if "url_secret" in options:
        return _secret_url(options["url_secret"], source)

    def env(m: re.Match) -> str:
        value = os.environ.get(m.group(1))
        if value is None:
            raise BatchError(f"{source}: environment variable {m.group(1)} (used in its url) is not set")
        return value

    return _ENV.sub(env, options["url"])


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


def _chunk_frame(names: list[str], rows: list, first_row: int) -> pl.DataFrame:
    cols = list(zip(*rows)) if rows else [()] * len(names)
    df = pl.DataFrame({n: pl.Series(n, [_cell_text(v) for v in col], dtype=pl.String)
                       for n, col in zip(names, cols)})
    return df.with_columns(pl.int_range(first_row, first_row + len(rows), dtype=pl.Int64).alias(ROW))


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    return " ".join(lines[:2])[:300] if lines else type(orig).__name__


def _connect_error(label: str, shown_url: str, exc: BaseException) -> BatchError:
    text = _reason(exc)
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


def read_database(source: str, options: dict, ctx: ReadContext) -> list[SourceFrame]:
    """Read one table or query result of a database source into one SourceFrame."""
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.pool import NullPool

    label = source
    if "query" not in options and "table" not in options:
        raise BatchError(f"{label}: a database source needs a table or a query")
    url_text = resolve_url(options, label)
    try:
        url = sa.engine.make_url(url_text)
    except sa_exc.ArgumentError:
        raise BatchError(f"{label}: not a SQLAlchemy database URL "
                         "(e.g. postgresql+psycopg://user@host/db)") from None
    shown = url.render_as_string(hide_password=True)
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    try:
        engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    except (sa_exc.NoSuchModuleError, ModuleNotFoundError) as e:
        raise BatchError(f"{label}: no database driver for {url.drivername} ({_reason(e)})") from None
    attach = options.get("attach") or {}
    if attach:
        if url.get_backend_name() != "sqlite":
            raise BatchError(f"{label}: attach is for SQLite databases only")

        @sa.event.listens_for(engine, "connect")
        def _attach(dbapi_con, _record):
            for schema, path in attach.items():
                p = Path(path).expanduser()
                p = p if p.is_absolute() else ctx.batch_dir / p
                if not p.is_file():
                    raise BatchError(f"{label}: attach {schema} = {path!r}: no such file")
                # ATTACH takes the file name as a bound value; the schema name is an identifier
                dbapi_con.execute(f"ATTACH DATABASE ? AS {engine.dialect.identifier_preparer.quote(schema)}",
                                  (str(p),))

    chunk = int(options.get("chunk_size") or CHUNK_SIZE)
    say = getattr(ctx, "progress", None) or (lambda message: None)
    try:
        try:
            con = engine.connect()
        except BatchError:
            raise
        except sa_exc.DBAPIError as e:
            raise _connect_error(label, shown, e) from None
        except Exception as e:  # a driver failing before the DBAPI layer (DNS, bad port …)
            raise _connect_error(label, shown, e) from None
        with con:
            if "table" in options:
                schema, name = _table_parts(options["table"])
                try:
                    tbl = sa.Table(name, sa.MetaData(), schema=schema, autoload_with=con)
                except sa_exc.NoSuchTableError:
                    raise BatchError(f"{label}: no table {options['table']!r} in {shown}") from None
                except sa_exc.DBAPIError as e:
                    raise BatchError(f"{label}: cannot read table {options['table']!r} ({_reason(e)})") from None
                stmt = sa.select(tbl)
            else:
                stmt = sa.text(options["query"])
            try:
                result = con.execution_options(stream_results=True, yield_per=chunk).execute(stmt)
                names = unique_headers(list(result.keys()))
                frames, n = [], 0
                for rows in result.partitions():
                    frames.append(_chunk_frame(names, rows, n + 2))
                    n += len(rows)
                    say(f"Reading {label}: {n:,} rows")
            except sa_exc.DBAPIError as e:
                what = "query failed" if "query" in options else f"reading table {options['table']!r} failed"
                raise BatchError(f"{label}: {what} ({_reason(e)})") from None
    finally:
        engine.dispose()
    if not frames:
        frames = [_chunk_frame(names, [], 2)]
    strings = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
    return [SourceFrame(label, strings)]
