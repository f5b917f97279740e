"""One schema per contract table: the SCHEMA rule's checks and the row rules, declared as SQL.

Each table's schema is its contract columns (contract.py: types, required columns, keys,
enumerations) plus what this module adds: the ranges a SCHEMA check enforces, and the data
accuracy rules (CONTRACT §2) that one row can break, each a SQL condition that is true where the
row fails (and null, so passing, where a value it needs is missing — a missing value is the SCHEMA
rule's business).

Why not pandera: these schemas used to be pandera models validated with its polars backend, which
needs every table as a frame in Python memory (the enterprise batch's 5 M timesheet rows: ~2 GB
with the copies made on the way) and costs 1.2 s to import; its Ibis backend validates a DuckDB
table in place but took 1.6 s to import with Ibis, 0.85 s for one check of the 5 M-row table, and
hands back failure cases as pandas objects. The same checks as SQL run inside DuckDB on the tables
as loaded, in bounded memory, in about 0.1 s per check, and every failing row keeps its file, row,
column and value.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import contract as c

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
# SCHEMA: no amount or number of an extract is this large. Three budgets of 1.7e308 are each a
# valid double, yet their sum is infinite and every ratio over them meaningless; 1e15 (a million
# billion) leaves room for any real budget in any currency and for sums of millions of rows.
MAGNITUDE_LIMIT = 1e15


@dataclass(frozen=True)
class Range:
    low: float | None
    high: float | None
    words: str   # how a message says it: "between 0 and 100"


@dataclass(frozen=True)
class RowRule:
    """A rule one row can break: `fails` is a SQL condition over the table's columns."""

    rule: str
    column: str   # the column a user should look at (its value is shown)
    fails: str


# SCHEMA: values within a range (besides the contract's types, required columns, keys, enumerations).
RANGES: dict[tuple[str, str], Range] = {
    ("projects", "priority_score"): Range(0, 100, "between 0 and 100"),
    ("risks", "probability"): Range(1, 5, "a whole number from 1 to 5"),
    ("risks", "impact"): Range(1, 5, "a whole number from 1 to 5"),
    ("strategic_objectives", "weight"): Range(0, None, "0 or more"),
}

ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    "projects": (
        RowRule("PRJ-BUDGET", "budget_at_completion", "budget_at_completion < 0"),
        RowRule("PRJ-DATES", "baseline_finish_date", "baseline_finish_date < start_date"),
        RowRule("PRJ-DATES", "forecast_finish_date", "forecast_finish_date < start_date"),
        RowRule("PRJ-DATES", "actual_finish_date", "actual_finish_date < start_date"),
        RowRule("PRJ-CLOSED", "actual_finish_date", "stage = 'closed' AND actual_finish_date IS NULL"),
    ),
    "status_reports": (
        RowRule("STS-PCT", "percent_complete", "NOT (percent_complete BETWEEN 0 AND 100)"),
    ),
    "financials": (
        RowRule("FIN-PLANNED", "planned_cost", "planned_cost < 0"),
    ),
    "resources": (
        RowRule("RES-CAPACITY", "weekly_capacity_hours", "NOT (weekly_capacity_hours > 0 AND weekly_capacity_hours <= 80)"),
        RowRule("RES-CAPACITY", "hourly_cost", "hourly_cost < 0"),
    ),
    "allocations": (
        RowRule("ALC-HOURS", "planned_hours", "planned_hours < 0"),
    ),
    "timesheets": (
        RowRule("TS-HOURS", "hours", "NOT (hours > 0 AND hours <= 24)"),
    ),
    "benefits": (
        RowRule("BEN-TARGET", "target_value", "target_value = baseline_value"),
        RowRule("BEN-TARGET", "planned_end", "planned_end < planned_start"),
    ),
    "maturity_assessments": (
        RowRule("MAT-SCORE", "score", "NOT (score BETWEEN 1 AND 5)"),
        RowRule("MAT-SCORE", "target_score", "NOT (target_score BETWEEN 1 AND 5)"),
    ),
    # -- governance and the PMO's own value --
    "change_requests": (
        RowRule("CR-DATES", "decided_date", "decided_date < raised_date"),
        # Both present or both absent: a missing one is the finding, so it is no SCHEMA business.
        RowRule("CR-DECISION", "decision", "decision IS NULL AND decided_date IS NOT NULL"),
        RowRule("CR-DECISION", "decided_date", "decided_date IS NULL AND decision IS NOT NULL"),
    ),
    "pmo_costs": (
        RowRule("PMO-COST", "planned_cost", "planned_cost < 0"),
    ),
    "project_scores": (
        RowRule("SCORE-RANGE", "score", "NOT (score BETWEEN 0 AND 100)"),
    ),
}


