"""The data contract as data: the tables' column names, types, keys and enumerations, and the
thresholds the rules and KPIs share.

Everything that needs to know the shape of an extract — readers, mappings, the rules'
schemas, the warehouse DDL, the demo generator — reads it from here, so the contract
(CONTRACT.md §1) is restated exactly once in code; and every cut-off a rule or a KPI applies
(stale days, the high-risk score, …) is a named constant here, never a literal elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Column types of CONTRACT §1.
STR, DATE, MONTH, MONEY, NUM, INT, BOOL = "str", "date", "month", "money", "num", "int", "bool"

RAG = ("green", "amber", "red")
STAGES = ("idea", "initiation", "planning", "execution", "closing", "closed", "on_hold", "cancelled")
DELIVERY_APPROACHES = ("predictive", "agile", "hybrid")
RISK_STATUSES = ("open", "closed")
COST_CATEGORIES = ("capex", "opex")
EMPLOYMENT_TYPES = ("employee", "contractor")
BENEFIT_CATEGORIES = ("financial", "non_financial")
BENEFIT_TYPES = (
    "revenue", "cost_saving", "cost_avoidance", "productivity", "customer", "compliance", "risk_reduction",
)
MATURITY_DOMAINS = (
    "strategic_alignment", "governance", "talent", "integration_tools", "performance",
    "value_delivery", "leadership", "change_management", "continuous_improvement",
)
GATE_DECISIONS = ("approved", "approved_with_conditions", "deferred", "rejected")
CHANGE_CATEGORIES = ("scope", "schedule", "budget", "risk", "priority")
CHANGE_DECISIONS = ("approved", "rejected", "withdrawn")
DECISION_LEVELS = ("project", "program", "portfolio", "executive")
PMO_COST_CATEGORIES = ("staff", "tools", "training", "other")
MATURITY_LEVEL_NAMES = {1: "initial", 2: "developing", 3: "defined", 4: "managed", 5: "optimising"}

# Stages excluded from every KPI's project selection (CONTRACT §3).
EXCLUDED_STAGES = ("idea", "cancelled")
# Stages whose projects are candidates of a planning round (CONTRACT §7).
CANDIDATE_STAGES = ("idea", "initiation", "planning")

# RAG ratings from worst to best: the order tables sort by, charts stack in, and trends compare by
# (a project "improved" when its rating moved right in this tuple).
RAG_ORDER = ("red", "amber", "green")
RAG_RANK = {rag: rank for rank, rag in enumerate(RAG_ORDER, start=1)}

# -- thresholds and cut-offs of the rules and KPIs (CONTRACT §2–§3) ---------------------------------
# Each has this one home. SQL never spells them: `SQL_CONSTANTS` binds them as parameters into every
# mart and query; the accuracy rules, the registry's definitions and the page wording read them here.
STALE_REPORT_DAYS = 35       # a latest status report more than this many days old is stale (STS-STALE, KPIs)
HIGH_RISK_SCORE = 15         # a risk is high when probability × impact is at least this
BENEFIT_ON_TRACK = 0.8       # a benefit whose progress (of plan) is below this is at risk
BAC_TOLERANCE = 0.05         # FIN-BAC: Σ planned_cost may differ from budget_at_completion by this share
DAY_HOURS_LIMIT = 12         # TS-DAY-TOTAL: more hours than this on one day is a warning
# Governance (CONTRACT §3): the windows of the gate and change-decision KPIs, and what counts as what.
GATE_REVIEW_WINDOW_MONTHS = 12   # gate_approval_rate: reviews in the 12 months ending end(M)
DECISION_WINDOW_MONTHS = 3       # decision_cycle_days, escalated_decision_share: decided in the 3 months ending M
APPROVING_GATE_DECISIONS = ("approved", "approved_with_conditions")
ESCALATED_LEVELS = ("portfolio", "executive")

# -- forecasts (CONTRACT §6) -------------------------------------------------------------------------
REFERENCE_CLASS_MIN = 8      # a reference class smaller than this gives no forecast (falls back, then null)
RCF_P50 = 0.5                # the quantiles of the reference class's ratios a forecast reads
RCF_P80 = 0.8
BACKTEST_MONTHS = 12         # the backtest covers projects that finished in this many months ending M



@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Table:
    name: str
    source: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, type_: str = STR, *, optional: bool = False, enum: tuple[str, ...] | None = None) -> Column:
    return Column(name, type_, not optional, enum)


TABLES: dict[str, Table] = {t.name: t for t in (
    Table("projects", "PMIS", ("project_id",), (
        _c("project_id"), _c("project_name"), _c("portfolio"), _c("program", optional=True),
        _c("business_unit"), _c("strategic_objective_id", optional=True), _c("sponsor", optional=True),
        _c("project_manager", optional=True), _c("delivery_approach", enum=DELIVERY_APPROACHES),
        _c("stage", enum=STAGES), _c("priority_score", NUM, optional=True), _c("start_date", DATE),
        _c("baseline_finish_date", DATE), _c("forecast_finish_date", DATE, optional=True),
        _c("actual_finish_date", DATE, optional=True), _c("budget_at_completion", MONEY),
    ), "One row per project: where it sits, its stage, dates and budget."),
    Table("status_reports", "PMIS", ("project_id", "report_date"), (
        _c("project_id"), _c("report_date", DATE), _c("overall_rag", enum=RAG),
        _c("schedule_rag", optional=True, enum=RAG), _c("cost_rag", optional=True, enum=RAG),
        _c("scope_rag", optional=True, enum=RAG), _c("percent_complete", NUM, optional=True),
        _c("summary", optional=True),
    ), "Periodic status of each project: RAG ratings, percent complete, commentary."),
    Table("milestones", "PMIS", ("milestone_id",), (
        _c("milestone_id"), _c("project_id"), _c("milestone_name"), _c("is_gate", BOOL),
        _c("baseline_date", DATE), _c("forecast_date", DATE, optional=True), _c("actual_date", DATE, optional=True),
    ), "Milestones and stage gates with baseline, forecast and actual dates."),
    Table("risks", "PMIS", ("risk_id",), (
        _c("risk_id"), _c("project_id"), _c("title"), _c("probability", INT), _c("impact", INT),
        _c("status", enum=RISK_STATUSES), _c("owner", optional=True), _c("raised_date", DATE),
        _c("closed_date", DATE, optional=True),
    ), "Project risks scored 1–5 for probability and impact."),
    Table("strategic_objectives", "PMIS", ("objective_id",), (
        _c("objective_id"), _c("objective_name"), _c("weight", NUM),
    ), "The organisation's strategic objectives and their weights."),
    Table("financials", "Finance", ("project_id", "period", "cost_category"), (
        _c("project_id"), _c("period", MONTH), _c("cost_category", enum=COST_CATEGORIES),
        _c("planned_cost", MONEY), _c("actual_cost", MONEY, optional=True), _c("forecast_cost", MONEY, optional=True),
    ), "Planned, actual and forecast cost per project, month and cost category."),
    Table("resources", "HR", ("resource_id",), (
        _c("resource_id"), _c("resource_name"), _c("role"), _c("department"),
        _c("employment_type", enum=EMPLOYMENT_TYPES), _c("weekly_capacity_hours", NUM), _c("hourly_cost", MONEY),
        _c("start_date", DATE), _c("end_date", DATE, optional=True),
    ), "People who work on projects, their capacity and cost."),
    Table("allocations", "HR", ("resource_id", "project_id", "period"), (
        _c("resource_id"), _c("project_id"), _c("period", MONTH), _c("planned_hours", NUM),
    ), "Hours each resource is planned to spend on each project per month."),
    Table("timesheets", "HR", (), (
        _c("resource_id"), _c("project_id"), _c("work_date", DATE), _c("hours", NUM),
    ), "Hours actually booked, one row per booking."),
    Table("benefits", "Benefits", ("benefit_id",), (
        _c("benefit_id"), _c("project_id"), _c("benefit_name"), _c("category", enum=BENEFIT_CATEGORIES),
        _c("benefit_type", enum=BENEFIT_TYPES), _c("owner", optional=True), _c("unit"),
        _c("baseline_value", NUM), _c("target_value", NUM), _c("planned_start", MONTH), _c("planned_end", MONTH),
    ), "Benefits each project is expected to deliver."),
    Table("benefit_measurements", "Benefits", ("benefit_id", "period"), (
        _c("benefit_id"), _c("period", MONTH), _c("planned_value", NUM), _c("actual_value", NUM, optional=True),
    ), "Planned and measured value of each benefit per month."),
    Table("maturity_assessments", "PMO", ("assessment_id", "business_unit", "domain", "criterion_id"), (
        _c("assessment_id"), _c("assessment_date", DATE), _c("business_unit"),
        _c("domain", enum=MATURITY_DOMAINS), _c("criterion_id"), _c("score", NUM),
        _c("target_score", NUM, optional=True), _c("comment", optional=True),
    ), "PMO maturity self-assessments per business unit, domain and criterion."),
    # -- governance and the PMO's own value (CONTRACT §1) --
    Table("gate_reviews", "PMIS", ("gate_review_id",), (
        _c("gate_review_id"), _c("project_id"), _c("milestone_id", optional=True), _c("review_date", DATE),
        _c("decision", enum=GATE_DECISIONS), _c("chair", optional=True), _c("comment", optional=True),
    ), "Stage-gate reviews: which gate, when, and what the board decided."),
    Table("change_requests", "PMIS", ("change_id",), (
        _c("change_id"), _c("project_id"), _c("category", enum=CHANGE_CATEGORIES), _c("title"),
        _c("raised_date", DATE), _c("decided_date", DATE, optional=True),
        _c("decision", optional=True, enum=CHANGE_DECISIONS), _c("decided_at", optional=True, enum=DECISION_LEVELS),
        _c("cost_impact", MONEY, optional=True), _c("schedule_impact_days", INT, optional=True),
    ), "Change requests: raised, decided, at which level, and their cost and schedule impact."),
    Table("pmo_costs", "PMO", ("period", "cost_category"), (
        _c("period", MONTH), _c("cost_category", enum=PMO_COST_CATEGORIES), _c("planned_cost", MONEY),
        _c("actual_cost", MONEY, optional=True),
    ), "What the PMO itself costs per month: staff, tools, training, other."),
    Table("project_scores", "PMO", ("project_id", "criterion"), (
        _c("project_id"), _c("criterion"), _c("score", NUM), _c("scored_date", DATE, optional=True),
        _c("comment", optional=True),
    ), "Scores given to projects per selection criterion (0–100), replacing the built-in ones."),
)}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

# Load order: a table's references come before it.
LOAD_ORDER: tuple[str, ...] = (
    "strategic_objectives", "projects", "status_reports", "milestones", "risks", "financials",
    "resources", "allocations", "timesheets", "benefits", "benefit_measurements", "maturity_assessments",
    "gate_reviews", "change_requests", "pmo_costs", "project_scores",
)

DUCKDB_TYPES = {STR: "VARCHAR", DATE: "DATE", MONTH: "VARCHAR", MONEY: "DOUBLE", NUM: "DOUBLE",
                INT: "INTEGER", BOOL: "BOOLEAN"}


def create_table_sql(table: Table, schema: str = "main") -> str:
    """DDL for a contract table; names come from the contract, never from input."""
    cols = ", ".join(f'"{c.name}" {DUCKDB_TYPES[c.type]}' for c in table.columns)
    return f'CREATE TABLE {schema}."{table.name}" ({cols})'


# The contract's values as SQL binds them: $stale_report_days, $rag_order, … (see queries.bind).
SQL_CONSTANTS: dict[str, object] = {
    "excluded_stages": list(EXCLUDED_STAGES),
    "candidate_stages": list(CANDIDATE_STAGES),
    "rag_order": list(RAG_ORDER),
    "stale_report_days": STALE_REPORT_DAYS,
    "high_risk_score": HIGH_RISK_SCORE,
    "benefit_on_track": BENEFIT_ON_TRACK,
    "maturity_domains": list(MATURITY_DOMAINS),
    "load_order": list(LOAD_ORDER),
    "reference_class_min": REFERENCE_CLASS_MIN,
    "rcf_p50": RCF_P50,
    "rcf_p80": RCF_P80,
    "backtest_months": BACKTEST_MONTHS,
    "gate_review_window_months": GATE_REVIEW_WINDOW_MONTHS,
    "decision_window_months": DECISION_WINDOW_MONTHS,
    "approving_gate_decisions": list(APPROVING_GATE_DECISIONS),
    "escalated_levels": list(ESCALATED_LEVELS),
    "gate_decisions": list(GATE_DECISIONS),
    "decision_levels": list(DECISION_LEVELS),
    "pmo_cost_categories": list(PMO_COST_CATEGORIES),
}
