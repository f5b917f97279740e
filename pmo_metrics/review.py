"""The monthly performance review as data: one section per message, for month M against a
comparison month (by default M − 1).

`build_review(con, filters, previous)` returns a `Review`: a title and an ordered list of
`Section`s. Each section carries the one message it makes, a few supporting points, the tables
behind it and one chart. The presentation page, the PowerPoint pack and the HTML pack all render
this same object, so the screen and the exported files say the same thing.

Every figure comes from the KPI engine (`kpis`) or the page queries (`views`); this module only
selects, compares and words them. The one thing it reads itself is history the engine does not
keep: `meta.project_snapshots`, the projects extract as it was loaded each month, so forecast finish
dates and budgets can be compared between the two months as they were then known — not as the
latest extract states them today.

A chart is held twice over, on purpose: `categories` and `series` feed the native (editable)
PowerPoint chart, and `frame` feeds the dashboard's plotly factory named by `kind`
(`section_figure`). Both are built from the same rows here, so they cannot disagree.

Texts are stored as the data gave them (a project may be called `=HYPERLINK(...)` or
`<script>`); each renderer makes them inert for its own medium.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from . import metrics as registry
from .db import DatabaseError
from .filters import Filters, month_add, month_end, month_start, parse_month, previous_month

# The KPIs the headline section shows, in the order a review meeting reads them.
HEADLINE_KPIS: tuple[str, ...] = (
    "active_projects", "rag_green_share", "rag_amber_share", "rag_red_share", "stale_status_share",
    "milestone_on_time_rate", "avg_finish_slip_days", "spi", "cpi", "vac", "budget_ytd", "actual_cost_ytd",
    "utilization", "overallocated_resources", "benefit_realization_rate", "benefits_at_risk", "maturity_score",
)
RAG_STATES = ("green", "amber", "red")
STATE_LABELS = {"green": "Green", "amber": "Amber", "red": "Red", "none": "No report", "inactive": "Not active"}
TREND_MONTHS = 12          # length of the trend charts (milestones, earned value)
CHART_PROJECTS = 12        # projects a per-project chart shows at most (the worst first)
COMMENT_CHARS = 240        # status commentary is cut to this length for a slide or a screen


class ReviewError(DatabaseError, ValueError):
    """The review cannot be built as asked (no data, a month without data, a comparison month that
    is not before M). The message is one line a user can act on.

    A DatabaseError so that the command line reports it as unusable input in one line, and a
    ValueError for callers that treat it as a bad argument.
    """


# -- the data model --------------------------------------------------------------------------------

@dataclass
class Chart:
    """One chart: `kind` names the plotly factory (see `section_figure`), `frame` is its input;
    `categories` × `series` are the same numbers for a native PowerPoint chart."""

    kind: str
    title: str
    style: str                       # native chart type: column | bar | stacked_bar | line | radar
    unit: str                        # unit of the values, as in the metric registry (share, money, …)
    categories: list[str]
    series: dict[str, list[float | None]]
    frame: pd.DataFrame
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def number_format(self) -> str:
        """The Excel number format of the values (for the chart's axis and data sheet)."""
        return {"share": "0.0%", "ratio": "0.00", "score": "0.00", "money": "#,##0",
                "days": "#,##0", "hours": "#,##0", "count": "#,##0"}.get(self.unit, "General")


@dataclass
class Table:
    """A table ready to show: human column names, values already formatted as text (or None)."""

    title: str
    frame: pd.DataFrame
    empty_text: str = "Nothing to show."
    slide_columns: list[str] | None = None   # the columns a slide has room for (default: the first ones)

    @property
    def is_empty(self) -> bool:
        return self.frame.empty


@dataclass
class Section:
    key: str
    title: str
    message: str                     # the one thing to take away, one sentence
    points: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)   # caveats about the data behind the section


@dataclass
class Review:
    as_of: str
    previous: str
    filters: Filters
    sections: list[Section]
    generated_at: dt.datetime

    @property
    def title(self) -> str:
        return f"Monthly performance review — {month_label(self.as_of)}"

    @property
    def subtitle(self) -> str:
        scope = self.filters.with_as_of(None).describe()
        return f"{scope[:1].upper()}{scope[1:]} · compared with {month_label(self.previous)}"

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(f"no section {key!r} in this review; sections: {', '.join(s.key for s in self.sections)}")

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.sections]


# -- formatting helpers ------------------------------------------------------------------------------

def month_label(month: str) -> str:
    """'2025-06' → 'June 2025'."""
    y, m = parse_month(month)
    return f"{calendar.month_name[m]} {y}"


def short_month(month: str) -> str:
    """'2025-06' → 'Jun 2025'."""
    y, m = parse_month(month)
    return f"{calendar.month_abbr[m]} {y}"


def _missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _num(v) -> float | None:
    """A plain float or None (never NaN) for chart data."""
    if _missing(v):
        return None
    f = float(v)
    return None if math.isnan(f) else f


def _date(v) -> str | None:
    if _missing(v):
        return None
    return pd.Timestamp(v).date().isoformat()


def _money(v) -> str | None:
    return None if _missing(v) else _minus(registry.format_value("planned_value", v))


def _signed_money(v) -> str | None:
    return None if _missing(v) else _change_text(registry.format_change("planned_value", v))


# Numbers are shown with typographic signs: a change as "▲ 2.5 pp" / "▼ 1.2 M", a negative value
# with a true minus sign ("−1.9 M"). Besides reading better on a slide, a cell that does not start
# with + or - is never taken for a formula when a table is pasted into a spreadsheet.
MINUS = "\u2212"


def _change_text(text: str | None) -> str | None:
    if text is None:
        return None
    if text.startswith("+"):
        return "\u25b2 " + text[1:]
    if text.startswith("-"):
        return "\u25bc " + text[1:]
    return text