# DATE-PLAUSIBLE: a date no PMO record can hold (0001-01-01 for "unknown", 9999-12-31 for "open")
# loads as a real date and moves every average over dates; such a value is an error in every date
# and month column.
PLAUSIBLE_DATES = ("1900-01-01", "2200-12-31")


def _plausible_dates(table: c.Table) -> tuple[RowRule, ...]:
    first, last = PLAUSIBLE_DATES
    rules = []
    for col in table.columns:
        name = f'"{col.name}"'
        if col.type == c.DATE:
            rules.append(RowRule("DATE-PLAUSIBLE", col.name,
                                 f"{name} < DATE '{first}' OR {name} > DATE '{last}'"))
        elif col.type == c.MONTH:  # only a well-formed month: a malformed one is SCHEMA's
            rules.append(RowRule("DATE-PLAUSIBLE", col.name,
                                 f"regexp_matches({name}, '{MONTH_PATTERN}') AND "
                                 f"({name} < '{first[:7]}' OR {name} > '{last[:7]}')"))
    return tuple(rules)


for _table in c.TABLES.values():
    if _plausible_dates(_table):
        ROW_RULES[_table.name] = ROW_RULES.get(_table.name, ()) + _plausible_dates(_table)


def schema_checks(table: c.Table) -> list[tuple[str, str, str]]:
    """The SCHEMA rule for one table, as (column, SQL condition true where a row fails, message),
    in the order a report lists them: per column, missing value, duplicate key, enumeration,
    month form, magnitude, range."""
    out = []
    for col in table.columns:
        name = f'"{col.name}"'
        if col.required:
            missing = "key value is missing" if col.name in table.key else "required value is missing"
            out.append((col.name, f"{name} IS NULL", missing))
        if table.key == (col.name,):
            # An empty key is reported once, as missing: empty keys are not duplicates of each other.
            out.append((col.name, f"{name} IS NOT NULL AND count(*) OVER (PARTITION BY {name}) > 1",
                        f"duplicate {col.name}: the key must be unique"))
        if col.enum is not None:
            allowed = ", ".join(f"'{v}'" for v in col.enum)  # the contract's own words
            out.append((col.name, f"{name} NOT IN ({allowed})", f"not one of {', '.join(col.enum)}"))
        if col.type == c.MONTH:
            out.append((col.name, f"NOT regexp_matches({name}, '{MONTH_PATTERN}')", "not a month in the form YYYY-MM"))
        if col.type in (c.MONEY, c.NUM):
            out.append((col.name, f"abs({name}) >= {MAGNITUDE_LIMIT:.0e}",
                        f"beyond ±{MAGNITUDE_LIMIT:.0e}: no real amount (a unit or a typo?)"))
        limits = RANGES.get((table.name, col.name))
        if limits is not None:
            cond = " OR ".join(part for part in (
                f"{name} < {limits.low}" if limits.low is not None else "",
                f"{name} > {limits.high}" if limits.high is not None else "") if part)
            out.append((col.name, cond, f"must be {limits.words}"))
    return out
