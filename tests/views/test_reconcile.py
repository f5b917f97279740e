"""Every page table adds up to the KPI cards above it, for every month of the seeded demo and every
breakdown a page offers: a group's ratio is the KPI query's own for that group (never a ratio of
sums recomputed beside it), and the groups' counts and sums are the card's.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from pmo_metrics import kpis
from pmo_metrics import metrics as registry
from pmo_metrics.db import Warehouse
from pmo_metrics.filters import Filters
from pmo_metrics.formatting import NO_GROUP
from pmo_metrics.views import benefits, finance, maturity, projects, quality, resources
from pmo_metrics.views.benefits import BENEFIT_DIMENSIONS
from pmo_metrics.views.finance import FINANCE_DIMENSIONS

approx = pytest.approx


@pytest.fixture(scope="module")
def cur(demo_warehouse):
    con = Warehouse(demo_warehouse.db).cursor()
    yield con
    con.close()


@pytest.fixture(scope="module")
def months(cur):
    found = kpis.available_months(cur)
    assert len(found) >= 24, found          # the demo spans about two and a half years
    return found


def same(a, b) -> bool:
    """Equal figures: both empty, or equal within float noise."""
    a = None if a is None or pd.isna(a) else float(a)
    b = None if b is None or pd.isna(b) else float(b)
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9,
                                                                                             abs_tol=1e-6))


def engine(cur, query, f: Filters, by: str, by_name: bool = False) -> pd.DataFrame:
    """The KPI query's rows per group at f.as_of, keyed as the page tables key them: by the group's
    key, or (`by_name`) by its name (an objective's name rather than its id)."""
    rows = kpis.breakdown(cur, query, f, by, [f.as_of])
    keys = rows["group_label" if by_name else "group_key"]
    return rows.assign(key=keys.astype(object).where(keys.notna(), NO_GROUP))


def check(problems: list[str], month: str, what: str, a, b) -> None:
    if not same(a, b):
        problems.append(f"{month} {what}: table {a!r} vs card {b!r}")


def test_finance_tables_add_up_to_the_cards(cur, months):
    problems: list[str] = []
    for month in months:
        f = Filters(as_of=month)
        cards = kpis.compute_kpis(cur, f)
        for by in FINANCE_DIMENSIONS:
            table = finance.by_group(cur, f, by)
            check(problems, month, f"Σ planned YTD by {by}", table["planned_ytd"].sum(), cards["budget_ytd"])
            check(problems, month, f"Σ actual YTD by {by}", table["actual_ytd"].sum(min_count=1),
                  cards["actual_cost_ytd"])
            if by == "cost_category":
                continue                     # the KPI query has no cost categories: the sums must do
            groups = engine(cur, registry.PROJECT_KPIS, f, by).set_index("key")
            for key, row in table.set_index("key").iterrows():
                key = NO_GROUP if pd.isna(key) else key
                check(problems, month, f"{by} {key} planned YTD", row["planned_ytd"], groups.at[key, "budget_ytd"])
                check(problems, month, f"{by} {key} actual YTD", row["actual_ytd"], groups.at[key, "actual_cost_ytd"])
        monthly = finance.by_month(cur, f)
        this_year = monthly[(monthly["period"] >= f"{month[:4]}-01") & (monthly["period"] <= month)]
        check(problems, month, "cost by month, planned this year", this_year["planned_cost"].sum(), cards["budget_ytd"])
        check(problems, month, "cost by month, actual this year", this_year["actual_cost"].sum(min_count=1),
              cards["actual_cost_ytd"])
    assert problems == []


_ROLLUP = {"projects": "active_projects", "red": "red_projects", "amber": "amber_projects",
           "green": "green_projects", "no_report": "unreported_projects", "bac": "budget_at_completion",
           "pv": "planned_value", "ev": "earned_value", "ac": "actual_cost", "eac": "eac", "spi": "spi", "cpi": "cpi"}


def _rollup_is_the_query(problems, month, rollup: pd.DataFrame, groups: pd.DataFrame, where: str) -> None:
    active = groups[groups["active_projects"] > 0].set_index("key")
    if set(rollup["key"]) != set(active.index):
        problems.append(f"{month} {where}: groups {sorted(rollup['key'])} vs {sorted(active.index)}")
        return
    for _, row in rollup.iterrows():
        for col, metric in _ROLLUP.items():
            check(problems, month, f"{where} {row['key']} {col}", row[col], active.at[row["key"], metric])


def test_the_drill_down_is_the_project_kpis_of_each_group(cur, months):
    problems: list[str] = []
    for month in months:
        f = Filters(as_of=month)
        cards = kpis.compute_kpis(cur, f)
        top = projects.drill_rollup(cur, f, "portfolio")
        check(problems, month, "Σ active projects", top["projects"].sum() if len(top) else 0, cards["active_projects"])
        if cards["active_projects"]:
            check(problems, month, "red share", top["red"].sum() / cards["active_projects"], cards["rag_red_share"])
            check(problems, month, "PV", top["pv"].sum(), cards["planned_value"])
            check(problems, month, "AC", top["ac"].sum(), cards["actual_cost"])
        _rollup_is_the_query(problems, month, top, engine(cur, registry.PROJECT_KPIS, f, "portfolio"), "portfolio")
        for portfolio in top["key"]:
            inside = Filters(as_of=month, portfolios=(portfolio,))
            programs = projects.drill_rollup(cur, f, "program", portfolio)
            _rollup_is_the_query(problems, month, programs, engine(cur, registry.PROJECT_KPIS, inside, "program"),
                                 f"{portfolio} by program")
            everyone = engine(cur, registry.PROJECT_KPIS, inside, "project")
            for program, n in zip(programs["key"], programs["projects"]):
                leaf = projects.drill_rollup(cur, f, "project", portfolio, program)
                check(problems, month, f"{portfolio}/{program} projects", leaf["projects"].sum(), n)
                _rollup_is_the_query(problems, month, leaf, everyone[everyone["key"].isin(leaf["key"])],
                                     f"{portfolio}/{program} by project")
    assert problems == []


def test_project_lists_count_what_the_cards_count(cur, months):
    problems: list[str] = []
    for month in months:
        f = Filters(as_of=month)
        totals = kpis.project_totals(cur, f)
        check(problems, month, "red and amber projects", len(projects.attention(cur, f)),
              totals["red_projects"] + totals["amber_projects"])
        check(problems, month, "value-vs-risk points", len(projects.value_vs_risk(cur, f)), totals["active_projects"])
        check(problems, month, "stale reports", len(quality.stale_reports(cur, f)), totals["stale_projects"])
        variances = finance.largest_variances(cur, f)
        check(problems, month, "largest variances", len(variances), min(15, totals["active_projects"]))
    assert problems == []


def test_resource_tables_add_up_to_the_cards(cur, months):
    problems: list[str] = []
    for month in months:
        f = Filters(as_of=month)
        cards = kpis.compute_kpis(cur, f)
        for by in registry.RESOURCE_DIMENSIONS:
            table = resources.by_group(cur, f, by)
            capacity = table["capacity_hours"].sum()
            check(problems, month, f"utilisation by {by}", table["hours"].sum() / capacity if capacity else None,
                  cards["utilization"])
            check(problems, month, f"allocation by {by}", table["planned_hours"].sum() / capacity if capacity else None,
                  cards["allocation_rate"])
            check(problems, month, f"over-allocated by {by}", table["overallocated"].sum(),
                  cards["overallocated_resources"])
            groups = engine(cur, registry.RESOURCE_KPIS, f, by).set_index("key")
            for key, row in table.set_index("key").iterrows():
                check(problems, month, f"{by} {key} utilisation", row["utilization"], groups.at[key, "utilization"])
                check(problems, month, f"{by} {key} allocation", row["allocation_rate"],
                      groups.at[key, "allocation_rate"])
            heat = resources.heatmap(cur, f, by)
            heat = heat[heat["month"] == month].set_index("key")["value"]
            for key in groups.index:
                check(problems, month, f"heatmap {by} {key}", heat.get(key), groups.at[key, "allocation_rate"])
        by_month = resources.by_month(cur, f).set_index("month")
        check(problems, month, "utilisation by month", by_month.at[month, "utilization"], cards["utilization"])
        check(problems, month, "allocation by month", by_month.at[month, "allocation_rate"], cards["allocation_rate"])
        check(problems, month, "over-allocated people", len(resources.overallocated_people(cur, f)),
              cards["overallocated_resources"])
    assert problems == []


def test_benefit_tables_add_up_to_the_cards(cur, months):
    problems: list[str] = []
    for month in months:
        f = Filters(as_of=month)
        cards = kpis.compute_kpis(cur, f)
        for by in BENEFIT_DIMENSIONS:
            table = benefits.by_group(cur, f, by)
            # min_count: groups without a financial measurement are empty, and so is a sum of only those
            check(problems, month, f"planned by {by}", table["planned_to_date"].sum(min_count=1),
                  cards["benefits_planned_to_date"])
            check(problems, month, f"realised by {by}", table["realized_to_date"].sum(min_count=1),
                  cards["benefits_realized_to_date"])
            check(problems, month, f"at risk by {by}", table["at_risk"].sum(), cards["benefits_at_risk"])
            groups = engine(cur, registry.BENEFIT_KPIS, f, by, by_name=True)
            groups = groups[groups["benefits"] > 0].set_index("key")
            if set(table["key"]) != set(groups.index):
                problems.append(f"{month} benefits by {by}: groups {sorted(table['key'])} vs {sorted(groups.index)}")
                continue
            for _, row in table.iterrows():
                check(problems, month, f"{by} {row['key']} realisation rate", row["realization_rate"],
                      groups.at[row["key"], "benefit_realization_rate"])
                check(problems, month, f"{by} {row['key']} at risk", row["at_risk"],
                      groups.at[row["key"], "benefits_at_risk"])
        register = benefits.register(cur, f)
        check(problems, month, "register at risk", register["is_at_risk"].sum(), cards["benefits_at_risk"])
        cumulative = benefits.cumulative(cur, f)
        if len(cumulative):
            last = cumulative.iloc[-1]
            check(problems, month, "cumulative planned", last["planned"], cards["benefits_planned_to_date"])
            check(problems, month, "cumulative realised", last["realized"], cards["benefits_realized_to_date"])
    assert problems == []


def test_maturity_grid_gives_the_cards(cur, months):
    problems: list[str] = []
    for month in months:
        f = Filters(as_of=month)
        cards = kpis.compute_kpis(cur, f)
        wide = maturity.heatmap(cur, f)
        if wide.empty:
            check(problems, month, "maturity score", None, cards["maturity_score"])
            continue
        check(problems, month, "maturity score", wide.mean(axis=1).mean(), cards["maturity_score"])
        check(problems, month, "maturity level", math.floor(wide.mean(axis=0).min() + 1e-9), cards["maturity_level"])
    assert problems == []


def test_a_filtered_selection_reconciles_too(cur, months):
    problems: list[str] = []
    portfolio = kpis.filter_options(cur)["portfolios"][0]
    for month in months[-3:]:
        f = Filters(as_of=month, portfolios=(portfolio,), departments=("Engineering",))
        cards = kpis.compute_kpis(cur, f)
        top = projects.drill_rollup(cur, f, "portfolio")
        check(problems, month, "active projects", top["projects"].sum(), cards["active_projects"])
        by_type = benefits.by_group(cur, f, "benefit_type")
        check(problems, month, "benefits realised", by_type["realized_to_date"].sum(),
              cards["benefits_realized_to_date"])
        departments = resources.by_group(cur, f, "department")
        check(problems, month, "utilisation", departments["hours"].sum() / departments["capacity_hours"].sum(),
              cards["utilization"])
    assert problems == []