def _minus(text: str | None) -> str | None:
    if isinstance(text, str) and text.startswith("-"):
        return MINUS + text[1:]
    return text


def _share(v) -> str | None:
    return None if _missing(v) else _minus(registry.format_value("rag_green_share", v))


def _slip(days) -> str | None:
    if _missing(days):
        return None
    n = int(days)
    if n == 0:
        return "unchanged"
    return f"{abs(n):,} day{'s' if abs(n) != 1 else ''} {'later' if n > 0 else 'earlier'}"


def _ratio(v) -> str | None:
    return None if _missing(v) else registry.format_value("spi", v)


def _hours(v) -> str | None:
    return None if _missing(v) else f"{float(v):,.0f} h"


def _rag(v) -> str:
    return STATE_LABELS.get(v, "No report") if isinstance(v, str) else "No report"


def _text(v, limit: int | None = None) -> str | None:
    if _missing(v):
        return None
    s = " ".join(str(v).split())
    if limit and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return s


def _stage(v) -> str | None:
    return None if _missing(v) else str(v).replace("_", " ")


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def _table(title: str, rows: list[dict] | pd.DataFrame, columns: list[str], empty_text: str,
           slide_columns: list[str] | None = None) -> Table:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=columns)
    frame = frame.reindex(columns=columns).astype(object)
    frame = frame.where(frame.notna(), None).reset_index(drop=True)
    return Table(title, frame, empty_text, slide_columns)


# -- the review ----------------------------------------------------------------------------------------

def resolve_months(con, filters: Filters, previous: str | None = None) -> tuple[str, str]:
    """(M, comparison month) checked against the months the database holds; ReviewError if unusable."""
    from .kpis import available_months, default_as_of

    months = available_months(con)
    as_of = filters.as_of or default_as_of(con)
    if as_of is None or not months:
        raise ReviewError("the database holds no data to review; load a batch first")
    if as_of not in months:
        raise ReviewError(f"no data for {as_of}: the database covers {months[0]} to {months[-1]}")
    if previous is None:
        previous = previous_month(as_of)
    else:
        y, m = parse_month(previous)
        previous = f"{y:04d}-{m:02d}"
        if previous >= as_of:
            raise ReviewError(f"the comparison month {previous} must be before {as_of}")
    return as_of, previous


def build_review(con, filters: Filters, previous: str | None = None) -> Review:
    """The review of filters.as_of (default: the latest month with status reports) against
    `previous` (default: the month before), over the filters' selection."""
    as_of, previous = resolve_months(con, filters, previous)
    f = filters.with_as_of(as_of)
    ctx = _Context(con, f, previous)
    sections = [
        headline_section(ctx),
        rag_movement_section(ctx),
        decisions_section(ctx),
        milestones_section(ctx),
        spend_section(ctx),
        resources_section(ctx),
        benefits_section(ctx),
    ]
    maturity = maturity_section(ctx)
    if maturity is not None:
        sections.append(maturity)
    sections.append(data_quality_section(ctx))
    return Review(as_of, previous, f, sections, dt.datetime.now().replace(microsecond=0))


class _Context:
    """What several sections read, computed once: the KPI comparison and the two project tables."""

    def __init__(self, con, filters: Filters, previous: str):
        from .kpis import compare_kpis, project_table

        self.con = con
        self.filters = filters
        self.as_of = filters.as_of
        self.previous = previous
        self.kpis = compare_kpis(con, filters, previous=previous).set_index("id")
        self.projects = project_table(con, filters)
        self.projects_before = project_table(con, filters.with_as_of(previous))

    @property
    def m(self) -> str:
        return month_label(self.as_of)

    @property
    def p(self) -> str:
        return month_label(self.previous)

    def value(self, metric_id: str):
        return self.kpis.at[metric_id, "value"]

    def before(self, metric_id: str):
        return self.kpis.at[metric_id, "previous"]

    def fmt(self, metric_id: str) -> str:
        return _minus(self.kpis.at[metric_id, "formatted"])

    def change(self, metric_id: str) -> str:
        return _change_text(self.kpis.at[metric_id, "formatted_change"])

    def fmt_previous(self, metric_id: str) -> str:
        return _minus(self.kpis.at[metric_id, "formatted_previous"])


# -- 1. headline -------------------------------------------------------------------------------------

def headline_section(ctx: _Context) -> Section:
    rows = []
    for mid in HEADLINE_KPIS:
        r = ctx.kpis.loc[mid]
        rows.append({
            "KPI": r["label"], ctx.m: ctx.fmt(mid), ctx.p: ctx.fmt_previous(mid), "Change": ctx.change(mid),
            "Status": r["status"].capitalize() if isinstance(r["status"], str) else None,
            "Trend": {"better": "better", "worse": "worse", "same": "no change"}.get(
                r["direction"] if isinstance(r["direction"], str) else ""),
        })
    better = sum(ctx.kpis.loc[list(HEADLINE_KPIS), "direction"].eq("better"))
    worse = sum(ctx.kpis.loc[list(HEADLINE_KPIS), "direction"].eq("worse"))
    active = ctx.value("active_projects") or 0
    message = (f"{_plural(int(active), 'active project')}: {ctx.fmt('rag_red_share')} red "
               f"({ctx.change('rag_red_share')}), SPI {ctx.fmt('spi')}, CPI {ctx.fmt('cpi')}")
    points = [
        f"{_plural(better, 'headline KPI')} improved and {worse} worsened since {ctx.p}.",
        f"Spent {ctx.fmt('actual_cost_ytd')} of {ctx.fmt('budget_ytd')} budgeted this year.",
        f"Benefits realised: {ctx.fmt('benefit_realization_rate')} of plan to date.",
    ]
    states = [("rag_green_share", "green"), ("rag_amber_share", "amber"), ("rag_red_share", "red"),
              ("rag_missing_share", "none")]
    categories = [STATE_LABELS[s] for _, s in states]
    series = {ctx.previous: [_num(ctx.before(mid)) for mid, _ in states],
              ctx.as_of: [_num(ctx.value(mid)) for mid, _ in states]}
    counts = {}
    for mid, state in states:
        share = ctx.value(mid)
        counts[state] = 0 if _missing(share) else int(round(share * active))
    chart = Chart("rag_mix", f"RAG mix of active projects, {ctx.p} vs {ctx.m} (% of active projects)",
                  "column", "share", categories, series, pd.DataFrame([counts]),
                  options={"title": f"RAG mix of active projects, {ctx.m} (number of projects)"})
    table = _table("Headline KPIs", rows, ["KPI", ctx.m, ctx.p, "Change", "Status", "Trend"], "No KPIs.")
    return Section("headline", "Headline KPIs", message, points, [table], chart)


