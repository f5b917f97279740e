"""The monthly review's sections, one function each: which figures make the section's message, and
the words around them. Every figure comes from the KPI engine (`kpis`), the page tables (`views`)
or the review's own queries (`review.queries`); a section only selects, compares and words them,
and formats each value by its unit (`formatting`).

About 650 lines on purpose (more than the 500 lines a module is kept under): the ten sections read top to
bottom in the order the meeting takes them, and share the context and the wording helpers at the
top.
"""
from __future__ import annotations

from functools import cached_property

import pandas as pd

from .. import coverage, kpis, lineage
from .. import formatting as fmt
from .. import metrics as registry
from ..contract import BENEFIT_ON_TRACK, MATURITY_DOMAINS, RAG_ORDER, RAG_RANK
from ..filters import Filters, month_add, previous_month
from ..theme import RAG_COLOURS, SERIES
from ..views import benefits as benefit_views
from ..views import finance, maturity, quality, resources
from ..views.changes import changes_since_last_month
from . import queries
from .model import Chart, Section, table
from .summary import Changes, what_changed

# The KPIs the headline section shows, in the order a review meeting reads them: a screen or a slide
# has room for the first few, the appendix holds the rest.
HEADLINE_KPIS: tuple[str, ...] = (
    "active_projects", "rag_red_share", "spi", "cpi", "vac", "milestone_on_time_rate", "benefit_realization_rate",
    "utilization", "rag_amber_share", "rag_green_share", "stale_status_share", "avg_finish_slip_days",
    "budget_ytd", "actual_cost_ytd", "overallocated_resources", "benefits_at_risk", "maturity_score",
)
STATE_COLOURS = {label: RAG_COLOURS[state] for state, label in fmt.RAG_LABELS.items()}
TREND_MONTHS = 12          # length of the trend charts (milestones, earned value)
CHART_PROJECTS = 8         # projects a per-project chart shows at most (the worst first): a screen's room
COMMENT_CHARS = 240        # status commentary is cut to this length for a slide or a screen

# A project's state in a month, best first as a review reads them: its RAG, no report, not active.
STATES = tuple(reversed(RAG_ORDER)) + ("none", "inactive")


class Context:
    """What several sections read, computed once: the KPI comparison and the two project tables."""

    def __init__(self, con, filters: Filters, previous: str, currency: str = ""):
        self.con = con
        self.currency = currency
        self.filters = filters
        self.as_of = filters.as_of
        self.previous = previous
        self.kpis = kpis.compare_kpis(con, filters, previous=previous).set_index("id")
        self.projects = kpis.project_table(con, filters)
        self.projects_before = kpis.project_table(con, filters.with_as_of(previous))
        self.held = coverage.held(con)
        self.changes: Changes | None = None      # set by the RAG movement section

    @cached_property
    def moved(self) -> dict[str, pd.DataFrame]:
        """What moved between M − 1 and M (the missed milestones, new high risks, …), read once."""
        return changes_since_last_month(self.con, self.filters)

    def lacks(self, metric_id: str) -> str | None:
        """Why the loaded data cannot support a KPI (it then reads "—"), or None."""
        return coverage.reason(self.held, metric_id)

    def lacking(self, *inputs: str) -> str | None:
        return coverage.sentence(coverage.lacking(self.held, *inputs))

    @property
    def m(self) -> str:
        return fmt.month_label(self.as_of)

    @property
    def p(self) -> str:
        return fmt.month_label(self.previous)

    def value(self, metric_id: str):
        return self.kpis.at[metric_id, "value"]

    def before(self, metric_id: str):
        return self.kpis.at[metric_id, "previous"]

    def fmt(self, metric_id: str) -> str:
        """A KPI at M as the cards read it, money in the reporting currency; "—" without its inputs."""
        if self.lacks(metric_id):
            return fmt.NO_DATA
        return fmt.typographic(registry.format_value(metric_id, self.value(metric_id), self.currency))

    def change(self, metric_id: str) -> str:
        if self.lacks(metric_id):
            return fmt.NO_DATA
        m = registry.get(metric_id)
        return fmt.arrow(fmt.change(m.unit, self.kpis.at[metric_id, "change"], m.fmt, currency=self.currency))

    def fmt_previous(self, metric_id: str) -> str:
        if self.lacks(metric_id):
            return fmt.NO_DATA
        return fmt.typographic(registry.format_value(metric_id, self.before(metric_id), self.currency))

    def money(self, v) -> str | None:
        return fmt.typographic(fmt.money(v, self.currency, empty=None))

    def signed_money(self, v) -> str | None:
        return fmt.signed_money(v, self.currency)

    def trend_start(self) -> str:
        """The first month of the trend charts: TREND_MONTHS back, not before the data starts."""
        start = month_add(self.as_of, -(TREND_MONTHS - 1))
        months = kpis.available_months(self.con)
        return max(start, months[0]) if months else start


def _share(v) -> str | None:
    return fmt.typographic(fmt.share(v, empty=None))


# -- 1. headline -------------------------------------------------------------------------------------

