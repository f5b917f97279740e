"""The metric registry is complete (every KPI of CONTRACT §3/§4), coherent, and documented."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from builders import make_db
from pmo_metrics import kpis
from pmo_metrics.filters import Filters
from pmo_metrics.marts import SQL_DIR
from pmo_metrics.metrics import (
    GROUPS, METRICS, UNITS, Thresholds, direction, format_change, format_value, queries, render_glossary, status,
)
from pmo_metrics.queries import run

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "docs" / "contract.md"
GLOSSARY = REPO / "docs" / "glossary.md"

def contract_kpi_ids() -> list[str]:
    """The ids in the first column of CONTRACT §3's KPI table, in order."""
    text = CONTRACT.read_text(encoding="utf-8")
    section = text.split("## 3.", 1)[1].split("\n## ", 1)[0]
    ids: list[str] = []
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            ids += re.findall(r"`([a-z0-9_]+)`", first_cell)
    return ids


def test_contract_ids_parse():
    ids = contract_kpi_ids()
    assert "active_projects" in ids and "maturity_level" in ids and len(ids) >= 30


# KPIs CONTRACT §3 names that are not built yet, with the issue that builds each. The list only
# shrinks: a KPI that gets built must leave it (the test below fails until it does).
PENDING_KPIS = {
}


def test_every_contract_kpi_is_registered_in_contract_order():
    ids = contract_kpi_ids()
    built = [i for i in ids if i not in PENDING_KPIS]
    assert [m for m in METRICS if m in ids] == built
    missing = set(ids) - set(METRICS)
    assert missing == set(PENDING_KPIS), (
        f"not built and not listed as pending: {sorted(missing - set(PENDING_KPIS))}; "
        f"built, so remove from PENDING_KPIS: {sorted(set(PENDING_KPIS) - missing)}")


def test_registry_has_nothing_beyond_the_contract():
    assert set(METRICS) <= set(contract_kpi_ids())


@pytest.mark.parametrize("metric", list(METRICS.values()), ids=list(METRICS))
def test_metric_declaration_is_coherent(metric):
    assert metric.unit in UNITS
    assert metric.group in GROUPS
    assert metric.good in ("up", "down", "neutral")
    assert metric.label and metric.definition and metric.fmt
    assert all(p in METRICS and p != metric.id for p in metric.parts)
    if metric.thresholds is not None:
        t = metric.thresholds
        assert (t.green >= t.amber) if metric.good == "up" else (t.green <= t.amber)
    assert metric.query in queries() and (SQL_DIR / f"{metric.query.sql}.sql").is_file()
    assert metric.breakdowns and len(set(metric.breakdowns)) == len(metric.breakdowns)


def test_each_query_returns_the_metrics_that_name_it():
    con = make_db({})
    for query in queries():
        for by in ("all",) + query.breakdowns:
            frame = run(con, query.sql, kpis.params(Filters(), ["2024-03"], group_by=by))
            assert {"month", "group_key"} <= set(frame.columns), (query.sql, by)
            assert {m.id for m in METRICS.values() if m.query == query} <= set(frame.columns), (query.sql, by)


def test_scopes_follow_the_contract():
    assert {m.id for m in METRICS.values() if m.scope == "resources"} == {
        "utilization", "allocation_rate", "overallocated_resources", "contractor_hours_share"}
    assert {m.id for m in METRICS.values() if m.scope == "maturity"} == {"maturity_score", "maturity_level"}


@pytest.mark.parametrize("metric, value, text", [
    ("active_projects", 1234, "1,234"),
    ("rag_red_share", 0.45, "45.0 %"),
    ("planned_value", 1_234_567, "1.2 M"),
    ("planned_value", 999_960, "1.0 M"),
    ("planned_value", 45_300, "45.3 k"),
    ("planned_value", 2_500_000_000, "2.5 bn"),
    ("planned_value", 512, "512"),
    ("cost_variance", -1_500_000, "-1.5 M"),
    ("cpi", 0.9234, "0.92"),
    ("avg_finish_slip_days", 12, "12 days"),
    ("avg_finish_slip_days", 6.667, "6.7 days"),
    ("avg_finish_slip_days", 1, "1 day"),
    ("maturity_score", 3.375, "3.38"),
    ("maturity_level", 3, "3 – defined"),
    ("spi", None, "—"),
    ("spi", float("nan"), "—"),
])
def test_format_value(metric, value, text):
    assert format_value(metric, value) == text


def test_format_value_currency_and_changes():
    assert format_value("planned_value", 1_200_000, currency="£") == "£1.2 M"
    assert format_value("cost_variance", -1_200_000, currency="£") == "-£1.2 M"
    assert format_change("rag_red_share", 0.025) == "+2.5 pp"
    assert format_change("cpi", -0.03) == "-0.03"
    assert format_change("active_projects", 0) == "±0"
    assert format_change("spi", None) == "—"


def test_status_thresholds():
    assert status("spi", 0.97) == "green"
    assert status("spi", 0.95) == "green"       # boundary belongs to the better band
    assert status("spi", 0.92) == "amber"
    assert status("spi", 0.80) == "red"
    assert status("rag_red_share", 0.05) == "green"
    assert status("rag_red_share", 0.15) == "amber"
    assert status("rag_red_share", 0.30) == "red"
    assert status("spi", None) is None
    assert status("active_projects", 10) is None   # neutral
    assert status("spi", 0.92, thresholds=(0.90, 0.85)) == "green"
    assert status("spi", 0.92, thresholds=Thresholds(0.99, 0.95)) == "red"
    assert direction("rag_red_share", 0.1) == "worse" and direction("spi", 0.1) == "better"


def test_glossary_mentions_every_metric():
    text = GLOSSARY.read_text(encoding="utf-8")
    for metric_id in METRICS:
        assert f"`{metric_id}`" in text, metric_id


def test_glossary_is_current():
    assert GLOSSARY.read_text(encoding="utf-8") == render_glossary(), \
        "docs/glossary.md is stale: run `python -m pmo_metrics.metrics docs/glossary.md`"