# -- 2. RAG movement -----------------------------------------------------------------------------------

def _state(active, rag) -> str:
    if not bool(active):
        return "inactive"
    return rag if isinstance(rag, str) and rag in RAG_STATES else "none"


def rag_movement_section(ctx: _Context) -> Section:
    # One merge, not a lookup per project: the enterprise portfolio has thousands of projects.
    cols = ["project_id", "project_name", "portfolio", "stage", "active", "overall_rag"]
    both = ctx.projects[cols].merge(ctx.projects_before[cols], on="project_id", how="outer", suffixes=("", "_b"))

    def state(active: pd.Series, rag: pd.Series) -> pd.Series:
        is_active = active.astype("boolean").fillna(False).astype(bool)
        named = rag.where(rag.isin(RAG_STATES), "none").astype(object)
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

    order = ("green", "amber", "red", "none", "inactive")
    to_order = ("red", "amber", "green", "none")
    # Where this month's active projects came from: one bar per state last month, stacked by RAG now.
    current = moves[moves["to"] != "inactive"]
    rollup = []
    for s in order:
        part = current[current["from"] == s]
        label = {"none": "Had no report", "inactive": "Was not active"}.get(s, f"Was {s}")
        rollup.append({"key": s, "label": label, **{t if t != "none" else "no_report": int((part["to"] == t).sum())
                                                   for t in to_order}})
    rollup = pd.DataFrame(rollup)
    categories = rollup["label"].tolist()
    series = {f"{STATE_LABELS[t]} in {ctx.m}": [float(v) for v in rollup[t if t != "none" else "no_report"]]
              for t in to_order}
    chart = Chart("rag_transitions", f"Active projects by their RAG in {short_month(ctx.previous)} (number)",
                  "stacked_bar", "count", categories, series, rollup,
                  options={"level_label": f"RAG in {ctx.p}"})

    rank = {"green": 3, "amber": 2, "red": 1}
    changed = moves[moves["from"] != moves["to"]].copy()
    worse = changed[changed.apply(lambda r: r["from"] in rank and r["to"] in rank and rank[r["to"]] < rank[r["from"]],
                                  axis=1)] if not changed.empty else changed
    better = changed[changed.apply(lambda r: r["from"] in rank and r["to"] in rank and rank[r["to"]] > rank[r["from"]],
                                   axis=1)] if not changed.empty else changed

    matrix_rows = []
    for s in order:
        row = {f"{ctx.p} \u2192 {ctx.m}": STATE_LABELS[s]}
        for t in order:
            row[STATE_LABELS[t]] = int(((moves["from"] == s) & (moves["to"] == t)).sum())
        matrix_rows.append(row)
    matrix = _table("Transition matrix (number of projects)", matrix_rows,
                    [f"{ctx.p} \u2192 {ctx.m}"] + [STATE_LABELS[t] for t in order], "No active projects.")
    matrix.frame = matrix.frame.map(lambda v: str(v) if isinstance(v, int) else v)

    transitions = []
    for (s, t), part in changed.groupby(["from", "to"], sort=False):
        transitions.append({
            "_o": (order.index(s), order.index(t)),
            "Movement": f"{STATE_LABELS[s]} \u2192 {STATE_LABELS[t]}",
            "Projects": str(len(part)),
            "Which": "; ".join(f"{n} ({p})" for n, p in zip(part["project_name"], part["project_id"])),
        })
    transitions.sort(key=lambda r: r["_o"])
    moved = _table("Projects that changed state", transitions, ["Movement", "Projects", "Which"],
                   f"No project changed RAG between {ctx.p} and {ctx.m}.")

    n_turned_red = int(((changed["to"] == "red")).sum())
    message = (f"{_plural(len(worse), 'project')} worsened and {len(better)} improved since {ctx.p}"
               + (f"; {n_turned_red} turned red" if n_turned_red else ""))
    points = [
        f"{_plural(int((moves['from'] == 'inactive').sum()), 'project')} became active, "
        f"{int((moves['to'] == 'inactive').sum())} finished or paused.",
        f"{_plural(int((moves['from'] == moves['to']).sum()), 'project')} kept the same state.",
    ]
    return Section("rag_movement", "RAG movement", message, points, [moved, matrix], chart)


# -- 3. decisions ------------------------------------------------------------------------------------

def latest_commentary(con, project_ids: list[str], as_of: str) -> pd.DataFrame:
    """[project_id, report_date, summary]: each project's latest status report ≤ end(M) that has a summary."""
    if not project_ids:
        return pd.DataFrame(columns=["project_id", "report_date", "summary"])
    return con.execute(
        "SELECT project_id, report_date, summary FROM status_reports "
        "WHERE list_contains(?::varchar[], project_id) AND report_date <= ? "
        "AND summary IS NOT NULL AND trim(summary) <> '' "
        "QUALIFY row_number() OVER (PARTITION BY project_id ORDER BY report_date DESC) = 1",
        [list(project_ids), month_end(as_of)]).df()


