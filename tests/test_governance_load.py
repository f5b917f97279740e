"""The governance tables (gate_reviews, change_requests, pmo_costs, project_scores) through the normal
load path: read from CSV like any extract, checked, loaded all-or-nothing, or quarantined row by row."""
from __future__ import annotations

from datetime import date

from pmo_metrics.db import cursor_for, open_readonly
from pmo_metrics.warehouse import load_batch

from batches import tiny_tables, write_batch

LOAD_DATE = date(2025, 6, 15)


def governance_tables() -> dict[str, list[dict]]:
    """tiny_tables() plus one valid row or two of each governance table."""
    tables = tiny_tables()
    tables["gate_reviews"] = [dict(gate_review_id="GR1", project_id="P1", milestone_id="M1", review_date="2025-05-03",
                                   decision="Approved_With_Conditions", chair="Dee")]
    tables["change_requests"] = [
        dict(change_id="CR1", project_id="P1", category="scope", title="Add returns", raised_date="2025-04-01",
             decided_date="2025-04-20", decision="approved", decided_at="portfolio", cost_impact="120.5",
             schedule_impact_days="14"),
        dict(change_id="CR2", project_id="P1", category="budget", title="More testers", raised_date="2025-06-01"),
    ]
    tables["pmo_costs"] = [dict(period="2025-05", cost_category="staff", planned_cost="900", actual_cost="950"),
                           dict(period="2025-05", cost_category="tools", planned_cost="100")]
    tables["project_scores"] = [dict(project_id="P1", criterion="innovation", score="70", scored_date="2025-05-01")]
    return tables


def test_a_batch_with_the_governance_tables_loads_them_typed(tmp_path):
    db = tmp_path / "pmo.duckdb"
    result = load_batch(write_batch(tmp_path / "b", governance_tables()), db, load_date=LOAD_DATE)
    assert result.status == "loaded", result.message
    assert {t: result.rows_loaded[t] for t in ("gate_reviews", "change_requests", "pmo_costs", "project_scores")} == {
        "gate_reviews": 1, "change_requests": 2, "pmo_costs": 2, "project_scores": 1}
    cur = cursor_for(open_readonly(db))
    assert cur.execute("SELECT decision, review_date FROM gate_reviews").fetchall() == [
        ("approved_with_conditions", date(2025, 5, 3))]   # enumerations are stored lower-case
    assert cur.execute("SELECT change_id, cost_impact, schedule_impact_days, decided_date FROM change_requests "
                       "ORDER BY change_id").fetchall() == [("CR1", 120.5, 14, date(2025, 4, 20)), ("CR2", None, None, None)]
    assert cur.execute("SELECT sum(actual_cost), count(*) FROM pmo_costs").fetchone() == (950.0, 2)


def test_a_batch_without_them_loads_and_leaves_them_empty(tmp_path):
    db = tmp_path / "pmo.duckdb"
    assert load_batch(write_batch(tmp_path / "b"), db, load_date=LOAD_DATE).status == "loaded"
    cur = cursor_for(open_readonly(db))
    for table in ("gate_reviews", "change_requests", "pmo_costs", "project_scores"):
        assert cur.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table


def test_bad_governance_rows_reject_a_strict_load_and_are_quarantined_with_their_rules(tmp_path):
    tables = governance_tables()
    tables["gate_reviews"].append(dict(gate_review_id="GR2", project_id="P2", milestone_id="M1",
                                       review_date="2025-05-04", decision="deferred"))
    tables["change_requests"].append(dict(change_id="CR3", project_id="P1", category="risk", title="Early",
                                          raised_date="2025-05-10", decided_date="2025-05-01", decision="rejected"))
    tables["change_requests"].append(dict(change_id="CR4", project_id="P1", category="risk", title="Undecided",
                                          raised_date="2025-05-10", decided_date="2025-05-11"))
    tables["pmo_costs"].append(dict(period="2025-06", cost_category="training", planned_cost="-1"))
    tables["project_scores"].append(dict(project_id="P1", criterion="reach", score="101"))
    db = tmp_path / "pmo.duckdb"
    strict = load_batch(write_batch(tmp_path / "b", tables), db, load_date=LOAD_DATE)
    assert strict.status == "rejected" and not db.exists()
    for words in ("GATE-MILESTONE", "CR-DATES", "CR-DECISION", "PMO-COST", "SCORE-RANGE"):
        assert words in strict.report.render(), words
    result = load_batch(tmp_path / "b", db, quarantine=True, load_date=LOAD_DATE)
    assert result.status == "loaded"
    assert result.rows_loaded["change_requests"] == 2 and result.rows_rejected["change_requests"] == 2
    cur = cursor_for(open_readonly(db))
    rows = cur.execute('SELECT "table", file, "row", rule_ids FROM meta.quarantine ORDER BY "table", "row"').fetchall()
    assert [(t, f.rsplit("/", 1)[-1], r, ids) for t, f, r, ids in rows] == [
        ("change_requests", "change_requests.csv", 4, "CR-DATES"),
        ("change_requests", "change_requests.csv", 5, "CR-DECISION"),
        ("gate_reviews", "gate_reviews.csv", 3, "GATE-MILESTONE"),
        ("pmo_costs", "pmo_costs.csv", 4, "PMO-COST"),
        ("project_scores", "project_scores.csv", 3, "SCORE-RANGE")]
    assert cur.execute("SELECT gate_review_id FROM gate_reviews").fetchall() == [("GR1",)]
