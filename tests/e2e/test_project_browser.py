"""The project page's milestone trend analysis in a real browser at 1280×720, on the demo as the app
builds it on first start (nine monthly loads): a line per milestone, every report month labelled on the
x axis (a rotated last label used to be dropped at the plot's edge), the legend clear of the lines."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS, DEMO_END_MONTH, assert_no_error, serve, wait_for_run

PROJECT = "PRJ-0041"     # a troubled project of the seeded demo: its late milestones drift, early ones end


@pytest.fixture(scope="module")
def history_server(tmp_path_factory, browser):
    from pmo_metrics.demo_history import load_demo

    tmp = tmp_path_factory.mktemp("e2e_history")
    result = load_demo(tmp / "demo", tmp / "pmo.duckdb", seed=42, end_month=DEMO_END_MONTH)
    assert result is not None and result.ok, result and result.message
    with serve(tmp / "pmo.duckdb", tmp, "streamlit-history.log", warm_with=browser) as base:
        yield base, tmp / "pmo.duckdb"


def test_the_milestone_trend_reads_at_1280_by_720(browser, history_server):
    from pmo_metrics.db import Warehouse
    from pmo_metrics.views import projects

    base, db = history_server
    cur = Warehouse(db).cursor()
    try:
        milestones = projects.milestone_trend(cur, PROJECT, DEMO_END_MONTH)["milestone_id"].nunique()
    finally:
        cur.close()
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=base)
    try:
        page = context.new_page()
        page.goto(f"{base}/project?project={PROJECT}")
        wait_for_run(page)
        page.get_by_role("tab", name="Milestones").click()
        wait_for_run(page)
        title = page.get_by_text("Milestone trend analysis", exact=False)
        expect(title).to_be_visible()
        chart = page.locator("[data-testid='stPlotlyChart']:visible").nth(1)
        chart.scroll_into_view_if_needed()
        # a line per milestone, the achieved rings and the diagonal
        expect(chart.locator(".scatterlayer .trace")).to_have_count(milestones + 2)
        # nine report months, each labelled (month over year), the last one included
        ticks = chart.locator(".xaxislayer-above .xtick text")
        expect(ticks).to_have_count(9)
        last = ticks.last.text_content() or ""
        assert "Oct" in last and "2026" in last, last
        label, frame = ticks.last.bounding_box(), chart.bounding_box()
        assert label and frame and label["x"] + label["width"] <= frame["x"] + frame["width"], (label, frame)
        # the legend sits below the plot: its top is under the plot area's bottom
        plot = chart.locator(".nsewdrag").first.bounding_box()
        legend = chart.locator(".legend").first.bounding_box()
        assert plot and legend and legend["y"] >= plot["y"] + plot["height"], (plot, legend)
        assert_no_error(page, "project milestone trend")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        chart.screenshot(path=str(ARTIFACTS / "project-milestone-trend.png"), animations="disabled")
    finally:
        context.close()