def headline_section(ctx: Context) -> Section:
    rows, hints = [], {}
    for i, mid in enumerate(HEADLINE_KPIS):
        r = ctx.kpis.loc[mid]
        why = ctx.lacks(mid)
        rows.append({
            "KPI": r["label"], ctx.m: ctx.fmt(mid), ctx.p: ctx.fmt_previous(mid), "Change": ctx.change(mid),
            "Status": None if why else fmt.label(r["status"], "rag", empty=None),
            "Trend": None if why else {"better": "Better", "worse": "Worse", "same": "No change"}.get(
                r["direction"] if isinstance(r["direction"], str) else ""),
        })
        if why:
            hints[i] = why
    better = sum(ctx.kpis.loc[list(HEADLINE_KPIS), "direction"].eq("better"))
    worse = sum(ctx.kpis.loc[list(HEADLINE_KPIS), "direction"].eq("worse"))
    active = ctx.value("active_projects") or 0
    message = (f"{fmt.plural(int(active), 'active project')}: {ctx.fmt('rag_red_share')} red "
               f"({ctx.change('rag_red_share')})")
    message += (f", SPI {ctx.fmt('spi')}, CPI {ctx.fmt('cpi')}" if not ctx.lacks("cpi")
                else ("" if ctx.lacks("spi") else f", SPI {ctx.fmt('spi')}"))
    points = [f"{fmt.plural(better, 'headline KPI')} improved and {worse} worsened since {ctx.p}.",
              spend_sentence(ctx)]
    points.append(f"Benefits realised: {ctx.fmt('benefit_realization_rate')} of plan to date." if not
                  ctx.lacks("benefit_realization_rate") else ctx.lacks("benefit_realization_rate"))
    if ctx.lacks("spi"):
        points.append(f"No earned value: {fmt.clause(ctx.lacks('spi'))}")
    states = [("rag_red_share", "red"), ("rag_amber_share", "amber"), ("rag_green_share", "green"),
              ("rag_missing_share", "none")]
    # One stacked bar per month, one series per state in its own colour: a "Green" series is green.
    months = [fmt.short_month(ctx.previous), fmt.short_month(ctx.as_of)]
    series = {fmt.state(s): [fmt.as_float(ctx.before(mid)), fmt.as_float(ctx.value(mid))] for mid, s in states}
    counts = kpis.rag_counts(ctx.con, ctx.filters)
    chart = Chart("rag_mix", f"RAG mix of active projects, {ctx.p} and {ctx.m} (% of active projects)",
                  "stacked_column", "share", months, series,
                  pd.DataFrame([{s: counts[s] for _, s in states}]),
                  options={"title": f"RAG mix of active projects, {ctx.m} (number of projects)"},
                  colours={name: STATE_COLOURS[name] for name in series})
    headline = table("Headline KPIs", rows, ["KPI", ctx.m, ctx.p, "Change", "Status", "Trend"], "No KPIs.",
                     status_columns=["Status"])
    headline.hints = hints
    notes = [f"{registry.get(HEADLINE_KPIS[i]).label}: {why}" for i, why in hints.items()]
    return Section("headline", "Headline KPIs", message, points, [headline], chart, notes)


def spend_sentence(ctx: Context) -> str:
    """This year's spend against budget, or why it cannot be said."""
    if ctx.lacks("actual_cost_ytd"):
        return (f"No actual costs are loaded, so spend cannot be set against the {ctx.fmt('budget_ytd')} "
                "budgeted this year.")
    return f"Spent {ctx.fmt('actual_cost_ytd')} of {ctx.fmt('budget_ytd')} budgeted this year."


# -- 0. executive summary -------------------------------------------------------------------------------

def summary_section(ctx: Context, sections: list[Section]) -> Section:
    """The three sentences that matter — what changed, the portfolio's health, the money — and the
    decisions needed, from the sections that follow (so the summary says what they show)."""
    by_key = {s.key: s for s in sections}
    changed = what_changed(ctx.changes or Changes(0, 0, 0), ctx.p)
    points = [by_key["headline"].message + ".", by_key["spend"].message + "."]
    decisions = by_key["decisions"].tables[0]
    brief = decisions.frame.reindex(columns=["Project", "RAG", "Why", "VAC"])
    needed = table("Decisions needed", brief, list(brief.columns), "No project needs a decision this month.",
                   status_columns=["RAG"])
    return Section("summary", "Executive summary", changed, points, [needed])


# -- 2. RAG movement -----------------------------------------------------------------------------------

