"""Running the package's SQL files: the one way the reading side asks the warehouse anything.

A query is a file under `sql/` (`kpis/…` for the KPI engine, `views/<domain>/…` for the page
tables, `review/…` for the monthly review), written as import CTEs, logic CTEs and a final select,
and may include another with `{{ ref('kpis/selected_projects') }}` (see `marts.load_sql`). Its
values are bound parameters named `$like_this`: `bind` passes exactly the names the statement uses
(DuckDB refuses others), taken from the caller's values and the contract's constants
(`contract.SQL_CONSTANTS`: stale days, the high-risk score, …), so no threshold is ever spelled in
SQL. A name that nobody supplies is an error, never a silent NULL.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .contract import SQL_CONSTANTS
from .marts import load_sql, sql_params


def bind(sql: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The parameters `sql` uses, from `params` and the contract's constants (KeyError if one is missing)."""
    values = {**SQL_CONSTANTS, **(params or {})}
    names = sql_params(sql)
    missing = names - values.keys()
    if missing:
        raise KeyError(f"unbound SQL parameters: {', '.join(sorted(missing))}")
    return {k: values[k] for k in names}


def run(con, name: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The result of sql/<name>.sql as a DataFrame (an infinite value, from a sum that overflowed
    or a ratio over one, comes back empty: no page, download or report ever shows infinity)."""
    sql = load_sql(name)
    frame = con.execute(sql, bind(sql, params)).df()
    floats = frame.select_dtypes("float").columns
    if len(floats):
        frame[floats] = frame[floats].where(np.isfinite(frame[floats]))
    return frame


def records(con, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The result of sql/<name>.sql as plain dicts: cheaper than a DataFrame for a few rows (the KPI
    cards), where building the frame costs more than the query."""
    sql = load_sql(name)
    cur = con.execute(sql, bind(sql, params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, map(_finite, row))) for row in cur.fetchall()]


def _finite(value):
    return None if isinstance(value, float) and not math.isfinite(value) else value
