"""The demo batch: reproducible, shaped like the contract, clean of errors, with its deliberate warnings.

The rules of CONTRACT §2 are checked here directly on the files (not through the validator), so the
demo and the validator are two independent readings of the contract.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from pmo_metrics import contract as c
from pmo_metrics import demo

# (seed, end month): the rules must hold for any seed, not one lucky draw.
CASES = [(42, "2025-06"), (7, "2024-01"), (2024, "2026-11")]
POLARS_TYPES = {c.STR: pl.String, c.DATE: pl.Date, c.MONTH: pl.String, c.MONEY: pl.Float64, c.NUM: pl.Float64,
                c.INT: pl.Int64, c.BOOL: pl.Boolean}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class Case:
    def __init__(self, seed: int, end_month: str):
        self.seed, self.end_month = seed, end_month
        year, month = map(int, end_month.split("-"))
        self.first = dt.date(year, month, 1)
        self.end = (self.first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        m = year * 12 + month - 1 - 23  # the small scale covers 24 months
        self.window_first = dt.date(m // 12, m % 12 + 1, 1)
        self.window_first_end = (self.window_first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


@pytest.fixture(scope="module", params=CASES, ids=[f"seed{s}-{m}" for s, m in CASES])
def case(request) -> Case:
    return Case(*request.param)


@pytest.fixture(scope="module")
def batch(case, tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("demo")
    return out, demo.generate_demo(out, "small", seed=case.seed, end_month=case.end_month)


@pytest.fixture(scope="module")
def raw(batch) -> dict[str, pl.DataFrame]:
    """Every file as text, exactly as written."""
    out, _ = batch
    return {name: pl.read_csv(out / f"{name}.csv", infer_schema=False) for name in c.TABLE_NAMES}


@pytest.fixture(scope="module")
def t(raw) -> dict[str, pl.DataFrame]:
    """Every file cast to its contract types."""
    typed = {}
    for name, df in raw.items():
        typed[name] = df.with_columns(
            pl.col(col.name).str.to_date("%Y-%m-%d") if col.type == c.DATE
            else (pl.col(col.name) == "true") if col.type == c.BOOL
            else pl.col(col.name).cast(POLARS_TYPES[col.type])
            for col in c.TABLES[name].columns)
    return typed


@pytest.fixture(scope="module")
def active(t, case) -> pl.DataFrame:
    """Projects active at the end of the end month, the load date of a batch loaded right after it (§3)."""
    return t["projects"].filter(
        ~pl.col("stage").is_in(c.EXCLUDED_STAGES), pl.col("start_date") <= case.end,
        pl.col("actual_finish_date").is_null() | (pl.col("actual_finish_date") > case.end))


def _dupes(df: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    return df.group_by(key).len().filter(pl.col("len") > 1)


# --- reproducibility and shape ------------------------------------------------------------------

def test_same_seed_gives_identical_bytes(case, batch, tmp_path):
    out, rows = batch
    again = demo.generate_demo(tmp_path, "small", seed=case.seed, end_month=case.end_month)
    assert again == rows
    for name in c.TABLE_NAMES:
        assert (tmp_path / f"{name}.csv").read_bytes() == (out / f"{name}.csv").read_bytes(), name


def test_other_seed_gives_other_data(case, batch, tmp_path):
    out, _ = batch
    demo.generate_demo(tmp_path, "small", seed=case.seed + 1, end_month=case.end_month)
    for name in ("projects", "status_reports", "timesheets", "benefits", "maturity_assessments"):
        assert (tmp_path / f"{name}.csv").read_bytes() != (out / f"{name}.csv").read_bytes(), name


def test_default_end_month_is_last_month(tmp_path):
    demo.generate_demo(tmp_path, "small", seed=3)
    reports = pl.read_csv(tmp_path / "status_reports.csv", try_parse_dates=True)
    today = dt.date.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert reports["report_date"].max().strftime("%Y-%m") == last_month
    assert (today - reports["report_date"].max()).days <= 35  # a load today sees fresh reports


def test_progress_is_reported(tmp_path):
    seen = []
    demo.generate_demo(tmp_path, "small", end_month="2025-06", progress=lambda msg, f: seen.append((msg, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(msg, str) and msg for msg, _ in seen)


@pytest.mark.parametrize("kwargs", [{"scale": "huge"}, {"end_month": "2025-13"}, {"end_month": "June 2025"}])
def test_bad_arguments_are_refused(tmp_path, kwargs):
    with pytest.raises(ValueError):
        demo.generate_demo(tmp_path, **{"end_month": "2025-06", **kwargs})


def test_every_table_written_with_contract_header(batch, raw):
    out, rows = batch
    assert set(rows) == set(c.TABLE_NAMES)
    for name, table in c.TABLES.items():
        header = (out / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header == ",".join(table.column_names), name
        assert raw[name].height == rows[name] > 0, name


def test_values_are_written_in_contract_formats(raw):
    for name, table in c.TABLES.items():
        df = raw[name]
        for col in table.columns:
            values = df[col.name].drop_nulls()
            if col.type == c.DATE:
                assert values.str.contains(DATE_RE.pattern).all(), (name, col.name)
            elif col.type == c.MONTH:
                assert values.str.contains(MONTH_RE.pattern).all(), (name, col.name)
            elif col.type == c.BOOL:
                assert set(values.unique()) <= {"true", "false"}, (name, col.name)
            elif col.type in (c.MONEY, c.NUM, c.INT):
                assert values.cast(pl.Float64, strict=False).null_count() == 0, (name, col.name)
            if col.enum:
                assert set(values.unique()) <= set(col.enum), (name, col.name)


# --- error rules of CONTRACT §2 (none may fire) -------------------------------------------------

def test_required_values_present_and_keys_unique(t):
    for name, table in c.TABLES.items():
        df = t[name]
        for col in table.required_columns:
            assert df[col].null_count() == 0, (name, col)
        if table.key:
            assert _dupes(df, list(table.key)).is_empty(), name


def test_references_resolve(t):
    projects = set(t["projects"]["project_id"])
    for name in ("status_reports", "milestones", "risks", "financials", "allocations", "timesheets", "benefits"):
        assert set(t[name]["project_id"]) <= projects, name
    resources = set(t["resources"]["resource_id"])
    assert set(t["allocations"]["resource_id"]) <= resources
    assert set(t["timesheets"]["resource_id"]) <= resources
    assert set(t["benefit_measurements"]["benefit_id"]) <= set(t["benefits"]["benefit_id"])
    objectives = set(t["strategic_objectives"]["objective_id"])
    assert set(t["projects"]["strategic_objective_id"].drop_nulls()) <= objectives
    assert (t["strategic_objectives"]["weight"] >= 0).all()
    # Project managers and risk owners are people the HR extract knows.
    people = set(t["resources"]["resource_name"])
    assert set(t["projects"]["project_manager"].drop_nulls()) <= people
    assert set(t["risks"]["owner"].drop_nulls()) <= people


def test_project_rules(t, case):
    p = t["projects"]
    for col in ("baseline_finish_date", "forecast_finish_date", "actual_finish_date"):
        assert p.filter(pl.col(col) < pl.col("start_date")).is_empty(), col
    assert (p["budget_at_completion"] >= 0).all()
    assert p.filter(pl.col("stage") == "closed", pl.col("actual_finish_date").is_null()).is_empty()
    assert p.filter(pl.col("actual_finish_date") > case.end).is_empty()  # PRJ-FUTURE-FINISH stays quiet
    assert p["priority_score"].drop_nulls().is_between(0, 100).all()
    assert set(p["stage"]) == set(c.STAGES)  # every stage is represented
    assert set(p["delivery_approach"]) == set(c.DELIVERY_APPROACHES)


def test_status_report_rules(t, case):
    s, p = t["status_reports"], t["projects"]
    assert s["percent_complete"].is_between(0, 100).all()
    assert s["report_date"].max() <= case.end and s["report_date"].min() >= case.window_first
    assert s.join(p, on="project_id").filter(pl.col("report_date") < pl.col("start_date")).is_empty()
    assert set(s["project_id"]) & set(p.filter(pl.col("stage") == "idea")["project_id"]) == set()
    # Amber and red ratings come with an explanation in plain words.
    assert s.filter(pl.col("overall_rag") != "green", pl.col("summary").is_null()).is_empty()
    assert set(s["overall_rag"]) == set(c.RAG)


def test_milestone_rules(t, case):
    m = t["milestones"]
    assert m["actual_date"].drop_nulls().max() <= case.end  # MS-FUTURE-ACTUAL stays quiet
    assert m["is_gate"].any() and not m["is_gate"].all()
    # Troubled projects slip: some milestones finish after their baseline.
    assert m.filter(pl.col("actual_date") > pl.col("baseline_date")).height > 0
    assert m.filter(pl.col("actual_date") <= pl.col("baseline_date")).height > 0


def test_risk_rules(t, case):
    r = t["risks"]
    assert r["probability"].is_between(1, 5).all() and r["impact"].is_between(1, 5).all()
    assert r["raised_date"].max() <= case.end and r["closed_date"].drop_nulls().max() <= case.end
    assert r.filter(pl.col("status") == "closed", pl.col("closed_date").is_null()).is_empty()
    assert r.filter(pl.col("status") == "open", pl.col("closed_date").is_not_null()).is_empty()
    assert r.filter(pl.col("closed_date") < pl.col("raised_date")).is_empty()
    open_high = r.filter(pl.col("status") == "open", pl.col("probability") * pl.col("impact") >= 15)
    assert open_high.height >= 3


def test_financial_rules(t, case):
    f = t["financials"]
    assert (f["planned_cost"] >= 0).all()
    assert f.filter(pl.col("period") > case.end_month, pl.col("actual_cost").is_not_null()).is_empty()
    assert f.filter(pl.col("period") <= case.end_month, pl.col("actual_cost").is_null()).is_empty()
    assert f.filter(pl.col("period") <= case.end_month, pl.col("forecast_cost").is_not_null()).is_empty()
    assert set(f["cost_category"]) == set(c.COST_CATEGORIES)


def test_resource_allocation_and_timesheet_rules(t, case):
    r, a, ts = t["resources"], t["allocations"], t["timesheets"]
    assert r["weekly_capacity_hours"].is_between(16, 40).all() and (r["hourly_cost"] >= 0).all()
    assert r.filter(pl.col("end_date") < pl.col("start_date")).is_empty()
    assert r["start_date"].max() <= case.end
    assert set(r["employment_type"]) == set(c.EMPLOYMENT_TYPES)
    assert (a["planned_hours"] >= 0).all()
    assert ((ts["hours"] > 0) & (ts["hours"] <= 24)).all()
    assert ts["work_date"].max() <= case.end and ts["work_date"].min() >= case.window_first
    assert (ts["work_date"].dt.weekday() <= 5).all()  # Monday = 1 … Friday = 5
    # Every booking has an allocation for that resource, project and month behind it.
    booked = ts.with_columns(period=pl.col("work_date").dt.strftime("%Y-%m")).select(
        "resource_id", "project_id", "period").unique()
    assert booked.join(a, on=["resource_id", "project_id", "period"], how="anti").is_empty()
    # … and people book roughly what was planned.
    planned = a.filter(pl.col("period") <= case.end_month)["planned_hours"].sum()
    assert 0.7 <= ts["hours"].sum() / planned <= 1.1


def test_benefit_rules(t, case):
    b, m = t["benefits"], t["benefit_measurements"]
    assert b.filter(pl.col("target_value") == pl.col("baseline_value")).is_empty()
    assert b.filter(pl.col("planned_end") < pl.col("planned_start")).is_empty()
    assert set(b["benefit_type"]) == set(c.BENEFIT_TYPES)
    assert set(b["category"]) == set(c.BENEFIT_CATEGORIES)
    assert b.filter(pl.col("category") == "financial", ~pl.col("benefit_type").is_in(
        ["revenue", "cost_saving", "cost_avoidance"])).is_empty()
    joined = m.join(b, on="benefit_id")
    outside = (pl.col("period") < pl.col("planned_start")) | (pl.col("period") > pl.col("planned_end"))
    assert joined.filter(outside).is_empty()
    assert m.filter(pl.col("period") > case.end_month, pl.col("actual_value").is_not_null()).is_empty()
    # Some benefits lag their plan (progress below 80 %), as benefits_at_risk expects to find.
    latest = (joined.filter(pl.col("period") <= case.end_month, pl.col("actual_value").is_not_null())
              .sort("period").group_by("benefit_id").last()
              .with_columns(progress=(pl.col("actual_value") - pl.col("baseline_value"))
                            / (pl.col("planned_value") - pl.col("baseline_value"))))
    assert latest.filter(pl.col("progress") < 0.8).height >= 3
    assert latest.filter(pl.col("progress") >= 0.8).height >= 3


def test_maturity_rules(t, case):
    ma = t["maturity_assessments"]
    assert ma["score"].is_between(1, 5).all() and ma["target_score"].is_between(1, 5).all()
    assert ma["assessment_date"].max() <= case.end
    assert ma["assessment_date"].min() <= case.window_first_end  # a score exists from the first month on
    assert set(ma["domain"]) == set(c.MATURITY_DOMAINS)
    per_domain = ma.group_by("assessment_id", "business_unit", "domain").len()
    assert per_domain["len"].is_between(2, 4).all()
    assert set(ma["business_unit"]) == set(t["projects"]["business_unit"])
    # Twice a year per business unit, and slowly getting better.
    per_year = ma.select("business_unit", "assessment_id", year=pl.col("assessment_date").dt.year()).unique()
    per_unit_year = per_year.group_by("business_unit", "year").len()
    assert per_unit_year["len"].max() == 2
    assert per_unit_year.filter(pl.col("len") == 2)["business_unit"].n_unique() == ma["business_unit"].n_unique()
    by_assessment = ma.group_by("assessment_id").agg(pl.col("score").mean()).sort("assessment_id")["score"]
    assert by_assessment[-1] > by_assessment[0]


# --- realism ------------------------------------------------------------------------------------

def test_percent_complete_rises_except_the_one_drop(t):
    s = t["status_reports"].sort("project_id", "report_date").with_columns(
        previous=pl.col("percent_complete").shift().over("project_id"))
    drops = s.filter(pl.col("percent_complete") < pl.col("previous"))
    assert drops.height == 1  # the deliberate STS-PCT-DROP


def test_reports_are_monthly_and_closed_projects_reach_100(t):
    s, p = t["status_reports"], t["projects"]
    months = s.with_columns(month=pl.col("report_date").dt.strftime("%Y-%m"))
    assert _dupes(months, ["project_id", "month"]).is_empty()
    closed = p.filter(pl.col("stage") == "closed")["project_id"]
    final = s.filter(pl.col("project_id").is_in(closed.implode())).sort("report_date").group_by("project_id").last()
    assert (final["percent_complete"] == 100).all()


def test_troubled_projects_look_troubled(t):
    """Projects rated red at some point slip further and spend less efficiently (lower EV / AC)."""
    s, p, f = t["status_reports"], t["projects"], t["financials"]
    reports = s.sort("report_date").group_by("project_id").agg(
        red=(pl.col("overall_rag") == "red").any(), percent=pl.col("percent_complete").last())
    spent = f.group_by("project_id").agg(pl.col("actual_cost").sum())
    view = (p.filter(pl.col("stage").is_in(["execution", "closing", "closed"]))
            .join(reports, on="project_id").join(spent, on="project_id")
            .with_columns(slip=(pl.coalesce("actual_finish_date", "forecast_finish_date")
                                - pl.col("baseline_finish_date")).dt.total_days(),
                          cpi=pl.col("budget_at_completion") * pl.col("percent") / 100 / pl.col("actual_cost")))
    by = view.group_by("red").agg(pl.col("slip").mean(), pl.col("cpi").median())
    red, calm = by.filter(pl.col("red")).row(0, named=True), by.filter(~pl.col("red")).row(0, named=True)
    assert red["slip"] > calm["slip"] and red["cpi"] < calm["cpi"]


def test_project_budget_matches_planned_cost_except_one(t):
    totals = t["financials"].group_by("project_id").agg(pl.col("planned_cost").sum()).join(
        t["projects"], on="project_id")
    off = totals.filter((pl.col("planned_cost") - pl.col("budget_at_completion")).abs()
                        > 0.05 * pl.col("budget_at_completion"))
    assert off.height == 1  # the deliberate FIN-BAC
    assert totals.height == t["projects"].height  # every project has a cost plan


def test_actual_costs_track_plan(t, active, case):
    f = t["financials"].filter(pl.col("period") <= case.end_month)
    ratio = f["actual_cost"].sum() / f["planned_cost"].sum()
    assert 0.75 <= ratio <= 1.25
    assert f.filter(pl.col("actual_cost") < 0).height == 1  # the deliberate credit note


def test_deliberate_warnings_are_present(t, active, case):
    s, ts, r = t["status_reports"], t["timesheets"], t["resources"]
    # STS-STALE: exactly two active projects report late; every other active project is fresh.
    latest = active.join(s.group_by("project_id").agg(pl.col("report_date").max()), on="project_id", how="left")
    stale = latest.filter(pl.col("report_date").is_null() | ((case.end - pl.col("report_date")).dt.total_days() > 35))
    assert stale.height == 2 and stale["stage"].is_in(["execution", "closing"]).all()
    # PRJ-NO-PM: one active project without a manager.
    assert active.filter(pl.col("project_manager").is_null()).height == 1
    # TS-DAY-TOTAL: one resource-day above 12 hours.
    days = ts.group_by("resource_id", "work_date").agg(pl.col("hours").sum())
    assert days.filter(pl.col("hours") > 12).height == 1
    # TS-OUTSIDE-EMPLOYMENT: one booking outside the resource's employment.
    outside = ts.join(r, on="resource_id").filter(
        (pl.col("work_date") < pl.col("start_date")) | (pl.col("work_date") > pl.col("end_date")))
    assert outside.height == 1


def test_sizes_of_the_small_scale(batch, active, case):
    _, rows = batch
    assert rows["projects"] == 60 and rows["resources"] == 150
    assert rows["strategic_objectives"] == 6
    assert 15 <= active.height <= 45
    assert 300 <= rows["status_reports"] <= 1200
    assert 10_000 <= rows["timesheets"] <= 200_000
    assert 500 <= rows["allocations"] <= 10_000
    # units × criteria × campaigns (every March and September, from the one before the window)
    assessments = sum(1 for i in range(29) if (case.first.month - 1 - i) % 12 + 1 in (3, 9))
    assert rows["maturity_assessments"] == 5 * 25 * assessments


def test_resources_are_busy_but_not_swamped(t, case):
    """Monthly utilization of people employed the whole month sits in a believable band."""
    months = (t["timesheets"].select(first=pl.col("work_date").dt.truncate("1mo")).unique()
              .with_columns(last=pl.col("first").dt.month_end()))
    months = months.with_columns(weekdays=pl.business_day_count("first", pl.col("last").dt.offset_by("1d")))
    employed = months.join(t["resources"], how="cross").filter(
        pl.col("start_date") <= pl.col("first"), pl.col("end_date").is_null() | (pl.col("end_date") >= pl.col("last")))
    capacity = employed.group_by("first").agg(
        capacity=(pl.col("weekly_capacity_hours") * pl.col("weekdays") / 5).sum())
    hours = (t["timesheets"].with_columns(first=pl.col("work_date").dt.truncate("1mo"))
             .join(employed.select("first", "resource_id"), on=["first", "resource_id"])
             .group_by("first").agg(pl.col("hours").sum()))
    util = capacity.join(hours, on="first").sort("first").select(pl.col("hours") / pl.col("capacity"))["hours"]
    assert 0.5 <= util.mean() <= 0.9
    assert util.max() <= 1.0 and util[-1] >= 0.35


def test_project_managers_work_on_their_projects(t):
    """The manager named in the PMIS is on the project's team in the HR allocations."""
    team = (t["allocations"].join(t["resources"], on="resource_id")
            .group_by("project_id").agg(pl.col("resource_name").unique().alias("team")))
    managed = t["projects"].filter(pl.col("project_manager").is_not_null()).join(team, on="project_id")
    assert managed.height >= 30
    assert managed.filter(~pl.col("team").list.contains(pl.col("project_manager"))).is_empty()
    assert (t["resources"].filter(pl.col("resource_name").is_in(managed["project_manager"].implode()))
            ["role"] == "Project Manager").any()


