"""The one metric registry: every KPI of CONTRACT §3 and §4, declared once — what it means, how it
reads, which way is good, and where it is computed.

Each metric names its query (`Query`: one SQL file under `sql/kpis/`, which returns the metric as a
column per month and breakdown group) and the metrics it is built from (`parts`). Pages, the CLI,
the slide pack, the glossary (docs/glossary.md) and the tests all read these declarations; the
engine (`pmo_metrics.kpis`) runs the queries they name. Regenerate the glossary with
`python -m pmo_metrics.metrics docs/glossary.md` after changing anything here.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from . import formatting as fmt
from .contract import (
    APPROVING_GATE_DECISIONS, BACKTEST_MONTHS, BENEFIT_ON_TRACK, DECISION_WINDOW_MONTHS, ESCALATED_LEVELS,
    EXCLUDED_STAGES, GATE_REVIEW_WINDOW_MONTHS, RCF_P50, RCF_P80, REFERENCE_CLASS_MIN, STALE_REPORT_DAYS,
)

UNITS = ("count", "share", "ratio", "money", "days", "hours", "score")
GROUPS = ("portfolio", "schedule", "cost", "forecast", "resources", "benefits", "maturity", "governance", "pmo")
GROUP_LABELS = {
    "portfolio": "Portfolio health", "schedule": "Schedule", "cost": "Cost and earned value",
    "forecast": "Forecasts",
    "resources": "Resources", "benefits": "Benefits", "maturity": "PMO maturity",
    "governance": "Governance", "pmo": "The PMO's own cost",
}
# Which filters scope a metric (CONTRACT §3: resource KPIs by department, maturity by business unit;
# the PMO's own cost is organisation-wide, no filter applies).
SCOPES = ("projects", "resources", "maturity", "organisation")


@dataclass(frozen=True)
class Query:
    """A KPI query: sql/<sql>.sql returns, per month asked for ($months) and per breakdown group
    ($group_by), one column per metric it computes, beside the counts and sums behind them."""

    sql: str
    breakdowns: tuple[str, ...]   # the `by` values it accepts: bound as $group_by, never pasted


PROJECT_DIMENSIONS = ("portfolio", "program", "business_unit", "objective", "project")
BENEFIT_DIMENSIONS = ("benefit_type", "category", "owner")
RESOURCE_DIMENSIONS = ("department", "role", "employment_type")
MATURITY_DIMENSIONS = ("business_unit", "domain")

PROJECT_KPIS = Query("kpis/project_kpis", PROJECT_DIMENSIONS)
MILESTONE_KPIS = Query("kpis/milestone_kpis", PROJECT_DIMENSIONS)
RESOURCE_KPIS = Query("kpis/resource_kpis", RESOURCE_DIMENSIONS)
# by a benefit's own type, category or owner the benefit–cost ratio is empty: costs are per project
BENEFIT_KPIS = Query("kpis/benefit_kpis", PROJECT_DIMENSIONS + BENEFIT_DIMENSIONS)
MATURITY_KPIS = Query("kpis/maturity_kpis", MATURITY_DIMENSIONS)
FORECAST_KPIS = Query("kpis/forecast_kpis", PROJECT_DIMENSIONS)
GOVERNANCE_KPIS = Query("kpis/governance_kpis", PROJECT_DIMENSIONS)
PMO_KPIS = Query("kpis/pmo_kpis", ("cost_category",))


@dataclass(frozen=True)
class Thresholds:
    """RAG boundaries. For good='up': ≥ green is green, ≥ amber is amber, else red.
    For good='down': ≤ green is green, ≤ amber is amber, else red."""

    green: float
    amber: float


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    unit: str            # one of UNITS
    fmt: str             # number format of the displayed value (formatting.value), or formatting.LEVEL
    good: str            # 'up', 'down' or 'neutral'
    thresholds: Thresholds | None
    definition: str      # the formula in plain words, as CONTRACT §3/§4 states it, with our decisions
    group: str           # one of GROUPS
    query: Query         # where it is computed
    parts: tuple[str, ...] = ()   # ids of the metrics a derived one is built from
    short: str = ""      # a one-line description for tooltips

    @property
    def scope(self) -> str:
        return {"resources": "resources", "maturity": "maturity", "pmo": "organisation"}.get(self.group, "projects")

    @property
    def breakdowns(self) -> tuple[str, ...]:
        return self.query.breakdowns


_EXCLUDED = " or ".join(EXCLUDED_STAGES)
_ACTIVE = (f"Active as of M: a selected project (passes the filters; stage not {_EXCLUDED}) with "
           "start_date ≤ end(M) and actual_finish_date empty or after end(M).")
_LATEST = "Latest report: the status report with the greatest report_date ≤ end(M); later reports never count."
_EV_NULL = ("Empty when no active project has any percent_complete in a report ≤ end(M) (an export without "
            "progress data cannot support earned value).")


def _m(id, label, unit, fmt_, good, thresholds, group, definition, query, parts=(), short=""):
    return Metric(id, label, unit, fmt_, good, Thresholds(*thresholds) if thresholds else None,
                  " ".join(definition.split()), group, query, tuple(parts), short)


_P50, _P80 = round(RCF_P50 * 100), round(RCF_P80 * 100)
_CLASS = (f"The reference class as of M is every project (filters do not apply) whose stage is not {_EXCLUDED}, "
          "with actual_finish_date ≤ end(M) and baseline_finish_date > start_date, of the project's "
          f"delivery_approach; with fewer than {REFERENCE_CLASS_MIN} such projects, those of every approach; "
          f"fewer than {REFERENCE_CLASS_MIN} in all: no forecast. Schedule ratio r = (actual_finish_date − "
          "start_date) / (baseline_finish_date − start_date) in days; cost ratio c = Σ actual_cost with "
          "period ≤ M / BAC over members with BAC > 0 and an actual_cost by M. Quantiles interpolate linearly "
          "between order statistics.")
_FORECASTS = (
    _m("spi_t", "SPI(t), earned schedule", "ratio", ".2f", "up", (0.95, 0.90), "forecast",
       "Earned schedule: Σ ESₚ / Σ ATₚ over active projects that have EVₚ (a latest report with "
       "percent_complete) and at least one financials row. With s = the start month, PVₚ(t) = Σ planned_cost "
       "with period ≤ month s + t − 1 (earlier periods count from s), N = the smallest t at which PVₚ(t) "
       "equals the total planned cost, C = the largest t ≤ N with PVₚ(t) ≤ EVₚ: ESₚ = N when C = N, else "
       "C + (EVₚ − PVₚ(C)) / (PVₚ(C+1) − PVₚ(C)); ATₚ = the months from s to M inclusive. Empty when no "
       "active project has both.",
       short="Earned schedule over actual time: below 1 the work is behind its own plan",
       query=FORECAST_KPIS),
    _m("rcf_cost_exposure_p80", "Cost exposure at P80", "money", ".1f", "down", None, "forecast",
       f"Σ over active projects that have a cost forecast of (c{_P80} × BACₚ − BACₚ), where c{_P80} is the "
       f"{_P80}th percentile of the cost ratios of the project's reference class: how far the outturn "
       f"the organisation's own record gives at P{_P80} lies above the budgets. {_CLASS} Empty when no active "
       "project has a cost forecast.",
       short="Reference-class P80 outturn above budget",
       query=FORECAST_KPIS),
    _m("forecast_optimism_days", "Forecast optimism", "days", ".1f", "down", (0, 30), "forecast",
       f"Mean over active projects that have a schedule forecast of rcf_finish_p{_P50}ₚ − "
       "coalesce(forecast_finish_date, baseline_finish_date), in days; rcf_finish_pNNₚ = start_date + "
       "round(rNN × (baseline_finish_date − start_date)) days, rounded half away from zero. Positive: the "
       f"projects' own forecasts are earlier than the record suggests. {_CLASS} Empty when no active project "
       "has a schedule forecast.",
       short="How much later the record says projects finish than they forecast",
       query=FORECAST_KPIS),
    _m("rcf_p80_coverage", f"P{_P80} coverage (backtest)", "share", ".1f", "neutral", None, "forecast",
       f"The forecast's own backtest: over the selected projects with actual_finish_date in the "
       f"{BACKTEST_MONTHS} months ending end(M) (after end(M − {BACKTEST_MONTHS}), up to end(M)), each "
       "forecast with the reference class as of the month before the month of its start_date (only those "
       f"whose class then had at least {REFERENCE_CLASS_MIN} projects): the share whose actual_finish_date ≤ "
       f"their rcf_finish_p{_P80}. A well-calibrated forecast covers about {_P80} percent. Empty when no such "
       "project finished.",
       short="How often the P80 finish held, on the projects that finished",
       query=FORECAST_KPIS),
)

_DECLARED = (
    # -- portfolio health --------------------------------------------------------------------
    _m("active_projects", "Active projects", "count", ",.0f", "neutral", None, "portfolio",
       f"Count of active projects. {_ACTIVE}", short="Projects in flight at the end of the month",
       query=PROJECT_KPIS),
    _m("rag_green_share", "Green projects", "share", ".1f", "up", (0.70, 0.50), "portfolio",
       f"Share of active projects whose latest report's overall_rag is green. {_LATEST} "
       "Denominator: active projects; empty when there are none.",
       parts=("active_projects",),
       query=PROJECT_KPIS),
    _m("rag_amber_share", "Amber projects", "share", ".1f", "down", (0.25, 0.40), "portfolio",
       f"Share of active projects whose latest report's overall_rag is amber. {_LATEST} "
       "Denominator: active projects; empty when there are none.",
       parts=("active_projects",),
       query=PROJECT_KPIS),
    _m("rag_red_share", "Red projects", "share", ".1f", "down", (0.10, 0.20), "portfolio",
       f"Share of active projects whose latest report's overall_rag is red. {_LATEST} "
       "Denominator: active projects; empty when there are none.",
       parts=("active_projects",),
       query=PROJECT_KPIS),
    _m("rag_missing_share", "Projects without a status report", "share", ".1f", "down", (0.05, 0.15),
       "portfolio",
       "Share of active projects that have no status report dated ≤ end(M). "
       "Denominator: active projects; empty when there are none.",
       parts=("active_projects",),
       query=PROJECT_KPIS),
    _m("stale_status_share", "Stale status reports", "share", ".1f", "down", (0.10, 0.25), "portfolio",
       f"Share of active projects whose latest report is more than {STALE_REPORT_DAYS} days before end(M) "
       f"(end(M) − report_date > {STALE_REPORT_DAYS}), or who have no report ≤ end(M). "
       "Denominator: active projects; empty when there are none.",
       parts=("active_projects",),
       query=PROJECT_KPIS),
    # -- schedule ------------------------------------------------------------------------------
    _m("milestone_on_time_rate", "Milestones on time", "share", ".1f", "up", (0.85, 0.70), "schedule",
       "Of the selected projects' milestones with baseline_date ≤ end(M) (active or not): the share with "
       "actual_date ≤ baseline_date and actual_date ≤ end(M). A milestone not yet achieved counts as late. "
       "Empty when no milestone is due by end(M).",
       query=MILESTONE_KPIS),
    _m("avg_finish_slip_days", "Average finish slip", "days", ".1f", "down", (14, 45), "schedule",
       "Mean over active projects of coalesce(forecast_finish_date, baseline_finish_date) − "
       "baseline_finish_date, in days (negative = forecast to finish early). Dates are the projects "
       "extract's current values. Empty when there are no active projects.",
       query=PROJECT_KPIS),
    _m("on_time_delivery_rate", "Projects delivered on time", "share", ".1f", "up", (0.80, 0.60),
       "schedule",
       "Of the selected projects with actual_finish_date ≤ end(M): the share with actual_finish_date ≤ "
       "baseline_finish_date. Empty when no selected project has finished by end(M).",
       query=PROJECT_KPIS),
    # -- cost and earned value -----------------------------------------------------------------
    _m("planned_value", "Planned value (PV)", "money", ".1f", "neutral", None, "cost",
       "Σ over active projects of planned_cost (all cost categories) with period ≤ M. 0 when there is none.",
       query=PROJECT_KPIS),
    _m("earned_value", "Earned value (EV)", "money", ".1f", "neutral", None, "cost",
       "Σ over active projects of budget_at_completion × percent_complete / 100, taking each project's "
       "latest report ≤ end(M) that has a percent_complete (0 for a project without one). " + _EV_NULL,
       query=PROJECT_KPIS),
    _m("actual_cost", "Actual cost (AC)", "money", ".1f", "neutral", None, "cost",
       "Σ over active projects of actual_cost (all cost categories) with period ≤ M; missing actual_cost "
       "values add nothing. 0 when there is none.",
       query=PROJECT_KPIS),
    _m("spi", "Schedule performance index (SPI)", "ratio", ".2f", "up", (0.95, 0.90), "cost",
       "EV / PV over active projects (a ratio of sums). Empty when PV = 0 or EV is empty.",
       parts=("earned_value", "planned_value"),
       query=PROJECT_KPIS),
    _m("cpi", "Cost performance index (CPI)", "ratio", ".2f", "up", (0.95, 0.90), "cost",
       "EV / AC over active projects (a ratio of sums). Empty when AC = 0 or EV is empty.",
       parts=("earned_value", "actual_cost"),
       query=PROJECT_KPIS),
    _m("schedule_variance", "Schedule variance (SV)", "money", ".1f", "up", None, "cost",
       "EV − PV. Empty when EV is empty.", parts=("earned_value", "planned_value"),
       query=PROJECT_KPIS),
    _m("cost_variance", "Cost variance (CV)", "money", ".1f", "up", None, "cost",
       "EV − AC. Empty when EV is empty.", parts=("earned_value", "actual_cost"),
       query=PROJECT_KPIS),
    _m("eac", "Estimate at completion (EAC)", "money", ".1f", "down", None, "cost",
       "Σ over active projects of EACₚ. Per project: EVₚ = BACₚ × percent_complete / 100 as for EV (0 "
       "without one); ACₚ = its actual cost to date; CPIₚ = EVₚ / ACₚ, and empty when ACₚ = 0. "
       "EACₚ = BACₚ / CPIₚ when CPIₚ > 0; otherwise (CPIₚ empty, zero or negative) EACₚ = ACₚ + BACₚ − EVₚ. "
       + _EV_NULL, parts=("earned_value", "actual_cost"),
       query=PROJECT_KPIS),
    _m("vac", "Variance at completion (VAC)", "money", ".1f", "up", None, "cost",
       "Σ BAC over active projects − EAC. Empty when EV is empty.", parts=("eac",),
       query=PROJECT_KPIS),
    _m("tcpi", "To-complete performance index (TCPI)", "ratio", ".2f", "down", (1.05, 1.10), "cost",
       "(Σ BAC − EV) / (Σ BAC − AC) over active projects: the cost efficiency the rest of the work needs "
       "to finish on budget. Empty when EV is empty or Σ BAC = AC.", parts=("earned_value", "actual_cost"),
       query=PROJECT_KPIS),
    _m("budget_ytd", "Budget year to date", "money", ".1f", "neutral", None, "cost",
       "Σ planned_cost over selected projects (active or not), periods from January of M's year to M.",
       query=PROJECT_KPIS),
    _m("actual_cost_ytd", "Actual cost year to date", "money", ".1f", "neutral", None, "cost",
       "Σ actual_cost over selected projects (active or not), periods from January of M's year to M.",
       query=PROJECT_KPIS),
    # -- resources (scoped by department only) -------------------------------------------------
    _m("utilization", "Utilization", "share", ".1f", "up", (0.75, 0.60), "resources",
       "Σ timesheet hours with work_date in M (on any project) / Σ capacity in M, over the resources of "
       "the selected departments. Capacity of a resource in M = weekly_capacity_hours × (number of Mon–Fri "
       "days of M within its start_date…end_date, both included) / 5. Empty when capacity is 0.",
       short="Hours booked against hours available",
       query=RESOURCE_KPIS),
    _m("allocation_rate", "Allocation rate", "share", ".1f", "neutral", None, "resources",
       "Σ allocations.planned_hours for period M / Σ capacity in M, over the resources of the selected "
       "departments (all projects). Empty when capacity is 0.",
       query=RESOURCE_KPIS),
    _m("overallocated_resources", "Over-allocated people", "count", ",.0f", "down", None, "resources",
       "Count of resources of the selected departments whose Σ planned_hours for M (all projects) exceeds "
       "their capacity in M.",
       query=RESOURCE_KPIS),
    _m("contractor_hours_share", "Contractor share of hours", "share", ".1f", "neutral", None, "resources",
       "Share of M's timesheet hours, by resources of the selected departments, logged by contractors "
       "(employment_type = contractor). Empty when no hours were logged.",
       query=RESOURCE_KPIS),
    # -- benefits --------------------------------------------------------------------------------
    _m("benefits_planned_to_date", "Benefits planned to date", "money", ".1f", "neutral", None, "benefits",
       "Σ planned_value over the financial benefits of selected projects, each taken from the benefit's "
       "latest measurement with period ≤ M. A benefit without such a measurement adds nothing.",
       query=BENEFIT_KPIS),
    _m("benefits_realized_to_date", "Benefits realised to date", "money", ".1f", "up", None, "benefits",
       "Σ actual_value over the financial benefits of selected projects, each taken from the benefit's "
       "latest measurement with period ≤ M that has an actual_value.",
       query=BENEFIT_KPIS),
    _m("benefit_realization_rate", "Benefit realisation rate", "share", ".1f", "up", (0.90, 0.75),
       "benefits",
       "benefits_realized_to_date / benefits_planned_to_date. Empty when benefits planned to date is 0.",
       parts=("benefits_realized_to_date", "benefits_planned_to_date"),
       query=BENEFIT_KPIS),
    _m("benefits_at_risk", "Benefits at risk", "count", ",.0f", "down", None, "benefits",
       "Count of benefits (any category) of selected projects whose planned_value in their latest "
       "measurement with period ≤ M differs from baseline_value, and that either have no measurement ≤ M "
       "with an actual_value, or whose progress (actual − baseline) / (planned − baseline) is below "
       f"{BENEFIT_ON_TRACK}, with planned from that latest measurement and actual from the latest measurement ≤ M that has "
       "an actual_value. A benefit with no measurement ≤ M is not counted.",
       query=BENEFIT_KPIS),
    _m("benefit_cost_ratio", "Benefit–cost ratio", "ratio", ".2f", "up", None, "benefits",
       "benefits_realized_to_date / Σ actual_cost with period ≤ M of the selected projects (active or "
       "not — unlike AC, which is over active projects). Empty when that cost is 0.",
       parts=("benefits_realized_to_date",),
       query=BENEFIT_KPIS),
    # -- maturity (scoped by business unit only) -----------------------------------------------
    _m("maturity_score", "PMO maturity score", "score", ".2f", "up", (3.0, 2.0), "maturity",
       "For each business unit of the selection, its latest assessment with assessment_date ≤ end(M) "
       "(an assessment whose rows carry several dates is dated by the latest; ties on the date go to the "
       "greatest assessment_id). Domain score = mean of that assessment's "
       "criterion scores in the domain; a business unit's score = mean of its assessed domain scores; "
       "the selection's score = mean of its business units' scores. Empty when no business unit has "
       "been assessed by end(M).",
       query=MATURITY_KPIS),
    _m("maturity_level", "PMO maturity level", "score", fmt.LEVEL, "up", (3, 2), "maturity",
       "Staged level: the largest whole N such that every assessed domain score of the selection is ≥ N, "
       "where the selection's score of a domain = mean over its business units that assessed it "
       "(1 initial, 2 developing, 3 defined, 4 managed, 5 optimising). Compared with a tolerance of 1e-9 "
       "so that a mean such as (2.9 + 3.1) / 2 reaches level 3. Empty when nothing was assessed.",
       parts=("maturity_score",),
       query=MATURITY_KPIS),
    # -- governance: stage gates and change control (issue #15) -----------------------------------
    _m("gate_on_time_rate", "Gates passed on time", "share", ".1f", "up", (0.85, 0.70), "governance",
       "As milestone_on_time_rate, over gate milestones (is_gate) only: of the selected projects' gate "
       "milestones with baseline_date ≤ end(M), the share with actual_date ≤ baseline_date and actual_date ≤ "
       "end(M). Empty when no gate is due by end(M), and so when the selected projects have no gate milestones.",
       short="Stage gates passed by their baseline date",
       query=GOVERNANCE_KPIS),
    _m("gates_overdue", "Gates overdue", "count", ",.0f", "down", None, "governance",
       "Count of the selected projects' gate milestones with baseline_date ≤ end(M) and no actual_date ≤ "
       "end(M). 0 when every gate due was passed; empty when the selected projects have no gate milestones "
       "at all.",
       query=GOVERNANCE_KPIS),
    _m("gate_approval_rate", "Gate reviews approved", "share", ".1f", "up", (0.80, 0.65), "governance",
       f"Of the selected projects' gate reviews with review_date in the {GATE_REVIEW_WINDOW_MONTHS} months "
       f"ending end(M) (after end(M − {GATE_REVIEW_WINDOW_MONTHS}), up to end(M)): the share with decision "
       f"{' or '.join(APPROVING_GATE_DECISIONS)}. Empty when there is no review in that window.",
       query=GOVERNANCE_KPIS),
    _m("open_change_requests", "Open change requests", "count", ",.0f", "neutral", None, "governance",
       "Count of the selected projects' change requests with raised_date ≤ end(M) and no decided_date ≤ "
       "end(M). Empty when the selected projects have no change requests at all.",
       query=GOVERNANCE_KPIS),
    _m("decision_cycle_days", "Change decision time", "days", ".1f", "down", (20, 40), "governance",
       f"Mean of decided_date − raised_date (days) over the selected projects' change requests decided in "
       f"the {DECISION_WINDOW_MONTHS} months ending M (decided_date from the first day of "
       f"M − {DECISION_WINDOW_MONTHS - 1} to end(M)); a withdrawn request is decided too. Empty when none "
       "was decided in that window.",
       query=GOVERNANCE_KPIS),
    _m("escalated_decision_share", "Escalated change decisions", "share", ".1f", "neutral", None, "governance",
       f"Of the change requests decision_cycle_days counts, the share decided_at "
       f"{' or '.join(ESCALATED_LEVELS)} level; one without decided_at counts in the denominator. Empty when "
       "none was decided in that window.",
       query=GOVERNANCE_KPIS),
    _m("approved_change_cost_ytd", "Approved change cost this year", "money", ".1f", "down", None, "governance",
       "Σ cost_impact of the selected projects' change requests approved with decided_date from January of "
       "M's year to end(M); an approved one without cost_impact adds 0. Empty when the selected projects "
       "have no change requests at all.",
       query=GOVERNANCE_KPIS),
    # -- forecasts (CONTRACT §6), in the contract's place after the governance KPIs -----------------
    *_FORECASTS,
    # The PMO's own cost comes last, in the contract's order: see below.
)

# -- the PMO's own cost (issue #15): organisation-wide, the project filters do not apply -------------
_DECLARED_PMO = (
    _m("pmo_cost_ytd", "PMO cost this year", "money", ".1f", "neutral", None, "pmo",
       "Σ pmo_costs.actual_cost with period from January of M's year to M (the PMO is organisation-wide: "
       "filters do not apply). Empty when pmo_costs has no actual_cost with period ≤ M.",
       short="What the PMO itself cost this year",
       query=PMO_KPIS),
    _m("pmo_cost_share", "PMO cost as a share of project spend", "share", ".1f", "neutral", None, "pmo",
       "pmo_cost_ytd / actual_cost_ytd of every selectable project (stage not "
       f"{_EXCLUDED}; no filters). Empty when pmo_cost_ytd is empty, or when that denominator is empty "
       "(no selectable project has any actual_cost with period ≤ M) or 0.",
       parts=("pmo_cost_ytd", "actual_cost_ytd"),
       query=PMO_KPIS),
)

METRICS: dict[str, Metric] = {m.id: m for m in _DECLARED + _DECLARED_PMO}


def get(metric_id: str) -> Metric:
    try:
        return METRICS[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric {metric_id!r}; known: {', '.join(METRICS)}") from None


def metrics_in_group(group: str) -> list[Metric]:
    return [m for m in METRICS.values() if m.group == group]


def queries() -> tuple[Query, ...]:
    """The KPI queries the registry names, in registry order (each runs once for all its metrics)."""
    return tuple(dict.fromkeys(m.query for m in METRICS.values()))


def metrics_of(query: Query) -> list[str]:
    """The ids of the metrics a query computes, in registry order."""
    return [m.id for m in METRICS.values() if m.query == query]


def _is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(value)
    except TypeError:
        return False


def format_value(metric_id: str, value, currency: str = "") -> str:
    """A KPI as a card shows it, by its unit: '1,234', '45.0 %', '1.2 M', '0.92', '12 days', '—' if empty.

    `currency` is an optional prefix for money ('£' gives '£1.2 M').
    """
    m = get(metric_id)
    return fmt.value(m.unit, None if _is_missing(value) else value, m.fmt, currency=currency)


def format_change(metric_id: str, change) -> str:
    """A month-over-month change: '+2.5 pp' for shares, '+0.03' for ratios, '-1.2 M' for money."""
    m = get(metric_id)
    return fmt.change(m.unit, None if _is_missing(change) else change, m.fmt)


def status(metric_id: str, value, thresholds: Thresholds | tuple[float, float] | None = None) -> str | None:
    """'green', 'amber' or 'red' for a value under the metric's thresholds (or the ones given);
    None for an empty value, a neutral metric or one without thresholds."""
    m = get(metric_id)
    if thresholds is not None and not isinstance(thresholds, Thresholds):
        thresholds = Thresholds(*thresholds)
    t = thresholds or m.thresholds
    if _is_missing(value) or t is None or m.good == "neutral":
        return None
    v = float(value)
    if m.good == "up":
        return "green" if v >= t.green else ("amber" if v >= t.amber else "red")
    return "green" if v <= t.green else ("amber" if v <= t.amber else "red")


def direction(metric_id: str, change) -> str | None:
    """'better', 'worse' or 'same' for a change, by the metric's good direction (None if neutral)."""
    m = get(metric_id)
    if _is_missing(change) or m.good == "neutral":
        return None
    if change == 0:
        return "same"
    return "better" if (change > 0) == (m.good == "up") else "worse"


