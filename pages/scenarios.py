"""What-if scenarios: a budget, capacity limits per department over a planning window and projects
forced in or out; the optimal selection (an integer programme, CONTRACT §7) beside what ranking by
score and by score per cost would fund, the score-vs-budget frontier, and scenarios saved, compared
and exported.

Anyone who may see the candidates may run a what-if. Saving (and deleting) a scenario asks for the
PMO-lead password of the Data loads page when one is configured; the author is the signed-in
identity, else PMO_USER, else "anonymous". A scoped viewer sees only the candidates of their units
(the entry file narrows the filters) and only the saved scenarios made entirely of those.
"""
import os

import streamlit as st

from pages import _widgets as ui
from pages._cache import app_state, cached
from pages._context import identity, secrets
from pmo_metrics import access, charts, pipeline, saved_scenarios, scenarios
from pmo_metrics import formatting as fmt
from pmo_metrics.appstate import AppStateError
from pmo_metrics.filters import Filters
from pmo_metrics.selection import SelectionError
from pmo_metrics.views import projects

FRONTIER = "scenario_frontier"   # (the inputs it was traced for, the frontier): traced once per change

ctx = ui.header("What-if scenarios", "Which candidates to fund with the money and people available: the optimal "
                "selection under a budget and capacity limits, beside what a ranking would fund.")
ui.require_data(ctx)
f = ctx.filters
weights_text = ctx.settings.selection_weights
currency = ctx.currency


def _store():
    try:
        return app_state(ctx.settings.store_url)
    except AppStateError as exc:
        st.error(f"Saved scenarios are not available: {ui.esc(exc)}")
        return None


def _may_write() -> bool:
    expected = access.data_loads_password(secrets(), os.environ)
    return expected is None or ui.pmo_lead_unlocked(
        expected, "Saving scenarios is for PMO leads: enter the PMO-lead password (the one of the Data loads page).",
        "scenarios_password")


def _data_version() -> str | None:
    return (ctx.provenance or {}).get("load_id") or ctx.token


def inputs(plan: scenarios.Plan, window, sig: str):
    """The scenario form; returns (budget, limits, force_in, force_out) or raises SelectionError."""
    names = dict(zip(plan.candidates["project_id"], plan.candidates["project_name"]))
    with st.form(f"scenario_{sig}"):
        c1, c2 = st.columns([1, 2])
        budget = c1.number_input(f"Budget ({currency or 'reporting currency'})", min_value=0.0,
                                 value=scenarios.default_budget(plan), step=scenarios.budget_step(plan),
                                 format="%.0f", key=f"budget_{sig}",
                                 help=f"Σ BAC of the funded candidates may not exceed it. Total ask: "
                                      f"{ui.money(plan.total_ask)}.")
        c1.caption(f"Total ask of the {fmt.plural(len(plan.candidates), 'candidate')}: {ui.money(plan.total_ask)}. "
                   f"Budget of the run shown: {ui.money(budget)}.")
        force_in = c2.multiselect("Fund in any case (forced in)", list(names), key=f"force_in_{sig}",
                                  format_func=lambda p: f"{p} · {fmt.text(names.get(p), 50, empty='')}")
        force_out = c2.multiselect("Never fund (forced out)", list(names), key=f"force_out_{sig}",
                                   format_func=lambda p: f"{p} · {fmt.text(names.get(p), 50, empty='')}")
        st.markdown(f"**Capacity limits**, hours over the planning window {window[0]} to {window[1]}. They start at "
                    "the free capacity of each department the candidates need; untick a department to drop its "
                    "limit, or type another number.")
        edited = ui.editor(scenarios.limits_table(plan), editable={"limited", "limit_hours"}, key=f"limits_{sig}",
                           columns={"limited": ui.check_col("Limit"), "department": ui.text_col("Department"),
                                    "limit_hours": ui.num_col("Limit (h)", "%.0f"),
                                    "free_hours": ui.num_col("Free (h)", "%.0f"),
                                    "candidate_hours": ui.num_col("Candidates need (h)", "%.0f"),
                                    "capacity_hours": ui.num_col("Capacity (h)", "%.0f"),
                                    "committed_hours": ui.num_col("Committed (h)", "%.0f")})
        st.form_submit_button("Run the scenario", type="primary", icon=":material/play_arrow:")
    return budget, scenarios.limits_from_table(edited), force_in, force_out


