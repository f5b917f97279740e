"""Every figure of the dashboard, built by one factory per chart on one theme.

Pages never build figures: they ask for one here with a DataFrame from `kpis` or `views`. Colours
and type come from `pmo_metrics.theme`, numbers and labels read as `pmo_metrics.formatting` writes
them, so a colour, a font or a format changes in one place. Every figure has a title that names its
unit. Factories expect non-empty frames: a page shows an explanation instead of an empty chart.

A figure's title and its note on what was not drawn travel in its `meta`: screens and the HTML pack
show them beside the figure (`titles`, `untitled`), where they wrap. `themed` draws a figure again
for the dark theme.

One module on purpose, about 750 lines (more than the 500 lines a module is kept under): the factories
share the template, the dark ground and some twenty small helpers (money and count axes in the
cards' style, months on the axis, escaped and wrapped labels, series left out when empty), and a
page's charts are found by the page's heading below.
"""
from __future__ import annotations

import html
from functools import lru_cache

import pandas as pd
import plotly.graph_objects as go

from . import contract as c
from . import formatting as fmt
from .filters import month_end
from .theme import (
    ALLOCATION_SCALE, AXIS, BASELINE_LINE, CATEGORICAL, CHART_GROUNDS, DARK_COLOURS, FONT, FONT_SIZE, GRID,
    MATURITY_SCALE, RAG_COLOURS, RISK_SCALE, SERIES, SLIP_LINE, WHITE, rgba,
)

RAG_LABELS = fmt.RAG_LABELS
HEIGHT = 420
DOMAIN_LABELS = fmt.ENUM_LABELS["maturity_domain"]
STACK_ORDER = c.RAG_ORDER + ("none",)   # RAG bars stack worst first; projects without a report last
TITLE_CHARS = 58        # a title wraps at this many characters: plotly never wraps it, and cuts it off
MAX_X_TICKS = 12        # tick labels an x axis shows at most, however many months or categories

# d3 formats (plotly axes and hover): whole hours, percentages. Money axes get explicit ticks in
# the cards' style ('45 bn', not d3's '45G'): see _money_axis.
MONEY_HOVER = ",.0f"
PCT_TICK = ".0%"
PCT_HOVER = ".1%"


@lru_cache(maxsize=2)
def template(ground: str = "light") -> go.layout.Template:
    """The house template on one of the grounds (theme.CHART_GROUNDS: 'light' — white, as in the
    pack — or 'dark'): large type, the categorical palette, the legend in a row above the plot (the
    title is shown outside the figure: see `titles`), at most MAX_X_TICKS labels on an x axis."""
    g = CHART_GROUNDS[ground]
    colours = [DARK_COLOURS.get(c_, c_) for c_ in CATEGORICAL] if ground == "dark" else list(CATEGORICAL)
    return go.layout.Template(layout=go.Layout(
        font=dict(family=FONT, size=FONT_SIZE, color=g.ink),
        title=dict(font=dict(size=FONT_SIZE + 3), x=0, xanchor="left", xref="paper", y=1, yref="paper",
                   yanchor="bottom", pad=dict(b=30), automargin=True),
        colorway=colours,
        paper_bgcolor=g.paper, plot_bgcolor=g.paper,
        xaxis=dict(showgrid=False, linecolor=g.axis, ticks="outside", automargin=True, nticks=MAX_X_TICKS,
                   title=dict(standoff=8), gridcolor=g.grid, zerolinecolor=g.zero),
        yaxis=dict(gridcolor=g.grid, zerolinecolor=g.zero, linecolor=g.axis, automargin=True,
                   title=dict(standoff=8)),
        polar=dict(bgcolor=g.paper, radialaxis=dict(gridcolor=g.grid, linecolor=g.axis),
                   angularaxis=dict(gridcolor=g.grid, linecolor=g.axis)),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, title=dict(text=""),
                    font=dict(size=FONT_SIZE - 2)),
        hoverlabel=dict(font=dict(size=FONT_SIZE - 1)),
        uniformtext=dict(minsize=12, mode="hide"),
        margin=dict(l=10, r=10, t=40, b=10),
        height=HEIGHT,
        separators=".,",
    ))


def _finish(fig: go.Figure, title: str, *, height: int | None = None) -> go.Figure:
    meta = {**(fig.layout.meta or {}), "title": title}
    fig.update_layout(template=template(), title=dict(text=_wrap(title, TITLE_CHARS, lines=3)), meta=meta)
    if height:
        fig.update_layout(height=height)
    return fig


def titles(fig: go.Figure) -> tuple[str, str | None]:
    """(title, note) of a figure of this module, as text made inert for plotly (HTML-escaped).
    Screens and the HTML pack show them above and below the figure, where they wrap (plotly
    neither wraps a title nor keeps it clear of the legend); `untitled` is the figure without."""
    meta = fig.layout.meta or {}
    return meta.get("title") or fig.layout.title.text or "", meta.get("note")


def retitle(fig: go.Figure, title: str) -> go.Figure:
    """The figure under another title (plain text: escaped here)."""
    return _finish(fig, safe(title))


def untitled(fig: go.Figure, *, copy: bool = True) -> go.Figure:
    """The figure without its title and note (shown beside it instead: see `titles`): a copy, or with
    `copy=False` the figure itself, for a caller that draws it once and drops it (the screen's chart
    widget: a copy validates the whole figure and its template again, 3.9 ms against 0.5 ms in place
    for the RAG mix). The title stays in the figure's meta, so doing it twice changes nothing."""
    out = go.Figure(fig) if copy else fig
    out.update_layout(title=dict(text=None, subtitle=dict(text=None)), margin=dict(t=10))
    return out


def themed(fig: go.Figure, ground: str | None) -> go.Figure:
    """The figure drawn for the app's theme: on 'dark', every colour of the white-ground palette is
    swapped for its dark counterpart (theme.DARK_COLOURS) and the dark template applied, so a chart
    is never a white box in a dark room. The light figure is returned unchanged."""
    if ground != "dark":
        return fig
    spec = fig.to_plotly_json()
    spec["layout"].pop("template", None)
    dark = go.Figure(_recolour(spec))
    dark.update_layout(template=template("dark"))
    return dark


