"""Every data accuracy rule of CONTRACT §2, each with a bad row, on typed frames."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from builders import project as project_row, report as report_row, resource as resource_row, with_defaults
from pmo_metrics import contract as c
from pmo_metrics.findings import FINDINGS_DDL
from pmo_metrics.schemas import RULES, check_tables, rejected_rows

LOAD_DATE = date(2025, 6, 15)
D = date


def frame(table: str, rows: list[dict], file: str | None = None) -> pl.DataFrame:
    """A typed contract frame from partial rows; _row counts from 2 like a spreadsheet."""
    spec = c.TABLES[table]
    types = {c.STR: pl.String, c.DATE: pl.Date, c.MONTH: pl.String, c.MONEY: pl.Float64, c.NUM: pl.Float64,
             c.INT: pl.Int64, c.BOOL: pl.Boolean}
    schema = {col.name: types[col.type] for col in spec.columns}
    data = {name: [r.get(name) for r in rows] for name in schema}
    df = pl.DataFrame(data, schema=schema)
    return df.with_columns(pl.lit(file or f"{table}.csv").alias("_file"),
                           pl.int_range(2, len(rows) + 2, dtype=pl.Int64).alias("_row"))


def _checked(tables: dict[str, pl.DataFrame], loaded: dict[str, pl.DataFrame] | None = None):
    """A database holding the batch's tables (b_*) and the loaded ones (l_*), checked."""
    con = duckdb.connect()
    names = {}
    for prefix, group in (("b", tables), ("l", loaded or {})):
        names[prefix] = {}
        for name, df in group.items():
            arrow = df.to_arrow()  # noqa: F841 — DuckDB reads the local variable by name
            con.execute(f'CREATE TABLE "{prefix}_{name}" AS SELECT * FROM arrow')
            names[prefix][name] = f'"{prefix}_{name}"'
    con.execute(f"CREATE TABLE findings {FINDINGS_DDL}")
    check_tables(con, names["b"], names["l"], "findings", LOAD_DATE)
    return con


def validate_tables(tables: dict[str, pl.DataFrame], loaded: dict[str, pl.DataFrame] | None = None) -> pl.DataFrame:
    """Every finding for these tables, in report order."""
    return _checked(tables, loaded).sql("SELECT * FROM findings ORDER BY rowid").pl()


# The rows of a clean batch loaded on LOAD_DATE: an agile project in execution with a manager, a report
# two weeks old, one employee.
project = with_defaults(project_row, portfolio="Digital", project_manager="Ann", delivery_approach="agile",
                        start_date=D(2025, 1, 1), baseline_finish_date=D(2025, 12, 31))
report = with_defaults(report_row, report_date=D(2025, 6, 1), percent_complete=50.0)
resource = with_defaults(resource_row, resource_name="Bo", start_date=D(2024, 1, 1))


def base(**extra) -> dict[str, pl.DataFrame]:
    tables = {"projects": frame("projects", [project()]), "status_reports": frame("status_reports", [report()]),
              "resources": frame("resources", [resource()])}
    tables.update(extra)
    return tables


def found(tables, rule: str, loaded=None) -> pl.DataFrame:
    findings = validate_tables(tables, loaded)
    return findings.filter(pl.col("rule_id") == rule)


def test_clean_tables_have_no_findings():
    assert validate_tables(base()).height == 0


# Rules CONTRACT §2 names that are not built yet, with the issue that builds each. The list only
# shrinks: a rule that gets built must leave it (the test below fails until it does).
PENDING_RULES = {
}


def test_every_contract_rule_is_registered():
    text = (Path(__file__).resolve().parents[1] / "docs" / "contract.md").read_text(encoding="utf-8")
    ids = set(re.findall(r"^\| ([A-Z]+(?:-[A-Z]+)*) \| [^|]+ \| (?:[a-z ]+) \|", text, re.M))
    assert ids, "CONTRACT.md §2 rule table not found"
    missing = ids - set(RULES)
    assert missing == set(PENDING_RULES), (
        f"not built and not listed as pending: {sorted(missing - set(PENDING_RULES))}; "
        f"built, so remove from PENDING_RULES: {sorted(set(PENDING_RULES) - missing)}")


