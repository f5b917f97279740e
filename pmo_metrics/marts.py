"""Mart tables, built once per load from the 12 contract tables, so KPI queries never scan facts.

The loader writes the contract tables into the new database file and calls `build_marts` before
it publishes that file; the published database is then opened read-only and every KPI is a pure
query over `marts.*` (plus the small contract tables). Each mart is one `.sql` file under
`sql/marts/`, written as import CTEs → logic CTEs → a final select.

SQL files may include another file with `{{ ref('kpis/months') }}` (as dbt's ref): the text of
that file is pasted in place. Only file names written in this package are ever pasted; values are
always bound parameters, the contract's thresholds too (`contract.SQL_CONSTANTS`).
"""
from __future__ import annotations

import hashlib
import re
import threading
from datetime import date
from functools import lru_cache
from pathlib import Path

from .contract import SQL_CONSTANTS

SQL_DIR = Path(__file__).parent / "sql"



@lru_cache(maxsize=None)
def marts_version() -> str:
    """A fingerprint of every SQL model: a database whose marts were built by other SQL is refused
    rather than shown with numbers computed under other rules (or failing on a changed column). The
    thresholds the marts are built with count as part of their SQL."""
    h = hashlib.sha256()
    for path in sorted(SQL_DIR.rglob("*.sql")):
        h.update(path.relative_to(SQL_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(repr(sorted(SQL_CONSTANTS.items())).encode())
    return h.hexdigest()[:16]

# Build order: a mart comes after the marts it reads.
MARTS: tuple[str, ...] = (
    "projects",
    "status_reports",
    "project_costs",
    "project_month_facts",
    "planned_value_curves",
    "project_earned_schedule",
    "reference_classes",
    "milestone_months",
    "resource_months",
    "benefit_measurements",
    "benefit_month_facts",
    "maturity_domains",
    "calendar",
)

_REF = re.compile(r"\{\{\s*ref\(\s*'([a-z_/]+)'\s*\)\s*\}\}")
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


class MartsMissing(RuntimeError):
    """The database has no (current) marts: it was not loaded through the loader."""


@lru_cache(maxsize=None)
def load_sql(name: str) -> str:
    """The text of sql/<name>.sql with its refs resolved (names are package files only)."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file() or SQL_DIR not in path.resolve().parents:
        raise KeyError(f"no SQL model {name!r}")
    text = path.read_text(encoding="utf-8").strip().rstrip(";")
    return _REF.sub(lambda m: "\n" + load_sql(m.group(1)) + "\n", text)


def sql_params(sql: str) -> set[str]:
    """The $names a query binds (DuckDB refuses parameters a query does not use)."""
    return set(_PARAM.findall(_strip_comments(sql)))


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


@lru_cache(maxsize=None)
def mart_inputs(name: str) -> frozenset[str]:
    """The marts that mart `name` reads, from its SQL: every `marts.<name>` it names. A mart reads
    another only so (a contract table and a mart may share a name), so a name seen only in a
    comment at worst makes it wait longer than it need."""
    return frozenset(m for m in _MART_REF.findall(load_sql(f"marts/{name}")) if m in MARTS and m != name)


WORKERS = 2  # marts built side by side by the loader and the rebuild (see build_marts)
_MART_REF = re.compile(r"\bmarts\.\"?([a-z_]+)")


def build_marts(con, load_date: date | None = None, workers: int = 1) -> None:
    """Create or replace every mart from the contract tables in `con`'s current database.

    Any contract table may be empty. `load_date` is the day the data stands for: nothing dated
    after it (a report typed 2062 for 2026) sets the default as-of month; None counts every date.

    With `workers` = 1 the marts are built one after another on `con`, inside the caller's
    transaction when there is one. With more, they are built that many at a time, each on a cursor
    of its own as soon as the marts it reads are there (`mart_inputs`): `con` must then be in auto-
    commit, with the contract tables committed, since a cursor sees only what is committed. Most
    marts are small queries that keep one core busy; two at a time, the enterprise demo's marts
    took 1.35-1.6 s into a database file against 2.0-2.25 s one after another. The first failure
    stops the others (their statements are interrupted) and is raised.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    values = {**SQL_CONSTANTS, "load_date": load_date}
    if workers <= 1:
        for name in MARTS:
            _build_mart(con, name, values)
    else:
        _build_side_by_side(con, values, workers)
    con.execute("CREATE OR REPLACE TABLE marts.build_info AS SELECT ?::VARCHAR AS marts_version, "
                "current_timestamp AS built_at", [marts_version()])


def _build_mart(con, name: str, values: dict) -> None:
    # `name` comes from the MARTS allow-list, never from input.
    sql = load_sql(f"marts/{name}")
    con.execute(f'CREATE OR REPLACE TABLE marts."{name}" AS\n{sql}', {k: values[k] for k in sql_params(sql)})


def _build_side_by_side(con, values: dict, workers: int) -> None:
    """The marts, `workers` at a time: each worker takes the first mart in MARTS order whose inputs
    are built, on its own cursor."""
    from .sources.workspace import run_on_cursors  # the loader's package: the KPI pages import marts without it

    cursors = [con.cursor() for _ in range(workers)]  # made here: the connection is this thread's
    built: set[str] = set()
    taken: set[str] = set()
    turn = threading.Condition()
    stop = threading.Event()

    def next_mart() -> str | None:
        with turn:
            while not stop.is_set():
                ready = [m for m in MARTS if m not in taken and mart_inputs(m) <= built]
                if ready:
                    taken.add(ready[0])
                    return ready[0]
                if len(taken) == len(MARTS):
                    return None
                turn.wait()
            return None

    def work(cur) -> None:
        while (name := next_mart()) is not None:
            _build_mart(cur, name, values)
            with turn:
                built.add(name)
                turn.notify_all()

    def halt() -> None:  # on the first failure: a worker waiting for a mart's inputs gives up
        with turn:
            stop.set()
            turn.notify_all()

    run_on_cursors(cursors, work, "pmo-marts", halt)


def check_marts(con) -> None:
    """Raise MartsMissing unless the marts exist and were built by this version."""
    try:
        row = con.execute("SELECT max(marts_version) FROM marts.build_info").fetchone()
    except Exception as exc:  # duckdb.CatalogException: the schema or table does not exist
        raise MartsMissing("the database has no KPI marts; load it with `python -m pmo_metrics load` "
                           "(or call pmo_metrics.marts.build_marts after writing the tables)") from exc
    if row is None or str(row[0]) != marts_version():
        raise MartsMissing("the database's KPI marts were built by another version of the product; "
                           "rebuild them with `python -m pmo_metrics rebuild`")