def test_contractors_carry_a_fair_share_of_the_hours(t):
    hours = t["timesheets"].join(t["resources"], on="resource_id").group_by("employment_type").agg(
        pl.col("hours").sum())
    share = hours.filter(pl.col("employment_type") == "contractor")["hours"].sum() / hours["hours"].sum()
    assert 0.1 <= share <= 0.5


def test_enterprise_parameters_without_writing_it():
    sizes = demo.planned_sizes("enterprise", seed=42, end_month="2025-06")
    assert sizes["projects"] == 5000 and sizes["resources"] == 2000 and sizes["months"] == 36
    assert 4_000_000 <= sizes["timesheets_estimate"] <= 6_500_000


def test_the_command_line_offers_every_scale():
    from pmo_metrics.cli import build_parser

    parser = build_parser()
    for name in demo.SCALES:
        assert parser.parse_args(["demo", "--scale", name, "--out", "x"]).scale == name
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--scale", "galactic", "--out", "x"])


def test_the_xl_scale_plans_about_25_million_timesheet_rows():
    # Planned, not generated: enough to hold the scale to what the benchmark measures.
    sizes = demo.planned_sizes("enterprise-xl")
    assert 24_000_000 <= sizes["timesheets_estimate"] <= 27_000_000
    assert (sizes["projects"], sizes["resources"], sizes["months"]) == (24_000, 9_500, 60)