@pytest.mark.parametrize("rows, column, value, message", [
    ([project(), project()], "project_id", "P1", "duplicate project_id"),
    ([project(project_id=None)], "project_id", None, "key value is missing"),
    ([project(stage="doing")], "stage", "doing", "not one of idea"),
    ([project(priority_score=101.0)], "priority_score", "101.0", "between 0 and 100"),
    ([project(project_name=None)], "project_name", None, "required value is missing"),
])
def test_schema_rule_names_row_column_and_value(rows, column, value, message):
    hits = found({"projects": frame("projects", rows)}, "SCHEMA").filter(pl.col("column") == column)
    assert hits.height >= 1
    first = hits.row(0, named=True)
    assert first["file"] == "projects.csv" and first["row"] >= 2
    assert first["value"] == value
    assert message in first["message"]


def test_composite_key_duplicates_are_schema_errors():
    tables = base(status_reports=frame("status_reports", [report(), report()]))
    hits = found(tables, "SCHEMA")
    assert hits.get_column("row").to_list() == [2, 3]
    assert hits.get_column("value").to_list() == ["P1 + 2025-06-01"] * 2


@pytest.mark.parametrize("rule, table, rows, column, row", [
    ("PRJ-DATES", "projects", [project(baseline_finish_date=D(2024, 12, 31))], "baseline_finish_date", 2),
    ("PRJ-DATES", "projects", [project(), project("P2", forecast_finish_date=D(2024, 1, 1))], "forecast_finish_date", 3),
    ("PRJ-DATES", "projects", [project(actual_finish_date=D(2024, 1, 1), stage="closed")], "actual_finish_date", 2),
    ("PRJ-BUDGET", "projects", [project(budget_at_completion=-5.0)], "budget_at_completion", 2),
    ("PRJ-CLOSED", "projects", [project(stage="closed")], "actual_finish_date", 2),
    ("STS-PCT", "status_reports", [report(percent_complete=120.0)], "percent_complete", 2),
    ("FIN-PLANNED", "financials", [dict(project_id="P1", period="2025-01", cost_category="capex", planned_cost=-1.0)],
     "planned_cost", 2),
    ("RES-CAPACITY", "resources", [resource(weekly_capacity_hours=0.0)], "weekly_capacity_hours", 2),
    ("RES-CAPACITY", "resources", [resource(weekly_capacity_hours=81.0)], "weekly_capacity_hours", 2),
    ("RES-CAPACITY", "resources", [resource(hourly_cost=-1.0)], "hourly_cost", 2),
    ("ALC-HOURS", "allocations", [dict(resource_id="R1", project_id="P1", period="2025-01", planned_hours=-2.0)],
     "planned_hours", 2),
    ("TS-HOURS", "timesheets", [dict(resource_id="R1", project_id="P1", work_date=D(2025, 1, 2), hours=0.0)], "hours", 2),
    ("TS-HOURS", "timesheets", [dict(resource_id="R1", project_id="P1", work_date=D(2025, 1, 2), hours=25.0)], "hours", 2),
    ("MAT-SCORE", "maturity_assessments", [dict(assessment_id="A1", assessment_date=D(2025, 1, 1), business_unit="Retail",
                                                domain="governance", criterion_id="G1", score=6.0)], "score", 2),
    ("MAT-SCORE", "maturity_assessments", [dict(assessment_id="A1", assessment_date=D(2025, 1, 1), business_unit="Retail",
                                                domain="governance", criterion_id="G1", score=3.0, target_score=0.0)],
     "target_score", 2),
])
def test_row_error_rules(rule, table, rows, column, row):
    tables = base(**{table: frame(table, rows)})
    hits = found(tables, rule)
    assert hits.height == 1, hits
    hit = hits.row(0, named=True)
    assert (hit["severity"], hit["table"], hit["column"], hit["row"]) == ("error", table, column, row)