def decision_projects(ctx: _Context) -> pd.DataFrame:
    """Active projects at M that are red, or whose SPI or CPI is red under the registry's thresholds."""
    t = ctx.projects[ctx.projects["active"].astype(bool)].copy()
    if t.empty:
        return t.assign(reasons=pd.Series(dtype=object))
    reasons = []
    for _, r in t.iterrows():
        why = []
        if r["overall_rag"] == "red":
            why.append("red status")
        for mid in ("spi", "cpi"):
            if registry.status(mid, _num(r[mid])) == "red":
                why.append(f"{mid.upper()} {registry.format_value(mid, r[mid])}")
        reasons.append(why)
    t["reasons"] = reasons
    t = t[t["reasons"].map(bool)].copy()
    t["_red"] = t["overall_rag"].ne("red")
    t["_vac"] = t["vac"].astype(float).fillna(0.0)
    return t.sort_values(["_red", "_vac", "project_id"]).drop(columns=["_red", "_vac"]).reset_index(drop=True)


def decisions_section(ctx: _Context) -> Section:
    t = decision_projects(ctx)
    notes = latest_commentary(ctx.con, t["project_id"].tolist(), ctx.as_of).set_index("project_id")
    rows = []
    for _, r in t.iterrows():
        note = notes.loc[r["project_id"]] if r["project_id"] in notes.index else None
        rows.append({
            "Project": r["project_name"], "ID": r["project_id"], "Portfolio": r["portfolio"],
            "Manager": _text(r["project_manager"]),
            "RAG": f"{_rag(r['previous_rag'])} \u2192 {_rag(r['overall_rag'])}",
            "SPI": _ratio(r["spi"]), "CPI": _ratio(r["cpi"]), "VAC": _money(r["vac"]),
            "Why": ", ".join(r["reasons"]),
            "Latest commentary": None if note is None else
            f"{_date(note['report_date'])}: {_text(note['summary'], COMMENT_CHARS)}",
        })
    table = _table("Projects needing a decision", rows,
                   ["Project", "ID", "Portfolio", "Manager", "RAG", "SPI", "CPI", "VAC", "Why", "Latest commentary"],
                   "No project is red or below the SPI / CPI thresholds.",
                   slide_columns=["Project", "RAG", "SPI", "CPI", "VAC", "Why"])
    spi_t, cpi_t = registry.get("spi").thresholds, registry.get("cpi").thresholds
    n_red = int((t["overall_rag"] == "red").sum()) if not t.empty else 0
    message = (f"{_plural(len(t), 'project needs', 'projects need')} a decision: {n_red} red, "
               f"{len(t) - n_red} below the SPI or CPI threshold" if len(t) else
               "No project needs a decision this month")
    exposure = float(t["vac"].astype(float).clip(upper=0).sum()) if len(t) else 0.0
    points = [f"Threshold: SPI or CPI below {spi_t.amber:.2f} / {cpi_t.amber:.2f} (red in the KPI registry)."]
    if len(t):
        points.append(f"Forecast overrun of these projects (VAC below zero): {_money(exposure)}.")

    chart_rows = t.dropna(subset=["vac"]).sort_values("vac").head(CHART_PROJECTS)
    frame = pd.DataFrame({"project_id": chart_rows["project_id"].tolist(),
                          "project_name": chart_rows["project_name"].tolist(),
                          "vac": chart_rows["vac"].astype(float).tolist()})
    chart = Chart("variance_bars", "Projects needing a decision: variance at completion (BAC − EAC)",
                  "bar", "money", frame["project_name"].tolist(), {"VAC (BAC − EAC)": [_num(v) for v in frame["vac"]]},
                  frame) if len(frame) else None
    return Section("decisions", "Projects needing a decision", message, points, [table], chart)


# -- 4. milestones -------------------------------------------------------------------------------------

def milestones_due(con, project_ids: list[str], month: str, known_at: str) -> pd.DataFrame:
    """Milestones of the given projects forecast (else baselined) to fall in `month` and not achieved
    by end(known_at)."""
    cols = ["project_id", "milestone_id", "milestone_name", "is_gate", "baseline_date", "forecast_date", "actual_date"]
    if not project_ids:
        return pd.DataFrame(columns=cols)
    return con.execute(
        "SELECT project_id, milestone_id, milestone_name, is_gate, baseline_date, forecast_date, actual_date "
        "FROM milestones WHERE list_contains(?::varchar[], project_id) "
        "AND coalesce(forecast_date, baseline_date) BETWEEN ? AND ? "
        "AND (actual_date IS NULL OR actual_date > ?) "
        "ORDER BY coalesce(forecast_date, baseline_date), project_id, milestone_id",
        [list(project_ids), month_start(month), month_end(month), month_end(known_at)]).df()


