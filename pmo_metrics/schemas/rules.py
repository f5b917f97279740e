"""The data accuracy rules of CONTRACT §2: the registry, and the rules a single-table model cannot express.

Row rules that need only one row live in the pandera models (`models.py`); here are the warnings
that depend on the load date and the rules that look across rows or tables. They run on polars
frames: the batch's tables, and for tables the batch does not carry, the ones already loaded.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Iterator

import polars as pl

from .. import contract as c
from ..findings import ERROR, WARNING
from ..formatting import share


@dataclass(frozen=True)
class Rule:
    id: str
    tables: tuple[str, ...]
    severity: str
    description: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("SCHEMA", c.TABLE_NAMES, ERROR, "required columns present; values parse to their type; enumerations valid; key columns non-null and unique"),
    Rule("PRJ-DATES", ("projects",), ERROR, "finish dates (baseline, forecast, actual) must not be before start_date"),
    Rule("PRJ-BUDGET", ("projects",), ERROR, "budget_at_completion must not be negative"),
    Rule("PRJ-CLOSED", ("projects",), ERROR, "a closed project must have an actual_finish_date"),
    Rule("PRJ-OBJECTIVE", ("projects",), ERROR, "strategic_objective_id, when given, must exist in strategic_objectives"),
    Rule("PRJ-FUTURE-FINISH", ("projects",), WARNING, "actual_finish_date is after the load date"),
    Rule("PRJ-NO-PM", ("projects",), WARNING, "an active project has no project_manager"),
    Rule("REF-PROJECT", ("status_reports", "milestones", "risks", "financials", "allocations", "timesheets", "benefits"), ERROR, "project_id must exist in projects"),
    Rule("REF-RESOURCE", ("allocations", "timesheets"), ERROR, "resource_id must exist in resources"),
    Rule("REF-BENEFIT", ("benefit_measurements",), ERROR, "benefit_id must exist in benefits"),
    Rule("STS-PCT", ("status_reports",), ERROR, "percent_complete must be between 0 and 100"),
    Rule("STS-PCT-DROP", ("status_reports",), WARNING, "percent_complete is lower than the project's previous report"),
    Rule("STS-STALE", ("status_reports",), WARNING, f"an active project's latest report is more than {c.STALE_REPORT_DAYS} days before the load date, or it has none"),
    Rule("MS-FUTURE-ACTUAL", ("milestones",), WARNING, "actual_date is after the load date"),
    Rule("FIN-PLANNED", ("financials",), ERROR, "planned_cost must not be negative"),
    Rule("FIN-NEGATIVE-ACTUAL", ("financials",), WARNING, "actual_cost is negative (a credit)"),
    Rule("FIN-BAC", ("financials",), WARNING, f"a project's total planned_cost differs from its budget_at_completion by more than {share(c.BAC_TOLERANCE, '.0f')}"),
    Rule("RES-CAPACITY", ("resources",), ERROR, "weekly_capacity_hours must be above 0 and at most 80; hourly_cost must not be negative"),
    Rule("ALC-HOURS", ("allocations",), ERROR, "planned_hours must not be negative"),
    Rule("TS-HOURS", ("timesheets",), ERROR, "hours must be above 0 and at most 24"),
    Rule("TS-DAY-TOTAL", ("timesheets",), WARNING, f"a resource logs more than {c.DAY_HOURS_LIMIT} hours on one day"),
    Rule("TS-OUTSIDE-EMPLOYMENT", ("timesheets",), WARNING, "work_date is outside the resource's start_date…end_date"),
    Rule("BEN-TARGET", ("benefits",), ERROR, "target_value must differ from baseline_value, and planned_end must not be before planned_start"),
    Rule("MAT-SCORE", ("maturity_assessments",), ERROR, "score and target_score must be between 1 and 5"),
)}

STALE_DAYS = c.STALE_REPORT_DAYS
BAC_TOLERANCE = c.BAC_TOLERANCE
DAY_HOURS_LIMIT = c.DAY_HOURS_LIMIT

DATABASE = "(already loaded)"


class State:
    """The tables as they will be after the load: the batch's where it has them, else the loaded ones."""

    def __init__(self, batch: dict[str, pl.DataFrame], loaded: Callable[[str], pl.DataFrame | None] | None = None):
        self.batch = batch
        self._loaded = loaded
        self._cache: dict[str, pl.DataFrame | None] = {}

    def in_batch(self, *tables: str) -> bool:
        return any(t in self.batch for t in tables)

    def get(self, table: str) -> pl.DataFrame | None:
        if table in self.batch:
            return self.batch[table]
        if table not in self._cache:
            self._cache[table] = self._loaded(table) if self._loaded else None
        return self._cache[table]


def _text(expr: pl.Expr) -> pl.Expr:
    """A value as the user typed it: dates in ISO, numbers without trailing zeros."""
    return expr.cast(pl.String)