def results(plan: scenarios.Plan, outcome: scenarios.Outcome, key: tuple) -> None:
    point_limit = scenarios.frontier_time_limit(ctx.settings.selection_time_limit_seconds)
    note = scenarios.not_proven(outcome)
    if note:
        st.warning(note, icon=":material/timer:")
    table = scenarios.comparison(outcome)
    adds = scenarios.what_the_optimum_adds(outcome, currency)
    for col, row in zip(st.columns(3), table.itertuples(index=False)):
        with col.container(border=True):
            st.markdown(f"**{row.label}**")
            st.metric("Total score", fmt.ratio(row.total_score, ".1f"),
                      delta=f"{fmt.ratio(-row.score_gap, '.1f')} vs the optimum" if row.behind else None,
                      delta_color="normal")
            st.caption(f"{fmt.plural(row.projects, 'project')} · BAC {ui.money(row.total_bac)} · "
                       f"{ui.money(row.budget_left)} of the budget left")
            if row.method != "optimal":
                st.caption(ui.esc(adds[row.method]))
            elif outcome.proven:
                st.caption(f"Proven optimal, in {fmt.number(outcome.seconds)} s.")
    ui.table(scenarios.funded_table(plan, outcome), "Scenario selection", key="scenario_funded", columns={
        "optimal": ui.check_col("Optimal"), "by_score": ui.check_col("By score"),
        "by_value": ui.check_col("By score per cost"), "project_id": ui.text_col("Project"),
        "project_name": ui.text_col("Name", width="medium"), "stage": ui.text_col("Stage"),
        "business_unit": ui.text_col("Business unit"), "score": ui.num_col("Score", "%.1f"),
        "bac": ui.money_col("BAC"), "hours_needed": ui.num_col("Hours needed", "%.0f"), "forced": ui.text_col("Forced")})
    if outcome.scenario.limits:
        ui.table(scenarios.capacity_use(plan, outcome), "Capacity used", key="scenario_capacity", columns={
            "department": ui.text_col("Department"), "limit": ui.num_col("Limit (h)", "%.0f"),
            "optimal": ui.num_col("Optimal (h)", "%.0f"), "by_score": ui.num_col("By score (h)", "%.0f"),
            "by_value": ui.num_col("By score per cost (h)", "%.0f")})

    st.subheader("What each budget buys")
    held = st.session_state.get(FRONTIER)
    if held is None or held[0] != key:
        bar = st.progress(0.0, text="Tracing the frontier …")
        traced = scenarios.frontier(plan, outcome.scenario, time_limit=point_limit, progress=lambda k, n: bar.progress(
            k / n, text=f"Tracing the frontier: budget {fmt.count(k)} of {fmt.count(n)}"))
        bar.empty()
        held = (key, traced)
        st.session_state[FRONTIER] = held
    if held[1]["total_score"].notna().any():
        ui.chart(charts.selection_frontier(held[1], outcome.scenario.budget, outcome.optimal.total_score, currency))
        st.caption(f"The optimal total score for {fmt.count(scenarios.FRONTIER_POINTS)} budgets from 0 to the total "
                   "ask, with this scenario's limits and forced projects; each step is a budget at which a better "
                   "selection becomes affordable.")
        note = scenarios.frontier_note(held[1], point_limit)
        if note:
            st.warning(note, icon=":material/timer:")
    else:
        ui.empty("No budget up to the total ask fits the projects forced in.")


def save_form(plan: scenarios.Plan, outcome: scenarios.Outcome, store) -> None:
    st.subheader("Save this scenario")
    if not _may_write():
        return
    with st.form("save_scenario", clear_on_submit=False):
        name = st.text_input("Name", max_chars=200, key="scenario_name")
        description = st.text_area("Description (optional)", key="scenario_description")
        replace = st.checkbox("Replace the saved scenario of that name, if there is one", key="scenario_replace")
        if st.form_submit_button("Save", icon=":material/save:"):
            rec = saved_scenarios.record(name, plan, outcome, f, author=identity(), data_version=_data_version(),
                                   description=description)
            try:
                saved_scenarios.save(store, rec, replace=replace)
            except AppStateError as exc:
                st.error(f"Not saved: {ui.esc(exc)}.")
            else:
                st.success(f"Saved as “{ui.esc(name.strip())}” by {ui.esc(identity())}.")


