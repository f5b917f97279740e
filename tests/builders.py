"""Rows of the contract tables and tiny DuckDB warehouses built from them, for hand-worked tests.

The row builders (`project("P1", stage="closed")`, `report("P1", "2024-03-05", "red")`, …) fill the
required columns with dull defaults so a test states only what matters to it; `with_defaults` gives
a test module its own dull defaults (the accuracy-rule tests date everything around their load
date). `make_db({"projects": [project("P1", ...)], ...})` creates all 12 contract tables (those not
given stay empty), inserts the rows, builds the marts and returns the in-memory connection.
"""
from __future__ import annotations

import datetime as dt
import inspect
from itertools import count
from typing import Callable

import duckdb
import pandas as pd

from pmo_metrics.contract import DATE, LOAD_ORDER, TABLES, create_table_sql
from pmo_metrics.marts import build_marts

_ids = count(1)


def _date(value):
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def make_db(tables: dict[str, list[dict]] | None = None, con=None):
    """An in-memory warehouse holding `tables` (table name -> rows), with marts built."""
    tables = tables or {}
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise KeyError(f"not contract tables: {sorted(unknown)}")
    con = con or duckdb.connect()
    for name in LOAD_ORDER:
        table = TABLES[name]
        con.execute(create_table_sql(table))
        rows = tables.get(name) or []
        if not rows:
            continue
        cols = table.column_names
        for row in rows:
            extra = set(row) - set(cols)
            if extra:
                raise KeyError(f"{name}: unknown columns {sorted(extra)}")
        values = [[_date(r.get(c)) if table.column(c).type == DATE else r.get(c) for c in cols] for r in rows]
        placeholders = ", ".join("?" for _ in cols)
        con.executemany(f'INSERT INTO "{name}" VALUES ({placeholders})', values)
    build_marts(con)
    return con


# -- row builders ---------------------------------------------------------------------------------

def with_defaults(build: Callable[..., dict], **defaults) -> Callable[..., dict]:
    """`build` with other defaults; a value given by position or by name still wins."""
    names = list(inspect.signature(build).parameters)

    def builder(*args, **columns) -> dict:
        given = set(names[:len(args)]) | set(columns)
        return build(*args, **{k: v for k, v in defaults.items() if k not in given}, **columns)

    return builder


def project(project_id="P1", *, portfolio="Core", business_unit="Retail", stage="execution",
            start_date="2024-01-01", baseline_finish_date="2024-12-31", budget_at_completion=1000.0,
            **kw):
    return {"project_id": project_id, "project_name": kw.pop("project_name", f"Project {project_id}"),
            "portfolio": portfolio, "business_unit": business_unit, "delivery_approach": "predictive",
            "stage": stage, "start_date": start_date, "baseline_finish_date": baseline_finish_date,
            "budget_at_completion": budget_at_completion, **kw}


def report(project_id="P1", report_date="2024-01-31", overall_rag="green", percent_complete=None, **kw):
    return {"project_id": project_id, "report_date": report_date, "overall_rag": overall_rag,
            "percent_complete": percent_complete, **kw}


def cost(project_id, period, planned_cost=0.0, actual_cost=None, cost_category="capex", **kw):
    return {"project_id": project_id, "period": period, "cost_category": cost_category,
            "planned_cost": planned_cost, "actual_cost": actual_cost, **kw}


def milestone(project_id, baseline_date, actual_date=None, forecast_date=None, milestone_id=None, **kw):
    return {"milestone_id": milestone_id or f"M{next(_ids)}", "project_id": project_id,
            "milestone_name": kw.pop("milestone_name", "Milestone"), "is_gate": kw.pop("is_gate", False),
            "baseline_date": baseline_date, "forecast_date": forecast_date, "actual_date": actual_date, **kw}


def risk(project_id, probability, impact, raised_date, status="open", closed_date=None, risk_id=None, **kw):
    return {"risk_id": risk_id or f"R{next(_ids)}", "project_id": project_id, "title": kw.pop("title", "Risk"),
            "probability": probability, "impact": impact, "status": status, "raised_date": raised_date,
            "closed_date": closed_date, **kw}


def objective(objective_id, objective_name=None, weight=1.0):
    return {"objective_id": objective_id, "objective_name": objective_name or f"Objective {objective_id}",
            "weight": weight}


def resource(resource_id="R1", *, department="IT", employment_type="employee", weekly_capacity_hours=40.0,
             start_date="2020-01-01", end_date=None, hourly_cost=50.0, **kw):
    return {"resource_id": resource_id, "resource_name": kw.pop("resource_name", f"Person {resource_id}"),
            "role": kw.pop("role", "Analyst"), "department": department, "employment_type": employment_type,
            "weekly_capacity_hours": weekly_capacity_hours, "hourly_cost": hourly_cost,
            "start_date": start_date, "end_date": end_date, **kw}


def allocation(resource_id, project_id, period, planned_hours):
    return {"resource_id": resource_id, "project_id": project_id, "period": period, "planned_hours": planned_hours}


def timesheet(resource_id, project_id, work_date, hours):
    return {"resource_id": resource_id, "project_id": project_id, "work_date": work_date, "hours": hours}


def benefit(benefit_id, project_id, *, category="financial", baseline_value=0.0, target_value=1000.0,
            benefit_type="cost_saving", planned_start="2024-01", planned_end="2025-12", **kw):
    return {"benefit_id": benefit_id, "project_id": project_id,
            "benefit_name": kw.pop("benefit_name", f"Benefit {benefit_id}"), "category": category,
            "benefit_type": benefit_type, "unit": kw.pop("unit", "GBP"), "baseline_value": baseline_value,
            "target_value": target_value, "planned_start": planned_start, "planned_end": planned_end, **kw}


def measurement(benefit_id, period, planned_value, actual_value=None):
    return {"benefit_id": benefit_id, "period": period, "planned_value": planned_value,
            "actual_value": actual_value}


def assessment(assessment_id, assessment_date, business_unit, domain, criterion_id, score, target_score=None):
    return {"assessment_id": assessment_id, "assessment_date": assessment_date, "business_unit": business_unit,
            "domain": domain, "criterion_id": criterion_id, "score": score, "target_score": target_score}


def records(frame: pd.DataFrame, key: str) -> dict:
    """A result's rows by `key`, as dicts, for asserting on a few of them."""
    return frame.set_index(key).to_dict("index")
