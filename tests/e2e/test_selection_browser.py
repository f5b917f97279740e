"""Portfolio selection in a real browser: the pipeline with its scores explained, and a what-if run,
downloaded, saved twice, compared and the comparison downloaded — as a PMO lead does it."""
from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from conftest import DATA_LOADS_PASSWORD, assert_no_error, shoot, wait_for_run
from pmo_metrics import formatting as fmt


TALL = {"width": 1440, "height": 3600}   # the whole page in one screenshot (the main area scrolls itself)


def keyed(page, prefix: str):
    """The widget whose key starts with `prefix` (the what-if form's keys end in a digest of the filters)."""
    return page.locator(f'[class*="st-key-{prefix}"]').first


def download(page, key: str) -> Path:
    with page.expect_download() as info:
        keyed(page, key).get_by_role("button").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    return Path(info.value.path())


def sheets(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_the_pipeline_lists_the_candidates_with_their_scores(open_page):
    page = open_page("pipeline")
    page.set_viewport_size(TALL)
    expect(page.locator("h1", has_text="Pipeline")).to_be_visible()
    expect(page.get_by_text("Why this score")).to_be_visible()
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(re.compile(r"^\d+$"))
    assert_no_error(page)
    shoot(page, "selection-pipeline")


def run_with_budget(page, budget: int) -> None:
    box = keyed(page, "budget_").locator("input")
    box.fill(str(budget))
    page.get_by_role("button", name="Run the scenario").click()
    # a text only the run with this budget writes: the earlier run's results are on screen until then
    expect(page.get_by_text(f"Budget of the run shown: {fmt.money(budget)}")).to_be_visible()
    wait_for_run(page)


def save_as(page, name: str) -> None:
    keyed(page, "scenario_name").locator("input").fill(name)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"Saved as “{name}”")).to_be_visible()
    wait_for_run(page)


def test_a_what_if_runs_is_saved_compared_and_downloaded(open_page):
    page = open_page("scenarios")
    page.set_viewport_size(TALL)
    expect(page.locator("h1", has_text="What-if scenarios")).to_be_visible()
    wait_for_run(page)
    assert_no_error(page)
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()   # the frontier

    run_with_budget(page, 3_000_000)
    assert_no_error(page)
    shoot(page, "selection-what-if")
    book = sheets(download(page, "dl_scenario_current"))
    assert list(book) == ["scenario", "funded", "comparison"]
    items = dict(book["scenario"][1:])
    assert items["Budget"] == fmt.money(3_000_000)
    header, *rows = book["funded"]
    funded = [r for r in rows if r[header.index("optimal")]]
    assert funded and sum(r[header.index("bac")] for r in funded) <= 3_000_000
    assert [r[0] for r in book["comparison"][1:]] == ["Optimal", "Ranking by score", "Ranking by score per cost"]

    # saving asks PMO leads for the Data loads password the test server has
    box = keyed(page, "scenarios_password").locator("input")
    box.fill(DATA_LOADS_PASSWORD)
    box.press("Enter")
    expect(keyed(page, "scenario_name")).to_be_visible()
    wait_for_run(page)
    save_as(page, "Tight budget")
    run_with_budget(page, 6_000_000)
    save_as(page, "Larger budget")

    expect(page.get_by_text("What changed from A to B")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Budget .* → "))).to_be_visible()
    assert_no_error(page)
    page.set_viewport_size({"width": 1440, "height": 5200})
    shoot(page, "selection-compared")
    book = sheets(download(page, "dl_scenario_compare"))
    assert list(book) == ["scenario", "funded", "comparison"]
    side = {r[0]: r[1:] for r in book["scenario"][1:]}
    assert set(side["Scenario"]) == {"Tight budget", "Larger budget"}