# --- governance and the PMO's own value ---------------------------------------------------------

def _ever_red(t) -> set[str]:
    return set(t["status_reports"].filter(pl.col("overall_rag") == "red")["project_id"])


def test_gate_reviews_follow_the_gate_milestones(t, case):
    g, m = t["gate_reviews"], t["milestones"]
    assert set(g["project_id"]) <= set(t["projects"]["project_id"])
    joined = g.join(m, on="milestone_id", how="left", suffix="_ms")
    # GATE-MILESTONE: every review names a gate of its own project
    assert joined.filter(~pl.col("is_gate").fill_null(False) | (pl.col("project_id") != pl.col("project_id_ms"))).is_empty()
    assert g["review_date"].max() <= case.end
    # the approving review is on the day the gate was passed; a deferral comes before it
    approving = joined.filter(pl.col("decision").is_in(["approved", "approved_with_conditions"]))
    assert (approving["review_date"] == approving["actual_date"]).all()
    assert joined.filter(pl.col("decision").is_in(["deferred", "rejected"]),
                         pl.col("review_date") >= pl.col("actual_date")).is_empty()
    assert set(g["decision"]) >= {"approved", "approved_with_conditions", "deferred"}
    # some passed gates have no review on record: the compliance finding has something to list
    passed = m.filter(pl.col("is_gate"), pl.col("actual_date").is_not_null())
    assert 0 < passed.filter(~pl.col("milestone_id").is_in(approving["milestone_id"].to_list())).height < passed.height / 4


