"""The Forecasts page in a real browser: a roadmap bar opens its project, a risk heatmap cell lists
its risks."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from conftest import RUN_TIMEOUT_MS, assert_no_error, shoot, wait_for_run


def _click_centre(page, locator) -> None:
    """Click the middle of an element, scrolled into view first (the mouse clicks the viewport)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box and box["width"] > 2 and box["height"] > 2, box
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_clicking_a_roadmap_bar_opens_the_project(open_page):
    page = open_page("forecasts")
    assert_no_error(page, "forecasts")
    chart = page.locator(".st-key-roadmap [data-testid='stPlotlyChart']")
    # the second bar trace is the forecast (start → forecast finish), drawn over the ghosted baseline
    bar = chart.locator(".barlayer .trace").nth(1).locator(".point path").last
    expect(bar).to_be_visible()
    _click_centre(page, bar)
    expect(page).to_have_url(re.compile(r"/project\?(.*&)?project=PRJ-"), timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    picked = parse_qs(urlparse(page.url).query)["project"][0]
    expect(page.locator("h1").first).to_be_visible()
    expect(page.locator("[data-testid='stMain']")).to_contain_text(picked)
    assert_no_error(page, "project from the roadmap")
    shoot(page, "forecasts-roadmap-opened")


def test_clicking_a_risk_heatmap_cell_lists_its_risks(open_page):
    page = open_page("forecasts")
    listed = page.get_by_role("region", name=re.compile(r"^Open risks P\d I\d"))
    expect(listed).to_have_count(1)
    first = listed.get_attribute("aria-label")
    marks = page.locator(".st-key-risk_heatmap [data-testid='stPlotlyChart'] .scatterlayer .point")
    assert marks.count() >= 2
    # the list starts at the highest-scoring cell; click another cell's marker
    _click_centre(page, marks.first)
    expect(listed).not_to_have_attribute("aria-label", first, timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    shown = page.get_by_role("region", name=re.compile(r"^Open risks P\d I\d")).get_attribute("aria-label")
    found = re.search(r"P(\d) I(\d)", shown)
    assert found and shown != first, shown
    expect(page.locator(".st-key-risk_cell").get_by_role("combobox")).to_have_accessible_name(
        re.compile("Risks in the cell"))
    assert_no_error(page, "risk cell")
    shoot(page, "forecasts-risk-cell")
