"""The table schemas (pmo_metrics/schemas/models.py) are built from the contract (pmo_metrics/contract.py),
not declared a second time: every check names a contract column, every row rule a registered rule id,
and the SCHEMA rule checks each required column, single-column key, enumeration and month of every
table — so a column added to the contract is checked without another edit."""
from __future__ import annotations

import duckdb
import pytest

from pmo_metrics import contract as c
from pmo_metrics.schemas import RULES
from pmo_metrics.schemas.models import RANGES, ROW_RULES, schema_checks

NUMERIC = {c.MONEY, c.NUM, c.INT}


def test_ranges_name_numeric_contract_columns():
    for (table, column), limits in RANGES.items():
        assert table in c.TABLES, table
        col = {x.name: x for x in c.TABLES[table].columns}.get(column)
        assert col is not None, f"{table}.{column} is not a contract column"
        assert col.type in NUMERIC, f"{table}.{column}: a range needs a number"
        assert limits.low is not None or limits.high is not None


def test_row_rules_name_registered_rules_and_contract_columns():
    for table, rules in ROW_RULES.items():
        assert table in c.TABLES, table
        for rule in rules:
            assert rule.rule in RULES, rule.rule
            assert table in RULES[rule.rule].tables, f"{rule.rule} is not registered for {table}"
            assert rule.column in c.TABLES[table].column_names, f"{table}.{rule.column}"


@pytest.mark.parametrize("name", list(c.TABLES))
def test_schema_checks_cover_what_the_contract_declares(name):
    table = c.TABLES[name]
    checks = schema_checks(table)
    by_column: dict[str, list[str]] = {}
    for column, _, message in checks:
        assert column in table.column_names
        by_column.setdefault(column, []).append(message)
    for col in table.columns:
        said = by_column.get(col.name, [])
        if col.required:
            assert any("missing" in m for m in said), f"{name}.{col.name}: required but never checked"
        if table.key == (col.name,):
            assert any("must be unique" in m for m in said), f"{name}.{col.name}: key not checked"
        if col.enum:
            assert any(m == f"not one of {', '.join(col.enum)}" for m in said), f"{name}.{col.name}: enumeration"
        if col.type == c.MONTH:
            assert any("YYYY-MM" in m for m in said), f"{name}.{col.name}: month form"


@pytest.mark.parametrize("name", list(c.TABLES))
def test_schema_conditions_are_valid_sql_over_the_table(name):
    """Every condition parses and runs against an empty table of the contract's columns."""
    table = c.TABLES[name]
    con = duckdb.connect()
    columns = ", ".join(f'"{x.name}" {c.DUCKDB_TYPES[x.type]}' for x in table.columns)
    con.execute(f"CREATE TABLE t ({columns})")
    for _, condition, _ in schema_checks(table):
        con.execute(f"SELECT count(*) FROM (SELECT {condition} AS f FROM t)").fetchall()
    for rule in ROW_RULES.get(name, ()):
        con.execute(f"SELECT count(*) FROM t WHERE {rule.fails}").fetchall()
