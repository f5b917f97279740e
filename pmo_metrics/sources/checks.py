"""The checks a mapping declares per column (CONTRACT §2, MAP-CHECK): a range, a pattern, a list.

They run on the table as read — typed, translated, scaled and de-duplicated — as one statement per
check over the workspace table, so a check of a million rows is one scan, not a row at a time. A
failing cell is a finding naming the file, row, column and value, with the severity the mapping gave.
"""
from __future__ import annotations

from ..contract import TABLES
from . import cells
from .mapping import Check, TableSpec
from .transform import Findings, Query, quoted

RULE = "MAP-CHECK"


def _shown(v) -> str:
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


def declared_checks(ws, sink: Findings, spec: TableSpec, relation: str) -> None:
    """Every check `spec` declares, on the rows of `relation` (a table of the batch)."""
    table = TABLES[spec.name]
    for chk in spec.checks:
        col = quoted(chk.column)
        type_ = table.column(chk.column).type
        value = cells.text(col, type_)
        for fails, message in _conditions(chk, col, type_):
            q = Query(ws)
            condition = fails(q)
            sink.cells(RULE, chk.severity, spec.name, chk.column, message, q,
                       f"(SELECT _file, _row, {value} AS value FROM {relation} WHERE {col} IS NOT NULL "
                       f"AND {condition} ORDER BY _file, _row)")


def _conditions(chk: Check, col: str, type_: str):
    """(SQL condition a failing value meets, given a Query to bind with; the message), per check."""
    if chk.minimum is not None:
        yield (lambda q: f"{col} < {q.bind(chk.minimum)}",
               f"below the mapping's check: at least {_shown(chk.minimum)}")
    if chk.maximum is not None:
        yield (lambda q: f"{col} > {q.bind(chk.maximum)}",
               f"above the mapping's check: at most {_shown(chk.maximum)}")
    if chk.pattern is not None:
        yield (lambda q: f"NOT regexp_full_match(CAST({col} AS VARCHAR), {q.bind(chk.pattern)})",
               f"does not match the mapping's pattern {chk.pattern!r}")
    if chk.values:
        yield (lambda q: f"NOT list_contains({q.bind([v.strip().lower() for v in chk.values])}, "
                         f"lower(trim(CAST({col} AS VARCHAR))))",
               f"not one of the mapping's values: {', '.join(chk.values)}")