def _benefit(**kw):
    row = dict(benefit_id="B1", project_id="P1", benefit_name="Savings", category="financial", benefit_type="cost_saving",
               unit="GBP", baseline_value=0.0, target_value=100.0, planned_start="2025-01", planned_end="2025-12")
    row.update(kw)
    return row


def test_benefit_target_rule_both_halves():
    tables = base(benefits=frame("benefits", [_benefit(target_value=0.0),
                                                  _benefit(benefit_id="B2", planned_end="2024-12")]))
    hits = found(tables, "BEN-TARGET").sort("row")
    assert hits.select("row", "column").rows() == [(2, "target_value"), (3, "planned_end")]


def test_month_columns_must_be_months():
    tables = base(financials=frame("financials", [dict(project_id="P1", period="2025-13", cost_category="opex",
                                                       planned_cost=1.0)]))
    hit = found(tables, "SCHEMA").row(0, named=True)
    assert (hit["column"], hit["value"]) == ("period", "2025-13")


def test_references_to_projects_resources_benefits_objectives():
    tables = base(
        projects=frame("projects", [project(strategic_objective_id="OBJ-9")]),
        strategic_objectives=frame("strategic_objectives", [dict(objective_id="OBJ-1", objective_name="Grow", weight=1.0)]),
        timesheets=frame("timesheets", [dict(resource_id="R9", project_id="P9", work_date=D(2025, 1, 2), hours=4.0)]),
        benefit_measurements=frame("benefit_measurements", [dict(benefit_id="B9", period="2025-01", planned_value=1.0)]),
    )
    findings = validate_tables(tables)
    got = {(r["rule_id"], r["table"], r["value"]) for r in findings.iter_rows(named=True) if r["severity"] == "error"}
    assert got == {("PRJ-OBJECTIVE", "projects", "OBJ-9"), ("REF-PROJECT", "timesheets", "P9"),
                   ("REF-RESOURCE", "timesheets", "R9"), ("REF-BENEFIT", "benefit_measurements", "B9")}


def test_references_use_tables_already_loaded():
    loaded_projects = frame("projects", [project("P7")]).drop("_file", "_row")
    tables = {"risks": frame("risks", [dict(risk_id="K1", project_id="P7", title="t", probability=3, impact=4,
                                            status="open", raised_date=D(2025, 1, 1))])}
    loaded = {"projects": loaded_projects}
    assert found(tables, "REF-PROJECT", loaded).height == 0
    assert found(tables, "REF-PROJECT", None).height == 1


def test_a_new_projects_table_that_drops_referenced_projects_is_an_error():
    loaded_ts = frame("timesheets", [dict(resource_id="R1", project_id="P-OLD", work_date=D(2025, 1, 2), hours=4.0)] * 3)
    loaded = {"timesheets": loaded_ts.drop("_file", "_row"), "resources": frame("resources", [resource()])}
    hits = found({"projects": frame("projects", [project()])}, "REF-PROJECT", loaded)
    hit = hits.row(0, named=True)
    assert hit["table"] == "timesheets" and hit["value"] == "P-OLD" and hit["row"] is None
    assert "3 loaded timesheets row(s)" in hit["message"]


def test_load_date_warnings():
    tables = base(
        projects=frame("projects", [project(actual_finish_date=D(2025, 7, 1), stage="closing"),
                                    project("P2", project_manager=None)]),
        status_reports=frame("status_reports", [report(), report("P2")]),
        milestones=frame("milestones", [dict(milestone_id="M1", project_id="P1", milestone_name="Go", is_gate=True,
                                             baseline_date=D(2025, 5, 1), actual_date=D(2025, 6, 16))]),
    )
    findings = validate_tables(tables)
    got = {(r["rule_id"], r["row"]) for r in findings.iter_rows(named=True)}
    assert got == {("PRJ-FUTURE-FINISH", 2), ("PRJ-NO-PM", 3), ("MS-FUTURE-ACTUAL", 2)}
    assert set(findings.get_column("severity")) == {"warning"}


