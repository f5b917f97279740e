"""How the dashboard reads on a meeting-room screen: every page at 1280×720 and 1920×1080, in the light
and the dark theme, checked in the browser for what a board would notice.

For each size and theme one browser session walks every page of the navigation and every section of
the monthly review (stepped through with Page Down, as a clicker does), and asserts:

* every visible text has a contrast of at least 4.5:1 (WCAG AA) against the background it is drawn
  on — computed from the DOM's styles, the stack of backgrounds under it blended (contrast.js);
* no section of the review is taller than the window (its appendix folded away);
* no table that would fit in the page's width scrolls sideways, and no page does;
* no visible text or table cell reads "None", "nan", or a raw code of the contract's enumerations
  ("on_hold", "non_financial", a lowercase "green" in a cell).

Then: data grids keep their values when the window is resized (the values copied from the grid match
the data, before and after), nothing is fetched from another host, and the screenshots of every page
land in tests/artifacts/screens/<theme>-<size>/ (the README's come from there).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import ARTIFACTS, DEMO_END_MONTH, RUN_TIMEOUT_MS, assert_no_error, follow_nav, nav_links, wait_for_run
from pmo_metrics import contract
from pmo_metrics import formatting as fmt
from pmo_metrics.db import Warehouse
from pmo_metrics.filters import Filters
from pmo_metrics.views import benefits, finance

CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text(encoding="utf-8")
SIZES = {"1280x720": {"width": 1280, "height": 720}, "1920x1080": {"width": 1920, "height": 1080}}
THEMES = ("light", "dark")
AA = 4.5
CODES = {code for table in contract.TABLES.values() for col in table.columns if col.enum for code in col.enum}
RAW_IN_TEXT = re.compile(r"\b(" + "|".join(sorted((c for c in CODES if "_" in c), key=len, reverse=True)) + r")\b")
MISSING_WORDS = re.compile(r"(?<![\w-])(None|nan|NaN|NaT|null)(?![\w-])")

# What a page shows besides the DOM's text: the grid's own cells (its accessible table) and the
# figure texts, for the raw-code and "None" checks; the main area's and each table's overflow.
READ_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const block = document.querySelector('[data-testid="stMainBlockContainer"]');
  const cells = [...document.querySelectorAll('[data-testid="stDataFrame"] td[role="gridcell"]')].map(td => td.textContent);
  const grids = [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(g => {
    const s = g.querySelector('.dvn-scroller');
    const named = g.querySelector('[role="region"]');
    return {key: named ? named.getAttribute('aria-label') : '', scroll: s ? s.scrollWidth : 0, client: s ? s.clientWidth : 0};
  });
  const wraps = [...document.querySelectorAll('.pmo-table .table-wrap')].map(w => ({scroll: w.scrollWidth, client: w.clientWidth}));
  const svg = [...document.querySelectorAll('.js-plotly-plot text')].map(t => t.textContent);
  return {text: document.body.innerText, cells, grids, wraps, svg,
          page: {scroll: main.scrollWidth, client: main.clientWidth, height: main.scrollHeight, view: main.clientHeight},
          room: block ? block.clientWidth : 0};
}"""