def rag_movement_section(ctx: Context) -> Section:
    # One merge, not a lookup per project: the enterprise portfolio has thousands of projects.
    cols = ["project_id", "project_name", "portfolio", "stage", "active", "overall_rag"]
    both = ctx.projects[cols].merge(ctx.projects_before[cols], on="project_id", how="outer", suffixes=("", "_b"))

    def state(active: pd.Series, rag: pd.Series) -> pd.Series:
        is_active = active.astype("boolean").fillna(False).astype(bool)
        named = rag.where(rag.isin(RAG_ORDER), "none").astype(object)
        return named.where(is_active, "inactive")

    s_to, s_from = state(both["active"], both["overall_rag"]), state(both["active_b"], both["overall_rag_b"])
    keep = ((s_to != "inactive") | (s_from != "inactive")).to_numpy()
    present = both["project_name"].notna() | both["active"].notna()
    moves = pd.DataFrame({
        "project_id": both["project_id"],
        "project_name": both["project_name"].where(present, both["project_name_b"]),
        "portfolio": both["portfolio"].where(present, both["portfolio_b"]),
        "from": s_from, "to": s_to,
        "stage": both["stage"].where(present, both["stage_b"]),
    })[keep].sort_values("project_id").reset_index(drop=True)

    stacked = RAG_ORDER + ("none",)   # the bars stack worst first, as every RAG chart does
    # Where this month's active projects came from: one bar per state last month, stacked by RAG now.
    current = moves[moves["to"] != "inactive"]
    rollup = []
    for s in STATES:
        part = current[current["from"] == s]
        label = {"none": "Had no report", "inactive": "Was not active"}.get(s, f"Was {s}")
        rollup.append({"key": s, "label": label, **{t if t != "none" else "no_report": int((part["to"] == t).sum())
                                                   for t in stacked}})
    rollup = pd.DataFrame(rollup)
    categories = rollup["label"].tolist()
    series = {f"{fmt.state(t)} in {ctx.m}": [float(v) for v in rollup[t if t != "none" else "no_report"]]
              for t in stacked}
    chart = Chart("rag_transitions", f"Active projects by their RAG in {fmt.short_month(ctx.previous)} (number)",
                  "stacked_bar", "count", categories, series, rollup,
                  options={"level_label": f"RAG in {ctx.p}"},
                  colours={name: STATE_COLOURS[name.split(" in ")[0]] for name in series})

    changed = moves[moves["from"] != moves["to"]].copy()
    from_rank, to_rank = changed["from"].map(RAG_RANK), changed["to"].map(RAG_RANK)
    worse, better = changed[to_rank < from_rank], changed[to_rank > from_rank]

    matrix_rows = []
    for s in STATES:
        row = {f"{ctx.p} \u2192 {ctx.m}": fmt.state(s)}
        for t in STATES:
            row[fmt.state(t)] = int(((moves["from"] == s) & (moves["to"] == t)).sum())
        matrix_rows.append(row)
    matrix = table("Transition matrix (number of projects)", matrix_rows,
                   [f"{ctx.p} \u2192 {ctx.m}"] + [fmt.state(t) for t in STATES], "No active projects.")
    matrix.frame = matrix.frame.map(lambda v: str(v) if isinstance(v, int) else v)

    transitions = []
    for (s, t), part in changed.groupby(["from", "to"], sort=False):
        transitions.append({
            "_o": (STATES.index(s), STATES.index(t)),
            "Movement": f"{fmt.state(s)} \u2192 {fmt.state(t)}",
            "Projects": str(len(part)),
            "Which": "; ".join(f"{n} ({p})" for n, p in zip(part["project_name"], part["project_id"])),
        })
    transitions.sort(key=lambda r: r["_o"])
    moved = table("Projects that changed state", transitions, ["Movement", "Projects", "Which"],
                  f"No project changed RAG between {ctx.p} and {ctx.m}.", status_columns=["Movement"])

    n_turned_red = int(((changed["to"] == "red")).sum())
    missed, risks = ctx.moved.get("missed_milestones"), ctx.moved.get("new_high_risks")
    fell = ctx.moved.get("benefits_fell_behind") if ctx.previous == previous_month(ctx.as_of) else None
    ctx.changes = Changes(
        len(worse), len(better), n_turned_red,
        None if ctx.lacking("milestones") or missed is None else len(missed),
        None if ctx.lacking("risks") or risks is None else len(risks),
        None if ctx.lacking("benefits", "benefit_measurements") or fell is None else len(fell))
    message = (f"{fmt.plural(len(worse), 'project')} worsened and {len(better)} improved since {ctx.p}"
               + (f"; {n_turned_red} turned red" if n_turned_red else ""))
    points = [
        f"{fmt.plural(int((moves['from'] == 'inactive').sum()), 'project')} became active, "
        f"{int((moves['to'] == 'inactive').sum())} finished or paused.",
        f"{fmt.plural(int((moves['from'] == moves['to']).sum()), 'project')} kept the same state.",
    ]
    return Section("rag_movement", "RAG movement", message, points, [moved, matrix], chart)


# -- 3. decisions ------------------------------------------------------------------------------------

