"""What the loaded data holds — which inputs and which months — so that an empty figure says why
it is empty and a month outside the data is refused rather than answered.

CONTRACT §3: no data is not zero. The KPI engine returns None where a KPI's inputs have no rows for
the selection, but a count or a sum over a table the export never had still reads 0 ("Over-allocated
people 0" on a data set without HR data), and a ratio reads a bare "—". `held(con)` counts what each
input holds in the loaded data; `reason(held, metric_id)` says, in one sentence, which inputs a KPI
lacks — the card, the table or the slide then shows "—" and that sentence instead of a number.
`months(con)` lists the months a KPI can be asked for and `check_month(con, month)` refuses any
other with a one-line reason. SQL in sql/coverage/.
"""
from __future__ import annotations

import duckdb

from . import kpis
from .db import DatabaseError
from .queries import records

# Each input of the KPIs: how a user knows it (the extract or the column it comes from).
INPUTS: dict[str, str] = {
    "projects": "projects",
    "status_reports": "status reports",
    "progress": "percent complete in the status reports",
    "planned_costs": "planned costs",
    "actual_costs": "actual costs",
    "milestones": "milestones",
    "risks": "risks",
    "resources": "resources (HR data)",
    "allocations": "resource allocations",
    "timesheets": "timesheets",
    "benefits": "benefits",
    "benefit_measurements": "benefit measurements",
    "maturity": "maturity assessments",
    # governance and the PMO's own cost
    "gate_milestones": "gate milestones",
    "gate_reviews": "gate reviews",
    "change_requests": "change requests",
    "pmo_costs": "PMO actual costs",
}
_EARNED = ("progress", "planned_costs")
_COST = ("progress", "actual_costs")
_BENEFITS = ("benefits", "benefit_measurements")
# The inputs each KPI is computed from. A KPI not named here has no reason beyond "no data for the
# selection".
NEEDS: dict[str, tuple[str, ...]] = {
    "active_projects": ("projects",), "rag_missing_share": ("projects",),
    "rag_green_share": ("status_reports",), "rag_amber_share": ("status_reports",),
    "rag_red_share": ("status_reports",), "stale_status_share": ("status_reports",),
    "milestone_on_time_rate": ("milestones",),
    "avg_finish_slip_days": ("projects",), "on_time_delivery_rate": ("projects",),
    "planned_value": ("planned_costs",), "budget_ytd": ("planned_costs",),
    "earned_value": ("progress",), "spi": _EARNED, "schedule_variance": _EARNED,
    "actual_cost": ("actual_costs",), "actual_cost_ytd": ("actual_costs",),
    "cpi": _COST, "cost_variance": _COST, "eac": _COST, "vac": _COST, "tcpi": _COST,
    "utilization": ("resources", "timesheets"), "contractor_hours_share": ("resources", "timesheets"),
    "allocation_rate": ("resources", "allocations"), "overallocated_resources": ("resources", "allocations"),
    "benefits_planned_to_date": _BENEFITS, "benefits_realized_to_date": _BENEFITS,
    "benefit_realization_rate": _BENEFITS, "benefits_at_risk": ("benefits",),
    "benefit_cost_ratio": _BENEFITS + ("actual_costs",),
    "maturity_score": ("maturity",), "maturity_level": ("maturity",),
    "spi_t": _EARNED, "rcf_cost_exposure_p80": ("projects", "actual_costs"),
    "forecast_optimism_days": ("projects",), "rcf_p80_coverage": ("projects",),
    "gate_on_time_rate": ("gate_milestones",), "gates_overdue": ("gate_milestones",),
    "gate_approval_rate": ("gate_reviews",),
    **{k: ("change_requests",) for k in ("open_change_requests", "decision_cycle_days", "escalated_decision_share",
                                         "approved_change_cost_ytd")},
    "pmo_cost_ytd": ("pmo_costs",), "pmo_cost_share": ("pmo_costs", "actual_costs"),
}


def held(con) -> dict[str, int]:
    """{input: rows (or filled values) in the loaded data} for every input of INPUTS; empty when the
    database has no contract tables (built by hand), so that nothing is then said to be missing."""
    try:
        rows = records(con, "coverage/inputs")
    except duckdb.CatalogException:
        return {}
    return {name: int(rows[0][name] or 0) for name in INPUTS} if rows else {}


def lacking(held_: dict[str, int], *inputs: str) -> list[str]:
    """The inputs, of those named, that the loaded data has nothing of (none when `held_` is empty)."""
    if not held_:
        return []
    return [name for name in inputs if not held_.get(name)]


def sentence(missing: list[str]) -> str | None:
    """'The loaded data has no actual costs.' for the inputs named; None for none."""
    if not missing:
        return None
    words = [INPUTS[m] for m in missing]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return f"The loaded data has no {listed}."


def reason(held_: dict[str, int], metric_id: str) -> str | None:
    """Why KPI `metric_id` cannot be computed from the loaded data, or None when its inputs are there."""
    return sentence(lacking(held_, *NEEDS.get(metric_id, ())))


# -- months -----------------------------------------------------------------------------------------

class MonthNotCovered(DatabaseError, ValueError):
    """A month the loaded data says nothing about. A DatabaseError, so that the command line reports
    it as unusable input in one line (exit 2); a ValueError for callers that treat it as a bad
    argument."""


def months(con) -> list[str]:
    """The months a KPI can be asked for: the first month with data to the latest observed one."""
    return kpis.available_months(con)


def describe_months(covered: list[str]) -> str:
    """'2017-09 to 2022-03 (55 months)', or 'no month' for a database without data."""
    if not covered:
        return "no month"
    return f"{covered[0]} to {covered[-1]} ({len(covered):,} month{'s' if len(covered) != 1 else ''})"


def check_month(con, month: str) -> str:
    """`month` when the loaded data covers it; MonthNotCovered with the months it does cover otherwise
    (a KPI as of 2030-01 would silently repeat the last month's figures under that heading)."""
    covered = months(con)
    if month not in covered:
        raise MonthNotCovered(f"no data for {month}: the database covers {describe_months(covered)}; "
                              "`python -m pmo_metrics months` lists them")
    return month