def _settle(page) -> None:
    """The run is over and every figure is drawn (plotly draws after the script has finished)."""
    wait_for_run(page)
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .every(c => c.querySelector('.main-svg'))""", timeout=RUN_TIMEOUT_MS)


def _problems(page, where: str, size: str) -> list[str]:
    found = []
    for item in page.evaluate(CONTRAST_JS):
        if item["ratio"] < AA:
            found.append(f"{where}: contrast {item['ratio']} of {item['text']!r} ({item['fg']} on {item['bg']})")
    seen = page.evaluate(READ_JS)
    for text in [seen["text"]] + seen["svg"]:
        for m in set(MISSING_WORDS.findall(text)) | set(RAW_IN_TEXT.findall(text)):
            found.append(f"{where}: {m!r} shown")
    for cell in seen["cells"]:
        if cell.strip() in CODES or MISSING_WORDS.fullmatch(cell.strip()):
            found.append(f"{where}: a cell reads {cell!r}")
    if seen["page"]["scroll"] > seen["page"]["client"] + 1:
        found.append(f"{where}: the page scrolls sideways ({seen['page']['scroll']} > {seen['page']['client']})")
    if size == "1920x1080":
        for grid in seen["grids"] + seen["wraps"]:
            # a table narrower than the page's width is given the room it needs
            if grid["client"] + 1 < grid["scroll"] <= seen["room"]:
                found.append(f"{where}: table {grid.get('key', '')!r} scrolls sideways although it fits "
                             f"({grid['scroll']} px in {grid['client']} px)")
    return found


def _shoot(page, folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), animations="disabled")


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_and_review_section_reads_right_on_a_projector(browser, server, size, theme):
    context = browser.new_context(viewport=SIZES[size], color_scheme=theme, base_url=server)
    context.set_default_timeout(RUN_TIMEOUT_MS)
    page = context.new_page()
    folder = ARTIFACTS / "screens" / f"{theme}-{size}"
    problems: list[str] = []
    try:
        page.goto(server)
        _settle(page)
        for i, (title, _) in enumerate(nav_links(page)):
            if i:
                follow_nav(page, i)
            _settle(page)
            expect(page.locator("h1").first).to_be_visible()
            assert_no_error(page, title)
            slug = re.sub(r"\W+", "-", title.lower()).strip("-")
            problems += _problems(page, f"{theme} {size} {title}", size)
            _shoot(page, folder, slug)

        page.goto(f"{server}/monthly_review")
        _settle(page)
        caption = page.get_by_text(re.compile(r"section \d+ of \d+"))
        total = int(re.search(r"of (\d+)", caption.inner_text()).group(1))
        assert total >= 8
        # presentation mode: the sidebar starts collapsed, the screen is the message
        expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "true")
        for n in range(1, total + 1):
            expect(caption).to_contain_text(f"section {n} of {total}")
            _settle(page)
            where = f"{theme} {size} review section {n}"
            seen = page.evaluate(READ_JS)["page"]
            if seen["height"] > seen["view"] + 1:
                problems.append(f"{where}: {seen['height']} px tall in a {seen['view']} px window")
            problems += _problems(page, where, size)
            _shoot(page, folder, f"review-{n}")
            if n < total:
                page.keyboard.press("PageDown")   # as a presenter's clicker does
        page.keyboard.press("PageUp")
        expect(caption).to_contain_text(f"section {total - 1} of {total}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


def _copy_grid(page, name: str) -> list[list[str]]:
    """Every row of a data grid (named by its accessible name, the table's title) as the grid itself
    copies it (select all, copy): all rows and columns, not only those drawn on its canvas."""
    grid = page.get_by_role("region", name=name, exact=True)
    grid.click(position={"x": 40, "y": 52})   # a cell of the first row (the header is above it)
    page.keyboard.press("Control+a")
    page.keyboard.press("Control+c")
    text = page.evaluate("() => navigator.clipboard.readText()")
    return list(csv.reader(io.StringIO(text), delimiter="\t"))


def _same(shown: str, expected) -> bool:
    if fmt.is_missing(expected):
        return shown == ""
    if isinstance(expected, bool):
        return shown.upper() == str(expected).upper()
    if isinstance(expected, (int, float)):
        return shown != "" and abs(float(shown) - float(expected)) <= 1e-6 * max(1.0, abs(float(expected)))
    return shown == str(expected)


def test_data_grids_keep_their_values_when_the_window_is_resized(browser, server, demo_db):
    """The grids once redrew with wrong values after a resize (a progress of 68.35 % as 100 % or 0 %, a
    baseline of 32.7 as 33, text as "None"): the values a grid holds are compared with the data at
    1920×1080, after a resize to 1280×720 and after another to 1600×900."""
    cur = Warehouse(demo_db).cursor()
    try:
        f = Filters(as_of=DEMO_END_MONTH)
        register = benefits.register(cur, f)
        by_group = finance.by_group(cur, f, "portfolio")
    finally:
        cur.close()
    expected = {
        "ben_register": [[r.benefit_id, r.benefit_name, r.project_name, fmt.label(r.category, "benefit_category"),
                          fmt.label(r.benefit_type, "benefit_type"), r.owner, r.unit, r.baseline_value,
                          r.target_value, r.planned_value, r.actual_value,
                          None if fmt.is_missing(r.progress) else r.progress * 100, bool(r.is_at_risk)]
                         for r in register.itertuples()],
        "fin_group": [[r.label, r.planned_to_date, r.actual_to_date, r.variance_to_date, r.planned_ytd, r.actual_ytd,
                       r.planned_total, r.forecast_total, r.budget_at_completion] for r in by_group.itertuples()],
    }
    context = browser.new_context(viewport=SIZES["1920x1080"], permissions=["clipboard-read", "clipboard-write"],
                                  base_url=server)
    page = context.new_page()
    try:
        for path, key, name in (("benefits", "ben_register", f"Benefit register {DEMO_END_MONTH}"),
                                ("finance", "fin_group", f"Cost by portfolio {DEMO_END_MONTH}")):
            page.set_viewport_size(SIZES["1920x1080"])
            page.goto(f"{server}/{path}")
            _settle(page)
            rows = expected[key]
            for viewport in (SIZES["1920x1080"], SIZES["1280x720"], {"width": 1600, "height": 900}):
                page.set_viewport_size(viewport)
                page.wait_for_timeout(300)   # the grid redraws on the resize event; nothing to wait for in the DOM
                copied = _copy_grid(page, name)
                assert len(copied) == min(len(rows), 500), (key, viewport)
                wrong = [(i, j, shown, want) for i, (got, row) in enumerate(zip(copied, rows))
                         for j, (shown, want) in enumerate(zip(got, row)) if not _same(shown, want)]
                assert wrong == [], (key, viewport, wrong[:5])
                assert not [c for row in copied for c in row if c == "None"]
    finally:
        context.close()


def test_nothing_is_fetched_from_another_host(browser, server):
    """The favicon and every asset come from the dashboard itself: a meeting room may be offline."""
    context = browser.new_context(viewport=SIZES["1280x720"], base_url=server)
    page = context.new_page()
    elsewhere: list[str] = []
    page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith((server, "data:", "blob:")) else None)
    try:
        for path in ("", "monthly_review", "finance", "project", "maturity"):
            page.goto(f"{server}/{path}")
            _settle(page)
        icons = page.evaluate("() => [...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
        assert icons and all(i.startswith((server, "data:")) for i in icons), icons
        assert page.request.get(icons[0]).ok
    finally:
        context.close()
    assert elsewhere == []
