"""Tiny hand-made batches for loader tests: a few rows per table, written as CSV like a real extract."""
from __future__ import annotations

import csv
from pathlib import Path

from pmo_metrics import contract as c


def tiny_tables() -> dict[str, list[dict]]:
    """A valid batch of every table: two projects, one resource, one benefit, one assessment."""
    return {
        "strategic_objectives": [dict(objective_id="OBJ-1", objective_name="Grow online", weight="1")],
        "projects": [
            dict(project_id="P1", project_name="Web shop", portfolio="Digital", program="Online", business_unit="Retail",
                 strategic_objective_id="OBJ-1", project_manager="Ann", delivery_approach="agile", stage="execution",
                 start_date="2025-01-01", baseline_finish_date="2025-12-31", budget_at_completion="1000"),
            dict(project_id="P2", project_name="Payroll", portfolio="Back office", business_unit="Finance",
                 project_manager="Bo", delivery_approach="predictive", stage="closed", start_date="2024-01-01",
                 baseline_finish_date="2024-12-31", actual_finish_date="2024-12-20", budget_at_completion="500"),
        ],
        "status_reports": [
            dict(project_id="P1", report_date="2025-05-31", overall_rag="green", percent_complete="40"),
            dict(project_id="P1", report_date="2025-06-10", overall_rag="amber", percent_complete="45",
                 summary="Supplier late"),
        ],
        "milestones": [dict(milestone_id="M1", project_id="P1", milestone_name="Beta", is_gate="true",
                            baseline_date="2025-05-01", actual_date="2025-05-03")],
        "risks": [dict(risk_id="K1", project_id="P1", title="Supplier", probability="4", impact="4", status="open",
                       raised_date="2025-02-01")],
        "financials": [
            dict(project_id="P1", period="2025-05", cost_category="capex", planned_cost="500", actual_cost="450"),
            dict(project_id="P1", period="2025-06", cost_category="capex", planned_cost="500"),
            dict(project_id="P2", period="2024-06", cost_category="opex", planned_cost="500", actual_cost="480"),
        ],
        "resources": [dict(resource_id="R1", resource_name="Cy", role="Developer", department="IT",
                           employment_type="contractor", weekly_capacity_hours="40", hourly_cost="80",
                           start_date="2024-01-01")],
        "allocations": [dict(resource_id="R1", project_id="P1", period="2025-06", planned_hours="80")],
        "timesheets": [dict(resource_id="R1", project_id="P1", work_date="2025-06-02", hours="7.5"),
                       dict(resource_id="R1", project_id="P1", work_date="2025-06-03", hours="8")],
        "benefits": [dict(benefit_id="B1", project_id="P1", benefit_name="Online sales", category="financial",
                          benefit_type="revenue", unit="GBP", baseline_value="0", target_value="2000",
                          planned_start="2025-06", planned_end="2026-06")],
        "benefit_measurements": [dict(benefit_id="B1", period="2025-06", planned_value="100", actual_value="90")],
        "maturity_assessments": [dict(assessment_id="A1", assessment_date="2025-03-01", business_unit="Retail",
                                      domain="governance", criterion_id="G1", score="3", target_score="4")],
    }


def write_batch(folder: Path, tables: dict[str, list[dict]] | None = None, only: tuple[str, ...] | None = None) -> Path:
    """Write tables as CSV files named after the table, contract columns as the header."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (tables or tiny_tables()).items():
        if only and name not in only:
            continue
        cols = c.TABLES[name].column_names if name in c.TABLES else list(rows[0])
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=cols)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: row.get(k, "") for k in cols})
    return folder
