"""The project page through Streamlit's AppTest: its milestone trend analysis, drawn from the monthly
snapshots of the demo as the app builds it on first start, and explained when the database holds only
one month."""
from __future__ import annotations

import json

from test_app import app, demo, problems, use_db  # noqa: F401 (fixtures)

from pmo_metrics.db import Warehouse
from pmo_metrics.filters import Filters
from pmo_metrics.views import projects

PAGE = "pages/project.py"
TREND_TITLE = "Milestone trend analysis"


def _open(project_id: str):
    at = app()
    at.query_params["project"] = project_id
    at.switch_page(PAGE).run()
    assert not problems(at)
    return at


def _figures(at) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("plotly_chart")]


def test_the_project_page_draws_the_milestone_trend_from_the_monthly_snapshots(demo_history_warehouse, use_db):
    use_db(demo_history_warehouse.db)
    cur = Warehouse(demo_history_warehouse.db).cursor()
    try:
        pid = projects.default_project(projects.project_list(cur, Filters(as_of=demo_history_warehouse.as_of)))
        trend = projects.milestone_trend(cur, pid, demo_history_warehouse.as_of)
    finally:
        cur.close()
    assert not trend.empty
    at = _open(pid)
    assert any(TREND_TITLE in m.value for m in at.markdown)
    figure = next(f for f in _figures(at) if any(t.get("name") == "Milestone date = report date" for t in f["data"]))
    lines = [t for t in figure["data"] if t.get("mode") == "lines+markers"]
    assert len(lines) == trend["milestone_id"].nunique()
    assert not [i.value for i in at.info if "monthly loads" in i.value]


def test_with_one_monthly_load_the_page_says_why_there_is_no_trend(demo, use_db):
    use_db(demo["db"])
    at = _open(demo["projects"]["project_id"].iloc[5])
    said = [i.value for i in at.info if "monthly loads" in i.value]
    assert said and "needs at least two monthly loads; this database holds one, for " + demo["as_of"] in said[0]
    assert not any(TREND_TITLE in m.value for m in at.markdown)