def test_stale_and_missing_status_reports():
    # Load date 2025-06-15: 35 days before is 2025-05-11. P1's latest report 2025-05-10 is 36 days old;
    # P2's 2025-05-11 is exactly 35 (not stale); P3 has none; P4 is closed (not active); P5 is an idea.
    tables = base(
        projects=frame("projects", [project("P1"), project("P2"), project("P3"),
                                    project("P4", stage="closed", actual_finish_date=D(2025, 3, 1)),
                                    project("P5", stage="idea")]),
        status_reports=frame("status_reports", [report("P1", D(2025, 4, 1)), report("P1", D(2025, 5, 10)),
                                                report("P2", D(2025, 5, 11))]),
    )
    stale = found(tables, "STS-STALE").sort("project_id")
    assert stale.get_column("project_id").to_list() == ["P1", "P3"]
    p1, p3 = stale.rows(named=True)
    assert p1["row"] == 3 and p1["value"] == "2025-05-10" and "36 days" in p1["message"]
    assert p3["row"] is None and "no status report" in p3["message"]


def test_percent_complete_drop_is_a_warning_on_the_later_report():
    rows = [report(report_date=D(2025, 3, 31), percent_complete=40.0),
            report(report_date=D(2025, 4, 30), percent_complete=None),
            report(report_date=D(2025, 5, 31), percent_complete=35.0),
            report(report_date=D(2025, 6, 1), percent_complete=60.0)]
    hits = found(base(status_reports=frame("status_reports", rows)), "STS-PCT-DROP")
    assert hits.select("row", "value").rows() == [(4, "35.0")]
    assert "fell from 40" in hits.item(0, "message")


def test_finance_warnings():
    fin = frame("financials", [
        dict(project_id="P1", period="2025-01", cost_category="capex", planned_cost=600.0, actual_cost=-10.0),
        dict(project_id="P1", period="2025-02", cost_category="capex", planned_cost=460.0),  # 1060 vs BAC 1000: 6 %
    ])
    findings = validate_tables(base(financials=fin))
    assert {r["rule_id"] for r in findings.iter_rows(named=True)} == {"FIN-NEGATIVE-ACTUAL", "FIN-BAC"}
    within = frame("financials", [dict(project_id="P1", period="2025-01", cost_category="capex", planned_cost=1050.0)])
    assert found(base(financials=within), "FIN-BAC").height == 0  # exactly 5 % is allowed


def test_timesheet_warnings():
    ts = frame("timesheets", [
        dict(resource_id="R1", project_id="P1", work_date=D(2025, 2, 3), hours=8.0),
        dict(resource_id="R1", project_id="P1", work_date=D(2025, 2, 3), hours=5.0),   # 13 h that day
        dict(resource_id="R1", project_id="P1", work_date=D(2025, 2, 4), hours=12.0),  # exactly 12: fine
        dict(resource_id="R1", project_id="P1", work_date=D(2023, 12, 29), hours=4.0),  # before start
    ])
    findings = validate_tables(base(timesheets=ts))
    got = sorted((r["rule_id"], r["row"], r["value"]) for r in findings.iter_rows(named=True))
    assert got == [("TS-DAY-TOTAL", 2, "13.0"), ("TS-OUTSIDE-EMPLOYMENT", 5, "2023-12-29")]


def test_lazy_validation_reports_every_failure_and_rejected_rows_group_them():
    rows = [project(budget_at_completion=-1.0, stage="closed"), project("P2"), project("P3", stage="bogus")]
    con = _checked({"projects": frame("projects", rows)})
    errors = con.sql("SELECT * FROM findings WHERE severity = 'error'").pl()
    assert set(errors.get_column("rule_id")) == {"PRJ-BUDGET", "PRJ-CLOSED", "SCHEMA"}
    rejected_rows(con, "findings", "rejected")
    rejected = con.sql('SELECT * FROM rejected WHERE "table" = \'projects\' ORDER BY "row"').pl()
    assert rejected.get_column("row").to_list() == [2, 4]
    assert rejected.item(0, "rule_ids") == "PRJ-BUDGET, PRJ-CLOSED"
    assert rejected.item(0, "reasons") == ("budget_at_completion: budget_at_completion must not be negative (-1.0); "
                                           "actual_finish_date: a closed project must have an actual_finish_date")


