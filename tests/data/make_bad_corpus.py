"""Writes the bad-input corpus under tests/data/bad/ (run from the repository root).

The corpus is committed; this script documents how its binary files (workbooks, Parquet,
cp1252 and UTF-16 text) were made, and rewrites them when a case changes. Each case folder is
a tiny batch, validated against a database pre-loaded with tests/batches.py `tiny_tables()`
(projects P1 P2, objective OBJ-1, resource R1, benefit B1); `cases.toml` names what each case
must produce.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import xlsxwriter

BAD = Path(__file__).parent / "bad"

PRJ = ("project_id,project_name,portfolio,business_unit,project_manager,delivery_approach,stage,"
       "start_date,baseline_finish_date,actual_finish_date,budget_at_completion")


def text(case: str, name: str, content: str, encoding: str = "utf-8") -> None:
    path = BAD / case / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode(encoding))


def raw(case: str, name: str, content: bytes) -> None:
    path = BAD / case / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def xlsx(case: str, name: str, sheets: dict[str, list[list]]) -> None:
    path = BAD / case / name
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    for sheet, rows in sheets.items():
        ws = wb.add_worksheet(sheet)
        for r, row in enumerate(rows):
            for col, v in enumerate(row):
                ws.write(r, col, v)
    wb.close()


def projects(*rows: str) -> str:
    """A projects snapshot: the pre-loaded P1 and P2 (rows 2-3), then the case's rows from row 4."""
    keep = [ok_project("P1", budget_at_completion="1000"), ok_project("P2", stage="closed", budget_at_completion="500", start_date="2024-01-01",
                                         baseline_finish_date="2024-12-31", actual_finish_date="2024-12-20")]
    return PRJ + "\n" + "\n".join(keep + list(rows)) + "\n"


def ok_project(pid: str = "P9", **kw) -> str:
    v = dict(project_name="Ledger", portfolio="Digital", business_unit="Retail", project_manager="Ann",
             delivery_approach="agile", stage="execution", start_date="2025-01-01",
             baseline_finish_date="2025-12-31", actual_finish_date="", budget_at_completion="100")
    v.update(kw)
    return ",".join([pid] + [v[k] for k in PRJ.split(",")[1:]])


