"""Mart tables, built once per load from the 12 contract tables, so KPI queries never scan facts.

The loader writes the contract tables and calls `build_marts(con)` in the same transaction; the
published database is then opened read-only and every KPI is a pure query over `marts.*` (plus the
small contract tables). Each mart is one `.sql` file under `sql/marts/`, written as import CTEs →
logic CTEs → a final select.

SQL files may include another file with `{{ ref('kpis/months') }}` (as dbt's ref): the text of
that file is pasted in place. Only file names written in this package are ever pasted; values are
always bound parameters, the contract's thresholds too (`contract.SQL_CONSTANTS`).
"""
from __future__ import annotations

import hashlib
import re
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


def build_marts(con, load_date: date | None = None) -> None:
    """Create or replace every mart from the contract tables in `con`'s current database.

    Runs inside the caller's transaction when there is one (the loader publishes the contract tables
    and their marts together). Any contract table may be empty. `load_date` is the day the data
    stands for: nothing dated after it (a report typed 2062 for 2026) sets the default as-of month;
    None counts every date.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    values = {**SQL_CONSTANTS, "load_date": load_date}
    for name in MARTS:
        # `name` comes from the MARTS allow-list above, never from input.
        sql = load_sql(f"marts/{name}")
        con.execute(f'CREATE OR REPLACE TABLE marts."{name}" AS\n{sql}',
                    {k: values[k] for k in sql_params(sql)})
    con.execute("CREATE OR REPLACE TABLE marts.build_info AS SELECT ?::VARCHAR AS marts_version, "
                "current_timestamp AS built_at", [marts_version()])


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
