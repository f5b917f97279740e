"""The tables the dashboard pages show beside the KPI cards, one module per domain:

* `projects` — one project's detail, the portfolio drill-down, value vs risk, projects needing attention
* `changes`  — what moved since last month (RAG moves, missed milestones, new high risks, …)
* `finance`  — cost by month and by group, the largest variances
* `resources` — capacity, allocation and hours by month and by group, over-allocated people
* `benefits` — benefits over time, by group, the register
* `maturity` — domain scores, the business unit × domain grid, changes and gaps
* `quality`  — rule pass rates, findings, stale reports, quarantine, the loads behind the data
* `governance` — stage gates (due, on time, late, overdue, run past without approval) and change control
* `pmo_value` — what the PMO cost beside what the portfolio delivered, year on year, and its summary

Every function takes an open connection (a `Warehouse.cursor()`), the user's `Filters` where they
apply, and returns a pandas DataFrame (or a dict for a single record). Each query is a file under
`sql/views/<domain>/`, built on the KPI SQL (`sql/kpis/selected_projects.sql`, the KPI queries
themselves): a ratio a table shows is the KPI query's own ratio of sums for that group, and a table
adds up to the card above it (tests/views/test_reconcile.py proves it for every month of the demo).
A breakdown a user picks is checked against an allow-list and bound as a value, never pasted.
"""
from __future__ import annotations

import pandas as pd

from ..formatting import NO_GROUP
from ..queries import records


class UnknownDimension(ValueError):
    """A breakdown that is not in the allow-list."""


def check(value: str, allowed: tuple[str, ...], what: str) -> str:
    """`value` if it is one of `allowed`; UnknownDimension otherwise."""
    if value not in allowed:
        raise UnknownDimension(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def named(keys: pd.Series) -> pd.Series:
    """Group keys as a table shows them: an empty key (a project without program) reads NO_GROUP."""
    return keys.astype(object).where(keys.notna(), NO_GROUP)


def has_table(con, schema: str, table: str) -> bool:
    """Whether the warehouse holds `schema.table`: the meta tables (snapshots, the load log) are
    missing from a database built by hand or written before the loader kept them."""
    return bool(records(con, "views/selection/has_table", {"schema_name": schema, "table_name": table})[0]["present"])
