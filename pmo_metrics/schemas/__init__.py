"""Validation of contract tables, inside DuckDB: the schemas per table, then the cross-table rules.

`check_tables` writes every failure at once (lazy validation) into a findings table, each naming
the file, the spreadsheet row, the column, the value and the rule.
"""
from __future__ import annotations

from datetime import date

from .. import contract as c
from ..findings import ERROR
from ..sources.cells import text
from .models import RANGES, ROW_RULES, schema_checks
from .rules import DATABASE, RULES, State, cross_table_findings

__all__ = ["RANGES", "ROW_RULES", "RULES", "DATABASE", "check_tables", "rejected_rows"]


def _table_findings(state: State, name: str, relation: str) -> None:
    table = c.TABLES[name]
    project = "project_id" if "project_id" in table.column_names else None
    rows = f"(SELECT *, rowid AS _rid FROM {relation})"
    for column, fails, message in schema_checks(table):
        value = text(f'"{column}"', table.column(column).type)
        state.emit("SCHEMA", name, column, f"(SELECT * FROM (SELECT *, {fails} AS _fails FROM {rows}) WHERE _fails)",
                   text=message, value=value, located=True, project=project)
    for rule in ROW_RULES.get(name, ()):
        value = text(f'"{rule.column}"', table.column(rule.column).type)
        state.emit(rule.rule, name, rule.column, f"(SELECT * FROM {rows} WHERE {rule.fails})",
                   text=RULES[rule.rule].description, value=value, located=True, project=project)
    if len(table.key) > 1:
        key = ", ".join(f'"{k}"' for k in table.key)
        complete = " AND ".join(f'"{k}" IS NOT NULL' for k in table.key)
        shown = " || ' + ' || ".join(text(f'"{k}"', table.column(k).type) for k in table.key)
        state.emit("SCHEMA", name, ", ".join(table.key),
                   f"(SELECT * FROM (SELECT *, count(*) OVER (PARTITION BY {key}) AS _n FROM {rows} WHERE {complete}) "
                   f"WHERE _n > 1)", text=f"duplicate key ({' + '.join(table.key)}): the key must be unique",
                   value=shown, located=True, project=project)


def check_tables(con, batch: dict[str, str], loaded: dict[str, str], into: str, load_date: date | None = None) -> None:
    """Check the batch's contract tables against every rule of CONTRACT §2.

    `batch` names, per table, the relation holding the batch's rows (with `_file` and `_row`);
    `loaded`, the tables already in the database, for cross-table rules about tables the batch does
    not carry. Every finding is written into `into`."""
    state = State(con, batch, loaded, into, load_date or date.today())
    for name in c.LOAD_ORDER:
        if name in batch:
            _table_findings(state, name, batch[name])
    cross_table_findings(state)


def rejected_rows(con, findings: str, into: str) -> None:
    """Per table, the (file, row) of every row an error rejects, with its rule ids and reasons,
    written into `into` ("table", file, "row", rule_ids, reasons)."""
    reason = ("coalesce(\"column\", '') || ': ' || message || CASE WHEN value IS NULL THEN '' "
              "ELSE ' (' || value || ')' END")
    con.execute(f"CREATE TEMP TABLE {into} AS SELECT \"table\", file, \"row\", "
                f"string_agg(DISTINCT rule_id, ', ' ORDER BY rule_id) AS rule_ids, "
                f"string_agg({reason}, '; ' ORDER BY rowid) AS reasons, min(rowid) AS _first "
                f"FROM {findings} WHERE severity = '{ERROR}' AND \"row\" IS NOT NULL AND \"table\" IS NOT NULL "
                f"GROUP BY ALL ORDER BY _first")