def decision_projects(ctx: Context) -> pd.DataFrame:
    """Active projects at M that are red, or whose SPI or CPI is red under the registry's thresholds.
    A project that reported no percent complete has no earned value, so no SPI or CPI (the table's
    0 is "none reported"): it is never listed for an SPI or a CPI of 0."""
    t = ctx.projects[ctx.projects["active"].astype(bool)].copy()
    if t.empty:
        return t.assign(reasons=pd.Series(dtype=object))
    reasons = []
    for _, r in t.iterrows():
        why = []
        if r["overall_rag"] == "red":
            why.append("red status")
        for mid in ("spi", "cpi") if not fmt.is_missing(r["percent_complete"]) else ():
            if registry.status(mid, fmt.as_float(r[mid])) == "red":
                why.append(f"{mid.upper()} {registry.format_value(mid, r[mid])}")
        reasons.append(why)
    t["reasons"] = reasons
    t = t[t["reasons"].map(bool)].copy()
    t["_red"] = t["overall_rag"].ne("red")
    t["_vac"] = t["vac"].astype(float).fillna(0.0)
    return t.sort_values(["_red", "_vac", "project_id"]).drop(columns=["_red", "_vac"]).reset_index(drop=True)


def decisions_section(ctx: Context) -> Section:
    t = decision_projects(ctx)
    notes = queries.latest_commentary(ctx.con, t["project_id"].tolist(), ctx.as_of).set_index("project_id")
    rows = []
    for _, r in t.iterrows():
        note = notes.loc[r["project_id"]] if r["project_id"] in notes.index else None
        progress = not fmt.is_missing(r["percent_complete"])
        rows.append({
            "Project": r["project_name"], "ID": r["project_id"], "Portfolio": r["portfolio"],
            "Manager": fmt.text(r["project_manager"]),
            "RAG": f"{fmt.state(r['previous_rag'])} \u2192 {fmt.state(r['overall_rag'])}",
            "SPI": fmt.ratio(r["spi"], empty=None) if progress else None,
            "CPI": fmt.ratio(r["cpi"], empty=None) if progress else None,
            "VAC": None if ctx.lacks("vac") else ctx.money(r["vac"]),
            "Why": ", ".join(r["reasons"]),
            "Latest commentary": None if note is None else
            f"{fmt.date(note['report_date'], empty=None)}: {fmt.text(note['summary'], COMMENT_CHARS)}",
        })
    needing = table("Projects needing a decision", rows,
                    ["Project", "ID", "Portfolio", "Manager", "RAG", "SPI", "CPI", "VAC", "Why", "Latest commentary"],
                    "No project is red or below the SPI / CPI thresholds.",
                    slide_columns=["Project", "RAG", "SPI", "CPI", "VAC", "Why"], status_columns=["RAG"])
    spi_t, cpi_t = registry.get("spi").thresholds, registry.get("cpi").thresholds
    n_red = int((t["overall_rag"] == "red").sum()) if not t.empty else 0
    message = (f"{fmt.plural(len(t), 'project needs', 'projects need')} a decision: " + (
        f"{n_red} red, {len(t) - n_red} below the SPI or CPI threshold" if len(t) > n_red else
        ("red" if n_red == 1 else "all red")) if len(t) else "No project needs a decision this month")
    exposure = float(t["vac"].astype(float).clip(upper=0).sum()) if len(t) else 0.0
    points = [f"Threshold: SPI or CPI below {fmt.ratio(spi_t.amber)} / {fmt.ratio(cpi_t.amber)} "
              "(red in the KPI registry)."]
    if len(t) and not ctx.lacks("vac"):
        points.append(f"Forecast overrun of these projects (VAC below zero): {ctx.money(exposure)}.")
    section_notes = []
    if ctx.lacks("spi"):
        section_notes.append(f"Projects are listed by their status only: {fmt.clause(ctx.lacks('spi'))}")

    chart_rows = t.dropna(subset=["vac"]).sort_values("vac").head(CHART_PROJECTS)
    frame = pd.DataFrame({"project_id": chart_rows["project_id"].tolist(),
                          "project_name": chart_rows["project_name"].tolist(),
                          "vac": chart_rows["vac"].astype(float).tolist()})
    chart = Chart("variance_bars", "Projects needing a decision: variance at completion (BAC − EAC)",
                  "bar", "money", frame["project_name"].tolist(),
                  {"VAC (BAC − EAC)": [fmt.as_float(v) for v in frame["vac"]]}, frame,
                  options={"negative": RAG_COLOURS["red"], "positive": RAG_COLOURS["green"]}) \
        if len(frame) and not ctx.lacks("vac") else None
    return Section("decisions", "Projects needing a decision", message, points, [needing], chart, section_notes)


# -- 4. milestones -------------------------------------------------------------------------------------

