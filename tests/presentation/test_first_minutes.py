"""The first minutes with the dashboard (AppTest on the seeded demo): the demo notice's next step
works whether or not loading is switched on, the months with data are shown beside the month picker,
the overview leads with what changed, and a KPI the data cannot support reads "—" with its reason."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from builders import make_db, project, report

ROOT = Path(__file__).resolve().parents[2]


def _app(monkeypatch, db: Path, password: str | None = None) -> AppTest:
    monkeypatch.setenv("PMO_DB", str(db))
    monkeypatch.setenv("PMO_BUILD_DEMO_WHEN_EMPTY", "0")
    if password:
        monkeypatch.setenv("PMO_DATA_LOADS_PASSWORD", password)
    else:
        monkeypatch.delenv("PMO_DATA_LOADS_PASSWORD", raising=False)
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()


def test_without_loading_switched_on_the_demo_notice_gives_the_command_line(demo_warehouse, monkeypatch):
    at = _app(monkeypatch, demo_warehouse.db)
    notice = [w.value for w in at.warning if "Demo data" in w.value]
    assert notice and "python -m pmo_metrics load" in notice[0] and "PMO_DATA_LOADS_PASSWORD" in notice[0]
    assert not [link for link in at.get("page_link") if "Load your extracts" in str(link.proto)]


def test_with_loading_switched_on_the_demo_notice_links_to_the_data_loads_page(demo_warehouse, monkeypatch):
    at = _app(monkeypatch, demo_warehouse.db, password="pmo-lead")
    notice = [w.value for w in at.warning if "Demo data" in w.value]
    assert notice and "Data loads" in notice[0]
    links = [link.proto for link in at.get("page_link")]
    assert any(link.label == "Load your extracts" and link.page.endswith("data_loads") for link in links), links


def test_the_overview_leads_with_what_changed_and_the_months_with_data(demo_warehouse, monkeypatch):
    at = _app(monkeypatch, demo_warehouse.db)
    assert not at.exception
    headline = [m.value for m in at.markdown if 'class="pmo-headline"' in m.value]
    assert len(headline) == 1 and "Since " in headline[0]
    assert "worsened" in headline[0] or "changed its RAG" in headline[0]
    assert any(c.value.startswith("Months with data: ") and c.value.endswith(demo_warehouse.as_of)
               for c in at.sidebar.caption)


@pytest.fixture
def no_people_db(tmp_path) -> Path:
    """Projects and status reports only: no HR data, no benefits, no progress."""
    import duckdb

    from pmo_metrics.marts import build_marts
    from pmo_metrics.warehouse import META_DDL

    path = tmp_path / "pmo.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA meta")
    for ddl in META_DDL:
        con.execute(ddl)
    make_db({"projects": [project("P1", start_date="2025-01-01", budget_at_completion=100.0)],
             "status_reports": [report("P1", "2025-06-20", "amber", None)]}, con=con)
    build_marts(con)
    con.close()
    return path


def test_a_kpi_the_data_cannot_support_reads_no_data_with_its_reason(no_people_db, monkeypatch):
    at = _app(monkeypatch, no_people_db)
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("pages/resources.py").run()
    cards = {m.label: m.value for m in at.metric}
    assert cards["Over-allocated people"] == "—"     # the engine's 0 over no resources is not a fact
    captions = " ".join(c.value for c in at.caption).replace("\\", "")   # as the page shows it
    assert "The loaded data has no resources (HR data) or resource allocations." in captions
    assert any("No capacity, allocation or hours to show: the loaded data has no resources" in i.value
               for i in at.info)
    at.switch_page("pages/benefits.py").run()
    cards = {m.label: m.value for m in at.metric}
    assert cards["Benefits planned to date"] == "—"
