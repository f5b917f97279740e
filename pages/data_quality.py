"""Data quality: how the loaded data fares against the accuracy rules, who to ask about the warnings,
stale status reports, rows set aside by quarantine, and every load attempt."""
import streamlit as st

from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts
from pmo_metrics import formatting as fmt
from pmo_metrics.contract import STALE_REPORT_DAYS
from pmo_metrics.views import quality

ctx = ui.header("Data quality")
if ctx.token is None:
    ui.require_data(ctx)
f = ctx.filters

st.subheader("Rule pass rates")
rates = cached(quality.rule_pass_rates)()
if rates.empty:
    ui.empty("No load has recorded row counts yet, so there are no pass rates to show.")
else:
    failing = rates[rates["rows_failed"] > 0]
    summary = quality.rule_summary(rates)
    c1, c2, c3 = st.columns(3)
    c1.metric("Rules checked", fmt.count(summary["rules_checked"]))
    c2.metric("Rules with findings", fmt.count(summary["rules_with_findings"]))
    c3.metric("Rows with a finding", fmt.count(summary["rows_with_a_finding"]))
    show_all = st.toggle("Show every rule (not only those with findings)", key="dq_all")
    plotted = rates if show_all or failing.empty else failing
    if plotted.empty:
        ui.empty("Every rule passes on every row of the loaded data.")
    else:
        ui.chart(charts.rule_pass_rates(plotted))
    ui.table(rates, "Rule pass rates", key="dq_rates",
             columns={"table": ui.text_col("Table"), "rule_id": ui.text_col("Rule"),
                      "severity": ui.enum_col("Severity", "severity"),
                      "description": ui.text_col("What it checks", width="large"),
                      "rows_checked": ui.count_col("Rows checked"), "rows_failed": ui.count_col("Rows failing"),
                      "pass_rate": ui.Column("Pass rate", "share", decimals=2)})

if ctx.scope.restricted:
    # Findings, quarantined rows and the load history hold rows of every business unit; a person
    # who sees only some units gets the pass rates and the stale reports of their own.
    ui.empty("Row-level findings, quarantined rows and the load history cover every business unit, so "
             "they are shown only to people who see every unit.")
else:
    st.subheader("Warnings by project manager")
    by_manager = cached(quality.warnings_by_manager)()
    ui.table(by_manager, "Warnings by project manager", key="dq_managers",
             empty_message="No warning names a project.",
             columns={"project_manager": ui.text_col("Project manager"), "rule_id": ui.text_col("Rule"),
                      "warnings": ui.count_col("Warnings"), "projects": ui.count_col("Projects")})
    with st.expander("Every warning and error recorded by the loads behind this data"):
        ui.table(cached(quality.findings)(), "Findings", key="dq_findings", empty_message="No findings were recorded.",
                 columns={"rule_id": ui.text_col("Rule"), "severity": ui.enum_col("Severity", "severity"),
                          "table": ui.text_col("Table"), "file": ui.text_col("File"), "row": ui.count_col("Row"),
                          "column": ui.text_col("Column"), "value": ui.text_col("Value"),
                          "project_id": ui.text_col("Project"),
                          "message": ui.text_col("Message", width="large")})

st.subheader(f"Stale status reports, {ctx.as_of or '—'}")
if ctx.has_data and ctx.as_of:
    ui.table(cached(quality.stale_reports)(f), f"Stale status reports {ctx.as_of}", key="dq_stale",
             empty_message=f"Every active project reported within {STALE_REPORT_DAYS} days of the end of {ctx.as_of}.",
             columns={"project_id": ui.text_col("Project"), "project_name": ui.text_col("Name"),
                      "portfolio": ui.text_col("Portfolio"), "report_date": ui.date_col("Latest report"),
                      "days_since_report": ui.days_col("Days since")})
else:
    ui.empty("No status reports are loaded.")

if not ctx.scope.restricted:
    st.subheader("Quarantined rows")
    ui.table(cached(quality.quarantined_rows)(), "Quarantined rows", key="dq_quarantine",
             empty_message="No rows are set aside: every load so far was all-or-nothing or fully valid.",
             columns={"load_id": ui.text_col("Load"), "table": ui.text_col("Table"), "file": ui.text_col("File"),
                      "row": ui.count_col("Row"), "rule_ids": ui.text_col("Rules"),
                      "reasons": ui.text_col("Reasons", width="large"), "record": ui.text_col("Record")})

    st.subheader("Load history")
    attempts = quality.load_attempts(ctx.db_path)  # a small file beside the database; read every run
    ui.table(attempts, "Load attempts", key="dq_attempts",
             empty_message="No load attempt is recorded beside this database.",
             columns={"started_at": ui.datetime_col("Started"),
                      "status": ui.enum_col("Status", "load_status"), "batch": ui.text_col("Batch"),
                      "files": ui.text_col("Files"),
                      "rows_read": ui.count_col("Rows read"), "rows_loaded": ui.count_col("Rows loaded"),
                      "message": ui.text_col("Message", width="large"), "load_id": ui.text_col("Load id")})