def milestones_section(ctx: Context) -> Section:
    if ctx.lacking("milestones"):
        return Section("milestones", "Milestones", f"No milestones to review: {fmt.clause(ctx.lacking('milestones'))}",
                       [f"Average forecast finish slip of active projects: {ctx.fmt('avg_finish_slip_days')}."])
    missed = ctx.moved["missed_milestones"]
    names = ctx.projects.set_index("project_id")["project_name"]
    selected = ctx.projects["project_id"].tolist()
    nxt = month_add(ctx.as_of, 1)
    due = queries.milestones_due(ctx.con, selected, nxt, ctx.as_of)

    def rows(frame: pd.DataFrame, missed_rows: bool) -> list[dict]:
        out = []
        for _, r in frame.iterrows():
            row = {"Project": names.get(r["project_id"], r.get("project_name")), "ID": r["project_id"],
                   "Milestone": r["milestone_name"], "Gate": "yes" if bool(r["is_gate"]) else "",
                   "Baseline": fmt.date(r["baseline_date"], empty=None),
                   "Forecast": fmt.date(r["forecast_date"], empty=None)}
            if missed_rows:
                row["Achieved"] = fmt.date(r["actual_date"], empty="not yet")
            out.append(row)
        return out

    base_cols = ["Project", "ID", "Milestone", "Gate", "Baseline", "Forecast"]
    t_missed = table(f"Missed in {ctx.m} (baseline in the month, not achieved by it)", rows(missed, True),
                     base_cols + ["Achieved"], f"No milestone was missed in {ctx.m}.",
                     slide_columns=["Project", "Milestone", "Baseline", "Forecast", "Achieved"])
    t_due = table(f"Due in {fmt.month_label(nxt)} (forecast, else baseline date)", rows(due, False), base_cols,
                  f"No milestone is due in {fmt.month_label(nxt)}.",
                  slide_columns=["Project", "Milestone", "Gate", "Baseline", "Forecast"])
    gates = int(due["is_gate"].astype(bool).sum()) if len(due) else 0
    message = (f"{fmt.plural(len(missed), 'milestone')} missed in {ctx.m}; "
               f"{len(due)} due in {fmt.month_label(nxt)}" + (f", {fmt.plural(gates, 'stage gate')}" if gates else ""))
    points = [f"Milestones on time to date: {ctx.fmt('milestone_on_time_rate')} "
              f"({ctx.change('milestone_on_time_rate')} since {ctx.p}).",
              f"Average forecast finish slip of active projects: {ctx.fmt('avg_finish_slip_days')}."]
    series = kpis.kpi_series(ctx.con, "milestone_on_time_rate", ctx.filters, start=ctx.trend_start(), end=ctx.as_of)
    chart = Chart("kpi_trend", "Milestones on time, by month (%)", "line", "share",
                  series["month"].tolist(), {"Milestones on time": [fmt.as_float(v) for v in series["value"]]},
                  series, options={"metric_id": "milestone_on_time_rate"},
                  colours={"Milestones on time": SERIES["actual"]}) if series["value"].notna().any() else None
    return Section("milestones", "Milestones", message, points, [t_missed, t_due], chart)


# -- 5. spend and forecasts ----------------------------------------------------------------------------