def test_troubled_projects_are_deferred_and_conditioned_more_often(t):
    g = t["gate_reviews"].with_columns(red=pl.col("project_id").is_in(list(_ever_red(t))))
    share = g.group_by("red").agg((pl.col("decision") != "approved").mean()).sort("red")["decision"].to_list()
    assert share[1] > share[0]


def test_change_requests_keep_their_rules_and_escalate_the_large_ones(t, case):
    cr = t["change_requests"]
    assert set(cr["project_id"]) <= set(t["projects"]["project_id"])
    assert cr.filter(pl.col("decided_date") < pl.col("raised_date")).is_empty()                  # CR-DATES
    assert cr.filter(pl.col("decided_date").is_null() != pl.col("decision").is_null()).is_empty()  # CR-DECISION
    assert cr["raised_date"].max() <= case.end and cr["decided_date"].max() <= case.end
    assert cr.filter(pl.col("decision") == "withdrawn", pl.col("decided_at").is_not_null()).is_empty()
    assert cr["decided_date"].null_count() > 0 and set(cr["decision"].drop_nulls()) == set(c.CHANGE_DECISIONS)
    rel = cr.join(t["projects"], on="project_id").with_columns(
        share=pl.col("cost_impact") / pl.col("budget_at_completion"),
        high=pl.col("decided_at").is_in(["portfolio", "executive"]))
    by = rel.filter(pl.col("decided_at").is_not_null(), pl.col("share").is_not_null()).group_by("high").agg(
        pl.col("share").median()).sort("high")["share"].to_list()
    assert by[1] > 2 * by[0]
    # more requests per troubled project
    per = cr.group_by("project_id").len().with_columns(red=pl.col("project_id").is_in(list(_ever_red(t))))
    means = per.group_by("red").agg(pl.col("len").mean()).sort("red")["len"].to_list()
    assert means[1] > means[0]


def test_the_pmo_books_staff_and_tools_every_month_and_training_each_quarter(t, case):
    costs = t["pmo_costs"]
    months = sorted(set(t["financials"]["period"]) & set(costs["period"]))
    assert len(set(costs["period"])) == 24 and costs["period"].max() == case.end_month
    counts = costs.group_by("cost_category").len()
    assert dict(counts.iter_rows()) == {"staff": 24, "tools": 24, "training": 8}
    assert (costs["planned_cost"] >= 0).all() and costs["actual_cost"].null_count() == 0
    spend = t["financials"].filter(pl.col("period").is_in(months))["actual_cost"].sum()
    assert 0.02 < costs["actual_cost"].sum() / spend < 0.10


def test_project_scores_are_for_candidates_and_in_range(t):
    scores = t["project_scores"]
    candidates = set(t["projects"].filter(pl.col("stage").is_in(c.CANDIDATE_STAGES))["project_id"])
    assert scores.height > 0 and set(scores["project_id"]) <= candidates
    assert scores["score"].is_between(0, 100).all()
    assert _dupes(scores, ["project_id", "criterion"]).is_empty()
