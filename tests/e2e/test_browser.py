"""The dashboard in a real browser: navigation, drill-down, filters, shareable links, downloads,
uploads and the monthly review, as a user does them.

The server runs against the seeded small demo batch (conftest.py), so the data is the same on
every run; each test opens its own browser context, i.e. its own Streamlit session.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from playwright.sync_api import expect

from conftest import NAV_LINK, RUN_TIMEOUT_MS, assert_no_error, nav_links, shoot, wait_for_run

SIDEBAR = '[data-testid="stSidebar"]'


# -- helpers -----------------------------------------------------------------------------------------

def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def widget(page, key: str):
    """A widget by its Streamlit key (Streamlit puts `st-key-<key>` on the widget's container)."""
    return page.locator(f".st-key-{key}")


def kpi_value(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    expect(card).to_have_count(1)
    return card.locator('[data-testid="stMetricValue"]').inner_text().strip()


def click_nav(page, title: str) -> None:
    """Click a page in the navigation, opening the sidebar first when a page (the monthly review, in
    presentation mode) has folded it away."""
    if page.locator('[data-testid="stSidebar"][data-collapsed="true"]').count():
        page.locator('[data-testid="stExpandSidebarButton"]').click()
        expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "false")
    page.locator(NAV_LINK).filter(has=page.locator(f'span[label="{title}"]')).click()


def pick_multiselect(page, key: str, option: str) -> None:
    """Open a multiselect and choose one option from its drop-down."""
    box = widget(page, key).get_by_role("combobox")
    box.scroll_into_view_if_needed()
    box.click()
    # Typed, then taken with Enter: with every page in the navigation the filter sits low in the
    # sidebar, where the drop-down can open past the window's edge.
    page.keyboard.type(option)
    expect(page.get_by_role("option", name=option, exact=True).first).to_be_attached()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def demo_portfolios(demo_db: Path) -> list[str]:
    with open(demo_db.parent / "batch" / "projects.csv", newline="", encoding="utf-8") as fh:
        return sorted({row["portfolio"] for row in csv.DictReader(fh) if row.get("portfolio")})


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- scenarios ---------------------------------------------------------------------------------------

def test_every_page_in_the_navigation_opens_without_an_error(open_page):
    page = open_page("")
    pages = nav_links(page)
    titles = [t for t, _ in pages]
    assert {"Executive overview", "Portfolio", "Data loads"} <= set(titles), titles
    for title, href in pages:
        click_nav(page, title)
        expect(page).to_have_url(re.compile(re.escape(href.rstrip("/")) + r"/?(\?.*)?$"))
        wait_for_run(page)
        expect(page.locator("h1").first).to_be_visible()
        assert_no_error(page, title)
        shoot(page, "page-" + re.sub(r"\W+", "-", title.lower()).strip("-"))


@pytest.mark.parametrize("path, card, section", [("governance", "Gates overdue", "Gates run past without an approved review"),
                                                  ("pmo_value", "PMO cost this year", "In one minute")])
def test_the_governance_and_pmo_value_pages_open_with_their_figures(open_page, path, card, section):
    page = open_page(path)
    assert_no_error(page, path)
    assert kpi_value(page, card) not in ("", "—")
    expect(page.get_by_text(section).first).to_be_visible()
    shoot(page, f"page-{path}")


def test_clicking_a_portfolio_bar_drills_down(open_page):
    page = open_page("portfolio")
    assert "drill_portfolio" not in query(page)
    expect(widget(page, "crumb_portfolio")).to_have_count(0)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    bar = chart.locator(".barlayer .point path").first
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    assert box and box["width"] > 2, box
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page).to_have_url(re.compile(r"[?&]drill_portfolio="), timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    picked = query(page)["drill_portfolio"][0]
    expect(widget(page, "crumb_portfolio")).to_contain_text(picked)
    assert_no_error(page)
    shoot(page, "portfolio-drilled")


def test_a_sidebar_filter_changes_a_kpi_card(open_page, demo_db):
    page = open_page("")
    before = kpi_value(page, "Active projects")
    portfolio = demo_portfolios(demo_db)[0]
    pick_multiselect(page, "f_portfolio", portfolio)
    expect(page).to_have_url(re.compile(r"[?&]portfolio="))
    wait_for_run(page)
    assert query(page)["portfolio"] == [portfolio]
    expect(page.locator('[data-testid="stMetric"]').filter(has_text="Active projects")
           .locator('[data-testid="stMetricValue"]')).not_to_have_text(before)
    after = kpi_value(page, "Active projects")
    assert int(after.replace(",", "")) < int(before.replace(",", "")), (before, after)
    assert_no_error(page)


def test_a_copied_link_reopens_the_same_view(open_page, demo_db):
    portfolio = demo_portfolios(demo_db)[-1]
    as_of = "2026-06"
    page = open_page("portfolio?" + urlencode({"as_of": as_of, "portfolio": portfolio, "drill_portfolio": portfolio}))
    assert_no_error(page)
    expect(widget(page, "f_as_of").get_by_role("combobox")).to_have_value(as_of)
    expect(widget(page, "f_portfolio").locator("[data-tag]")).to_have_text([portfolio])
    expect(widget(page, "crumb_portfolio")).to_contain_text(portfolio)
    expect(page.get_by_text(f"as of {as_of}").first).to_be_visible()
    params = query(page)
    assert params["as_of"] == [as_of] and params["portfolio"] == [portfolio], params
    assert params["drill_portfolio"] == [portfolio], params


def test_a_table_download_holds_the_rows_shown(open_page):
    """The portfolio roll-up: its CSV download holds one row per portfolio the page shows (the bars of
    the chart drawn from the same rows as the table)."""
    page = open_page("portfolio")
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    ticks = chart.locator(".yaxislayer-above .ytick text")
    expect(ticks.first).to_be_visible()
    shown = {t.strip() for t in ticks.all_text_contents()}
    assert shown
    # Streamlit turns the key 'dl_csv_drill_table|portfolio' into the class st-key-dl_csv_drill_table_portfolio
    button = page.locator('[class*="st-key-dl_csv_drill_table"]').get_by_role("button").first
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == len(shown), (len(rows), shown)
    # the download is headed and worded as the screen: the roll-up's first column is "Portfolio"
    assert list(rows[0])[:3] == ["Portfolio", "Active", "Red"], list(rows[0])
    labels = {r["Portfolio"].strip() for r in rows}
    # long names are shortened on the axis: every tick must start a label from the file
    assert all(any(lab.startswith(t.rstrip("…")) for lab in labels) for t in shown), (labels, shown)


def test_a_bad_batch_shows_the_report_and_leaves_the_data_alone(open_page, demo_db, tmp_path):
    page = open_page("")
    active_before = kpi_value(page, "Active projects")
    digest_before = sha256(demo_db)

    bad = tmp_path / "projects.csv"
    with open(demo_db.parent / "batch" / "projects.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, [next(reader), next(reader)]
    rows[0]["project_id"] = ""                               # a key may not be empty
    rows[0]["start_date"] = "not-a-date"
    with open(bad, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)

    click_nav(page, "Data loads")
    expect(page.locator("h1", has_text="Data loads")).to_be_visible()
    wait_for_run(page)
    unlock_data_loads(page)
    uploader = page.locator('[data-testid="stFileUploader"]').first
    uploader.locator('input[type="file"]').set_input_files(str(bad))
    expect(page.get_by_text("This batch would be rejected")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    wait_for_run(page)
    errors = page.locator('[data-testid="stMetric"]').filter(has_text="Errors").locator(
        '[data-testid="stMetricValue"]')
    assert int(errors.inner_text().replace(",", "")) > 0
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    expect(widget(page, "upload_load").get_by_role("button").first).to_be_disabled()
    assert_no_error(page)
    shoot(page, "data-loads-rejected")

    assert sha256(demo_db) == digest_before
    click_nav(page, "Executive overview")
    expect(page.locator("h1", has_text="Executive overview")).to_be_visible()
    wait_for_run(page)
    assert kpi_value(page, "Active projects") == active_before


def unlock_data_loads(page) -> None:
    """The Data loads page may ask PMO leads for a password; conftest gives the server a known one."""
    from conftest import DATA_LOADS_PASSWORD

    box = page.locator('input[type="password"]')
    if box.count():
        box.first.fill(DATA_LOADS_PASSWORD)
        box.first.press("Enter")
        expect(page.locator('[data-testid="stFileUploader"]').first).to_be_visible()
        wait_for_run(page)


def test_monthly_review_steps_through_its_sections(open_page):
    page = open_page("")
    click_nav(page, "Monthly review")
    caption = page.get_by_text(re.compile(r"section \d+ of \d+"))
    expect(caption).to_be_visible()
    wait_for_run(page)
    total = int(re.search(r"section 1 of (\d+)", caption.inner_text()).group(1))
    assert total >= 3
    first_title = page.locator("h1").first.inner_text()
    expect(widget(page, "review_prev").get_by_role("button").first).to_be_disabled()
    shoot(page, "monthly-review-1")

    widget(page, "review_next").get_by_role("button").first.click()
    expect(caption).to_contain_text(f"section 2 of {total}")
    expect(page).to_have_url(re.compile(r"[?&]section=2"))
    wait_for_run(page)
    expect(page.locator("h1").first).not_to_have_text(first_title)
    assert_no_error(page)
    shoot(page, "monthly-review-2")

    widget(page, "review_prev").get_by_role("button").first.click()
    expect(caption).to_contain_text(f"section 1 of {total}")
    wait_for_run(page)
    expect(page.locator("h1").first).to_have_text(first_title)

    page.goto(re.sub(r"section=\d+", f"section={total}", page.url) if "section=" in page.url
              else page.url + ("&" if "?" in page.url else "?") + f"section={total}")
    wait_for_run(page)
    expect(caption).to_contain_text(f"section {total} of {total}")
    expect(widget(page, "review_next").get_by_role("button").first).to_be_disabled()
    assert_no_error(page)
