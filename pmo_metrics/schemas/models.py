"""One pandera model per contract table: types, required values, keys, enumerations, row rules.

Why the polars backend: the enterprise batch has ~5 million timesheet rows. Validating them with
pandera's pandas backend took ~3 s on the reference machine, with the polars backend ~0.2 s, and
the readers already hand over polars frames, so there is no conversion either. Load with full
validation must stay within 3x of DuckDB's bare CSV ingest; only the polars backend allows that.

Checks named "RULE-ID|column" carry the data accuracy rule (CONTRACT §2) they enforce and the
column a user should look at; every unnamed built-in check (nullability, uniqueness, isin, dtype)
is rule SCHEMA.
"""
from __future__ import annotations

import polars as pl
import pandera.polars as pa

from .. import contract as c

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class _Base(pa.DataFrameModel):
    class Config:
        strict = False  # _file, _row and unknown extra columns ride along
        coerce = True


def _ge(data: pa.PolarsData, left: str, right: str) -> pl.LazyFrame:
    """left >= right, or either side missing (a missing date is another rule's business)."""
    return data.lazyframe.select(
        (pl.col(left) >= pl.col(right)).fill_null(True)
    )


class ProjectsModel(_Base):
    project_id: str = pa.Field(nullable=False, unique=True)
    project_name: str = pa.Field(nullable=False)
    portfolio: str = pa.Field(nullable=False)
    program: str = pa.Field(nullable=True)
    business_unit: str = pa.Field(nullable=False)
    strategic_objective_id: str = pa.Field(nullable=True)
    sponsor: str = pa.Field(nullable=True)
    project_manager: str = pa.Field(nullable=True)
    delivery_approach: str = pa.Field(nullable=False, isin=list(c.DELIVERY_APPROACHES))
    stage: str = pa.Field(nullable=False, isin=list(c.STAGES))
    priority_score: float = pa.Field(nullable=True, in_range={"min_value": 0, "max_value": 100})
    start_date: pl.Date = pa.Field(nullable=False)
    baseline_finish_date: pl.Date = pa.Field(nullable=False)
    forecast_finish_date: pl.Date = pa.Field(nullable=True)
    actual_finish_date: pl.Date = pa.Field(nullable=True)
    budget_at_completion: float = pa.Field(nullable=False)

    @pa.check("budget_at_completion", name="PRJ-BUDGET|budget_at_completion")
    def budget_not_negative(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key) >= 0)

    @pa.dataframe_check(name="PRJ-DATES|baseline_finish_date")
    def baseline_after_start(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _ge(data, "baseline_finish_date", "start_date")

    @pa.dataframe_check(name="PRJ-DATES|forecast_finish_date")
    def forecast_after_start(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _ge(data, "forecast_finish_date", "start_date")

    @pa.dataframe_check(name="PRJ-DATES|actual_finish_date")
    def actual_after_start(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _ge(data, "actual_finish_date", "start_date")

    @pa.dataframe_check(name="PRJ-CLOSED|actual_finish_date")
    def closed_has_actual_finish(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            ((pl.col("stage") != "closed") | pl.col("actual_finish_date").is_not_null()).fill_null(True)
        )


class StatusReportsModel(_Base):
    project_id: str = pa.Field(nullable=False)
    report_date: pl.Date = pa.Field(nullable=False)
    overall_rag: str = pa.Field(nullable=False, isin=list(c.RAG))
    schedule_rag: str = pa.Field(nullable=True, isin=list(c.RAG))
    cost_rag: str = pa.Field(nullable=True, isin=list(c.RAG))
    scope_rag: str = pa.Field(nullable=True, isin=list(c.RAG))
    percent_complete: float = pa.Field(nullable=True)
    summary: str = pa.Field(nullable=True)

    @pa.check("percent_complete", name="STS-PCT|percent_complete")
    def percent_in_range(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key).is_between(0, 100).fill_null(True))


class MilestonesModel(_Base):
    milestone_id: str = pa.Field(nullable=False, unique=True)
    project_id: str = pa.Field(nullable=False)
    milestone_name: str = pa.Field(nullable=False)
    is_gate: bool = pa.Field(nullable=False)
    baseline_date: pl.Date = pa.Field(nullable=False)
    forecast_date: pl.Date = pa.Field(nullable=True)
    actual_date: pl.Date = pa.Field(nullable=True)


class RisksModel(_Base):
    risk_id: str = pa.Field(nullable=False, unique=True)
    project_id: str = pa.Field(nullable=False)
    title: str = pa.Field(nullable=False)
    probability: int = pa.Field(nullable=False, in_range={"min_value": 1, "max_value": 5})
    impact: int = pa.Field(nullable=False, in_range={"min_value": 1, "max_value": 5})
    status: str = pa.Field(nullable=False, isin=list(c.RISK_STATUSES))
    owner: str = pa.Field(nullable=True)
    raised_date: pl.Date = pa.Field(nullable=False)
    closed_date: pl.Date = pa.Field(nullable=True)


class StrategicObjectivesModel(_Base):
    objective_id: str = pa.Field(nullable=False, unique=True)
    objective_name: str = pa.Field(nullable=False)
    weight: float = pa.Field(nullable=False, ge=0)


class FinancialsModel(_Base):
    project_id: str = pa.Field(nullable=False)
    period: str = pa.Field(nullable=False, str_matches=MONTH_PATTERN)
    cost_category: str = pa.Field(nullable=False, isin=list(c.COST_CATEGORIES))
    planned_cost: float = pa.Field(nullable=False)
    actual_cost: float = pa.Field(nullable=True)
    forecast_cost: float = pa.Field(nullable=True)

    @pa.check("planned_cost", name="FIN-PLANNED|planned_cost")
    def planned_not_negative(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key) >= 0)


class ResourcesModel(_Base):
    resource_id: str = pa.Field(nullable=False, unique=True)
    resource_name: str = pa.Field(nullable=False)
    role: str = pa.Field(nullable=False)
    department: str = pa.Field(nullable=False)
    employment_type: str = pa.Field(nullable=False, isin=list(c.EMPLOYMENT_TYPES))
    weekly_capacity_hours: float = pa.Field(nullable=False)
    hourly_cost: float = pa.Field(nullable=False)
    start_date: pl.Date = pa.Field(nullable=False)
    end_date: pl.Date = pa.Field(nullable=True)

    @pa.check("weekly_capacity_hours", name="RES-CAPACITY|weekly_capacity_hours")
    def capacity_in_range(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col(data.key) > 0) & (pl.col(data.key) <= 80))

    @pa.check("hourly_cost", name="RES-CAPACITY|hourly_cost")
    def cost_not_negative(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key) >= 0)