def saved(store) -> None:
    st.subheader("Saved scenarios")
    visible = None
    if ctx.scope.restricted:
        visible = cached(projects.project_list)(ctx.scope.apply(Filters()))["project_id"].tolist()
    recs = saved_scenarios.records(store, visible)
    ui.table(saved_scenarios.summary(recs), "Saved scenarios", key="scenario_saved",
             empty_message="No scenario has been saved yet.",
             columns={"name": ui.text_col("Scenario"), "author": ui.text_col("Author"),
                      "saved_at": ui.datetime_col("Saved (UTC)"), "budget": ui.money_col("Budget"),
                      "projects": ui.num_col("Projects", "%d"), "total_score": ui.num_col("Total score", "%.1f"),
                      "total_bac": ui.money_col("Total BAC"), "optimal": ui.check_col("Proven optimal"),
                      "description": ui.text_col("Description", width="large")})
    if not recs:
        return
    by_name = {r.name: r for r in recs}
    names = list(by_name)
    c1, c2 = st.columns(2)
    # keyed by the names saved: a scenario saved or deleted starts the comparison afresh
    a = c1.selectbox("Scenario A", names, index=0, key=ui.key_suffix("compare_a", *names))
    b = c2.selectbox("Scenario B", names, index=min(1, len(names) - 1), key=ui.key_suffix("compare_b", *names))
    ui.download_workbook(f"Excel: scenario {a}", lambda: saved_scenarios.workbook(by_name[a], currency),
                         f"scenario {a}", key="dl_scenario_a",
                         help="Sheets: scenario (its definition and totals), funded, comparison (the optimum beside "
                              "the rankings)")
    if a == b:
        st.caption("Pick two different scenarios to compare them side by side.")
    else:
        cmp = saved_scenarios.compare(by_name[a], by_name[b], currency)
        st.markdown("**What changed from A to B**")
        st.markdown("\n".join(f"- {ui.esc(line)}" for line in cmp.changes))
        ui.table(saved_scenarios.comparison_rows(cmp, currency), f"Comparison {a} vs {b}", key="scenario_compare",
                 columns={"figure": ui.text_col("Figure"), "a": ui.text_col(f"A: {a}"), "b": ui.text_col(f"B: {b}"),
                          "change": ui.text_col("Change")})
        ui.table(cmp.projects, f"Funded in {a} and {b}", key="scenario_compare_projects", columns={
            "project_id": ui.text_col("Project"), "project_name": ui.text_col("Name", width="medium"),
            "change": ui.text_col("Change"), "funded_a": ui.check_col("Funded in A"),
            "funded_b": ui.check_col("Funded in B"), "score_a": ui.num_col("Score in A", "%.1f"),
            "score_b": ui.num_col("Score in B", "%.1f"), "bac": ui.money_col("BAC")})
        ui.download_workbook("Excel: the comparison", lambda: saved_scenarios.comparison_workbook(cmp, currency),
                             f"scenarios {a} vs {b}", key="dl_scenario_compare",
                             help="Sheets: scenario (both definitions side by side), funded, comparison")
    if _may_write():
        with st.expander("Delete a saved scenario"):
            gone = st.selectbox("Scenario", names, key="delete_name")
            if st.button("Delete", key="delete_scenario", icon=":material/delete:"):
                try:
                    store.delete_scenario(gone)
                except AppStateError as exc:
                    st.error(f"Not deleted: {ui.esc(exc)}.")
                else:
                    st.rerun()


try:
    cached(pipeline.check_weights)(weights_text)
except pipeline.PipelineError as exc:
    st.error(f"The scores cannot be computed: {ui.esc(exc)}. Fix the `selection_weights` setting "
             "(environment variable PMO_SELECTION_WEIGHTS).")
    st.stop()
months = cached(scenarios.window_choices)()
default_window = cached(pipeline.default_window)()
chosen = st.select_slider("Planning window", options=months, value=default_window, key="scenario_window",
                          format_func=fmt.short_month,
                          help="Capacity limits and the candidates' needs count the planned hours of these months "
                               "(by default the 12 months after the latest status report).")
window = tuple(chosen)
plan = cached(scenarios.plan)(f, weights_text, window)
if plan.candidates.empty:
    ui.empty("No candidate projects (stage idea, initiation or planning)"
             + (" pass these filters." if f.is_filtered else " in the data."))
    st.stop()

sig = ui.key_suffix("s", repr(f.project_params()), window[0], window[1])
store = _store()
try:
    budget, limits, force_in, force_out = inputs(plan, window, sig)
    limit_items = tuple(sorted(limits.items()))
    outcome = cached(scenarios.solve, spinner="Finding the optimal selection …")(
        f, weights_text, window, budget, limit_items, tuple(force_in), tuple(force_out),
        ctx.settings.selection_time_limit_seconds or None, currency)
except SelectionError as exc:
    st.error(f"No selection: {ui.esc(exc)}.", icon=":material/block:")
    outcome = None
if outcome is not None:
    results(plan, outcome, (ctx.token, f, weights_text, window, limit_items, tuple(sorted(force_in)),
                            tuple(sorted(force_out))))
    current = saved_scenarios.record("this scenario (not saved)", plan, outcome, f, author=identity(),
                                     data_version=_data_version())
    ui.download_workbook("Excel: this scenario", lambda: saved_scenarios.workbook(current, currency), "scenario",
                         key="dl_scenario_current",
                         help="Sheets: scenario (its definition and totals), funded, comparison (the optimum beside "
                              "the rankings)")
    if store is not None:
        save_form(plan, outcome, store)
if store is not None:
    saved(store)