def _findings(frame: pl.DataFrame, rule: str, table: str, column: str | None, message: str | pl.Expr,
              value: pl.Expr | None = None) -> pl.DataFrame:
    """One finding per row of `frame`, built column-wise: a rule can fail on millions of rows."""
    has_pos = "_row" in frame.columns
    if value is None:
        value = pl.col(column) if column and column in frame.columns else pl.lit(None)
    return frame.select(
        pl.lit(rule).alias("rule_id"), pl.lit(RULES[rule].severity).alias("severity"), pl.lit(table).alias("table"),
        (message if isinstance(message, pl.Expr) else pl.lit(message)).alias("message"),
        (pl.col("_file") if has_pos else pl.lit(DATABASE)).cast(pl.String).alias("file"),
        (pl.col("_row") if has_pos else pl.lit(None)).cast(pl.Int64).alias("row"),
        pl.lit(column, dtype=pl.String).alias("column"), _text(value).alias("value"),
        (pl.col("project_id") if "project_id" in frame.columns else pl.lit(None)).cast(pl.String).alias("project_id"),
    )


def _ids(frame: pl.DataFrame | None, col: str) -> pl.Series:
    if frame is None:
        return pl.Series(col, [], dtype=pl.String)
    return frame.get_column(col).drop_nulls().unique()


def _reference(state: State, child: str, col: str, parent: str, parent_col: str, rule: str) -> Iterator[pl.DataFrame]:
    if not state.in_batch(child, parent):
        return
    rows = state.get(child)
    if rows is None or rows.height == 0:
        return
    known = _ids(state.get(parent), parent_col)
    orphans = rows.filter(pl.col(col).is_not_null() & ~pl.col(col).is_in(known.implode()))
    if orphans.height == 0:
        return
    if child in state.batch:
        yield _findings(orphans, rule, child, col, f"{col} is not in {parent}")
    else:
        # Rows already loaded that this batch's new parent table no longer covers: one finding per id.
        counts = orphans.group_by(col).agg(pl.len().alias("_n")).sort(col)
        yield _findings(counts, rule, child, col, pl.format(
            "{} loaded {} row(s) refer to this {}, which the new {} no longer has", pl.col("_n"), pl.lit(child),
            pl.lit(col), pl.lit(parent)))


def _active_projects(projects: pl.DataFrame, on: date) -> pl.DataFrame:
    return projects.filter(
        ~pl.col("stage").is_in(list(c.EXCLUDED_STAGES))
        & (pl.col("start_date") <= on)
        & (pl.col("actual_finish_date").is_null() | (pl.col("actual_finish_date") > on))
    )


def cross_table_findings(state: State, load_date: date) -> list[pl.DataFrame]:
    """Every rule that a single-table pandera model cannot express, as finding frames."""
    out: list[pl.DataFrame] = []
    for child in RULES["REF-PROJECT"].tables:
        out += _reference(state, child, "project_id", "projects", "project_id", "REF-PROJECT")
    for child in RULES["REF-RESOURCE"].tables:
        out += _reference(state, child, "resource_id", "resources", "resource_id", "REF-RESOURCE")
    out += _reference(state, "benefit_measurements", "benefit_id", "benefits", "benefit_id", "REF-BENEFIT")

    projects = state.get("projects")
    iso_load = load_date.isoformat()
    if state.in_batch("projects", "strategic_objectives") and projects is not None:
        known = _ids(state.get("strategic_objectives"), "objective_id")
        bad = projects.filter(pl.col("strategic_objective_id").is_not_null()
                              & ~pl.col("strategic_objective_id").is_in(known.implode()))
        out.append(_findings(bad, "PRJ-OBJECTIVE", "projects", "strategic_objective_id",
                             "strategic_objective_id is not in strategic_objectives"))

    if "projects" in state.batch:
        future = projects.filter(pl.col("actual_finish_date") > load_date)
        out.append(_findings(future, "PRJ-FUTURE-FINISH", "projects", "actual_finish_date",
                             f"actual finish is after the load date {iso_load}"))
        no_pm = _active_projects(projects, load_date).filter(pl.col("project_manager").is_null())
        out.append(_findings(no_pm, "PRJ-NO-PM", "projects", "project_manager", "active project has no project manager"))

    if "status_reports" in state.batch:
        reports = state.batch["status_reports"].sort(["project_id", "report_date"])
        previous = pl.col("percent_complete").forward_fill().shift(1).over("project_id")
        drops = reports.with_columns(previous.alias("_previous")).filter(pl.col("percent_complete") < pl.col("_previous"))
        out.append(_findings(drops, "STS-PCT-DROP", "status_reports", "percent_complete",
                             pl.format("percent complete fell from {} in the project's previous report", pl.col("_previous"))))

    if state.in_batch("status_reports", "projects") and projects is not None:
        out.append(_stale_reports(state, projects, load_date))

    if "milestones" in state.batch:
        future = state.batch["milestones"].filter(pl.col("actual_date") > load_date)
        out.append(_findings(future, "MS-FUTURE-ACTUAL", "milestones", "actual_date",
                             f"actual date is after the load date {iso_load}"))

    if "financials" in state.batch:
        credits = state.batch["financials"].filter(pl.col("actual_cost") < 0)
        out.append(_findings(credits, "FIN-NEGATIVE-ACTUAL", "financials", "actual_cost", "actual cost is negative (a credit)"))
    if state.in_batch("financials", "projects") and projects is not None and state.get("financials") is not None:
        out.append(_budget_mismatch(state.get("financials"), projects))

    if "timesheets" in state.batch:
        out.append(_day_totals(state.batch["timesheets"]))
        if state.get("resources") is not None:
            out.append(_outside_employment(state.batch["timesheets"], state.get("resources")))
    return out