def milestones_section(ctx: _Context) -> Section:
    from .kpis import changes_since_last_month, kpi_series

    missed = changes_since_last_month(ctx.con, ctx.filters)["missed_milestones"]
    names = ctx.projects.set_index("project_id")["project_name"]
    selected = ctx.projects["project_id"].tolist()
    nxt = month_add(ctx.as_of, 1)
    due = milestones_due(ctx.con, selected, nxt, ctx.as_of)

    def rows(frame: pd.DataFrame, missed_rows: bool) -> list[dict]:
        out = []
        for _, r in frame.iterrows():
            row = {"Project": names.get(r["project_id"], r.get("project_name")), "ID": r["project_id"],
                   "Milestone": r["milestone_name"], "Gate": "yes" if bool(r["is_gate"]) else "",
                   "Baseline": _date(r["baseline_date"]), "Forecast": _date(r["forecast_date"])}
            if missed_rows:
                row["Achieved"] = _date(r["actual_date"]) or "not yet"
            out.append(row)
        return out

    base_cols = ["Project", "ID", "Milestone", "Gate", "Baseline", "Forecast"]
    t_missed = _table(f"Missed in {ctx.m} (baseline in the month, not achieved by it)", rows(missed, True),
                      base_cols + ["Achieved"], f"No milestone was missed in {ctx.m}.",
                      slide_columns=["Project", "Milestone", "Baseline", "Forecast", "Achieved"])
    t_due = _table(f"Due in {month_label(nxt)} (forecast, else baseline date)", rows(due, False), base_cols,
                   f"No milestone is due in {month_label(nxt)}.",
                   slide_columns=["Project", "Milestone", "Gate", "Baseline", "Forecast"])
    gates = int(due["is_gate"].astype(bool).sum()) if len(due) else 0
    message = (f"{_plural(len(missed), 'milestone')} missed in {ctx.m}; "
               f"{len(due)} due in {month_label(nxt)}" + (f", {_plural(gates, 'stage gate')}" if gates else ""))
    points = [f"Milestones on time to date: {ctx.fmt('milestone_on_time_rate')} "
              f"({ctx.change('milestone_on_time_rate')} since {ctx.p}).",
              f"Average forecast finish slip of active projects: {ctx.fmt('avg_finish_slip_days')}."]
    series = kpi_series(ctx.con, "milestone_on_time_rate", ctx.filters, start=_trend_start(ctx), end=ctx.as_of)
    chart = Chart("kpi_trend", "Milestones on time, by month (%)", "line", "share",
                  series["month"].tolist(), {"Milestones on time": [_num(v) for v in series["value"]]}, series,
                  options={"metric_id": "milestone_on_time_rate"})
    return Section("milestones", "Milestones", message, points, [t_missed, t_due], chart)


def _trend_start(ctx: _Context) -> str:
    from .kpis import available_months

    start = month_add(ctx.as_of, -(TREND_MONTHS - 1))
    months = available_months(ctx.con)
    return max(start, months[0]) if months else start


# -- 5. spend and forecasts ----------------------------------------------------------------------------

def snapshot_month(con, month: str) -> str | None:
    """The projects snapshot that stood for `month`: the latest one taken in or before it."""
    try:
        row = con.execute("SELECT max(snapshot_month) FROM meta.project_snapshots WHERE snapshot_month <= ?",
                          [month]).fetchone()
    except duckdb.CatalogException:  # a database written before snapshots existed
        return None
    return row[0] if row else None


def forecast_changes(con, project_ids: list[str], before: str, after: str) -> pd.DataFrame:
    """Per project present in both snapshots: forecast finish and budget at completion in each, and
    the changes (days, money). Only projects where something changed."""
    cols = ["project_id", "stage_before", "stage", "finish_before", "finish", "slip_days", "bac_before", "bac",
            "bac_change"]
    if not project_ids:
        return pd.DataFrame(columns=cols)
    return con.execute(
        "WITH a AS (SELECT * FROM meta.project_snapshots WHERE snapshot_month = ?), "
        "b AS (SELECT * FROM meta.project_snapshots WHERE snapshot_month = ?) "
        "SELECT b.project_id, a.stage AS stage_before, b.stage, "
        "coalesce(a.forecast_finish_date, a.baseline_finish_date) AS finish_before, "
        "coalesce(b.forecast_finish_date, b.baseline_finish_date) AS finish, "
        "date_diff('day', coalesce(a.forecast_finish_date, a.baseline_finish_date), "
        "          coalesce(b.forecast_finish_date, b.baseline_finish_date)) AS slip_days, "
        "a.budget_at_completion AS bac_before, b.budget_at_completion AS bac, "
        "b.budget_at_completion - a.budget_at_completion AS bac_change "
        "FROM b JOIN a USING (project_id) "
        "WHERE list_contains(?::varchar[], b.project_id) AND b.actual_finish_date IS NULL "
        "AND (coalesce(a.forecast_finish_date, a.baseline_finish_date) "
        "     IS DISTINCT FROM coalesce(b.forecast_finish_date, b.baseline_finish_date) "
        "  OR a.budget_at_completion IS DISTINCT FROM b.budget_at_completion) "
        "ORDER BY abs(coalesce(slip_days, 0)) DESC, b.project_id",
        [before, after, list(project_ids)]).df()