def spend_section(ctx: Context) -> Section:
    # One fixed set of projects, those active at M, so the cumulative lines never fall (see
    # views.finance.earned_value_curve); a line the loaded data has nothing for is left out.
    curve = finance.earned_value_curve(ctx.con, ctx.filters, start=ctx.trend_start(), end=ctx.as_of)
    if ctx.lacking("actual_costs"):
        curve = curve.assign(ac=float("nan"))
    n_set = int(curve["projects"].iloc[-1]) if len(curve) else 0
    lines = {name: [fmt.as_float(v) for v in curve[col]] for col, name in
             (("pv", "Planned value (PV)"), ("ev", "Earned value (EV)"), ("ac", "Actual cost (AC)"))
             if curve[col].notna().any()}
    chart = Chart("evm_curve", f"Earned value of the {fmt.plural(n_set, 'project')} active in {ctx.m}, cumulative",
                  "line", "money", curve["month"].tolist(), lines, curve,
                  options={"title": f"Earned value of the {fmt.plural(n_set, 'project')} active in {ctx.m}"},
                  colours={"Planned value (PV)": SERIES["planned"], "Earned value (EV)": SERIES["earned"],
                           "Actual cost (AC)": SERIES["actual"]}) if lines and n_set else None

    snap_after = queries.snapshot_month(ctx.con, ctx.as_of)
    snap_before = queries.snapshot_month(ctx.con, ctx.previous)
    notes: list[str] = []
    changes = pd.DataFrame()
    if snap_after is None:
        notes.append(f"No projects extract was loaded by {ctx.m}, so forecast changes cannot be shown; "
                     f"loading one projects extract each month keeps the forecast history.")
    elif snap_before is None or snap_before == snap_after:
        notes.append(f"Only one projects extract stands for {ctx.p} and {ctx.m} (taken {snap_after}); "
                     f"forecast changes need one loaded in each month.")
    else:
        changes = queries.forecast_changes(ctx.con, ctx.projects["project_id"].tolist(), snap_before, snap_after)
        if snap_before != ctx.previous or snap_after != ctx.as_of:
            notes.append(f"Forecasts compared between the extracts loaded in {fmt.month_label(snap_before)} "
                         f"and {fmt.month_label(snap_after)}.")
    names = ctx.projects.set_index("project_id")["project_name"]
    rows = [{
        "Project": names.get(r["project_id"]), "ID": r["project_id"], "Stage": fmt.label(r["stage"], "stage", empty=None),
        f"Finish ({ctx.p})": fmt.date(r["finish_before"], empty=None),
        f"Finish ({ctx.m})": fmt.date(r["finish"], empty=None),
        "Slip": fmt.slip(r["slip_days"], empty=None),
        f"Budget ({ctx.p})": ctx.money(r["bac_before"]), f"Budget ({ctx.m})": ctx.money(r["bac"]),
        "Budget change": None if fmt.is_missing(r["bac_change"]) or r["bac_change"] == 0
        else ctx.signed_money(r["bac_change"]),
    } for _, r in changes.iterrows()]
    cols = ["Project", "ID", "Stage", f"Finish ({ctx.p})", f"Finish ({ctx.m})", "Slip", f"Budget ({ctx.p})",
            f"Budget ({ctx.m})", "Budget change"]
    t_changes = table(f"Forecast changes, {ctx.p} \u2192 {ctx.m} (projects extract as loaded each month)", rows,
                      cols, "Forecast changes cannot be shown this month (the notes say why)." if notes and changes.empty
                      else f"No forecast finish or budget changed since {ctx.p}.",
                      slide_columns=["Project", f"Finish ({ctx.p})", f"Finish ({ctx.m})", "Slip", "Budget change"])

    measures = []
    for mid in ("planned_value", "earned_value", "actual_cost", "spi", "cpi", "eac", "vac", "tcpi",
                "budget_ytd", "actual_cost_ytd"):
        measures.append({"Measure": registry.get(mid).label, ctx.m: ctx.fmt(mid),
                         ctx.p: ctx.fmt_previous(mid), "Change": ctx.change(mid)})
    t_kpis = table("Spend against plan", measures, ["Measure", ctx.m, ctx.p, "Change"], "No cost data.")

    slipped = changes[changes["slip_days"].fillna(0) > 0] if len(changes) else changes
    ytd_var = None
    if not fmt.is_missing(ctx.value("budget_ytd")) and not fmt.is_missing(ctx.value("actual_cost_ytd")):
        ytd_var = ctx.value("actual_cost_ytd") - ctx.value("budget_ytd")
    message = (f"Spent {ctx.fmt('actual_cost_ytd')} against {ctx.fmt('budget_ytd')} budgeted this year"
               + (f" ({ctx.signed_money(ytd_var)})" if ytd_var is not None else ""))
    if ctx.lacks("actual_cost_ytd"):
        message = f"{ctx.fmt('budget_ytd')} budgeted this year; no actual costs are loaded to set against it"
        ytd_var = None
    if len(changes):
        message += f"; {fmt.plural(len(slipped), 'forecast finish', 'forecast finishes')} slipped"
    points = [f"Cost performance (CPI) {ctx.fmt('cpi')}, schedule performance (SPI) {ctx.fmt('spi')}.",
              f"Estimate at completion {ctx.fmt('eac')}; variance at completion {ctx.fmt('vac')}."]
    if ctx.lacks("cpi"):
        points = [f"No earned value, CPI or estimate at completion: {fmt.clause(ctx.lacks('cpi'))}"]
    if chart is not None:
        notes.append(f"The earned value curve follows the {fmt.plural(n_set, 'project')} active in {ctx.m} in every "
                     "month, so it only rises; each month's own KPI sums the projects active in that month.")
    if len(changes):
        bac_change = float(changes["bac_change"].fillna(0).sum())
        points.append(f"{fmt.plural(len(slipped), 'project')} slipped by {int(slipped['slip_days'].sum()):,} days "
                      "in total" + (f"; budgets changed by {ctx.signed_money(bac_change)} overall." if bac_change
                                    else "; no budget changed."))
    return Section("spend", "Spend and forecasts", message, points, [t_changes, t_kpis], chart, notes)


# -- 6. resources --------------------------------------------------------------------------------------

