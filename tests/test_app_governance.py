"""The governance and PMO value pages through Streamlit's AppTest: on the demo (cards match the engine,
every section drawn), on an empty database, on a database without any governance data (each section
says why, no figure reads 0), and under a filter that selects nothing."""
from __future__ import annotations

from datetime import date

import pytest

from batches import write_batch
from pmo_metrics import kpis, metrics
from pmo_metrics.db import Warehouse
from pmo_metrics.filters import Filters
from pmo_metrics.warehouse import load_batch
from test_app import app, cards, demo, empty_db, no_match_filters, problems, use_db  # noqa: F401 — fixtures

GOVERNANCE_CARDS = ["gate_on_time_rate", "gates_overdue", "gate_approval_rate", "open_change_requests",
                    "decision_cycle_days", "escalated_decision_share", "approved_change_cost_ytd"]
PMO_CARDS = ["pmo_cost_ytd", "pmo_cost_share", "benefits_realized_to_date", "on_time_delivery_rate"]


def open_page(page: str, query: dict | None = None):
    at = app(query)
    at.switch_page(page).run()
    return at


def engine_cards(db, f: Filters) -> dict:
    cur = Warehouse(db).cursor()
    try:
        return kpis.compute_kpis(cur, f)
    finally:
        cur.close()


@pytest.fixture(scope="module")
def without_governance(tmp_path_factory):
    """A small loaded batch with projects, costs and milestones but no gate reviews, change requests or PMO costs."""
    tmp = tmp_path_factory.mktemp("no_governance")
    result = load_batch(write_batch(tmp / "batch"), tmp / "pmo.duckdb", load_date=date(2025, 6, 15))
    assert result.ok, result.message
    return tmp / "pmo.duckdb"


def test_the_governance_page_on_the_demo(demo, use_db):
    use_db(demo["db"])
    at = open_page("pages/governance.py")
    assert not problems(at)
    shown = cards(at)
    assert set(GOVERNANCE_CARDS) <= set(shown)
    direct = engine_cards(demo["db"], Filters(as_of=demo["as_of"]))
    for mid in GOVERNANCE_CARDS:
        assert shown[mid] == metrics.format_value(mid, direct[mid]), mid
    assert [s.value for s in at.subheader][:2] == ["Stage gates", "Change control"]
    assert len(at.dataframe) >= 4       # gates, gates without approval, decisions by level, approved changes
    assert any("Project manager" in str(df.value.columns.tolist()) or "project_manager" in df.value.columns
               for df in at.dataframe)


def test_the_pmo_value_page_on_the_demo(demo, use_db):
    use_db(demo["db"])
    at = open_page("pages/pmo_value.py")
    assert not problems(at)
    shown = cards(at)
    direct = engine_cards(demo["db"], Filters(as_of=demo["as_of"]))
    for mid in PMO_CARDS:
        assert shown[mid] == metrics.format_value(mid, direct[mid]), mid
    summary = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert summary and summary[0].startswith("- The PMO cost ")
    assert [s.value for s in at.subheader][:4] == ["In one minute", "What the PMO cost", "What the portfolio delivered",
                                                   "Maturity progression"]


@pytest.mark.parametrize("page", ["pages/governance.py", "pages/pmo_value.py"])
def test_both_pages_on_an_empty_database(empty_db, use_db, page):
    use_db(empty_db)
    at = open_page(page)
    assert not problems(at)
    assert any("holds no rows" in i.value for i in at.info)


def test_without_governance_data_the_cards_say_why_and_nothing_reads_zero(without_governance, use_db):
    use_db(without_governance)
    at = open_page("pages/governance.py")
    assert not problems(at)
    shown = cards(at)
    # the batch has one gate milestone (M1, due 2025-05-01, passed two days late): the gate figures are facts
    # (none on time, none overdue); the rest has no data
    assert shown["gate_on_time_rate"] == "0.0 %" and shown["gates_overdue"] == "0"
    for mid in ("gate_approval_rate", "open_change_requests", "decision_cycle_days", "approved_change_cost_ytd"):
        assert shown[mid] == "—", mid
    captions = " ".join(c.value for c in at.caption).replace("\\", "")   # captions escape markdown
    assert "The loaded data has no change requests." in captions and "no gate reviews" in captions
    assert any("No change requests: the loaded data has no change requests." in i.value for i in at.info)

    at = open_page("pages/pmo_value.py")
    assert not problems(at)
    assert cards(at)["pmo_cost_ytd"] == "—"
    assert any("No PMO costs: the loaded data has no PMO actual costs." in i.value for i in at.info)


@pytest.mark.parametrize("page", ["pages/governance.py", "pages/pmo_value.py"])
def test_both_pages_when_the_filters_select_nothing(demo, use_db, page):
    use_db(demo["db"])
    portfolio, program = no_match_filters(demo["projects"])
    at = open_page(page, {"portfolio": portfolio, "program": program})
    assert not problems(at)
    shown = cards(at)
    if page == "pages/governance.py":
        assert all(shown[mid] == "—" for mid in GOVERNANCE_CARDS), shown
        assert any("for this selection" in i.value for i in at.info)
    else:
        # the PMO's own cost is organisation-wide: the filters leave it as it was
        direct = engine_cards(demo["db"], Filters(as_of=demo["as_of"]))
        assert shown["pmo_cost_ytd"] == metrics.format_value("pmo_cost_ytd", direct["pmo_cost_ytd"])
        assert shown["on_time_delivery_rate"] == "—"