def build() -> None:
    if BAD.exists():
        for child in BAD.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
    # --- dates ---------------------------------------------------------------------------------
    text("dates_mixed_undeclared", "projects.csv", projects(
        ok_project("P9", start_date="30.06.08"), ok_project("P10", start_date="20.05.2020"),
        ok_project("P11", start_date="2014-07-08")))
    text("dates_month_first_undeclared", "projects.csv", projects(
        ok_project("P9", start_date="2020-05-20"), ok_project("P10", start_date="06/30/2008")))
    text("dates_month_first_declared", "projects.csv", projects(
        ok_project("P9", start_date="2020-05-20"), ok_project("P10", start_date="06/30/2008")))
    text("dates_month_first_declared", "mapping.toml", '[defaults]\ndate_formats = ["%m/%d/%Y"]\n')
    text("dates_declared_miss", "projects.csv", projects(
        ok_project("P9", start_date="2014-07-08"), ok_project("P10", start_date="30.06.08")))
    text("dates_declared_miss", "mapping.toml", '[defaults]\ndate_formats = ["%m/%d/%Y"]\n')
    text("dates_declared_two_digit_year", "projects.csv", projects(
        ok_project("P9", start_date="30.06.08"), ok_project("P10", start_date="20.05.2020"),
        ok_project("P11", start_date="2014-07-08")))
    text("dates_declared_two_digit_year", "mapping.toml",
         '[defaults]\ndate_formats = ["%d.%m.%Y", "%d.%m.%y"]\n')
    text("dates_impossible", "projects.csv", projects(ok_project("P9", start_date="31/02/2020")))
    text("month_invalid", "financials.csv",
         "project_id,period,cost_category,planned_cost\nP1,2025-13,capex,10\n")
    # --- money and numbers ---------------------------------------------------------------------
    text("money_pound_thousands_undeclared", "projects.csv", projects(
        ok_project("P9", budget_at_completion='"£1,234.50"'),
        ok_project("P10", budget_at_completion='"£ 2,000,000"'), ok_project("P11", budget_at_completion="GBP 75")))
    text("money_pound_other_currency_declared", "projects.csv", projects(
        ok_project("P9", budget_at_completion='"€1.234,50"'), ok_project("P10", budget_at_completion='"£1,234.50"')))
    text("money_pound_other_currency_declared", "mapping.toml",
         '[tables.projects]\ndecimal = ","\nthousands = "."\ncurrency = ["€"]\n')
    text("money_bad_grouping", "projects.csv", projects(ok_project("P9", budget_at_completion='"1,2,3"')))
    text("money_parentheses_negative", "projects.csv", projects(ok_project("P9", budget_at_completion="(300)")))
    text("semicolon_decimal_comma", "financials.csv",
         "project_id;period;cost_category;planned_cost;actual_cost\n"
         "P1;2025-07;capex;1.234,56;12,5\nP1;2025-08;capex;500,00;\n")
    text("num_text_in_number", "status_reports.csv",
         "project_id,report_date,overall_rag,percent_complete\nP1,2025-06-12,green,about half\n")
    text("int_fraction", "risks.csv",
         "risk_id,project_id,title,probability,impact,status,raised_date\nK9,P1,Fire,3.5,2,open,2025-02-01\n")
    text("bool_invalid", "milestones.csv",
         "milestone_id,project_id,milestone_name,is_gate,baseline_date\nM9,P1,Go live,maybe,2025-09-01\n")
    # --- names ---------------------------------------------------------------------------------
    text("names_stray_spaces", "resources.csv",
         "resource_id, resource_name ,role,department,employment_type,weekly_capacity_hours,hourly_cost,start_date\n"
         "R1,Cy,Developer,IT,contractor,40,80,2024-01-01\n"
         "R7,  Dee ,Analyst,  IT  ,employee,40,50,2024-01-01\n"
         "R8,Eve,Analyst,Information Technology,employee,40,50,2024-01-01\n")
    text("names_variant_translated", "resources.csv",
         "resource_id,resource_name,role,department,employment_type,weekly_capacity_hours,hourly_cost,start_date\n"
         "R1,Cy,Developer,IT,contractor,40,80,2024-01-01\n"
         "R7,Dee,Analyst,  I.T. ,Employee,40,50,2024-01-01\n"
         "R8,Eve,Analyst,information technology,CONTRACTOR,40,50,2024-01-01\n"
         "R9,Fay,Analyst,IT,employee,40,50,2024-01-01\n")
    text("names_variant_translated", "mapping.toml",
         '[tables.resources.values.department]\n"I.T." = "IT"\n"Information Technology" = "IT"\n')
    text("enum_unknown_stage", "projects.csv", projects(ok_project("P9", stage="In Flight")))
    text("enum_stage_translated", "projects.csv", projects(
        ok_project("P9", stage="In Flight"), ok_project("P10", stage="On Hold"), ok_project("P11", stage=" EXECUTION ")))
    text("enum_stage_translated", "mapping.toml", '[tables.projects.values.stage]\n"In Flight" = "execution"\n')
    # --- keys ----------------------------------------------------------------------------------
    text("blank_key", "projects.csv", projects(ok_project("P9"), ok_project("   ")))
    text("blank_composite_key", "status_reports.csv",
         "project_id,report_date,overall_rag\nP1,2025-06-12,green\nP1,,amber\n")
    text("duplicate_key", "projects.csv", projects(ok_project("P9"), ok_project("P9", project_name="Again")))
    # --- FOI text where a rating belongs ------------------------------------------------------
    foi = ("project_id,report_date,overall_rag\nP1,2025-06-12,Amber/Red\n"
           'P2,2025-06-12,"Exempt under Section 43 (commercial interests)"\n')
    text("foi_rag_undeclared", "status_reports.csv", foi)
    text("foi_rag_not_value_null", "status_reports.csv", foi)
    text("foi_rag_not_value_null", "mapping.toml",
         '[defaults]\nnot_values = ["Exempt*"]\n[tables.status_reports.values.overall_rag]\n"Amber/Red" = "red"\n')
    text("foi_rag_not_value_drop", "status_reports.csv", foi)
    text("foi_rag_not_value_drop", "mapping.toml",
         '[defaults]\nnot_values = ["Exempt*"]\n[tables.status_reports]\nnot_value_action = "drop"\n'
         '[tables.status_reports.values.overall_rag]\n"Amber/Red" = "red"\n')
    text("drop_if_empty", "status_reports.csv", "project_id,report_date,overall_rag\nP1,2025-06-12,green\nP2,2025-06-12,\n")
    text("drop_if_empty", "mapping.toml", '[tables.status_reports]\ndrop_if_empty = ["overall_rag"]\n')
    # --- headers and layout --------------------------------------------------------------------
    text("duplicated_header", "status_reports.csv",
         "project_id,report_date,overall_rag,overall_rag\nP1,2025-06-12,,red\nP2,2025-06-12,green,amber\n")
    text("duplicated_header_mapped", "status_reports.csv",
         "project_id,report_date,overall_rag,overall_rag\nP1,2025-06-12,,red\nP2,2025-06-12,green,amber\n")
    text("duplicated_header_mapped", "mapping.toml",
         '[tables.status_reports.columns]\noverall_rag = ["overall_rag", "overall_rag_2"]\n')
    text("missing_required_column", "status_reports.csv", "project_id,report_date\nP1,2025-06-12\n")
    text("header_case_and_spaces", "status_reports.csv",
         " Project_ID ,REPORT_DATE,Overall_RAG\nP1,2025-06-12,GREEN\n")
    text("multiline_cell_row_number", "status_reports.csv",
         'project_id,report_date,overall_rag,summary\nP1,2025-06-12,green,"line one\nline two\nline three"\n'
         "P2,2025-06-12,purple,ok\n")
    text("ragged_rows", "status_reports.csv", "project_id,report_date,overall_rag\nP1,2025-06-12,green,extra,cells\n")
    text("unterminated_quote", "status_reports.csv", 'project_id,report_date,overall_rag\nP1,2025-06-12,"green\n')
    text("unknown_file", "notes.txt", "not a table\n")
    text("unknown_file", "status_reports.csv", "project_id,report_date,overall_rag\nP1,2025-06-12,green\n")
    # --- empty files ---------------------------------------------------------------------------
    raw("zero_byte", "projects.csv", b"")
    text("header_only", "projects.csv", PRJ + "\n")
    text("whitespace_only", "projects.csv", "\n\n   \n")
    # --- encodings -----------------------------------------------------------------------------
    cafe = "project_id,report_date,overall_rag,summary\nP1,2025-06-12,green,Café £5 – ok\n"
    text("cp1252_undeclared", "status_reports.csv", cafe, "cp1252")
    text("cp1252_declared", "status_reports.csv", cafe, "cp1252")
    text("cp1252_declared", "mapping.toml", '[defaults]\nencoding = "cp1252"\n')
    text("utf8_bom", "status_reports.csv", "\ufeff" + cafe)
    text("utf16_bom", "status_reports.csv", cafe, "utf-16")
    text("wrong_encoding_declared", "status_reports.csv", cafe, "utf-8")
    text("wrong_encoding_declared", "mapping.toml", '[defaults]\nencoding = "ascii"\n')
    # --- workbooks and Parquet -----------------------------------------------------------------
    sr = [["project_id", "report_date", "overall_rag"], ["P1", "2025-06-12", "green"]]
    xlsx("xlsx_wrong_sheet", "pmis.xlsx", {"Sheet1": sr})
    text("xlsx_wrong_sheet", "mapping.toml",
         '[sources.pmis]\npath = "pmis.xlsx"\nsheet = "Status"\n[tables.status_reports]\nfrom = ["pmis"]\n')
    xlsx("xlsx_sheet_not_a_table", "pmis.xlsx", {"Sheet1": sr, "status_reports": sr})
    xlsx("xlsx_bad_value", "status_reports.xlsx", {"status_reports": [
        ["project_id", "report_date", "overall_rag", "percent_complete"], ["P1", "2025-06-12", "green", "lots"]]})
    raw("xlsx_corrupt", "projects.xlsx", b"PK\x03\x04 this is no zip archive at all")
    buf = BAD / "parquet_truncated" / "status_reports.parquet"
    buf.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"project_id": ["P1"], "report_date": ["2025-06-12"], "overall_rag": ["green"]}).write_parquet(buf)
    buf.write_bytes(buf.read_bytes()[: buf.stat().st_size // 2])
    pl.DataFrame({"project_id": ["P1"], "report_date": ["2025-06-12"], "overall_rag": ["green"],
                  "percent_complete": [140.0]}).write_parquet(_p("parquet_typed_out_of_range"))
    text("two_sources_one_table", "status_reports.csv", "project_id,report_date,overall_rag\nP1,2025-06-12,green\n")
    xlsx("two_sources_one_table", "status_reports.xlsx", {"status_reports": sr})
    # --- mappings ------------------------------------------------------------------------------
    ok_sr = "project_id,report_date,overall_rag\nP1,2025-06-12,green\n"
    for case, toml in {
        "mapping_malformed_toml": '[tables.status_reports\ncolumns = 3\n',
        "mapping_unknown_key": '[defaults]\nencodng = "cp1252"\n',
        "mapping_unknown_table": '[tables.status_report]\ndrop_if_empty = ["overall_rag"]\n',
        "mapping_missing_column": '[tables.status_reports.columns]\noverall_rag = "RAG Status"\n',
        "mapping_glob_matches_nothing": '[tables.status_reports]\nfrom = ["export_*.csv"]\n',
    }.items():
        text(case, "status_reports.csv", ok_sr)
        text(case, "mapping.toml", toml)
    # --- every error rule of CONTRACT §2 -------------------------------------------------------
    text("prj_dates", "projects.csv", projects(ok_project("P9", baseline_finish_date="2024-12-31")))
    text("prj_budget", "projects.csv", projects(ok_project("P9", budget_at_completion="-5")))
    text("prj_closed", "projects.csv", projects(ok_project("P9", stage="closed")))
    text("prj_objective", "projects.csv",
         "project_id,project_name,portfolio,business_unit,strategic_objective_id,project_manager,delivery_approach,"
         "stage,start_date,baseline_finish_date,budget_at_completion\n"
         "P1,Web shop,Digital,Retail,OBJ-1,Ann,agile,execution,2025-01-01,2025-12-31,1000\n"
         "P2,Payroll,Digital,Retail,,Bo,agile,on_hold,2024-01-01,2024-12-31,500\n"
         "P9,Ledger,Digital,Retail,OBJ-404,Ann,agile,execution,2025-01-01,2025-12-31,100\n")
    text("ref_project", "status_reports.csv", "project_id,report_date,overall_rag\nP404,2025-06-12,green\n")
    text("ref_resource", "timesheets.csv", "resource_id,project_id,work_date,hours\nR404,P1,2025-06-04,7\n")
    text("ref_benefit", "benefit_measurements.csv", "benefit_id,period,planned_value\nB404,2025-06,10\n")
    text("sts_pct", "status_reports.csv",
         "project_id,report_date,overall_rag,percent_complete\nP1,2025-06-12,green,140\n")
    text("fin_planned", "financials.csv", "project_id,period,cost_category,planned_cost\nP1,2025-07,capex,-10\n")
    text("res_capacity", "resources.csv",
         "resource_id,resource_name,role,department,employment_type,weekly_capacity_hours,hourly_cost,start_date\n"
         "R1,Cy,Developer,IT,contractor,0,80,2024-01-01\nR2,Di,Developer,IT,employee,90,-1,2024-01-01\n")
    text("alc_hours", "allocations.csv", "resource_id,project_id,period,planned_hours\nR1,P1,2025-07,-8\n")
    text("ts_hours", "timesheets.csv", "resource_id,project_id,work_date,hours\nR1,P1,2025-06-04,25\nR1,P1,2025-06-05,0\n")
    text("ben_target", "benefits.csv",
         "benefit_id,project_id,benefit_name,category,benefit_type,unit,baseline_value,target_value,planned_start,planned_end\n"
         "B1,P1,Online sales,financial,revenue,GBP,5,5,2025-06,2025-01\n")
    text("mat_score", "maturity_assessments.csv",
         "assessment_id,assessment_date,business_unit,domain,criterion_id,score,target_score\n"
         "A2,2025-03-01,Retail,governance,G1,6,0\n")
    # --- warnings ------------------------------------------------------------------------------
    text("warn_future_finish_no_pm", "projects.csv", projects(
        ok_project("P9", stage="closed", actual_finish_date="2026-01-31"), ok_project("P10", project_manager=""),
    ))
    text("warn_pct_drop_stale", "status_reports.csv",
         "project_id,report_date,overall_rag,percent_complete\nP1,2025-03-01,green,50\nP1,2025-04-01,green,30\n")
    text("warn_ms_future_actual", "milestones.csv",
         "milestone_id,project_id,milestone_name,is_gate,baseline_date,actual_date\nM1,P1,Beta,yes,2025-05-01,2025-09-01\n")
    text("warn_fin_negative_bac", "financials.csv",
         "project_id,period,cost_category,planned_cost,actual_cost\nP1,2025-05,capex,500,-20\nP1,2025-06,capex,900,\n")
    text("warn_timesheet_day_employment", "timesheets.csv",
         "resource_id,project_id,work_date,hours\nR1,P1,2025-06-02,8\nR1,P1,2025-06-02,7\nR1,P1,2023-06-01,4\n")


def _p(case: str) -> Path:
    path = BAD / case / "status_reports.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


if __name__ == "__main__":
    build()
