"""Validation of contract tables: pandera models per table, then the cross-table rules.

`validate_tables` returns every failure at once (lazy validation), each as a `Finding` naming the
file, the spreadsheet row, the column, the value and the rule.
"""
from __future__ import annotations

import re

from datetime import date
from typing import Callable

import polars as pl
import pandera.polars as pa

from .. import contract as c
from ..findings import ERROR, findings_frame
from .models import MODELS
from .rules import RULES, State, cross_table_findings

__all__ = ["MODELS", "RULES", "validate_tables", "rejected_rows", "drop_rejected"]

_RANGES = {
    ("projects", "priority_score"): "between 0 and 100",
    ("risks", "probability"): "a whole number from 1 to 5",
    ("risks", "impact"): "a whole number from 1 to 5",
    ("strategic_objectives", "weight"): "0 or more",
}


_NAMED_CHECK = re.compile(r"^([A-Z]+(?:-[A-Z]+)*)\|(\w+)$")


def _schema_message(table: str, column: str | None, check: str) -> str:
    spec = c.TABLES[table]
    if check == "not_nullable":
        return ("key value is missing" if column in spec.key else "required value is missing")
    if check == "field_uniqueness":
        return f"duplicate {column}: the key must be unique"
    if check.startswith("isin"):
        return f"not one of {', '.join(spec.column(column).enum or ())}"
    if check.startswith("str_matches"):
        return "not a month in the form YYYY-MM"
    if check.startswith(("in_range", "greater_than", "less_than")):
        return f"must be {_RANGES.get((table, column), check)}"
    if check.startswith("dtype"):
        return f"does not parse as {spec.column(column).type}" if column in spec.column_names else check
    if check == "column_in_dataframe":
        return "required column is missing"
    return check


def _model_findings(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    try:
        MODELS[table].validate(frame, lazy=True)
        return findings_frame()
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    # Few distinct (column, check) pairs, possibly millions of failing rows: resolve the
    # message per pair, and the row, file and value per row with one join.
    parts = []
    positions = frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("index"),
        *[pl.col(k) for k in ("_file", "_row", "project_id") if k in frame.columns])
    cases = cases.with_columns(pl.col("index").cast(pl.Int64))
    for (column, check), group in cases.group_by(["column", "check"], maintain_order=True):
        check = str(check)
        named = _NAMED_CHECK.match(check)
        if named:
            rule, column = named.groups()
            message = RULES[rule].description
        else:
            rule, message = "SCHEMA", _schema_message(table, column, check)
        located = group.select("index", "failure_case").join(positions, on="index", how="left")
        if column in frame.columns:
            values = frame.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("index"),
                                  pl.col(column).cast(pl.String).alias("_value"))
            located = located.join(values, on="index", how="left")
        else:
            located = located.with_columns(pl.col("failure_case").alias("_value"))
        parts.append(located.select(
            pl.lit(rule).alias("rule_id"), pl.lit(RULES[rule].severity).alias("severity"), pl.lit(table).alias("table"),
            pl.lit(message).alias("message"),
            (pl.col("_file") if "_file" in located.columns else pl.lit(None)).cast(pl.String).alias("file"),
            (pl.col("_row") if "_row" in located.columns else pl.lit(None)).cast(pl.Int64).alias("row"),
            pl.lit(column, dtype=pl.String).alias("column"), pl.col("_value").cast(pl.String).alias("value"),
            (pl.col("project_id") if "project_id" in located.columns else pl.lit(None)).cast(pl.String).alias("project_id"),
        ))
    return pl.concat(parts) if parts else findings_frame()


def _key_findings(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    key = list(c.TABLES[table].key)
    if len(key) < 2:
        return findings_frame()  # single-column keys are the models' `unique=True`
    complete = pl.all_horizontal([pl.col(k).is_not_null() for k in key])
    dup = frame.filter(complete & pl.struct(key).is_duplicated())
    return findings_frame(dup.select(
        pl.lit("SCHEMA").alias("rule_id"), pl.lit(ERROR).alias("severity"), pl.lit(table).alias("table"),
        pl.lit(f"duplicate key ({' + '.join(key)}): the key must be unique").alias("message"),
        pl.col("_file").alias("file"), pl.col("_row").alias("row"), pl.lit(", ".join(key)).alias("column"),
        pl.concat_str([pl.col(k).cast(pl.String) for k in key], separator=" + ").alias("value"),
        (pl.col("project_id") if "project_id" in frame.columns else pl.lit(None)).alias("project_id"),
    ))


def validate_tables(tables: dict[str, pl.DataFrame], loaded: Callable[[str], pl.DataFrame | None] | None = None,
                    load_date: date | None = None) -> pl.DataFrame:
    """Check typed contract tables (with `_file` and `_row`) against every rule of CONTRACT §2.

    `loaded(table)` returns a table already in the database, for cross-table rules about tables
    the batch does not carry. Returns every finding, as a frame with FINDING_SCHEMA.
    """
    load_date = load_date or date.today()
    parts = []
    for name in c.LOAD_ORDER:
        if name in tables:
            parts += [_model_findings(name, tables[name]), _key_findings(name, tables[name])]
    parts += cross_table_findings(State(tables, loaded), load_date)
    return pl.concat([findings_frame(p) for p in parts], how="vertical") if parts else findings_frame()


def rejected_rows(findings: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Per table, the (file, row) of every row an error rejects, with its rule ids and reasons."""
    errors = findings.filter((pl.col("severity") == ERROR) & pl.col("row").is_not_null() & pl.col("table").is_not_null())
    reason = pl.concat_str([pl.col("column").fill_null(""), pl.lit(": "), pl.col("message"),
                            pl.when(pl.col("value").is_null()).then(pl.lit("")).otherwise(pl.format(" ({})", pl.col("value")))])
    grouped = errors.group_by(["table", "file", "row"], maintain_order=True).agg(
        pl.col("rule_id").unique().sort().str.join(", ").alias("rule_ids"),
        reason.str.join("; ").alias("reasons"))
    return {t: g.drop("table").rename({"file": "_file", "row": "_row"})
            for (t,), g in grouped.group_by(["table"], maintain_order=True)}


def drop_rejected(frame: pl.DataFrame, rejected: pl.DataFrame | None) -> pl.DataFrame:
    if rejected is None or rejected.height == 0:
        return frame
    return frame.join(rejected.select("_file", "_row"), on=["_file", "_row"], how="anti")