def spend_section(ctx: _Context) -> Section:
    from .kpis import evm_curve

    curve = evm_curve(ctx.con, ctx.filters, start=_trend_start(ctx), end=ctx.as_of)
    chart = Chart("evm_curve", "Earned value, cumulative (reporting currency)", "line", "money",
                  curve["month"].tolist(),
                  {"Planned value (PV)": [_num(v) for v in curve["pv"]],
                   "Earned value (EV)": [_num(v) for v in curve["ev"]],
                   "Actual cost (AC)": [_num(v) for v in curve["ac"]]}, curve)

    snap_after, snap_before = snapshot_month(ctx.con, ctx.as_of), snapshot_month(ctx.con, ctx.previous)
    notes: list[str] = []
    changes = pd.DataFrame()
    if snap_after is None:
        notes.append(f"No projects extract was loaded by {ctx.m}, so forecast changes cannot be shown; "
                     f"loading one projects extract each month keeps the forecast history.")
    elif snap_before is None or snap_before == snap_after:
        notes.append(f"Only one projects extract stands for {ctx.p} and {ctx.m} (taken {snap_after}); "
                     f"forecast changes need one loaded in each month.")
    else:
        changes = forecast_changes(ctx.con, ctx.projects["project_id"].tolist(), snap_before, snap_after)
        if snap_before != ctx.previous or snap_after != ctx.as_of:
            notes.append(f"Forecasts compared between the extracts loaded in {month_label(snap_before)} "
                         f"and {month_label(snap_after)}.")
    names = ctx.projects.set_index("project_id")["project_name"]
    rows = [{
        "Project": names.get(r["project_id"]), "ID": r["project_id"], "Stage": _stage(r["stage"]),
        f"Finish ({ctx.p})": _date(r["finish_before"]), f"Finish ({ctx.m})": _date(r["finish"]),
        "Slip": _slip(r["slip_days"]),
        f"Budget ({ctx.p})": _money(r["bac_before"]), f"Budget ({ctx.m})": _money(r["bac"]),
        "Budget change": None if _missing(r["bac_change"]) or r["bac_change"] == 0 else _signed_money(r["bac_change"]),
    } for _, r in changes.iterrows()]
    cols = ["Project", "ID", "Stage", f"Finish ({ctx.p})", f"Finish ({ctx.m})", "Slip", f"Budget ({ctx.p})",
            f"Budget ({ctx.m})", "Budget change"]
    t_changes = _table(f"Forecast changes, {ctx.p} \u2192 {ctx.m} (projects extract as loaded each month)", rows, cols,
                       notes[0] if notes and changes.empty else f"No forecast finish or budget changed since {ctx.p}.",
                       slide_columns=["Project", f"Finish ({ctx.p})", f"Finish ({ctx.m})", "Slip", "Budget change"])

    kpi_rows = []
    for mid in ("planned_value", "earned_value", "actual_cost", "spi", "cpi", "eac", "vac", "tcpi",
                "budget_ytd", "actual_cost_ytd"):
        kpi_rows.append({"Measure": registry.get(mid).label, ctx.m: ctx.fmt(mid),
                         ctx.p: ctx.fmt_previous(mid), "Change": ctx.change(mid)})
    t_kpis = _table("Spend against plan", kpi_rows, ["Measure", ctx.m, ctx.p, "Change"], "No cost data.")

    slipped = changes[changes["slip_days"].fillna(0) > 0] if len(changes) else changes
    ytd_var = None
    if not _missing(ctx.value("budget_ytd")) and not _missing(ctx.value("actual_cost_ytd")):
        ytd_var = ctx.value("actual_cost_ytd") - ctx.value("budget_ytd")
    message = (f"Spent {ctx.fmt('actual_cost_ytd')} against {ctx.fmt('budget_ytd')} budgeted this year"
               + (f" ({_signed_money(ytd_var)})" if ytd_var is not None else ""))
    if len(changes):
        message += f"; {_plural(len(slipped), 'forecast finish', 'forecast finishes')} slipped"
    points = [f"Cost performance (CPI) {ctx.fmt('cpi')}, schedule performance (SPI) {ctx.fmt('spi')}.",
              f"Estimate at completion {ctx.fmt('eac')}; variance at completion {ctx.fmt('vac')}."]
    if len(changes):
        bac_change = float(changes["bac_change"].fillna(0).sum())
        points.append(f"{_plural(len(slipped), 'project')} slipped by {int(slipped['slip_days'].sum()):,} days in total"
                      + (f"; budgets changed by {_signed_money(bac_change)} overall." if bac_change else
                         "; no budget changed."))
    return Section("spend", "Spend and forecasts", message, points, [t_changes, t_kpis], chart, notes)


# -- 6. resources --------------------------------------------------------------------------------------

def resources_section(ctx: _Context) -> Section:
    from .views import overallocated_people, resources_by

    people = overallocated_people(ctx.con, ctx.filters, ctx.filters.business_units)
    depts = resources_by(ctx.con, ctx.filters, "department")
    over = depts[(depts["allocation_rate"].astype(float) > 1) | (depts["utilization"].astype(float) > 1)] \
        if len(depts) else depts
    t_people = _table("Over-allocated people (planned hours above capacity)", [{
        "Person": r["resource_name"], "ID": r["resource_id"], "Role": r["role"], "Department": r["department"],
        "Capacity": _hours(r["capacity_hours"]), "Planned": _hours(r["planned_hours"]),
        "Over by": _hours(r["over_by_hours"]), "Projects": _text(r["projects"], COMMENT_CHARS),
    } for _, r in people.iterrows()], ["Person", "ID", "Role", "Department", "Capacity", "Planned", "Over by",
                                       "Projects"], f"Nobody is over-allocated in {ctx.m}.",
                      slide_columns=["Person", "Department", "Capacity", "Planned", "Over by"])
    t_depts = _table("Departments", [{
        "Department": r["key"], "People": str(int(r["people"])), "Capacity": _hours(r["capacity_hours"]),
        "Allocated": _share(r["allocation_rate"]), "Utilisation": _share(r["utilization"]),
        "Over-allocated people": str(int(r["overallocated"])),
        "Over capacity": "yes" if (_num(r["allocation_rate"]) or 0) > 1 or (_num(r["utilization"]) or 0) > 1 else "",
    } for _, r in depts.iterrows()], ["Department", "People", "Capacity", "Allocated", "Utilisation",
                                      "Over-allocated people", "Over capacity"], "No resources in scope.",
                     slide_columns=["Department", "Allocated", "Utilisation", "Over-allocated people", "Over capacity"])
    message = (f"{_plural(len(people), 'person is', 'people are')} over-allocated; "
               f"{_plural(len(over), 'department')} over capacity")
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
                      {"Allocation rate": [_num(v) for v in frame["allocation_rate"]],
                       "Utilisation": [_num(v) for v in frame["utilization"]]}, frame,
                      options={"group_label": "department", "target": registry.get("utilization").thresholds.green})
    return Section("resources", "Resource hot spots", message, points, [t_people, t_depts], chart,
                   ["Scoped by the department filter only, as the resource KPIs are."] if ctx.filters.is_filtered else [])


# -- 7. benefits ---------------------------------------------------------------------------------------