class AllocationsModel(_Base):
    resource_id: str = pa.Field(nullable=False)
    project_id: str = pa.Field(nullable=False)
    period: str = pa.Field(nullable=False, str_matches=MONTH_PATTERN)
    planned_hours: float = pa.Field(nullable=False)

    @pa.check("planned_hours", name="ALC-HOURS|planned_hours")
    def hours_not_negative(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key) >= 0)


class TimesheetsModel(_Base):
    resource_id: str = pa.Field(nullable=False)
    project_id: str = pa.Field(nullable=False)
    work_date: pl.Date = pa.Field(nullable=False)
    hours: float = pa.Field(nullable=False)

    @pa.check("hours", name="TS-HOURS|hours")
    def hours_in_day(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col(data.key) > 0) & (pl.col(data.key) <= 24))


class BenefitsModel(_Base):
    benefit_id: str = pa.Field(nullable=False, unique=True)
    project_id: str = pa.Field(nullable=False)
    benefit_name: str = pa.Field(nullable=False)
    category: str = pa.Field(nullable=False, isin=list(c.BENEFIT_CATEGORIES))
    benefit_type: str = pa.Field(nullable=False, isin=list(c.BENEFIT_TYPES))
    owner: str = pa.Field(nullable=True)
    unit: str = pa.Field(nullable=False)
    baseline_value: float = pa.Field(nullable=False)
    target_value: float = pa.Field(nullable=False)
    planned_start: str = pa.Field(nullable=False, str_matches=MONTH_PATTERN)
    planned_end: str = pa.Field(nullable=False, str_matches=MONTH_PATTERN)

    @pa.dataframe_check(name="BEN-TARGET|target_value")
    def target_differs_from_baseline(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("target_value") != pl.col("baseline_value")).fill_null(True))

    @pa.dataframe_check(name="BEN-TARGET|planned_end")
    def end_after_start(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _ge(data, "planned_end", "planned_start")


class BenefitMeasurementsModel(_Base):
    benefit_id: str = pa.Field(nullable=False)
    period: str = pa.Field(nullable=False, str_matches=MONTH_PATTERN)
    planned_value: float = pa.Field(nullable=False)
    actual_value: float = pa.Field(nullable=True)


class MaturityAssessmentsModel(_Base):
    assessment_id: str = pa.Field(nullable=False)
    assessment_date: pl.Date = pa.Field(nullable=False)
    business_unit: str = pa.Field(nullable=False)
    domain: str = pa.Field(nullable=False, isin=list(c.MATURITY_DOMAINS))
    criterion_id: str = pa.Field(nullable=False)
    score: float = pa.Field(nullable=False)
    target_score: float = pa.Field(nullable=True)
    comment: str = pa.Field(nullable=True)

    @pa.check("score", name="MAT-SCORE|score")
    def score_in_range(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key).is_between(1, 5))

    @pa.check("target_score", name="MAT-SCORE|target_score")
    def target_in_range(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key).is_between(1, 5).fill_null(True))


MODELS: dict[str, type[pa.DataFrameModel]] = {
    "projects": ProjectsModel,
    "status_reports": StatusReportsModel,
    "milestones": MilestonesModel,
    "risks": RisksModel,
    "strategic_objectives": StrategicObjectivesModel,
    "financials": FinancialsModel,
    "resources": ResourcesModel,
    "allocations": AllocationsModel,
    "timesheets": TimesheetsModel,
    "benefits": BenefitsModel,
    "benefit_measurements": BenefitMeasurementsModel,
    "maturity_assessments": MaturityAssessmentsModel,
}