@pytest.mark.parametrize("before, now, jumps", [
    (363e6, 36.3e9, True),     # ×100: a $M column read as $ thousands
    (363e6, 363e3, True),      # ÷1000: £ read as £m
    (363e6, 3.63e9, True),     # exactly ×10
    (363e6, 3.6e9, False),     # ×9.9: a big change, not a unit slip
    (363e6, 400e6, False),
    (0.0, 5e6, False),         # from nothing: no factor to compare
])
def test_budget_jump_compares_with_the_last_loaded_value(before, now, jumps):
    hits = found(base(projects=frame("projects", [project(budget_at_completion=now)])), "PRJ-BUDGET-JUMP",
                 loaded={"projects": frame("projects", [project(budget_at_completion=before)])})
    assert hits.height == (1 if jumps else 0)
    if jumps:
        hit = hits.row(0, named=True)
        assert (hit["severity"], hit["file"], hit["row"], hit["column"]) == (
            "warning", "projects.csv", 2, "budget_at_completion")
        assert "when last loaded" in hit["message"] and "unit slip" in hit["message"]


def test_budget_jump_needs_a_previous_load():
    assert found(base(projects=frame("projects", [project(budget_at_completion=36.3e9)])), "PRJ-BUDGET-JUMP").height == 0


# --- governance and the PMO's own value (gate reviews, change requests, PMO costs, project scores) ------

def _gate(milestone_id="M1", project_id="P1", review_id="G1", decision="approved"):
    return dict(gate_review_id=review_id, project_id=project_id, milestone_id=milestone_id,
                review_date=D(2025, 3, 1), decision=decision)


def _ms(milestone_id="M1", project_id="P1", is_gate=True):
    return dict(milestone_id=milestone_id, project_id=project_id, milestone_name="Gate 2", is_gate=is_gate,
                baseline_date=D(2025, 3, 1))


def _change(change_id="C1", **kw):
    row = dict(change_id=change_id, project_id="P1", category="scope", title="Add a report", raised_date=D(2025, 3, 1))
    row.update(kw)
    return row


def test_gate_reviews_name_a_gate_milestone_of_their_own_project():
    tables = base(
        projects=frame("projects", [project(), project("P2")]),
        milestones=frame("milestones", [_ms(), _ms("M2", is_gate=False), _ms("M3", project_id="P2")]),
        gate_reviews=frame("gate_reviews", [
            _gate(), _gate(None, review_id="G2"),                      # fine: a gate of P1; no milestone named
            _gate("M9", review_id="G3"), _gate("M2", review_id="G4"), _gate("M3", review_id="G5")]))
    hits = found(tables, "GATE-MILESTONE")
    got = [(r["row"], r["column"], r["value"], r["message"], r["severity"]) for r in hits.iter_rows(named=True)]
    assert got == [(4, "milestone_id", "M9", "milestone_id is not in milestones", "error"),
                   (5, "milestone_id", "M2", "milestone is not a gate (is_gate is not true)", "error"),
                   (6, "milestone_id", "M3", "milestone belongs to project P2, not P1", "error")]
    assert set(hits["file"]) == {"gate_reviews.csv"}


def test_a_new_milestones_table_that_drops_a_reviewed_gate_breaks_the_loaded_review():
    loaded = {"gate_reviews": frame("gate_reviews", [_gate()]).drop("_file", "_row")}
    hits = found({"milestones": frame("milestones", [_ms("M2")])}, "GATE-MILESTONE", loaded)
    hit = hits.row(0, named=True)
    assert (hits.height, hit["table"], hit["value"], hit["row"]) == (1, "gate_reviews", "M1", None)
    assert found({"milestones": frame("milestones", [_ms()])}, "GATE-MILESTONE", loaded).height == 0


def test_gate_reviews_without_any_milestones_table_are_checked_against_none():
    hits = found(base(gate_reviews=frame("gate_reviews", [_gate()])), "GATE-MILESTONE")
    assert hits.select("row", "value").rows() == [(2, "M1")]