def benefits_section(ctx: _Context) -> Section:
    from .kpis import changes_since_last_month, kpi_rows
    from .views import benefits_by

    at_risk = kpi_rows(ctx.con, "benefits_at_risk", ctx.filters)
    at_risk = at_risk[at_risk["counted"]] if len(at_risk) else at_risk
    fell = changes_since_last_month(ctx.con, ctx.filters)["benefits_fell_behind"] \
        if ctx.previous == previous_month(ctx.as_of) else pd.DataFrame()
    fell_ids = set(fell["benefit_id"]) if len(fell) else set()
    t_risk = _table("Benefits at risk (progress below 80 % of plan, or no actual yet)", [{
        "Benefit": r["benefit_name"], "ID": r["benefit_id"], "Project": r["project_name"],
        "Category": str(r["category"]).replace("_", " "), "Baseline": _num_text(r["baseline_value"]),
        "Planned": _num_text(r["planned_value"]), "Actual": _num_text(r["actual_value"]) or "none yet",
        "Progress": _share(r["progress"]), "New this month": "yes" if r["benefit_id"] in fell_ids else "",
    } for _, r in at_risk.iterrows()], ["Benefit", "ID", "Project", "Category", "Baseline", "Planned", "Actual",
                                        "Progress", "New this month"], "No benefit is at risk.",
                    slide_columns=["Benefit", "Project", "Planned", "Actual", "Progress"])
    by = benefits_by(ctx.con, ctx.filters, "portfolio")
    by = by[(by["planned_to_date"] != 0) | (by["realized_to_date"] != 0)].reset_index(drop=True) if len(by) else by
    chart = None
    if len(by):
        chart = Chart("benefits_by_group", "Financial benefits by portfolio: planned vs realised to date", "bar",
                      "money", [str(k) for k in by["key"]],
                      {"Planned to date": [_num(v) for v in by["planned_to_date"]],
                       "Realised to date": [_num(v) for v in by["realized_to_date"]]},
                      by[["key", "planned_to_date", "realized_to_date", "realization_rate"]],
                      options={"group_label": "portfolio"})
    message = (f"Realised {ctx.fmt('benefits_realized_to_date')} of {ctx.fmt('benefits_planned_to_date')} planned "
               f"({ctx.fmt('benefit_realization_rate')}); {_plural(int(ctx.value('benefits_at_risk') or 0), 'benefit')} "
               f"at risk")
    points = [f"Realisation rate {ctx.change('benefit_realization_rate')} since {ctx.p}; "
              f"benefits at risk {ctx.change('benefits_at_risk')}.",
              f"Benefit–cost ratio {ctx.fmt('benefit_cost_ratio')}."]
    if fell_ids:
        points.append(f"{_plural(len(fell_ids), 'benefit')} fell behind plan this month.")
    return Section("benefits", "Benefits", message, points, [t_risk], chart)


def _num_text(v) -> str | None:
    if _missing(v):
        return None
    v = float(v)
    return _minus(f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}".rstrip("0").rstrip("."))


# -- 8. maturity ---------------------------------------------------------------------------------------

def new_assessments(con, filters: Filters) -> pd.DataFrame:
    """Maturity assessments of the selected business units dated in M (one row per domain)."""
    from .kpis import maturity_history

    hist = maturity_history(con, filters)
    if hist.empty:
        return hist
    dates = pd.to_datetime(hist["assessment_date"]).dt.date
    return hist[(dates >= month_start(filters.as_of)) & (dates <= month_end(filters.as_of))].reset_index(drop=True)


def maturity_section(ctx: _Context) -> Section | None:
    """Only when a business unit in scope was assessed in M: what the new assessment says."""
    from .contract import MATURITY_DOMAINS
    from .kpis import maturity_scores
    from .views import maturity_changes

    fresh = new_assessments(ctx.con, ctx.filters)
    if fresh.empty:
        return None
    units = sorted(fresh["business_unit"].unique())
    scores = maturity_scores(ctx.con, ctx.filters)
    scores = scores[scores["business_unit"].isin(units)]
    changes = maturity_changes(ctx.con, ctx.filters)
    changes = changes[changes["business_unit"].isin(units)]
    rows = [{
        "Business unit": r["business_unit"], "Domain": str(r["domain"]).replace("_", " ").capitalize(),
        "Previous": None if _missing(r["previous_score"]) else f"{r['previous_score']:.2f}",
        "Now": f"{r['latest_score']:.2f}",
        "Change": None if _missing(r["change"]) else _change_text(f"{r['change']:+.2f}"),
    } for _, r in changes.iterrows()]
    t = _table(f"Assessed in {ctx.m}: domain scores (1–5)", rows,
               ["Business unit", "Domain", "Previous", "Now", "Change"], "No domain scores.")
    domains = [d for d in MATURITY_DOMAINS if d in set(scores["domain"])]
    series: dict[str, list[float | None]] = {}
    for bu in units:
        part = scores[scores["business_unit"] == bu].set_index("domain")
        series[str(bu)] = [_num(part["score"].get(d)) for d in domains]
    targets = scores.groupby("domain")["target"].mean()
    if targets.notna().any():
        series["Target (mean)"] = [_num(targets.get(d)) for d in domains]
    chart = Chart("maturity_radar", f"Maturity by domain, assessed in {ctx.m} (score 1–5)", "radar", "score",
                  [str(d).replace("_", " ").capitalize() for d in domains], series,
                  scores.reset_index(drop=True), options={"business_units": units})
    message = (f"{_plural(len(units), 'business unit')} assessed in {ctx.m}: maturity score "
               f"{ctx.fmt('maturity_score')} ({ctx.change('maturity_score')}), level {ctx.fmt('maturity_level')}")
    mean_change = changes["change"].dropna()
    points = [f"Assessed: {', '.join(map(str, units))}."]
    if len(mean_change):
        points.append(f"Domain scores moved by {_change_text(f'{mean_change.mean():+.2f}')} points on average "
                      "since the previous assessment.")
    return Section("maturity", "PMO maturity", message, points, [t], chart)