def resources_section(ctx: Context) -> Section:
    if ctx.lacking("resources"):
        return Section("resources", "Resource hot spots", f"No resource figures: {fmt.clause(ctx.lacking('resources'))}")
    people = resources.overallocated_people(ctx.con, ctx.filters, ctx.filters.business_units)
    depts = resources.by_group(ctx.con, ctx.filters, "department")
    over = depts[(depts["allocation_rate"].astype(float) > 1) | (depts["utilization"].astype(float) > 1)] \
        if len(depts) else depts
    t_people = table("Over-allocated people (planned hours above capacity)", [{
        "Person": r["resource_name"], "ID": r["resource_id"], "Role": r["role"], "Department": r["department"],
        "Capacity": fmt.hours(r["capacity_hours"], empty=None), "Planned": fmt.hours(r["planned_hours"], empty=None),
        "Over by": fmt.hours(r["over_by_hours"], empty=None), "Projects": fmt.text(r["projects"], COMMENT_CHARS),
    } for _, r in people.iterrows()], ["Person", "ID", "Role", "Department", "Capacity", "Planned", "Over by",
                                       "Projects"], f"Nobody is over-allocated in {ctx.m}.",
                     slide_columns=["Person", "Department", "Capacity", "Planned", "Over by"])
    t_depts = table("Departments", [{
        "Department": r["key"], "People": str(int(r["people"])), "Capacity": fmt.hours(r["capacity_hours"], empty=None),
        "Allocated": _share(r["allocation_rate"]), "Utilisation": _share(r["utilization"]),
        "Over-allocated people": str(int(r["overallocated"])),
        "Over capacity": "yes" if (fmt.as_float(r["allocation_rate"]) or 0) > 1
        or (fmt.as_float(r["utilization"]) or 0) > 1 else "",
    } for _, r in depts.iterrows()], ["Department", "People", "Capacity", "Allocated", "Utilisation",
                                      "Over-allocated people", "Over capacity"], "No resources in scope.",
                    slide_columns=["Department", "Allocated", "Utilisation", "Over-allocated people", "Over capacity"])
    message = (f"{fmt.plural(len(people), 'person is', 'people are')} over-allocated; "
               f"{fmt.plural(len(over), 'department')} over capacity")
    points = [f"Utilisation {ctx.fmt('utilization')} ({ctx.change('utilization')}), allocation "
              f"{ctx.fmt('allocation_rate')} of capacity.",
              f"Contractors logged {ctx.fmt('contractor_hours_share')} of the hours."]
    if len(over):
        points.append("Over capacity: " + ", ".join(str(k) for k in over["key"]) + ".")
    chart = None
    if len(depts):
        frame = depts[["key", "allocation_rate", "utilization"]].reset_index(drop=True)
        chart = Chart("utilisation_by_group", "Utilisation and allocation by department (% of capacity)", "bar",
                      "share", [str(k) for k in frame["key"]],
                      {"Allocation rate": [fmt.as_float(v) for v in frame["allocation_rate"]],
                       "Utilisation": [fmt.as_float(v) for v in frame["utilization"]]}, frame,
                      options={"group_label": "department", "target": registry.get("utilization").thresholds.green})
    return Section("resources", "Resource hot spots", message, points, [t_people, t_depts], chart,
                   ["Scoped by the department filter only, as the resource KPIs are."] if ctx.filters.is_filtered else [])


# -- 7. benefits ---------------------------------------------------------------------------------------

def benefits_section(ctx: Context) -> Section:
    if ctx.lacking("benefits"):
        return Section("benefits", "Benefits", f"No benefit figures: {fmt.clause(ctx.lacking('benefits'))}")
    at_risk = lineage.kpi_rows(ctx.con, "benefits_at_risk", ctx.filters)
    at_risk = at_risk[at_risk["counted"]] if len(at_risk) else at_risk
    fell = ctx.moved["benefits_fell_behind"] if ctx.previous == previous_month(ctx.as_of) else pd.DataFrame()
    fell_ids = set(fell["benefit_id"]) if len(fell) else set()
    t_risk = table(f"Benefits at risk (progress below {fmt.share(BENEFIT_ON_TRACK, '.0f')} of plan, or no actual "
                   "yet)", [{
                       "Benefit": r["benefit_name"], "ID": r["benefit_id"], "Project": r["project_name"],
                       "Category": fmt.label(r["category"], "benefit_category"),
                       "Baseline": fmt.number(r["baseline_value"], empty=None),
                       "Planned": fmt.number(r["planned_value"], empty=None),
                       "Actual": fmt.number(r["actual_value"], empty="none yet"),
                       "Progress": _share(r["progress"]), "New this month": "yes" if r["benefit_id"] in fell_ids else "",
                   } for _, r in at_risk.iterrows()],
                   ["Benefit", "ID", "Project", "Category", "Baseline", "Planned", "Actual", "Progress",
                    "New this month"], "No benefit is at risk.",
                   slide_columns=["Benefit", "Project", "Planned", "Actual", "Progress"])
    by = benefit_views.by_group(ctx.con, ctx.filters, "portfolio")
    by = by[(by["planned_to_date"] != 0) | (by["realized_to_date"] != 0)].reset_index(drop=True) if len(by) else by
    chart = None
    if len(by):
        chart = Chart("benefits_by_group", "Financial benefits by portfolio: planned vs realised to date", "bar",
                      "money", [str(k) for k in by["key"]],
                      {"Planned to date": [fmt.as_float(v) for v in by["planned_to_date"]],
                       "Realised to date": [fmt.as_float(v) for v in by["realized_to_date"]]},
                      by[["key", "planned_to_date", "realized_to_date", "realization_rate"]],
                      options={"group_label": "portfolio"})
    message = (f"Realised {ctx.fmt('benefits_realized_to_date')} of {ctx.fmt('benefits_planned_to_date')} planned "
               f"({ctx.fmt('benefit_realization_rate')}); "
               f"{fmt.plural(int(ctx.value('benefits_at_risk') or 0), 'benefit')} at risk")
    points = [f"Realisation rate {ctx.change('benefit_realization_rate')} since {ctx.p}; "
              f"benefits at risk {ctx.change('benefits_at_risk')}.",
              f"Benefit–cost ratio {ctx.fmt('benefit_cost_ratio')}."]
    if fell_ids:
        points.append(f"{fmt.plural(len(fell_ids), 'benefit')} fell behind plan this month.")
    return Section("benefits", "Benefits", message, points, [t_risk], chart)


# -- 8. maturity ---------------------------------------------------------------------------------------

