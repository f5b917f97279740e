"""The PMO's value, for its sponsors: what the PMO cost (organisation-wide, no filter applies) beside what
the portfolio it governs delivered over the same time (the selected projects). Facts only: the
PMO's cost, benefits realised, projects delivered, on-time delivery, CPI and maturity, each this
year and a year earlier — no figure the data cannot support, such as "overruns avoided".
SQL in sql/views/pmo_value/.
"""
from __future__ import annotations

import pandas as pd

from .. import formatting as fmt
from .. import kpis
from .. import metrics as registry
from ..filters import Filters, month_add
from ..queries import run

# The figures compared with a year earlier on the page and in the summary.
YEAR_ON_YEAR = ("pmo_cost_ytd", "pmo_cost_share", "actual_cost_ytd", "benefits_realized_to_date",
                "on_time_delivery_rate", "cpi", "maturity_score")


def cost_by_month(con, filters: Filters) -> pd.DataFrame:
    """[month, cost_category, planned_cost, actual_cost] over the series months (the 36 ending M)."""
    months = kpis.series_months(con, filters)
    if not months:
        return pd.DataFrame(columns=["month", "cost_category", "planned_cost", "actual_cost"])
    return run(con, "views/pmo_value/cost_by_month", {"months": months})


def cost_by_category(con, filters: Filters) -> pd.DataFrame:
    """Per PMO cost category at M: planned and actual this year (pmo_cost_ytd's own sum per category)
    and its share of the projects' actual cost this year."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["group_key", "pmo_planned_ytd", "pmo_cost_ytd", "pmo_cost_share"])
    frame = kpis.breakdown(con, registry.PMO_KPIS, filters, "cost_category", [as_of])
    return frame[["group_key", "pmo_planned_ytd", "pmo_cost_ytd", "pmo_cost_share"]].reset_index(drop=True)


def year_on_year(con, filters: Filters) -> pd.DataFrame:
    """The YEAR_ON_YEAR figures at M and at M − 12, with the change (compare_kpis' own rows)."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["id", "label", "value", "previous", "change", "formatted",
                                     "formatted_previous", "formatted_change", "direction"])
    frame = kpis.compare_kpis(con, filters, previous=month_add(as_of, -12))
    frame = frame[frame["id"].isin(YEAR_ON_YEAR)].set_index("id").reindex(list(YEAR_ON_YEAR)).reset_index()
    return frame[["id", "label", "value", "previous", "change", "formatted", "formatted_previous",
                  "formatted_change", "direction"]]


def delivered(con, filters: Filters) -> pd.DataFrame:
    """Projects delivered from January to M, this year and in the same months a year earlier: month,
    projects_delivered, delivered_on_time, budget_delivered (two rows, the earlier first)."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["month", "projects_delivered", "delivered_on_time", "budget_delivered"])
    return run(con, "views/pmo_value/delivered", kpis.params(filters, [month_add(as_of, -12), as_of]))


def trends(con, filters: Filters) -> pd.DataFrame:
    """[month, pmo_cost_ytd, on_time_delivery_rate, cpi, benefits_realized_to_date] over the series months."""
    return kpis.kpi_frame(con, ["pmo_cost_ytd", "on_time_delivery_rate", "cpi", "benefits_realized_to_date"],
                          filters)


def summary(con, filters: Filters, currency: str = "") -> list[str]:
    """The sponsor's one-minute read: a few sentences of facts, each naming its figure (none when the
    data has nothing to say)."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return []
    yoy = year_on_year(con, filters).set_index("id")
    done = delivered(con, filters).set_index("month")

    def val(mid):
        v = yoy.loc[mid, "value"]
        return None if fmt.is_missing(v) else v

    def text(mid):
        return registry.format_value(mid, val(mid), currency=currency)

    def before(mid):
        v = yoy.loc[mid, "previous"]
        return None if fmt.is_missing(v) else registry.format_value(mid, v, currency=currency)

    lines = []
    if val("pmo_cost_ytd") is not None:
        line = f"The PMO cost {text('pmo_cost_ytd')} from January to {fmt.month_label(as_of)}"
        if val("pmo_cost_share") is not None:
            line += f", {text('pmo_cost_share')} of the {text('actual_cost_ytd')} spent on the projects it governs"
        lines.append(line + (f" (a year earlier: {before('pmo_cost_ytd')})." if before("pmo_cost_ytd") else "."))
    now = done.loc[as_of] if as_of in done.index else None
    if now is not None and now["projects_delivered"]:
        lines.append(f"Over the same months the portfolio delivered {fmt.plural(int(now['projects_delivered']), 'project')}, "
                     f"{int(now['delivered_on_time'])} of them by their baseline date.")
    for mid, words in (("benefits_realized_to_date", "Benefits realised to date"),
                       ("on_time_delivery_rate", "Projects delivered on time, all time to date"),
                       ("cpi", "Cost performance (CPI) of the active projects"),
                       ("maturity_score", "PMO maturity score")):
        if val(mid) is not None:
            earlier = before(mid)
            lines.append(f"{words}: {text(mid)}" + (f" (a year earlier: {earlier})." if earlier else "."))
    return lines
