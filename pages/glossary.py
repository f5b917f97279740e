"""Glossary: every KPI of the registry with its formula, unit, thresholds and scope; every setting."""
import pandas as pd
import streamlit as st

from pages import _widgets as ui
from pmo_metrics import metrics, settings

ui.header("Glossary", "Every figure on these pages is declared once, in the metric registry; this is that registry.")

st.markdown(
    "Every KPI is computed *as of* a month M (end(M) = its last day) over the projects the filters select; "
    "projects at stage *idea* or *cancelled* are never selected. Resource KPIs are scoped by department only, "
    "maturity KPIs by business unit only. Ratios are ratios of sums, and a ratio whose denominator is 0 "
    "is shown empty (—).")

glossary = pd.DataFrame(metrics.glossary_rows())
glossary_rows = glossary.set_index("id").to_dict("index")
for group in metrics.GROUPS:
    members = metrics.metrics_in_group(group)
    if not members:
        continue
    st.subheader(metrics.GROUP_LABELS[group])
    for m in members:
        with st.expander(f"{m.label} — {m.id}"):
            st.markdown(ui.esc(m.definition))  # shown literally: ids contain underscores
            row = glossary_rows[m.id]
            st.caption(f"Unit: {m.unit} · better: {m.good} · thresholds: {row['thresholds']} · scope: {m.scope}"
                       + (f" · built from: {row['built_from']}" if row["built_from"] else ""))

st.subheader("All KPIs as a table")
ui.table(glossary, "KPI glossary", key="glossary",
         columns={"group": ui.text_col("Group", width="small"), "label": ui.text_col("KPI", width="medium"),
                  "id": ui.text_col("Id", width="medium"),
                  "unit": ui.text_col("Unit", width="small"), "better": ui.text_col("Better", width="small"),
                  "thresholds": ui.text_col("Thresholds", width="medium"), "scope": ui.text_col("Scope", width="small"),
                  "query": ui.text_col("Computed by", width="small"),
                  "definition": ui.text_col("Formula", width="large")})

st.subheader("Settings")
st.caption("Set each with its environment variable before starting the app.")
ui.table(pd.DataFrame(settings.describe_settings()), "Settings", key="settings",
         columns={"setting": ui.text_col("Setting"), "environment variable": ui.text_col("Environment variable"),
                  "default": ui.text_col("Default"), "help": ui.text_col("What it does", width="large")})