@pytest.mark.parametrize("row, rule, column, value", [
    (_change(decided_date=D(2025, 2, 28), decision="approved"), "CR-DATES", "decided_date", "2025-02-28"),
    (_change(decided_date=D(2025, 3, 2)), "CR-DECISION", "decision", None),
    (_change(decision="withdrawn"), "CR-DECISION", "decided_date", None),
])
def test_change_request_rules(row, rule, column, value):
    tables = base(change_requests=frame("change_requests", [_change("C0"), row]))
    hits = found(tables, rule)
    assert hits.select("file", "row", "column", "value", "severity").rows() == [
        ("change_requests.csv", 3, column, value, "error")]


def test_a_change_decided_on_the_day_it_was_raised_is_fine():
    row = _change(decided_date=D(2025, 3, 1), decision="withdrawn", decided_at="project")
    assert validate_tables(base(change_requests=frame("change_requests", [row]))).height == 0


def test_change_request_enumerations_are_schema_errors():
    tables = base(change_requests=frame("change_requests", [_change(decided_at="board", decision="approved",
                                                                    decided_date=D(2025, 3, 5))]))
    hit = found(tables, "SCHEMA").row(0, named=True)
    assert (hit["column"], hit["value"], hit["message"]) == (
        "decided_at", "board", "not one of project, program, portfolio, executive")


def test_pmo_cost_and_project_score_rules():
    tables = base(
        pmo_costs=frame("pmo_costs", [dict(period="2025-01", cost_category="staff", planned_cost=0.0),
                                      dict(period="2025-01", cost_category="tools", planned_cost=-10.0, actual_cost=-5.0)]),
        project_scores=frame("project_scores", [dict(project_id="P1", criterion="innovation", score=100.0),
                                                dict(project_id="P1", criterion="fit", score=100.5),
                                                dict(project_id="P1", criterion="reach", score=-1.0)]))
    findings = validate_tables(tables)
    got = [(r["rule_id"], r["table"], r["row"], r["column"], r["value"]) for r in findings.iter_rows(named=True)]
    assert got == [("PMO-COST", "pmo_costs", 3, "planned_cost", "-10.0"),
                   ("SCORE-RANGE", "project_scores", 3, "score", "100.5"),
                   ("SCORE-RANGE", "project_scores", 4, "score", "-1.0")]


def test_pmo_cost_category_and_period_are_checked():
    tables = base(pmo_costs=frame("pmo_costs", [dict(period="2025-1", cost_category="travel", planned_cost=1.0)]))
    got = {(r["column"], r["value"]) for r in found(tables, "SCHEMA").iter_rows(named=True)}
    assert got == {("period", "2025-1"), ("cost_category", "travel")}


# -- the jobs run side by side -------------------------------------------------------------------------

def _messy_demo(folder: Path) -> Path:
    """The small demo with cells emptied, mistyped and doubled in every file: findings of most rules."""
    import csv
    import random

    from pmo_metrics.demo import generate_demo

    generate_demo(folder, scale="small", seed=7)
    rng = random.Random(3)
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        for row in rows[1:]:
            for i in range(len(row)):
                x = rng.random()
                row[i] = ("" if x < 0.01 else "n/a" if x < 0.02 else row[i].upper() + "\u00a0" if x < 0.025
                          else "-5" if x < 0.03 else row[i])
        rows += rows[1:6]  # duplicate keys
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
    return folder


def _findings_of(batch_path: Path, workers: int, monkeypatch) -> list[tuple]:
    import pmo_metrics.schemas as schemas
    from pmo_metrics.warehouse import validate_batch

    monkeypatch.setattr(schemas, "WORKERS", workers)
    batch, report = validate_batch(batch_path, db_path=None, load_date=LOAD_DATE)
    try:
        return report.store.con().execute("SELECT * FROM findings ORDER BY rowid").fetchall()
    finally:
        batch.close()