# -- 9. data quality -----------------------------------------------------------------------------------

def findings_by_rule(con, as_of: str) -> pd.DataFrame:
    """Findings standing against the data now loaded, per rule, table and severity: how many, and how
    many came from loads dated in M."""
    cols = ["rule_id", "severity", "table", "findings", "from_loads_in_month"]
    try:
        return con.execute(
            'SELECT f.rule_id, f.severity, f."table", count(*) AS findings, '
            "count(*) FILTER (WHERE l.load_date BETWEEN ? AND ?) AS from_loads_in_month "
            "FROM meta.findings AS f LEFT JOIN meta.load_log AS l USING (load_id) "
            'GROUP BY ALL ORDER BY f.severity, findings DESC, f.rule_id, f."table"',
            [month_start(as_of), month_end(as_of)]).df()
    except duckdb.CatalogException:  # a database without the meta tables
        return pd.DataFrame(columns=cols)


def loads_in_month(con, as_of: str) -> pd.DataFrame:
    try:
        return con.execute("SELECT load_id, load_date, batch, message FROM meta.load_log "
                           "WHERE load_date BETWEEN ? AND ? ORDER BY finished_at",
                           [month_start(as_of), month_end(as_of)]).df()
    except duckdb.CatalogException:
        return pd.DataFrame(columns=["load_id", "load_date", "batch", "message"])


def data_quality_section(ctx: _Context) -> Section:
    from .views import rule_pass_rates

    counts = findings_by_rule(ctx.con, ctx.as_of)
    loads = loads_in_month(ctx.con, ctx.as_of)
    rows = [{"Rule": r["rule_id"], "Severity": r["severity"], "Table": r["table"], "Findings": f"{int(r['findings']):,}",
             f"From loads in {ctx.m}": f"{int(r['from_loads_in_month']):,}"} for _, r in counts.iterrows()]
    t = _table("Findings by rule (data now loaded)", rows,
               ["Rule", "Severity", "Table", "Findings", f"From loads in {ctx.m}"], "No findings: every rule passed.")
    by_rule = counts.groupby("rule_id", as_index=False)["findings"].sum() if len(counts) else counts
    total = int(counts["findings"].sum()) if len(counts) else 0
    errors = int(counts.loc[counts["severity"] == "error", "findings"].sum()) if len(counts) else 0
    message = (f"{_plural(total, 'data finding')} stand against the loaded data "
               f"({_plural(len(by_rule), 'rule')}); {_plural(len(loads), 'load')} in {ctx.m}")
    points = [f"Stale status reports: {ctx.fmt('stale_status_share')} of active projects.",
              f"Projects without a status report: {ctx.fmt('rag_missing_share')}."]
    if errors:
        points.append(f"{_plural(errors, 'row')} set aside by quarantine (errors).")
    notes = ["Findings are those of the loads behind the data now in the database, across all projects."]
    chart = None
    if len(by_rule):
        rates = rule_pass_rates(ctx.con)
        rates = rates[rates["rows_failed"] > 0].reset_index(drop=True)
        chart = Chart("rule_pass_rates", "Findings by rule (number of findings)", "bar", "count",
                      by_rule["rule_id"].tolist(), {"Findings": [float(v) for v in by_rule["findings"]]}, rates)
    return Section("data_quality", "Data quality", message, points, [t], chart, notes)


# -- figures --------------------------------------------------------------------------------------------

def section_figure(section: Section, currency: str = ""):
    """The section's chart as a plotly figure from the dashboard's chart module, or None.

    The factories escape names from the data themselves (plotly reads <b>, <a href> … in labels)."""
    from . import charts

    chart = section.chart
    if chart is None:
        return None
    frame = chart.frame
    if chart.kind == "rag_mix":
        counts = frame.iloc[0].to_dict() if len(frame) else {}
        return charts.rag_mix({k: int(v) for k, v in counts.items()}, title=chart.options.get("title", chart.title))
    if chart.kind == "rag_transitions":
        fig = charts.drill_bars(frame, chart.options["level_label"])
        fig.update_layout(title_text=charts.safe(chart.title), clickmode="none")
        return fig
    if chart.kind == "variance_bars":
        fig = charts.variance_bars(frame, currency=currency)
        fig.update_layout(title_text=charts.safe(chart.title))
        return fig
    if chart.kind == "kpi_trend":
        mid = chart.options["metric_id"]
        m = registry.get(mid)
        return charts.kpi_trend(frame, m.label, m.unit, currency=currency)
    if chart.kind == "evm_curve":
        return charts.evm_curve(frame, currency=currency, title="Earned value")
    if chart.kind == "utilisation_by_group":
        return charts.utilisation_by_group(frame, chart.options["group_label"],
                                           target=chart.options.get("target"))
    if chart.kind == "benefits_by_group":
        return charts.benefits_by_group(frame, chart.options["group_label"],
                                        currency=currency)
    if chart.kind == "maturity_radar":
        return charts.maturity_radar(frame, chart.options.get("business_units") or None)
    if chart.kind == "rule_pass_rates":
        return charts.rule_pass_rates(frame) if len(frame) else None
    raise KeyError(f"no figure for chart kind {chart.kind!r}")


def review_months(con) -> list[str]:
    """The months a review can be built for, newest first."""
    from .kpis import available_months

    return list(reversed(available_months(con)))


__all__ = ["Review", "Section", "Table", "Chart", "ReviewError", "build_review", "resolve_months",
           "section_figure", "month_label", "review_months", "HEADLINE_KPIS"]