def _recolour(value):
    if isinstance(value, dict):
        return {k: _recolour(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_recolour(v) for v in value)
    if isinstance(value, str) and value.startswith(("#", "rgba(")):
        return _dark_colour(value)
    return value


def _dark_colour(colour: str) -> str:
    if colour.startswith("#"):
        return DARK_COLOURS.get(colour.upper(), DARK_COLOURS.get(colour, colour))
    parts = colour[5:-1].split(",")   # rgba(r,g,b,a): a fill under a line keeps its transparency
    if len(parts) != 4:
        return colour
    light = "#{:02X}{:02X}{:02X}".format(*(int(float(v)) for v in parts[:3]))
    dark = DARK_COLOURS.get(light)
    return rgba(dark, float(parts[3])) if dark else colour


def _axis_values(fig: go.Figure, axis: str) -> list[float]:
    """The values drawn along `axis` ('x', 'y', 'y2'), stacked bars summed per category."""
    letter, ref = axis[0], axis if len(axis) > 1 else axis[0]
    per_category: dict = {}
    values: list[float] = []
    stacked = fig.layout.barmode in ("stack", "relative")
    for trace in fig.data:
        if getattr(trace, f"{letter}axis", None) not in (None, ref):
            continue
        along = getattr(trace, letter, None)
        if along is None:
            continue
        across = getattr(trace, "y" if letter == "x" else "x", None)
        for i, v in enumerate(along):
            f = fmt.as_float(v) if not isinstance(v, str) else None
            if f is None:
                continue
            if stacked and trace.type == "bar" and across is not None:
                key = (across[i], f >= 0)
                per_category[key] = per_category.get(key, 0.0) + f
            else:
                values.append(f)
    return values + list(per_category.values())


def _money_axis(fig: go.Figure, axis: str = "y", currency: str = "", also: tuple[float, ...] = (),
                most: int = 5) -> None:
    """Money ticks in the cards' one style — '0', '£10 bn', '£20 bn' — from zero over the drawn values
    (and `also`: a reference line's value)."""
    values = _axis_values(fig, axis) + [v for v in also if fmt.as_float(v) is not None]
    if not values:
        return
    ticks = fmt.axis_ticks(min(values), max(values), most)
    scale = fmt.money_scale(ticks)
    places = fmt.tick_decimals(ticks, scale)
    fig.update_layout({f"{'yaxis2' if axis == 'y2' else axis + 'axis'}": dict(
        tickmode="array", tickvals=ticks, ticktext=[fmt.money_at_scale(t, scale, places, currency) for t in ticks],
        range=[ticks[0], ticks[-1]])})


def _count_axis(fig: go.Figure, axis: str = "x") -> None:
    """Whole-number ticks from zero (a count is never 2.5 projects), however large the count."""
    values = _axis_values(fig, axis)
    if values:
        ticks = fmt.axis_ticks(0, max(values), whole=True)
        fig.update_layout({f"{axis}axis": dict(tickmode="array", tickvals=ticks,
                                               ticktext=[fmt.count(t) for t in ticks])})


def _drop_empty(fig: go.Figure) -> None:
    """Remove the traces with no value at all (a series the data has nothing for), and say so under
    the title: an empty line at zero, or a legend entry with nothing drawn, would read as a fact."""
    kept, dropped = [], []
    for trace in fig.data:
        values = getattr(trace, "y" if getattr(trace, "orientation", None) != "h" else "x", None)
        if values is not None and not any(fmt.as_float(v) is not None for v in values if not isinstance(v, str)):
            dropped.append(trace.name)
        else:
            kept.append(trace)
    if dropped:
        fig.data = kept
        note = f"Not drawn, no values: {', '.join(dropped)}."
        fig.update_layout(title_subtitle=dict(text=note, font=dict(size=FONT_SIZE - 2)),
                          meta={**(fig.layout.meta or {}), "note": note})


def money_title(text: str, currency: str = "") -> str:
    return f"{text} ({currency or 'reporting currency'})"


def _text_money(values, currency: str = "") -> list[str]:
    """Money as bar labels: 1.2 M, 350.0 k; nothing for a missing value."""
    return [fmt.money(v, currency, empty="") for v in values]


def _months(values) -> list:
    """'YYYY-MM' strings as the first day of the month, so plotly spaces and labels them as dates."""
    return [pd.Timestamp(f"{m}-01") for m in values]


def _ticks_months(fig: go.Figure, axis: str = "x") -> None:
    fig.update_layout({f"{axis}axis": dict(type="date", tickformat="%b %Y", hoverformat="%b %Y")})


def _mark_month(fig: go.Figure, month: str, last: str) -> None:
    """The months after `month` (to `last`) shaded as plan, named in the legend: a label written on
    the plot would cover the bars."""
    start = pd.Timestamp(f"{month}-01") + pd.offsets.MonthEnd(0) + pd.Timedelta(hours=12)
    end = pd.Timestamp(f"{last}-01") + pd.offsets.MonthEnd(0)
    fig.add_vrect(x0=start, x1=end, fillcolor=rgba(AXIS, 0.1), line_width=0, layer="below")
    fig.add_scatter(x=[None], y=[None], mode="markers", marker=dict(symbol="square", size=14, color=rgba(AXIS, 0.2)),
                    name=f"Plan (after {fmt.short_month(month)})", hoverinfo="skip")


def safe(text) -> str:
    """Text from the data made inert for plotly, which reads <b>, <a href> … in labels as markup."""
    return html.escape("" if text is None or (not isinstance(text, str) and pd.isna(text)) else str(text),
                       quote=False)


def _safe_all(values) -> list[str]:
    return [safe(v) for v in values]


def _wrap(text: str, width: int = 26, lines: int = 3) -> str:
    """A long category label (or title) on up to `lines` lines (plotly wraps neither itself)."""
    words, out, line = text.split(" "), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            out.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    out.append(line)
    return "<br>".join(out[:lines]) + ("…" if len(out) > lines else "")


def _short(text, n: int) -> str:
    text = "" if text is None or (not isinstance(text, str) and pd.isna(text)) else str(text)
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _labels(values, width: int = 26) -> list[str]:
    """Category labels from the data: escaped, then wrapped."""
    return [_wrap(safe(v), width) for v in values]


def rag_colour(rag) -> str:
    return RAG_COLOURS.get(rag if isinstance(rag, str) else "none", RAG_COLOURS["none"])


# -- overview -------------------------------------------------------------------------------------

def rag_mix(counts: dict[str, int], title: str = "RAG mix of active projects (number of projects)") -> go.Figure:
    """One stacked horizontal bar: how many active projects are red, amber, green, without a report."""
    fig = go.Figure()
    total = sum(counts.values()) or 1
    for rag in STACK_ORDER:
        n = int(counts.get(rag, 0))
        fig.add_bar(y=["Projects"], x=[n], orientation="h", name=RAG_LABELS[rag],
                    marker_color=RAG_COLOURS[rag], text=[f"{n} ({n / total:.0%})" if n else ""],
                    textposition="inside", insidetextanchor="middle", textangle=0,
                    hovertemplate=f"{RAG_LABELS[rag]}: %{{x}} projects<extra></extra>")
    fig.update_layout(barmode="stack", showlegend=True, yaxis=dict(visible=False), legend=dict(traceorder="normal"),
                      xaxis=dict(title="Active projects"))
    _count_axis(fig, "x")
    return _finish(fig, title, height=220)


def kpi_trend(series: pd.DataFrame, label: str, unit: str, currency: str = "") -> go.Figure:
    """A metric month by month ([month, value]); the title carries the unit."""
    fig = go.Figure(go.Scatter(x=_months(series["month"]), y=series["value"], mode="lines+markers",
                               line=dict(color=SERIES["actual"], width=3), name=label))
    unit_text = {"share": "%", "money": currency or "reporting currency", "days": "days", "ratio": "ratio",
                 "count": "number", "hours": "hours", "score": "score 1–5"}.get(unit, unit)
    if unit == "share":
        fig.update_layout(yaxis=dict(tickformat=PCT_TICK, rangemode="tozero"))
        fig.update_traces(hovertemplate="%{x|%b %Y}: %{y:.1%}<extra></extra>")
    elif unit == "money":
        _money_axis(fig, currency=currency)
        fig.update_traces(hovertemplate=f"%{{x|%b %Y}}: {currency}%{{y:,.0f}}<extra></extra>")
    else:
        fig.update_traces(hovertemplate="%{x|%b %Y}: %{y:,.2f}<extra></extra>")
    _ticks_months(fig)
    return _finish(fig, f"{label} by month ({unit_text})", height=320)


def spend_and_benefits(frame: pd.DataFrame, currency: str = "") -> go.Figure:
    """Grouped horizontal bars per strategic objective: actual cost to date vs financial benefits realised."""
    df = frame.iloc[::-1]
    fig = go.Figure()
    labels = _labels(df["objective"])
    fig.add_bar(y=labels, x=df["actual_to_date"], orientation="h", name="Actual cost to date",
                marker_color=SERIES["actual"], text=_text_money(df["actual_to_date"], currency),
                textposition="auto", hovertemplate=f"%{{y}}<br>Spend: {currency}%{{x:,.0f}}<extra></extra>")
    fig.add_bar(y=labels, x=df["benefits_realized"], orientation="h", name="Benefits realised to date",
                marker_color=SERIES["benefit"], text=_text_money(df["benefits_realized"], currency),
                textposition="auto", hovertemplate=f"%{{y}}<br>Benefits: {currency}%{{x:,.0f}}<extra></extra>")
    fig.update_layout(barmode="group", height=max(HEIGHT, 90 + 60 * len(df)))
    _money_axis(fig, "x", currency)
    return _finish(fig, money_title("Spend and benefits by strategic objective", currency))


# -- portfolio ------------------------------------------------------------------------------------

def drill_bars(rollup: pd.DataFrame, level_label: str) -> go.Figure:
    """Active projects per group, stacked by RAG; click a bar to drill into it (customdata = key)."""
    df = rollup.iloc[::-1]
    fig = go.Figure()
    for rag, col in ((rag, "no_report" if rag == "none" else rag) for rag in STACK_ORDER):
        fig.add_bar(y=_labels(df["label"]), x=df[col], orientation="h", name=RAG_LABELS[rag],
                    marker_color=RAG_COLOURS[rag], customdata=df["key"],
                    hovertemplate=f"%{{y}}<br>{RAG_LABELS[rag]}: %{{x}} projects<extra></extra>")
    fig.update_layout(barmode="stack", clickmode="event+select", xaxis=dict(title="Active projects"),
                      legend=dict(traceorder="normal"),
                      height=max(HEIGHT - 60, 110 + 42 * len(df)))
    _count_axis(fig, "x")
    return _finish(fig, f"Active projects by {level_label}, by RAG (number of projects) — click a bar to drill down")


def value_risk_bubbles(frame: pd.DataFrame, currency: str = "") -> go.Figure:
    """Projects placed by risk exposure (x) and strategic value (y), sized by budget, coloured by RAG."""
    fig = go.Figure()
    bac = frame["bac"].fillna(0).clip(lower=0)
    ref = float(bac.max()) or 1.0
    for key in STACK_ORDER:
        part = frame[frame["overall_rag"].isna()] if key == "none" else frame[frame["overall_rag"] == key]
        if part.empty:
            continue
        sizes = (part["bac"].fillna(0).clip(lower=0) / ref).pow(0.5) * 48 + 8
        fig.add_scatter(
            x=part["risk_exposure"], y=part["priority_score"], mode="markers", name=RAG_LABELS[key],
            marker=dict(size=sizes, color=RAG_COLOURS[key], opacity=0.75, line=dict(color=WHITE, width=1)),
            customdata=list(zip(_safe_all(part["project_id"]), _safe_all(part["project_name"]),
                                _text_money(part["bac"], currency),
                                part["open_risks"])),
            hovertemplate="%{customdata[1]} (%{customdata[0]})<br>Risk exposure: %{x}"
                          "<br>Priority score: %{y}<br>Budget: %{customdata[2]}"
                          "<br>Open risks: %{customdata[3]}<extra></extra>")
    _drop_empty(fig)
    fig.update_layout(xaxis=dict(title="Risk exposure (Σ probability × impact of open risks)", rangemode="tozero",
                                 showgrid=True, gridcolor=GRID),
                      yaxis=dict(title="Strategic value (priority score 0–100)", range=[-5, 105]))
    return _finish(fig, "Value vs risk of active projects (bubble size: budget at completion)", height=520)


# -- project --------------------------------------------------------------------------------------

def rag_history(history: pd.DataFrame) -> go.Figure:
    """Overall, schedule, cost and scope RAG of each status report, as coloured cells over time."""
    dims = [("overall_rag", "Overall"), ("schedule_rag", "Schedule"), ("cost_rag", "Cost"), ("scope_rag", "Scope")]
    dates = pd.to_datetime(history["report_date"]).dt.strftime("%Y-%m-%d").tolist()
    z, text = [], []
    for col, _ in reversed(dims):
        vals = history[col].astype(object).tolist()
        z.append([c.RAG_RANK.get(v) if isinstance(v, str) else None for v in vals])
        text.append([RAG_LABELS.get(v, fmt.NO_DATA) if isinstance(v, str) else fmt.NO_DATA for v in vals])
    scale = [[0.0, RAG_COLOURS["red"]], [0.33, RAG_COLOURS["red"]], [0.34, RAG_COLOURS["amber"]],
             [0.66, RAG_COLOURS["amber"]], [0.67, RAG_COLOURS["green"]], [1.0, RAG_COLOURS["green"]]]
    fig = go.Figure(go.Heatmap(x=dates, y=[label for _, label in reversed(dims)], z=z, zmin=1, zmax=3,
                               colorscale=scale, showscale=False, text=text, xgap=2, ygap=2,
                               hovertemplate="%{x} · %{y}: %{text}<extra></extra>"))
    fig.update_layout(xaxis=dict(type="category", title="Report date"))
    return _finish(fig, "Status history: one column per status report (RAG rating per report)", height=300)


def percent_complete(history: pd.DataFrame) -> go.Figure:
    """Reported percent complete over time."""
    df = history.dropna(subset=["percent_complete"])
    fig = go.Figure(go.Scatter(x=df["report_date"], y=df["percent_complete"] / 100, mode="lines+markers",
                               line=dict(color=SERIES["actual"], width=3),
                               hovertemplate="%{x|%Y-%m-%d}: %{y:.0%}<extra></extra>", name="% complete"))
    fig.update_layout(yaxis=dict(tickformat=PCT_TICK, range=[0, 1.05]),
                      xaxis=dict(title="Report date", type="date", tickformat="%b %Y"))
    return _finish(fig, "Percent complete by status report (%)", height=300)


def evm_curve(curve: pd.DataFrame, bac: float | None = None, currency: str = "",
              title: str = "Earned value S-curve", projections: pd.DataFrame | None = None) -> go.Figure:
    """Cumulative planned value, earned value and actual cost by month ([month, pv, ev, ac]); with
    `projections` ([name, date_from, value_from, date_to, value_to]), dashed lines drawn forward from
    the latest EV to the budget at each forecast finish (earned schedule, reference-class P50/P80)."""
    fig = go.Figure()
    for col, name, colour, dash in (("pv", "Planned value (PV)", SERIES["planned"], "dot"),
                                    ("ev", "Earned value (EV)", SERIES["earned"], "solid"),
                                    ("ac", "Actual cost (AC)", SERIES["actual"], "solid")):
        fig.add_scatter(x=_months(curve["month"]), y=curve[col], name=name, mode="lines+markers",
                        line=dict(color=colour, width=3, dash=dash),
                        hovertemplate=f"%{{x|%b %Y}}<br>{name}: {currency}%{{y:,.0f}}<extra></extra>")
    _drop_empty(fig)
    for i, (_, line) in enumerate((projections if projections is not None else pd.DataFrame()).iterrows()):
        colour = (SERIES["earned"], SERIES["forecast"], SERIES["target"])[i % 3]
        fig.add_scatter(x=[line["date_from"], line["date_to"]], y=[line["value_from"], line["value_to"]],
                        mode="lines+markers", name=f"{safe(line['name'])} finish",
                        line=dict(color=colour, width=2, dash="dash"), marker=dict(size=[0, 10]),
                        hovertemplate=f"{safe(line['name'])}: %{{x|%Y-%m-%d}}<extra></extra>")
    shown_bac = bac is not None and pd.notna(bac) and len(curve)
    if shown_bac:
        fig.add_hline(y=bac, line=dict(color=SERIES["target"], dash="dash"),
                      annotation_text=f"Budget at completion {_text_money([bac], currency)[0]}",
                      annotation_position="top left")
    _money_axis(fig, currency=currency, also=(bac,) if shown_bac else ())
    _ticks_months(fig)
    return _finish(fig, money_title(f"{title}, cumulative", currency))


def milestone_timeline(milestones: pd.DataFrame, as_of_end=None) -> go.Figure:
    """One row per milestone: baseline (hollow), forecast (grey) and actual (filled, coloured on time /
    late) dates, joined by a line showing the slip."""
    df = milestones.iloc[::-1].copy()
    labels = [f"{'◆ ' if g else ''}{safe(n)}" for n, g in zip(df["milestone_name"], df["is_gate"])]
    fig = go.Figure()
    for (_, row), label in zip(df.iterrows(), labels):
        points = [d for d in (row["baseline_date"], row["forecast_date"], row["actual_date"]) if pd.notna(d)]
        if len(points) > 1:
            fig.add_scatter(x=[min(points), max(points)], y=[label, label], mode="lines",
                            line=dict(color=SLIP_LINE, width=3), showlegend=False, hoverinfo="skip")
    fig.add_scatter(x=df["baseline_date"], y=labels, mode="markers", name="Baseline",
                    marker=dict(symbol="circle-open", size=14, color=SERIES["actual"], line=dict(width=3)),
                    hovertemplate="%{y}<br>Baseline: %{x|%Y-%m-%d}<extra></extra>")
    fig.add_scatter(x=df["forecast_date"], y=labels, mode="markers", name="Forecast",
                    marker=dict(symbol="diamond", size=12, color=SERIES["forecast"]),
                    hovertemplate="%{y}<br>Forecast: %{x|%Y-%m-%d}<extra></extra>")
    on_time = df["state"].eq("achieved on time")
    fig.add_scatter(x=df["actual_date"].where(on_time), y=labels, mode="markers", name="Achieved on time",
                    marker=dict(size=14, color=RAG_COLOURS["green"]),
                    hovertemplate="%{y}<br>Achieved: %{x|%Y-%m-%d}<extra></extra>")
    fig.add_scatter(x=df["actual_date"].where(~on_time), y=labels, mode="markers", name="Achieved late",
                    marker=dict(size=14, color=RAG_COLOURS["red"]),
                    hovertemplate="%{y}<br>Achieved: %{x|%Y-%m-%d}<extra></extra>")
    if as_of_end is not None:
        fig.add_vline(x=pd.Timestamp(as_of_end).timestamp() * 1000, line=dict(color=AXIS, dash="dot"),
                      annotation_text="as of", annotation_position="bottom right")
    fig.update_layout(xaxis=dict(type="date", title="Date", showgrid=True, gridcolor=GRID),
                      height=max(320, 120 + 36 * len(df)))
    return _finish(fig, "Milestones: baseline vs forecast vs actual (dates; ◆ = stage gate)")


def _report_dates(months) -> list[pd.Timestamp]:
    """'YYYY-MM' report months as their last day: a snapshot says what was known at the month's end."""
    return [pd.Timestamp(month_end(m)) for m in months]


def milestone_trend(trend: pd.DataFrame) -> go.Figure:
    """Milestone trend analysis (MTA): x = report month, y = the date each milestone was expected in
    that month's snapshot (views.projects.milestone_trend), one line per milestone (◆ = gate). A line
    that climbs slipped; it ends on the dashed diagonal (milestone date = report date) when the
    milestone was achieved, ringed."""
    fig = go.Figure()
    order = list(dict.fromkeys(trend["milestone_id"]))
    for i, mid in enumerate(order):
        rows = trend[trend["milestone_id"] == mid]
        last = rows.iloc[-1]
        gate = bool(last["is_gate"])
        name = f"{'◆ ' if gate else ''}{_short(safe(last['milestone_name']), 32)}"
        fig.add_scatter(x=_report_dates(rows["snapshot_month"]), y=rows["expected_date"], name=name,
                        mode="lines+markers", line=dict(width=3, color=CATEGORICAL[i % len(CATEGORICAL)]),
                        marker=dict(symbol="diamond" if gate else "circle", size=10 if gate else 8),
                        customdata=[name] * len(rows),
                        hovertemplate="%{customdata}<br>Report %{x|%b %Y}: expected %{y|%Y-%m-%d}<extra></extra>")
    done = trend[trend["is_done"].astype(bool)]
    if len(done):
        fig.add_scatter(x=_report_dates(done["snapshot_month"]), y=done["expected_date"], name="Achieved",
                        mode="markers", marker=dict(symbol="circle-open", size=20, color=SERIES["target"],
                                                    line=dict(width=2)),
                        hovertemplate="Achieved %{y|%Y-%m-%d}<extra></extra>")
    months = sorted(set(trend["snapshot_month"]))
    reports = _report_dates(months)
    # The diagonal: a milestone on it is dated on the report date itself — where a line ends when done.
    fig.add_scatter(x=[reports[0], reports[-1]], y=[reports[0], reports[-1]], mode="lines",
                    name="Milestone date = report date", line=dict(color=AXIS, dash="dash", width=2),
                    hoverinfo="skip")
    step = max(1, -(-len(months) // MAX_X_TICKS))
    # Ticks on the report dates themselves, month over year and upright: rotated, the last one would be
    # dropped at the plot's edge. A milestone per legend entry: below the plot, where several rows of
    # them never cover a line.
    fig.update_layout(
        xaxis=dict(type="date", title="Report month", tickmode="array", tickvals=reports[::step], tickangle=0,
                   ticktext=[fmt.short_month(m).replace(" ", "<br>") for m in months[::step]],
                   showgrid=True, gridcolor=GRID),
        yaxis=dict(type="date", title="Expected milestone date", tickformat="%b %Y", hoverformat="%Y-%m-%d"),
        legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0, xanchor="left"),
        height=560)
    return _finish(fig, "Milestone trend analysis: each milestone's expected date by report month "
                        "(dates; ◆ = stage gate)")


def risk_matrix(risks: pd.DataFrame, clickable: bool = False) -> go.Figure:
    """Probability × impact grid (1–5 each): cell colour by score, the number of risks in each cell.
    `clickable` lays an invisible marker on each cell that holds risks (x = impact, y = probability):
    a chart's click selects points, and a heatmap cell is not one."""
    counts = risks.groupby(["probability", "impact"]).size() if len(risks) else pd.Series(dtype=int)
    names = (risks.groupby(["probability", "impact"])["title"].apply(lambda s: "<br>".join(_safe_all(s.head(6))))
             if len(risks) else pd.Series(dtype=str))
    z, text, hover = [], [], []
    for p in range(1, 6):
        z.append([p * i for i in range(1, 6)])
        text.append([str(int(counts.get((p, i), 0))) if counts.get((p, i), 0) else "" for i in range(1, 6)])
        hover.append([names.get((p, i), "") for i in range(1, 6)])
    fig = go.Figure(go.Heatmap(x=list(range(1, 6)), y=list(range(1, 6)), z=z, zmin=1, zmax=25,
                               colorscale=[list(stop) for stop in RISK_SCALE],
                               showscale=False, text=text, texttemplate="%{text}",
                               textfont=dict(size=FONT_SIZE + 6), customdata=hover, xgap=3, ygap=3,
                               hovertemplate="Probability %{y} × impact %{x} = %{z}<br>%{customdata}<extra></extra>"))
    if clickable and len(counts):
        cells = counts.reset_index()
        fig.data[0].hoverinfo = "skip"
        fig.add_scatter(x=cells["impact"], y=cells["probability"], mode="markers", showlegend=False,
                        marker=dict(symbol="square", size=44, color=WHITE, opacity=0.01),
                        customdata=[names.get((p, i), "") for p, i in zip(cells["probability"], cells["impact"])],
                        hovertemplate="Probability %{y} × impact %{x}<br>%{customdata}<extra></extra>")
        fig.update_layout(clickmode="event+select", hovermode="closest")
    fig.update_layout(xaxis=dict(title="Impact (1–5)", dtick=1), yaxis=dict(title="Probability (1–5)", dtick=1))
    return _finish(fig, "Open risks: probability × impact (number of risks per cell)", height=460)


def benefit_plan_actual(measurements: pd.DataFrame, benefit_name: str, unit: str) -> go.Figure:
    """One benefit's planned vs actual value per month, with its baseline and target."""
    df = measurements
    fig = go.Figure()
    fig.add_scatter(x=_months(df["period"]), y=df["planned_value"], name="Planned", mode="lines+markers",
                    line=dict(color=SERIES["planned"], width=3, dash="dot"))
    fig.add_scatter(x=_months(df["period"]), y=df["actual_value"], name="Actual", mode="lines+markers",
                    line=dict(color=SERIES["benefit"], width=3))
    if len(df):
        fig.add_hline(y=float(df["target_value"].iloc[0]), line=dict(color=SERIES["target"], dash="dash"),
                      annotation_text="target", annotation_position="top left")
        fig.add_hline(y=float(df["baseline_value"].iloc[0]), line=dict(color=BASELINE_LINE, dash="dot"),
                      annotation_text="baseline", annotation_position="bottom left")
    fig.update_layout(yaxis=dict(title=safe(unit), tickformat=",~f"))
    _ticks_months(fig)
    return _finish(fig, f"{safe(benefit_name)}: planned vs actual ({safe(unit)})", height=360)


def benefit_panels(measurements: pd.DataFrame) -> list[go.Figure]:
    """One plan-vs-actual figure per benefit of a long frame (views.project_benefits), in id order."""
    figures = []
    for benefit_id in sorted(measurements["benefit_id"].dropna().unique()):
        part = measurements[measurements["benefit_id"] == benefit_id]
        first = part.iloc[0]
        figures.append(benefit_plan_actual(part, f"{first['benefit_name']} ({benefit_id})", str(first["unit"])))
    return figures


def team_hours(team: pd.DataFrame) -> go.Figure:
    """Hours planned vs booked per team member to date."""
    df = team.head(25).iloc[::-1]
    labels = [f"{safe(n)} · {safe(r)}" if isinstance(n, str) else safe(i) for n, r, i in
              zip(df["resource_name"], df["role"], df["resource_id"])]
    fig = go.Figure()
    fig.add_bar(y=labels, x=df["planned_hours_to_date"], orientation="h", name="Planned",
                marker_color=SERIES["allocated"], hovertemplate="%{y}<br>Planned: %{x:,.0f} h<extra></extra>")
    fig.add_bar(y=labels, x=df["hours_to_date"], orientation="h", name="Booked",
                marker_color=SERIES["booked"], hovertemplate="%{y}<br>Booked: %{x:,.0f} h<extra></extra>")
    fig.update_layout(barmode="group", xaxis=dict(title="Hours", tickformat=",.0f"),
                      height=max(HEIGHT, 100 + 44 * len(df)))
    return _finish(fig, "Team: hours planned vs booked to date (hours)")


def hours_by_month(frame: pd.DataFrame, title: str = "Hours planned vs booked by month (hours)") -> go.Figure:
    """[month, planned_hours, hours] as grouped bars."""
    fig = go.Figure()
    fig.add_bar(x=_months(frame["month"]), y=frame["planned_hours"], name="Planned", marker_color=SERIES["allocated"],
                hovertemplate="%{x}<br>Planned: %{y:,.0f} h<extra></extra>")
    fig.add_bar(x=_months(frame["month"]), y=frame["hours"], name="Booked", marker_color=SERIES["booked"],
                hovertemplate="%{x}<br>Booked: %{y:,.0f} h<extra></extra>")
    fig.update_layout(barmode="group", yaxis=dict(title="Hours", tickformat=",.0f"))
    _ticks_months(fig)
    return _finish(fig, title, height=360)


# -- finance --------------------------------------------------------------------------------------

def cost_by_month(frame: pd.DataFrame, as_of: str | None = None, currency: str = "") -> go.Figure:
    """Monthly planned, actual and forecast cost (bars) with cumulative planned and actual (lines)."""
    fig = go.Figure()
    fig.add_bar(x=_months(frame["period"]), y=frame["planned_cost"], name="Planned", marker_color=SERIES["planned"],
                hovertemplate=f"%{{x|%b %Y}}<br>Planned: {currency}%{{y:,.0f}}<extra></extra>")
    fig.add_bar(x=_months(frame["period"]), y=frame["actual_cost"], name="Actual", marker_color=SERIES["actual"],
                hovertemplate=f"%{{x|%b %Y}}<br>Actual: {currency}%{{y:,.0f}}<extra></extra>")
    if frame["forecast_cost"].notna().any():
        fig.add_bar(x=_months(frame["period"]), y=frame["forecast_cost"], name="Forecast", marker_color=SERIES["forecast"],
                    hovertemplate=f"%{{x|%b %Y}}<br>Forecast: {currency}%{{y:,.0f}}<extra></extra>")
    fig.add_scatter(x=_months(frame["period"]), y=frame["planned_cumulative"], name="Planned, cumulative", yaxis="y2",
                    mode="lines", line=dict(color=SERIES["planned"], width=3, dash="dot"),
                    hovertemplate=f"%{{x|%b %Y}}<br>Planned to date: {currency}%{{y:,.0f}}<extra></extra>")
    fig.add_scatter(x=_months(frame["period"]), y=frame["actual_cumulative"], name="Actual, cumulative", yaxis="y2",
                    mode="lines", line=dict(color=SERIES["actual"], width=3),
                    hovertemplate=f"%{{x|%b %Y}}<br>Actual to date: {currency}%{{y:,.0f}}<extra></extra>")
    _drop_empty(fig)
    fig.update_layout(barmode="group", yaxis=dict(title="Per month"),
                      yaxis2=dict(title="Cumulative", overlaying="y", side="right", showgrid=False))
    _money_axis(fig, "y", currency)
    _money_axis(fig, "y2", currency)
    _ticks_months(fig)
    if as_of is not None and as_of in set(frame["period"]) and as_of != frame["period"].iloc[-1]:
        _mark_month(fig, as_of, frame["period"].iloc[-1])
    return _finish(fig, money_title("Cost by month: planned, actual and forecast", currency), height=460)


def cost_by_group(frame: pd.DataFrame, group_label: str, currency: str = "",
                  enumeration: str | None = None) -> go.Figure:
    """Planned vs actual cost to date per group (portfolio, program, cost category, …); groups that
    are codes of an `enumeration` (cost categories) read as their words."""
    df = frame.iloc[::-1]
    labels = _labels(fmt.label(k, enumeration) if enumeration else k for k in df["label"])
    fig = go.Figure()
    fig.add_bar(y=labels, x=df["planned_to_date"], orientation="h", name="Planned to date",
                marker_color=SERIES["planned"], hovertemplate=f"%{{y}}<br>Planned: {currency}%{{x:,.0f}}<extra></extra>")
    fig.add_bar(y=labels, x=df["actual_to_date"], orientation="h", name="Actual to date",
                marker_color=SERIES["actual"], text=_text_money(df["actual_to_date"], currency),
                textposition="auto", hovertemplate=f"%{{y}}<br>Actual: {currency}%{{x:,.0f}}<extra></extra>")
    _drop_empty(fig)
    fig.update_layout(barmode="group", height=max(HEIGHT - 60, 100 + 56 * len(df)))
    _money_axis(fig, "x", currency)
    return _finish(fig, money_title(f"Cost to date by {group_label}: planned vs actual", currency))


def variance_bars(frame: pd.DataFrame, currency: str = "") -> go.Figure:
    """Variance at completion per project (BAC − EAC): negative (overrun) red, positive green."""
    df = frame.dropna(subset=["vac"]).iloc[::-1]
    colours = [RAG_COLOURS["red"] if v < 0 else RAG_COLOURS["green"] for v in df["vac"]]
    labels = [safe(_short(n, 30)) if isinstance(n, str) else safe(i)
              for n, i in zip(df["project_name"], df["project_id"])]
    fig = go.Figure(go.Bar(y=labels, x=df["vac"], orientation="h", marker_color=colours,
                           text=_text_money(df["vac"], currency), textposition="auto",
                           customdata=_safe_all(df["project_id"]),
                           hovertemplate=f"%{{y}} (%{{customdata}})<br>VAC: {currency}%{{x:,.0f}}<extra></extra>"))
    fig.update_layout(height=max(HEIGHT - 60, 100 + 36 * len(df)), xaxis=dict(title="BAC − EAC"))
    _money_axis(fig, "x", currency)
    return _finish(fig, money_title("Largest variances at completion (negative = forecast overrun)", currency))


# -- resources ------------------------------------------------------------------------------------

def capacity_by_month(frame: pd.DataFrame, as_of: str | None = None) -> go.Figure:
    """Capacity (line) against allocated and booked hours (bars) per month."""
    fig = go.Figure()
    fig.add_bar(x=_months(frame["month"]), y=frame["planned_hours"], name="Allocated", marker_color=SERIES["allocated"],
                hovertemplate="%{x}<br>Allocated: %{y:,.0f} h<extra></extra>")
    fig.add_bar(x=_months(frame["month"]), y=frame["hours"], name="Booked", marker_color=SERIES["booked"],
                hovertemplate="%{x}<br>Booked: %{y:,.0f} h<extra></extra>")
    fig.add_scatter(x=_months(frame["month"]), y=frame["capacity_hours"], name="Capacity", mode="lines+markers",
                    line=dict(color=SERIES["capacity"], width=3),
                    hovertemplate="%{x}<br>Capacity: %{y:,.0f} h<extra></extra>")
    _drop_empty(fig)
    fig.update_layout(barmode="group", yaxis=dict(title="Hours", tickformat=",.0f", rangemode="tozero"))
    _ticks_months(fig)
    if as_of is not None and as_of in set(frame["month"]) and as_of != frame["month"].iloc[-1]:
        _mark_month(fig, as_of, frame["month"].iloc[-1])
    return _finish(fig, "Capacity vs allocated vs booked hours by month (hours)", height=440)


def utilisation_by_group(frame: pd.DataFrame, group_label: str, target: float | None = None,
                         enumeration: str | None = None) -> go.Figure:
    """Utilisation (booked / capacity) and allocation rate (planned / capacity) per group; groups that
    are codes of an `enumeration` (employment types) read as their words."""
    df = frame.iloc[::-1]
    labels = _labels(fmt.label(k, enumeration) if enumeration else k for k in df["key"])
    fig = go.Figure()
    fig.add_bar(y=labels, x=df["allocation_rate"], orientation="h", name="Allocation rate",
                marker_color=SERIES["allocated"], hovertemplate="%{y}<br>Allocated: %{x:.1%}<extra></extra>")
    fig.add_bar(y=labels, x=df["utilization"], orientation="h", name="Utilisation",
                marker_color=SERIES["booked"], text=[f"{v:.0%}" if pd.notna(v) else "" for v in df["utilization"]],
                textposition="auto", hovertemplate="%{y}<br>Utilisation: %{x:.1%}<extra></extra>")
    if target is not None:
        # The threshold is named in the legend, not written on the plot, where it would cover bars.
        fig.add_vline(x=target, line=dict(color=SERIES["target"], dash="dash"))
        fig.add_scatter(x=[None], y=[None], mode="lines", line=dict(color=SERIES["target"], dash="dash"),
                        name=f"Green at ≥ {target:.0%}", hoverinfo="skip")
    fig.update_layout(barmode="group", xaxis=dict(tickformat=PCT_TICK, rangemode="tozero"),
                      height=max(HEIGHT - 60, 100 + 52 * len(df)))
    return _finish(fig, f"Utilisation and allocation by {group_label} (% of capacity)")


def allocation_heatmap(frame: pd.DataFrame, group_label: str, enumeration: str | None = None) -> go.Figure:
    """Allocation rate per group × month ([key, month, value]); above 100 % is over-allocated."""
    wide = frame.pivot_table(index="key", columns="month", values="value", aggfunc="mean").sort_index(ascending=False)
    text = [[f"{v:.0%}" if pd.notna(v) else "" for v in row] for row in wide.to_numpy()]
    rows = [fmt.label(k, enumeration) for k in wide.index] if enumeration else _safe_all(wide.index)
    fig = go.Figure(go.Heatmap(x=list(wide.columns), y=rows, z=wide.to_numpy(), zmin=0, zmax=1.2,
                               colorscale=[list(stop) for stop in ALLOCATION_SCALE],
                               text=text, texttemplate="%{text}", xgap=2, ygap=2,
                               colorbar=dict(title=dict(text="Allocated", side="right"), tickformat=PCT_TICK,
                                             thickness=14),
                               hovertemplate="%{y} · %{x}: %{z:.1%} of capacity allocated<extra></extra>"))
    fig.update_layout(xaxis=dict(type="category"), height=max(HEIGHT - 60, 110 + 34 * len(wide)))
    return _finish(fig, f"Allocation rate by {group_label} and month (% of capacity)")


# -- benefits -------------------------------------------------------------------------------------

def benefits_cumulative(frame: pd.DataFrame, currency: str = "") -> go.Figure:
    """Financial benefits planned vs realised to date, month by month."""
    fig = go.Figure()
    fig.add_scatter(x=_months(frame["month"]), y=frame["planned"], name="Planned to date", mode="lines+markers",
                    line=dict(color=SERIES["planned"], width=3, dash="dot"),
                    hovertemplate=f"%{{x|%b %Y}}<br>Planned: {currency}%{{y:,.0f}}<extra></extra>")
    fig.add_scatter(x=_months(frame["month"]), y=frame["realized"], name="Realised to date", mode="lines+markers",
                    line=dict(color=SERIES["benefit"], width=3), fill="tozeroy", fillcolor=rgba(SERIES["benefit"], 0.12),
                    hovertemplate=f"%{{x|%b %Y}}<br>Realised: {currency}%{{y:,.0f}}<extra></extra>")
    _money_axis(fig, currency=currency)
    _ticks_months(fig)
    return _finish(fig, money_title("Financial benefits: planned vs realised to date", currency))


def benefits_by_group(frame: pd.DataFrame, group_label: str, currency: str = "",
                      enumeration: str | None = None) -> go.Figure:
    """Financial benefits planned vs realised to date per group, realisation rate in the hover.
    Groups that are codes of an `enumeration` (benefit types, categories) read as their words."""
    df = frame[(frame["planned_to_date"] != 0) | (frame["realized_to_date"] != 0)].iloc[::-1]
    labels = _labels(fmt.label(k, enumeration) if enumeration else k for k in df["key"])
    fig = go.Figure()
    fig.add_bar(y=labels, x=df["planned_to_date"], orientation="h", name="Planned to date",
                marker_color=SERIES["planned"], hovertemplate=f"%{{y}}<br>Planned: {currency}%{{x:,.0f}}<extra></extra>")
    fig.add_bar(y=labels, x=df["realized_to_date"], orientation="h", name="Realised to date",
                marker_color=SERIES["benefit"], customdata=df["realization_rate"],
                text=[f"{v:.0%}" if pd.notna(v) else "" for v in df["realization_rate"]], textposition="auto",
                hovertemplate=f"%{{y}}<br>Realised: {currency}%{{x:,.0f}} (%{{customdata:.0%}})<extra></extra>")
    fig.update_layout(barmode="group", height=max(HEIGHT - 60, 100 + 52 * len(df)))
    _money_axis(fig, "x", currency)
    return _finish(fig, money_title(f"Financial benefits by {group_label}: planned vs realised", currency))


# -- maturity -------------------------------------------------------------------------------------

def maturity_radar(scores: pd.DataFrame, business_units: list[str] | None = None) -> go.Figure:
    """Domain scores per business unit (one trace each) against the mean target, on a 1–5 scale."""
    domains = [d for d in c.MATURITY_DOMAINS if d in set(scores["domain"])]
    # Two-line labels: plotly leaves no margin for a polar chart's labels, and cuts long ones off.
    theta = [_wrap(DOMAIN_LABELS[d], 14, lines=2) for d in domains]
    fig = go.Figure()
    units = business_units or sorted(scores["business_unit"].dropna().unique())
    for i, bu in enumerate(units):
        part = scores[scores["business_unit"] == bu].set_index("domain").reindex(domains)
        fig.add_scatterpolar(r=list(part["score"]) + [part["score"].iloc[0]], theta=theta + theta[:1], name=safe(bu),
                             mode="lines+markers", line=dict(color=CATEGORICAL[i % len(CATEGORICAL)], width=3),
                             hovertemplate=f"{safe(bu)}<br>%{{theta}}: %{{r:.2f}}<extra></extra>")
    targets = scores.groupby("domain")["target"].mean().reindex(domains)
    if targets.notna().any():
        fig.add_scatterpolar(r=list(targets) + [targets.iloc[0]], theta=theta + theta[:1], name="Target (mean)",
                             mode="lines", line=dict(color=SERIES["target"], dash="dash", width=2),
                             hovertemplate="Target<br>%{theta}: %{r:.2f}<extra></extra>")
    fig.update_layout(polar=dict(radialaxis=dict(range=[0, 5], dtick=1, angle=90, tickfont=dict(size=12)),
                                 angularaxis=dict(tickfont=dict(size=14)),
                                 domain=dict(x=[0.1, 0.9], y=[0.08, 0.92])), height=560)
    return _finish(fig, "Maturity by domain vs target (score 1–5)")


def maturity_heatmap(wide: pd.DataFrame) -> go.Figure:
    """Business unit × domain scores (wide table from views.maturity_heatmap)."""
    wide = wide.sort_index(ascending=False)
    text = [[f"{v:.1f}" if pd.notna(v) else "" for v in row] for row in wide.to_numpy()]
    fig = go.Figure(go.Heatmap(
        x=[DOMAIN_LABELS.get(d, d) for d in wide.columns], y=_safe_all(wide.index), z=wide.to_numpy(), zmin=1, zmax=5,
        colorscale=[list(stop) for stop in MATURITY_SCALE],
        text=text, texttemplate="%{text}", xgap=2, ygap=2,
        colorbar=dict(title=dict(text="Score", side="right"), dtick=1, thickness=14),
        hovertemplate="%{y} · %{x}: %{z:.2f}<extra></extra>"))
    fig.update_layout(xaxis=dict(tickangle=-30), height=max(HEIGHT, 160 + 40 * len(wide)))
    return _finish(fig, "Maturity by business unit and domain (score 1–5)")


def maturity_change(frame: pd.DataFrame) -> go.Figure:
    """Mean change of each domain's score since the previous assessment (points on the 1–5 scale)."""
    colours = [RAG_COLOURS["green"] if v >= 0 else RAG_COLOURS["red"] for v in frame["change"]]
    fig = go.Figure(go.Bar(x=[DOMAIN_LABELS.get(d, d) for d in frame["domain"]], y=frame["change"],
                           marker_color=colours, text=[f"{v:+.2f}" for v in frame["change"]], textposition="outside",
                           customdata=frame["business_units"],
                           hovertemplate="%{x}: %{y:+.2f} (mean over %{customdata} business units)<extra></extra>"))
    fig.update_layout(yaxis=dict(title="Change in score", zeroline=True), xaxis=dict(tickangle=-30))
    return _finish(fig, "Change since the previous assessment (points on the 1–5 scale)", height=400)


# -- data quality ---------------------------------------------------------------------------------

def findings_by_rule(frame: pd.DataFrame) -> go.Figure:
    """How many findings stand against the loaded data per rule ([rule, findings]), the most first;
    a rule is named by what it checks (the board's words; its id is in the hover)."""
    df = frame.sort_values("findings", kind="stable").tail(12)
    fig = go.Figure(go.Bar(y=[safe(_short(r, 36)) for r in df["rule"]], x=df["findings"], orientation="h",
                           marker_color=SERIES["neutral"], text=[fmt.count(v) for v in df["findings"]],
                           textposition="auto", textangle=0, customdata=_safe_all(df.get("rule_id", df["rule"])),
                           hovertemplate="%{customdata}: %{x:,} findings<extra></extra>"))
    fig.update_layout(height=max(HEIGHT - 60, 100 + 44 * len(df)), xaxis=dict(title="Findings"))
    _count_axis(fig, "x")
    return _finish(fig, "Findings by rule (number of findings)")


def rule_pass_rates(frame: pd.DataFrame, named_by: str = "rule_id") -> go.Figure:
    """Pass rate of each rule on each table (share of rows without a finding), worst first: green when
    every row passes, amber when a warning rule fails some rows, red when an error rule does. Rules
    are named by their id, or (`named_by="description"`, for a board) by what they check."""
    df = frame.dropna(subset=["pass_rate"]).sort_values(["pass_rate", "table", "rule_id"], ascending=[False, True, True])
    labels = [f"{safe(t)} · {safe(_short(r, 60))}" for t, r in zip(df["table"], df[named_by])]
    severity = df["severity"] if "severity" in df else pd.Series("warning", index=df.index)
    colours = [RAG_COLOURS["green"] if failed == 0 else RAG_COLOURS["red"] if sev == "error" else RAG_COLOURS["amber"]
               for failed, sev in zip(df["rows_failed"], severity)]
    # 99.97 % must not read as 100 %: two decimals once a rate is that close
    text = [f"{v:.2%}" if 0.999 <= v < 1 else f"{v:.1%}" for v in df["pass_rate"]]
    fig = go.Figure(go.Bar(y=labels, x=df["pass_rate"], orientation="h", marker_color=colours,
                           customdata=list(zip(df["rows_failed"], df["rows_checked"])), text=text, textangle=0,
                           textposition="auto",
                           hovertemplate="%{y}: %{x:.2%} pass<br>%{customdata[0]:,} of %{customdata[1]:,} rows fail"
                                         "<extra></extra>"))
    fig.update_layout(xaxis=dict(tickformat=PCT_TICK, range=[0, 1.02]), height=max(HEIGHT, 100 + 24 * len(df)))
    return _finish(fig, "Data accuracy rules: pass rate by table and rule (% of rows)")


# -- portfolio selection ----------------------------------------------------------------------------

def score_parts(criteria: pd.DataFrame, top: int = 30) -> go.Figure:
    """Each candidate's score as the stacked weighted parts of its criteria (pipeline.criteria rows),
    best score first, at most `top` candidates: what the score is made of."""
    totals = criteria.groupby("project_id")["part"].sum().sort_values(ascending=False).head(top)
    order = list(totals.index)[::-1]
    fig = go.Figure()
    for position, (criterion, part) in enumerate(criteria.groupby("criterion", sort=False)):
        part = part.set_index("project_id").reindex(order)
        label = fmt.label(criterion)
        fig.add_bar(y=_safe_all(order), x=part["part"], orientation="h", name=safe(label),
                    marker_color=CATEGORICAL[position % len(CATEGORICAL)],
                    customdata=list(zip(part["score"], part["weight"])),
                    hovertemplate=f"%{{y}}<br>{safe(label)}: %{{x:.1f}} points"
                                  "<br>(criterion score %{customdata[0]:.1f} × weight %{customdata[1]:g})<extra></extra>")
    fig.update_layout(barmode="stack", xaxis=dict(title="Score (0–100)", range=[0, 100]),
                      legend=dict(traceorder="normal"), height=max(HEIGHT - 60, 120 + 26 * len(order)))
    return _finish(fig, "Score of each candidate, by criterion (score points)")


def selection_frontier(frontier: pd.DataFrame, budget: float | None = None, score: float | None = None,
                       currency: str = "") -> go.Figure:
    """The best total score for each budget (selection.frontier rows), with the scenario's budget and
    its optimal score marked: what each extra unit of budget buys."""
    df = frontier.dropna(subset=["total_score"])
    proven = df["optimal"].fillna(False).astype(bool).tolist()
    fig = go.Figure(go.Scatter(
        x=df["budget"], y=df["total_score"], mode="lines+markers", name="Optimal total score",
        line=dict(color=SERIES["score"], width=3, shape="hv"),
        marker=dict(size=8, color=[SERIES["score"] if p else WHITE for p in proven],
                    line=dict(color=SERIES["score"], width=2)),
        customdata=list(zip(_text_money(df["total_bac"], currency), df["funded_count"],
                            ["" if p else "<br>not proven optimal: the best found" for p in proven])),
        hovertemplate=f"Budget {currency}%{{x:,.0f}}<br>Total score %{{y:.1f}}"
                      "<br>%{customdata[1]} projects costing %{customdata[0]}%{customdata[2]}<extra></extra>"))
    if budget is not None:
        fig.add_vline(x=budget, line=dict(color=AXIS, dash="dot"),
                      annotation_text=f"this scenario: {fmt.money(budget, currency)}", annotation_position="top left")
    if score is not None and budget is not None:
        fig.add_scatter(x=[budget], y=[score], mode="markers", name="This scenario's optimum",
                        marker=dict(size=14, color=SERIES["target"], line=dict(color=WHITE, width=2)),
                        hovertemplate="This scenario: total score %{y:.1f}<extra></extra>")
    fig.update_layout(yaxis=dict(title="Optimal total score", rangemode="tozero"),
                      xaxis=dict(title=money_title("Budget", currency), rangemode="tozero", showgrid=True,
                                 gridcolor=GRID))
    _money_axis(fig, "x", currency)
    return _finish(fig, "Optimal total score by budget, from nothing to the total ask (score points)",
                   height=440)


# -- forecasts ----------------------------------------------------------------------------------------

_DAY_MS = 86_400_000


def _span_ms(start: pd.Series, end: pd.Series) -> list:
    """Bar lengths on a date axis, in milliseconds (how plotly measures a horizontal bar on dates)."""
    return [(pd.Timestamp(b) - pd.Timestamp(a)).days * _DAY_MS if pd.notna(a) and pd.notna(b) else None
            for a, b in zip(start, end)]


def roadmap(projects: pd.DataFrame, milestones: pd.DataFrame, as_of_end=None) -> go.Figure:
    """Projects as bars from start to forecast finish (else baseline), grouped by program, the baseline
    ghosted behind, the reference-class P80 finish as a tick, milestones (◆ gates) as markers and the
    month's end as a line. Each bar carries its project_id as customdata: a click opens the project."""
    df = projects.iloc[::-1].reset_index(drop=True)
    programs = [fmt.NO_GROUP if pd.isna(p) else p for p in df["program"]]
    labels = [f"{_short(safe(prog), 22)} · {_short(safe(name), 30)} ({safe(pid)})"
              for prog, name, pid in zip(programs, df["project_name"], df["project_id"])]
    fig = go.Figure()
    fig.add_bar(y=labels, base=df["start_date"], x=_span_ms(df["start_date"], df["baseline_finish_date"]),
                orientation="h", name="Baseline", marker=dict(color=rgba(SERIES["planned"], 0.25)),
                customdata=df["project_id"], width=0.8, textposition="none",
                text=[f"{pd.Timestamp(d).date()}" if pd.notna(d) else "" for d in df["baseline_finish_date"]],
                hovertemplate="%{y}<br>Baseline: %{base|%Y-%m-%d} to %{text}<extra></extra>")
    fig.add_bar(y=labels, base=df["start_date"], x=_span_ms(df["start_date"], df["current_finish_date"]),
                orientation="h", name="Forecast", marker=dict(color=SERIES["actual"]), width=0.45,
                customdata=df["project_id"],
                text=[f"finish {pd.Timestamp(d).date()}" if pd.notna(d) else "" for d in df["current_finish_date"]],
                hovertemplate="%{y}<br>Start %{base|%Y-%m-%d}, %{text}<extra></extra>", textposition="none")
    if "rcf_finish_p80" in df and df["rcf_finish_p80"].notna().any():
        fig.add_scatter(x=df["rcf_finish_p80"], y=labels, mode="markers", name="Reference-class P80 finish",
                        marker=dict(symbol="line-ns-open", size=16, color=SERIES["target"], line=dict(width=3)),
                        customdata=df["project_id"], hovertemplate="%{y}<br>P80 finish: %{x|%Y-%m-%d}<extra></extra>")
    by_id = dict(zip(df["project_id"], labels))
    marks = milestones[milestones["project_id"].isin(by_id)] if len(milestones) else milestones
    for gate, symbol, name in ((False, "circle", "Milestone"), (True, "diamond", "◆ Gate")):
        part = marks[marks["is_gate"].astype(bool) == gate] if len(marks) else marks
        if len(part):
            fig.add_scatter(x=part["marker_date"], y=[by_id[p] for p in part["project_id"]], mode="markers",
                            name=name, customdata=part["project_id"],
                            marker=dict(symbol=symbol, size=11 if gate else 8, color=SERIES["forecast"],
                                        line=dict(width=1, color=SERIES["target"])),
                            text=_safe_all(part["milestone_name"]),
                            hovertemplate="%{text}<br>%{x|%Y-%m-%d}<extra></extra>")
    if as_of_end is not None:
        fig.add_vline(x=pd.Timestamp(as_of_end).timestamp() * 1000, line=dict(color=AXIS, dash="dot"),
                      annotation_text="today", annotation_position="top right")
    fig.update_layout(barmode="overlay", xaxis=dict(type="date", title="Date", showgrid=True, gridcolor=GRID),
                      yaxis=dict(title=""), height=max(320, 140 + 26 * len(df)))
    return _finish(fig, "Roadmap by program (dates; ◆ = stage gate)")


def rag_mix_trend(frame: pd.DataFrame) -> go.Figure:
    """The RAG mix of active projects month by month ([month, rag_red_share, rag_amber_share,
    rag_green_share, rag_missing_share]), stacked worst first."""
    fig = go.Figure()
    for rag in STACK_ORDER:
        col = "rag_missing_share" if rag == "none" else f"rag_{rag}_share"
        fig.add_scatter(x=_months(frame["month"]), y=frame[col], name=RAG_LABELS[rag], mode="lines",
                        stackgroup="rag", line=dict(width=0.5, color=RAG_COLOURS[rag]), fillcolor=RAG_COLOURS[rag],
                        hovertemplate=f"%{{x|%b %Y}} · {RAG_LABELS[rag]}: %{{y:.1%}}<extra></extra>")
    _drop_empty(fig)
    fig.update_layout(yaxis=dict(tickformat=PCT_TICK, range=[0, 1], title="Share of active projects"))
    _ticks_months(fig)
    return _finish(fig, "RAG mix of active projects by month (%)", height=340)


def risk_exposure_trend(frame: pd.DataFrame) -> go.Figure:
    """Open risks month by month ([month, open_risks, high_risks, exposure]): the exposure (Σ
    probability × impact) as a line, the number of high risks as bars on the right axis."""
    fig = go.Figure()
    fig.add_bar(x=_months(frame["month"]), y=frame["high_risks"], name="High risks (number)", yaxis="y2",
                marker_color=rgba(RAG_COLOURS["red"], 0.45), hovertemplate="%{x|%b %Y}: %{y} high risks<extra></extra>")
    fig.add_scatter(x=_months(frame["month"]), y=frame["exposure"], name="Exposure", mode="lines+markers",
                    line=dict(color=SERIES["actual"], width=3),
                    hovertemplate="%{x|%b %Y}: exposure %{y:,.0f}<extra></extra>")
    fig.update_layout(yaxis=dict(title="Σ probability × impact", rangemode="tozero"),
                      yaxis2=dict(title="High risks", overlaying="y", side="right", rangemode="tozero",
                                  showgrid=False, tickformat=",d"))
    _ticks_months(fig)
    return _finish(fig, "Open-risk exposure by month (Σ probability × impact)", height=340)


# -- governance and the PMO's value (issue #15) ---------------------------------------------------

def gate_status(frame: pd.DataFrame, group_label: str) -> go.Figure:
    """Per group (views.governance.gates_by_group): gates due by end(M) stacked as passed on time,
    passed late and overdue."""
    df = frame.iloc[::-1]
    labels = _labels(df["group_label"])
    fig = go.Figure()
    for column, name, colour in (("gates_on_time", "Passed on time", RAG_COLOURS["green"]),
                                 ("gates_late", "Passed late", RAG_COLOURS["amber"]),
                                 ("gates_overdue", "Overdue", RAG_COLOURS["red"])):
        fig.add_bar(y=labels, x=df[column], orientation="h", name=name, marker_color=colour,
                    hovertemplate=f"%{{y}}<br>{name}: %{{x}} gates<extra></extra>")
    fig.update_layout(barmode="stack", height=max(HEIGHT - 120, 100 + 48 * len(df)),
                      xaxis=dict(title="Gates due by the end of the month"))
    _count_axis(fig, "x")
    return _finish(fig, f"Stage gates due by {group_label}: on time, late, overdue (number of gates)")


def counts_by(frame: pd.DataFrame, category: str, count: str, title: str,
              enumeration: str | None = None, highlight: str | None = None) -> go.Figure:
    """One bar per category (a gate decision, an age band, …) of `count`; categories that are codes of an
    `enumeration` read as their words; bars where the boolean column `highlight` is true in the brand
    colour, the others neutral."""
    names = [fmt.label(k, enumeration) if enumeration else str(k) for k in frame[category]]
    colours = ([SERIES["actual"] if h else SERIES["capacity"] for h in frame[highlight]] if highlight
               else SERIES["actual"])
    fig = go.Figure(go.Bar(x=_labels(names, 18), y=frame[count], marker_color=colours, text=frame[count],
                           textposition="outside", hovertemplate="%{x}: %{y}<extra></extra>"))
    fig.update_layout(yaxis=dict(rangemode="tozero"))
    _count_axis(fig, "y")
    return _finish(fig, title, height=340)


def decisions_by_level(frame: pd.DataFrame, currency: str = "") -> go.Figure:
    """Per decision level (views.governance.decisions_by_level): the median cost impact of the changes
    it decided, with how many, so a big change decided low stands out."""
    names = [fmt.label(k, "decision_level") if not fmt.is_missing(k) else "Not recorded" for k in frame["decided_at"]]
    fig = go.Figure(go.Bar(x=names, y=frame["median_cost_impact"], marker_color=SERIES["neutral"],
                           text=[f"{int(n)} decided" for n in frame["decisions"]], textposition="outside",
                           customdata=_text_money(frame["largest_cost_impact"], currency),
                           hovertemplate=f"%{{x}}: median {currency}%{{y:,.0f}}; largest %{{customdata}}"
                                         "<extra></extra>"))
    _money_axis(fig, "y", currency)
    return _finish(fig, money_title("Median cost impact of the changes each level decided", currency), height=360)


def pmo_cost_by_month(frame: pd.DataFrame, currency: str = "") -> go.Figure:
    """The PMO's actual cost per month (views.pmo_value.cost_by_month), stacked by category."""
    fig = go.Figure()
    for i, category in enumerate(c.PMO_COST_CATEGORIES):
        part = frame[frame["cost_category"] == category]
        if part.empty:
            continue
        fig.add_bar(x=_months(part["month"]), y=part["actual_cost"], name=fmt.label(category, "pmo_cost_category"),
                    marker_color=CATEGORICAL[i % len(CATEGORICAL)],
                    hovertemplate=f"%{{x|%b %Y}}: {currency}%{{y:,.0f}}<extra></extra>")
    fig.update_layout(barmode="stack")
    _money_axis(fig, "y", currency)
    _ticks_months(fig)
    return _finish(fig, money_title("What the PMO cost per month, by category", currency), height=360)