def threshold_text(m: Metric) -> str:
    """'green ≥ 0.95; amber ≥ 0.90; else red', or '—' for a metric without RAG thresholds."""
    if m.thresholds is None or m.good == "neutral":
        return "—"
    op = "≥" if m.good == "up" else "≤"
    g = format_value(m.id, m.thresholds.green)
    a = format_value(m.id, m.thresholds.amber)
    return f"green {op} {g}; amber {op} {a}; else red"


def glossary_rows() -> list[dict[str, str]]:
    """Every metric as a row (group, label, id, unit, better, thresholds, scope, parts, query,
    formula) for the glossary page and its downloads."""
    return [{"group": GROUP_LABELS[m.group], "label": m.label, "id": m.id, "unit": m.unit, "better": m.good,
             "thresholds": threshold_text(m), "scope": m.scope, "built_from": ", ".join(m.parts),
             "query": m.query.sql, "definition": m.definition} for m in METRICS.values()]


def render_glossary() -> str:
    """docs/glossary.md, generated from the registry (a test keeps the file current)."""
    lines = [
        "# KPI glossary",
        "",
        "<!-- Generated from pmo_metrics/metrics.py by `python -m pmo_metrics.metrics docs/glossary.md`;"
        " do not edit by hand. -->",
        "",
        "Every KPI is computed *as of* a month M (end(M) = its last day; by default the month of the latest "
        "status report) over the projects the filters select: portfolio, program, business unit and "
        f"strategic objective; projects at stage {_EXCLUDED} are never selected. Resource KPIs are "
        "scoped by department only, maturity KPIs by business unit only. Ratios are ratios of sums, never "
        "means of ratios, and a ratio whose denominator is 0 is shown empty (—), never 0 or infinity. "
        "Every KPI is also computed for M − 1 and pages show the change. Date ranges include both ends.",
        "",
    ]
    for group in GROUPS:
        members = metrics_in_group(group)
        if not members:
            continue
        lines += [f"## {GROUP_LABELS[group]}", ""]
        for m in members:
            lines += [f"### {m.label} — `{m.id}`", "", m.definition, ""]
            facts = [f"unit: {m.unit}", f"better: {m.good}", f"thresholds: {threshold_text(m)}",
                     f"scope: {m.scope}"]
            if m.parts:
                facts.append("built from: " + ", ".join(f"`{p}`" for p in m.parts))
            facts.append(f"computed by: `pmo_metrics/sql/{m.query.sql}.sql`")
            lines += ["- " + "\n- ".join(facts), ""]
    return "\n".join(lines).rstrip() + "\n"


def write_glossary(path) -> None:
    Path(path).write_text(render_glossary(), encoding="utf-8")


if __name__ == "__main__":
    write_glossary(sys.argv[1] if len(sys.argv) > 1 else "docs/glossary.md")