def _stale_reports(state: State, projects: pl.DataFrame, load_date: date) -> pl.DataFrame:
    active = _active_projects(projects, load_date).filter(pl.col("project_id").is_not_null()).select("project_id").unique()
    reports = state.get("status_reports")
    if reports is None:
        reports = pl.DataFrame(schema={"project_id": pl.String, "report_date": pl.Date})
    cols = ["project_id", "report_date"] + [c for c in ("_file", "_row") if c in reports.columns]
    latest = (reports.filter(pl.col("report_date") <= load_date).sort("report_date")
              .group_by("project_id").last().select(cols))
    stale = active.join(latest, on="project_id", how="left").filter(
        pl.col("report_date").is_null() | (pl.col("report_date") < load_date - timedelta(days=STALE_DAYS)))
    if "_row" not in stale.columns:
        stale = stale.with_columns(pl.lit(DATABASE).alias("_file"), pl.lit(None, dtype=pl.Int64).alias("_row"))
    stale = stale.with_columns(pl.when(pl.col("report_date").is_null()).then(None).otherwise(pl.col("_file")).alias("_file"))
    age = (pl.lit(load_date) - pl.col("report_date")).dt.total_days()
    message = (pl.when(pl.col("report_date").is_null())
               .then(pl.format("project {} has no status report", pl.col("project_id")))
               .otherwise(pl.format("latest status report of project {} is {} days old (more than {})",
                                    pl.col("project_id"), age, pl.lit(STALE_DAYS))))
    return _findings(stale, "STS-STALE", "status_reports", "report_date", message)


def _budget_mismatch(financials: pl.DataFrame, projects: pl.DataFrame) -> pl.DataFrame:
    totals = financials.group_by("project_id").agg(pl.col("planned_cost").sum().alias("_planned"))
    cols = ["project_id", "budget_at_completion"] + [c for c in ("_file", "_row") if c in projects.columns]
    joined = projects.select(cols).join(totals, on="project_id", how="inner")
    bad = joined.filter((pl.col("_planned") - pl.col("budget_at_completion")).abs()
                        > BAC_TOLERANCE * pl.col("budget_at_completion").abs())
    # Reported on the project's row: that is where budget_at_completion lives.
    return _findings(bad, "FIN-BAC", "financials", "planned_cost", pl.format(
        "project {}: total planned cost {} differs from budget at completion {} by more than "
        + share(BAC_TOLERANCE, ".0f"),
        pl.col("project_id"), pl.col("_planned").round(2), pl.col("budget_at_completion").round(2)),
        value=pl.col("_planned").round(2))


def _day_totals(timesheets: pl.DataFrame) -> pl.DataFrame:
    over = (timesheets.group_by(["resource_id", "work_date"])
            .agg(pl.col("hours").sum().alias("_total"), pl.col("_file").first(), pl.col("_row").min(),
                 pl.col("project_id").first())
            .filter(pl.col("_total") > DAY_HOURS_LIMIT).sort("_row"))
    return _findings(over, "TS-DAY-TOTAL", "timesheets", "hours", pl.format(
        "resource {} logged {} hours on {} (more than {})", pl.col("resource_id"), pl.col("_total").round(2),
        pl.col("work_date"), pl.lit(DAY_HOURS_LIMIT)), value=pl.col("_total").round(2))


def _outside_employment(timesheets: pl.DataFrame, resources: pl.DataFrame) -> pl.DataFrame:
    spans = resources.select("resource_id", pl.col("start_date").alias("_from"), pl.col("end_date").alias("_to"))
    joined = timesheets.join(spans, on="resource_id", how="inner")
    bad = joined.filter((pl.col("work_date") < pl.col("_from")) | (pl.col("work_date") > pl.col("_to")).fill_null(False))
    return _findings(bad, "TS-OUTSIDE-EMPLOYMENT", "timesheets", "work_date", pl.format(
        "resource {} is employed from {} to {}", pl.col("resource_id"), pl.col("_from"),
        pl.col("_to").cast(pl.String).fill_null("now")))