def maturity_section(ctx: Context) -> Section | None:
    """Only when a business unit in scope was assessed in M: what the new assessment says."""
    fresh = queries.new_assessments(ctx.con, ctx.filters)
    if fresh.empty:
        return None
    units = sorted(fresh["business_unit"].unique())
    scores = maturity.scores(ctx.con, ctx.filters)
    scores = scores[scores["business_unit"].isin(units)]
    changes = maturity.changes(ctx.con, ctx.filters)
    changes = changes[changes["business_unit"].isin(units)]
    rows = [{
        "Business unit": r["business_unit"], "Domain": fmt.label(r["domain"]),
        "Previous": fmt.ratio(r["previous_score"], empty=None), "Now": fmt.ratio(r["latest_score"]),
        "Change": fmt.arrow(fmt.signed(r["change"], empty=None)),
    } for _, r in changes.iterrows()]
    assessed = table(f"Assessed in {ctx.m}: domain scores (1–5)", rows,
                     ["Business unit", "Domain", "Previous", "Now", "Change"], "No domain scores.")
    domains = [d for d in MATURITY_DOMAINS if d in set(scores["domain"])]
    series: dict[str, list[float | None]] = {}
    for bu in units:
        part = scores[scores["business_unit"] == bu].set_index("domain")
        series[str(bu)] = [fmt.as_float(part["score"].get(d)) for d in domains]
    targets = scores.groupby("domain")["target"].mean()
    if targets.notna().any():
        series["Target (mean)"] = [fmt.as_float(targets.get(d)) for d in domains]
    chart = Chart("maturity_radar", f"Maturity by domain, assessed in {ctx.m} (score 1–5)", "radar", "score",
                  [fmt.label(d) for d in domains], series,
                  scores.reset_index(drop=True), options={"business_units": units})
    message = (f"{fmt.plural(len(units), 'business unit')} assessed in {ctx.m}: maturity score "
               f"{ctx.fmt('maturity_score')} ({ctx.change('maturity_score')}), level {ctx.fmt('maturity_level')}")
    mean_change = changes["change"].dropna()
    points = [f"Assessed: {', '.join(map(str, units))}."]
    if len(mean_change):
        points.append(f"Domain scores moved by {fmt.arrow(fmt.signed(mean_change.mean()))} points on average "
                      "since the previous assessment.")
    return Section("maturity", "PMO maturity", message, points, [assessed], chart)


# -- 9. data quality -----------------------------------------------------------------------------------

def data_quality_section(ctx: Context) -> Section:
    counts = queries.findings_by_rule(ctx.con, ctx.as_of)
    loads = queries.loads_in_month(ctx.con, ctx.as_of)
    rates = quality.rule_pass_rates(ctx.con)
    described = dict(zip(rates["rule_id"], rates["description"])) if len(rates) else {}
    # A board reads what a rule checks; the rule ids are for the data team, in the appendix.
    rows = [{"What it checks": described.get(r["rule_id"]) or r["rule_id"],
             "Severity": fmt.label(r["severity"], "severity"), "Table": r["table"],
             "Findings": fmt.count(r["findings"]), f"From loads in {ctx.m}": fmt.count(r["from_loads_in_month"]),
             "Rule": r["rule_id"]}
            for _, r in counts.iterrows()]
    columns = ["What it checks", "Severity", "Table", "Findings", f"From loads in {ctx.m}"]
    found = table("Findings by rule (data now loaded)", rows, columns, "No findings: every rule passed.",
                  slide_columns=["What it checks", "Severity", "Findings"])
    by_id = table("Findings by rule id", rows, ["Rule"] + columns, "No findings: every rule passed.")
    by_rule = counts.groupby("rule_id", as_index=False)["findings"].sum() if len(counts) else counts
    total = int(counts["findings"].sum()) if len(counts) else 0
    errors = int(counts.loc[counts["severity"] == "error", "findings"].sum()) if len(counts) else 0
    message = (f"{fmt.plural(total, 'data finding')} stand against the loaded data "
               f"({fmt.plural(len(by_rule), 'rule')}); {fmt.plural(len(loads), 'load')} in {ctx.m}")
    points = [f"Stale status reports: {ctx.fmt('stale_status_share')} of active projects.",
              f"Projects without a status report: {ctx.fmt('rag_missing_share')}."]
    if errors:
        points.append(f"{fmt.plural(errors, 'row')} set aside by quarantine (errors).")
    notes = ["Findings are those of the loads behind the data now in the database, across all projects."]
    chart = None
    if len(by_rule):
        by_rule = by_rule.sort_values(["findings", "rule_id"], ascending=[False, True]).reset_index(drop=True)
        named = [described.get(r) or r for r in by_rule["rule_id"]]
        chart = Chart("findings_by_rule", "Findings by rule (number of findings)", "bar", "count", named,
                      {"Findings": [float(v) for v in by_rule["findings"]]},
                      pd.DataFrame({"rule": named, "rule_id": by_rule["rule_id"], "findings": by_rule["findings"]}),
                      options={"rule_ids": by_rule["rule_id"].tolist()}, colours={"Findings": SERIES["neutral"]})
    return Section("data_quality", "Data quality", message, points, [found], chart, notes, details=[by_id])
