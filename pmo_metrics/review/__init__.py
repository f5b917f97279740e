"""The monthly performance review: for month M against a comparison month (by default M − 1), one
section per message — headline KPIs, RAG movement, decisions, milestones, spend and forecasts,
resources, benefits, the forecast (forecast.py: earned schedule, reference-class forecasts that moved,
early warnings), maturity (when a unit was assessed in M), governance (when the data has gates
or change requests) and data quality.

`build_review(con, filters, previous)` returns a `Review` (model.py); the presentation page, the
PowerPoint pack and the HTML pack (pmo_metrics.report) all render it. The package holds the data
model (model.py), the sections and their wording (sections.py), what the review reads beside the
KPI engine and the page tables (queries.py, SQL in sql/review/) and the figures (figures.py).
"""
from __future__ import annotations

import datetime as dt

from .. import kpis
from ..filters import Filters, parse_month, previous_month
from ..formatting import month_label
from .figures import section_figure
from .forecast import forecast_section
from .governance import governance_section
from .model import Chart, Review, ReviewError, Section, Table
from .sections import (
    HEADLINE_KPIS, Context, benefits_section, data_quality_section, decision_projects, decisions_section,
    headline_section, maturity_section, milestones_section, rag_movement_section, resources_section,
    spend_section, summary_section,
)


def resolve_months(con, filters: Filters, previous: str | None = None) -> tuple[str, str]:
    """(M, comparison month) checked against the months the database holds; ReviewError if unusable."""
    months = kpis.available_months(con)
    as_of = filters.as_of or kpis.default_as_of(con)
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


def build_review(con, filters: Filters, previous: str | None = None, currency: str = "") -> Review:
    """The review of filters.as_of (default: the latest month with status reports) against
    `previous` (default: the month before), over the filters' selection; money in `currency`."""
    as_of, previous = resolve_months(con, filters, previous)
    f = filters.with_as_of(as_of)
    ctx = Context(con, f, previous, currency)
    sections = [
        headline_section(ctx),
        rag_movement_section(ctx),
        decisions_section(ctx),
        milestones_section(ctx),
        spend_section(ctx),
        resources_section(ctx),
        benefits_section(ctx),
        forecast_section(ctx),
    ]
    maturity = maturity_section(ctx)
    if maturity is not None:
        sections.append(maturity)
    governance = governance_section(ctx)
    if governance is not None:
        sections.append(governance)
    sections.append(data_quality_section(ctx))
    sections.insert(0, summary_section(ctx, sections))
    return Review(as_of, previous, f, sections, dt.datetime.now().replace(microsecond=0))


def review_months(con) -> list[str]:
    """The months a review can be built for, newest first."""
    return list(reversed(kpis.available_months(con)))


__all__ = ["Review", "Section", "Table", "Chart", "ReviewError", "Context", "build_review", "resolve_months",
           "section_figure", "month_label", "review_months", "decision_projects", "HEADLINE_KPIS"]