def test_rules_run_side_by_side_find_what_one_worker_finds_in_the_same_order(tmp_path, monkeypatch):
    batch = _messy_demo(tmp_path / "batch")
    one = _findings_of(batch, 1, monkeypatch)
    two = _findings_of(batch, 2, monkeypatch)
    rules = {f[0] for f in one}
    assert len(one) > 1000 and {"SCHEMA", "REF-PROJECT", "REF-RESOURCE", "KEY-NEAR-DUPLICATE"} <= rules, rules
    assert two == one


def test_a_rule_that_fails_stops_the_check_and_leaves_nothing_behind(monkeypatch):
    import pmo_metrics.schemas as schemas
    import pmo_metrics.schemas.rules as rules_module

    started = []

    def broken(state):
        started.append("broken")
        state.con.execute("SELECT * FROM no_such_table")

    real = rules_module.cross_table_jobs
    monkeypatch.setattr(schemas, "cross_table_jobs", lambda: [broken] + real())
    con = duckdb.connect()
    tables = base()
    for name, df in tables.items():
        arrow = df.to_arrow()  # noqa: F841 — DuckDB reads the local variable by name
        con.execute(f'CREATE TABLE "b_{name}" AS SELECT * FROM arrow')
    con.execute(f"CREATE TABLE findings {FINDINGS_DDL}")
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        check_tables(con, {n: f'"b_{n}"' for n in tables}, {}, "findings", LOAD_DATE)
    assert started == ["broken"]
    left = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert left == {f"b_{n}" for n in tables} | {"findings"}, left  # no staging or shared table left
    attached = {r[0] for r in con.execute("SELECT database_name FROM duckdb_databases() WHERE NOT internal").fetchall()}
    assert attached == {"memory"}, attached  # nor the database in memory they were in
    assert con.execute("SELECT count(*) FROM findings").fetchone()[0] == 0


def test_ctrl_c_during_the_rules_interrupts_the_jobs_running_beside(monkeypatch):
    import signal
    import threading
    import time

    import pmo_metrics.schemas as schemas

    running = threading.Event()

    def endless(state):
        running.set()
        state.con.execute("SELECT count(*) FROM range(3000000000) AS a(i) WHERE i % 7 = 3").fetchall()

    monkeypatch.setattr(schemas, "cross_table_jobs", lambda: [endless, endless])
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    main = threading.get_ident()
    con = duckdb.connect()
    con.execute(f"CREATE TABLE findings {FINDINGS_DDL}")
    threading.Thread(target=lambda: running.wait(10) and (time.sleep(0.3), signal.pthread_kill(main, signal.SIGINT)),
                     daemon=True).start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            check_tables(con, {}, {}, "findings", LOAD_DATE)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert running.is_set() and time.perf_counter() - t0 < 5  # both queries stopped, not run to the end
    assert {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()} == {"findings"}


def test_what_the_rules_share_is_made_once_per_key_and_one_key_does_not_wait_for_another():
    import threading

    from pmo_metrics.schemas.rules import Shared

    con = duckdb.connect()
    shared = Shared(con)
    slow_started, let_go = threading.Event(), threading.Event()
    made: list[str] = []

    def slow():
        made.append("days")
        slow_started.set()
        assert let_go.wait(10)
        return "days-table"

    results: dict[str, object] = {}
    waiter = threading.Thread(target=lambda: results.update(first=shared.once("days", slow)))
    waiter.start()
    assert slow_started.wait(10)
    # Another key is made while "days" is still being made ...
    assert shared.once(("missing", "timesheets", "project_id"), lambda: ("t", 0)) == ("t", 0)
    # ... and a second job asking for "days" waits for the first one's, not making its own.
    second = threading.Thread(target=lambda: results.update(second=shared.once("days", lambda: made.append("again"))))
    second.start()
    second.join(0.2)
    assert second.is_alive()
    let_go.set()
    waiter.join(10)
    second.join(10)
    assert results == {"first": "days-table", "second": "days-table"}
    assert made == ["days"]
    shared.close(con)
    assert con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ?",
                       [shared.scratch]).fetchone()[0] == 0
