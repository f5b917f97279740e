"""Pipeline: the candidate projects of a planning round (stage idea, initiation or planning) with
their score and the criteria behind it, age in stage, budget, expected benefits, open risk exposure
and the people they would need by department (CONTRACT §7). The project filters apply; the as-of
month does not (selection reads the data as last loaded)."""
import streamlit as st

from pages import _widgets as ui
from pages._cache import cached
from pmo_metrics import charts, pipeline
from pmo_metrics import formatting as fmt

ctx = ui.header("Pipeline", "Candidate projects (idea, initiation, planning) and their scores. Selection works on "
                "the data as last loaded: the as-of month does not apply.")
ui.require_data(ctx)
f = ctx.filters
weights_text = ctx.settings.selection_weights

try:
    weights = cached(pipeline.check_weights)(weights_text)
except pipeline.PipelineError as exc:
    st.error(f"The scores cannot be computed: {ui.esc(exc)}. Fix the `selection_weights` setting "
             "(environment variable PMO_SELECTION_WEIGHTS).")
    st.stop()
window = cached(pipeline.default_window)()
table = cached(pipeline.pipeline_table)(f, weights_text, window)
if table.empty:
    ui.empty("No candidate projects (stage idea, initiation or planning)"
             + (" pass these filters." if f.is_filtered else " in the data."))
    st.stop()

totals = pipeline.totals(table)
c1, c2, c3, c4 = st.columns(4)
c1.metric("Candidates", fmt.count(totals["candidates"]))
c2.metric("Total ask (BAC)", ui.money(totals["bac"]))
c3.metric("Expected financial benefits", ui.money(totals["expected_benefits"]))
c4.metric("Hours needed (window)", fmt.hours(totals["hours_needed"]),
          help=f"Planned hours of the candidates' allocations from {window[0]} to {window[1]}." if window else None)

weights_words = ", ".join(f"{fmt.label(c)} × {fmt.number(w)}" for c, w in weights.items())
st.caption(f"Score (0–100) = Σ weight × criterion score / Σ weights; weights: {ui.esc(weights_words)}. "
           "A criterion's score comes from project_scores where the project has one, else from the built-in "
           "criterion. Each criterion column shows its weighted part: the parts add up to the score. "
           "Percentile ranks are taken among the candidates shown.")
parts = {f"part_{c}": ui.num_col(f"{fmt.label(c)} (×{fmt.number(w)})", "%.1f") for c, w in weights.items()}
event = ui.table(table, "Pipeline", key="pipeline", selectable=True, columns={
    "project_id": ui.text_col("Project"), "project_name": ui.text_col("Name", width="medium"),
    "stage": ui.text_col("Stage"), "business_unit": ui.text_col("Business unit"),
    "score": ui.num_col("Score", "%.1f"), **parts,
    "months_in_stage": ui.num_col("Months in stage", "%d"), "age_in_stage": ui.text_col("Age in stage"),
    "bac": ui.money_col("BAC"), "expected_benefits": ui.money_col("Expected benefits"),
    "risk_exposure": ui.num_col("Open risk exposure", "%d"), "hours_needed": ui.num_col("Hours needed", "%.0f"),
    "needs": ui.text_col("Needs by department", width="large")})
if table["months_in_stage"].isna().all():
    st.caption("Age in stage: no history yet. It is read from the monthly project snapshots, one per month in "
               "which a load replaced the projects; it shows once there are two.")

picked = ui.selected_row(event)
st.subheader("Why this score")
project_id = str(table["project_id"].iloc[picked if picked is not None else 0])
explained = cached(pipeline.explain)(f, weights_text, project_id)
st.caption(f"{ui.esc(project_id)} — pick another row in the table above to explain its score.")
ui.table(explained, f"Score of {project_id}", key="pipeline_explain", columns={
    "criterion_label": ui.text_col("Criterion"), "source": ui.text_col("From"),
    "built_in_value": ui.num_col("Built-in input", "%.2f"), "built_in_score": ui.num_col("Built-in score", "%.1f"),
    "given_score": ui.num_col("project_scores", "%.1f"), "score": ui.num_col("Criterion score", "%.1f"),
    "weight": ui.num_col("Weight", "%g"), "part": ui.num_col("Weighted part", "%.1f")})
st.caption("Built-in inputs: strategic alignment — the objective's weight (of the largest weight of all "
           "objectives); priority — priority_score; benefit ratio — Σ (target − baseline) of the financial "
           "benefits / BAC, ranked among the candidates; risk — Σ probability × impact of the open risks, ranked "
           "(a lower exposure scores higher).")

ui.chart(charts.score_parts(cached(pipeline.criteria)(f, weights_text)))

if window:
    st.subheader(f"Capacity in the planning window, {window[0]} to {window[1]}")
    ui.table(cached(pipeline.capacity)(f, window), f"Capacity {window[0]} to {window[1]}", key="pipeline_capacity",
             columns={"department": ui.text_col("Department"), "resources": ui.num_col("People", "%d"),
                      "capacity_hours": ui.num_col("Capacity (h)", "%.0f"),
                      "committed_hours": ui.num_col("Committed to other projects (h)", "%.0f"),
                      "free_hours": ui.num_col("Free (h)", "%.0f"),
                      "candidate_hours": ui.num_col("Candidates need (h)", "%.0f")})
    st.caption("Capacity as the resource KPIs count it (weekly hours × working days within employment / 5); "
               "committed: planned hours of the projects that are not candidates; free = capacity − committed.")
