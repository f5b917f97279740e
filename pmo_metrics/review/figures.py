"""Each review section's chart as a plotly figure from the dashboard's chart module: the screen and
the HTML pack show the same figures the dashboard pages do."""
from __future__ import annotations

from .. import charts
from .. import metrics as registry
from .model import Section


def section_figure(section: Section, currency: str = ""):
    """The section's chart as a plotly figure, or None.

    The factories escape names from the data themselves (plotly reads <b>, <a href> … in labels)."""
    chart = section.chart
    if chart is None:
        return None
    frame = chart.frame
    if chart.kind == "rag_mix":
        counts = frame.iloc[0].to_dict() if len(frame) else {}
        return charts.rag_mix({k: int(v) for k, v in counts.items()}, title=chart.options.get("title", chart.title))
    if chart.kind == "rag_transitions":
        fig = charts.drill_bars(frame, chart.options["level_label"])
        fig.update_layout(clickmode="none")
        return charts.retitle(fig, chart.title)
    if chart.kind == "variance_bars":
        return charts.retitle(charts.variance_bars(frame, currency=currency), chart.title)
    if chart.kind == "kpi_trend":
        m = registry.get(chart.options["metric_id"])
        return charts.kpi_trend(frame, m.label, m.unit, currency=currency)
    if chart.kind == "evm_curve":
        return charts.evm_curve(frame, currency=currency, title=chart.options.get("title", "Earned value"))
    if chart.kind == "utilisation_by_group":
        return charts.utilisation_by_group(frame, chart.options["group_label"], target=chart.options.get("target"))
    if chart.kind == "benefits_by_group":
        return charts.benefits_by_group(frame, chart.options["group_label"], currency=currency)
    if chart.kind == "maturity_radar":
        return charts.maturity_radar(frame, chart.options.get("business_units") or None)
    if chart.kind == "gate_status":
        return charts.retitle(charts.gate_status(frame, chart.options["group_label"]), chart.title)
    if chart.kind == "findings_by_rule":
        return charts.findings_by_rule(frame) if len(frame) else None
    raise KeyError(f"no figure for chart kind {chart.kind!r}")
