"""The exported pack (pmo_metrics.report): the PowerPoint deck read back with python-pptx, the HTML
file parsed with html.parser, and the `report` command run as a user would."""
from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Emu, Inches

from pmo_metrics import kpis
from pmo_metrics.db import cursor_for, open_readonly
from pmo_metrics.filters import Filters
from pmo_metrics.report import ReportError, render_html, write_report
from pmo_metrics.review import ReviewError, build_review, section_figure

from test_review import FORMULA_NAME, SCRIPT_NAME, build_demo_warehouse

M, P = "2025-06", "2025-05"
ROOT = Path(__file__).resolve().parents[2]
FORMULA_START = ("=", "+", "-", "@")


@pytest.fixture(scope="session")
def report_db(tmp_path_factory) -> Path:
    # The same warehouse as test_review's (built once per session, whichever module asks first).
    return build_demo_warehouse(tmp_path_factory.getbasetemp() / "review-demo")


@pytest.fixture(scope="module")
def cur(report_db):
    con = open_readonly(report_db)
    yield cursor_for(con)
    con.close()


@pytest.fixture(scope="module")
def review(cur):
    return build_review(cur, Filters(as_of=M))


@pytest.fixture(scope="module")
def deck(report_db, tmp_path_factory):
    out = write_report(report_db, M, tmp_path_factory.mktemp("pack") / "pack.pptx", currency="£")
    return out, Presentation(str(out))


@pytest.fixture(scope="module")
def html_pack(report_db, tmp_path_factory):
    out = write_report(report_db, M, tmp_path_factory.mktemp("pack") / "pack.html")
    return out, out.read_text(encoding="utf-8")


def slide_charts(slide) -> list:
    return [s.chart for s in slide.shapes if s.has_chart]


def chart_data(chart) -> tuple[list[str], dict[str, list]]:
    plot = chart.plots[0]
    return list(plot.categories), {s.name: list(s.values) for s in plot.series}


def slide_for(prs, title: str):
    for slide in prs.slides:
        if slide.shapes.title is not None and slide.shapes.title.text_frame.text == title:
            return slide
    raise AssertionError(f"no slide titled {title!r}")


# -- PowerPoint ----------------------------------------------------------------------------------

def test_deck_is_16_9_with_a_title_slide_one_slide_per_section_and_an_appendix(deck, review):
    out, prs = deck
    assert out.suffix == ".pptx" and out.exists()
    assert round(prs.slide_width / prs.slide_height, 2) == round(16 / 9, 2)
    titles = [s.shapes.title.text_frame.text for s in prs.slides]
    assert titles[0] == review.title
    assert titles[1] == "Executive summary"
    sections = [s.title for s in review.sections]
    assert titles[1:1 + len(sections)] == sections
    appendix = titles[1 + len(sections):]
    expected = [f"Appendix — {s.title}" for s in review.sections for t in s.appendix_tables if not t.is_empty]
    assert appendix == expected and "Appendix — Data quality" in appendix


def test_charts_are_native_chart_objects_never_pictures(deck, review):
    _, prs = deck
    for slide, section in zip(list(prs.slides)[1:], review.sections):
        charts = slide_charts(slide)
        assert len(charts) == (1 if section.chart is not None else 0), section.key
        assert not [s for s in slide.shapes if s.shape_type is not None and s.shape_type == 13]  # PICTURE
        for chart in charts:
            categories, series = chart_data(chart)
            assert categories and series
            # the numbers live in the chart's own workbook, so PowerPoint can edit them
            assert chart.part.chart_workbook.xlsx_part is not None


def test_every_shape_fits_on_the_slide(deck):
    _, prs = deck
    for slide in prs.slides:
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0
            assert shape.left + shape.width <= prs.slide_width + Emu(Inches(0.01)), shape.name
            assert shape.top + shape.height <= prs.slide_height + Emu(Inches(0.01)), shape.name


def test_headline_chart_holds_the_kpi_engine_rag_shares_coloured_by_state(deck, cur):
    _, prs = deck
    compared = kpis.compare_kpis(cur, Filters(as_of=M), previous=P).set_index("id")
    chart = slide_charts(slide_for(prs, "Headline KPIs"))[0]
    categories, series = chart_data(chart)
    assert categories == ["May 2025", "Jun 2025"]
    for state, mid in (("Green", "rag_green_share"), ("Amber", "rag_amber_share"), ("Red", "rag_red_share"),
                       ("No report", "rag_missing_share")):
        assert series[state] == pytest.approx([compared.at[mid, "previous"], compared.at[mid, "value"]])
    # a "Green" series is green, whatever the month; a share of the whole reads from 0 to 100 %
    colours = {s.name: str(s.format.fill.fore_color.rgb) for s in chart.plots[0].series}
    assert colours == {"Red": "C62828", "Amber": "E8A200", "Green": "1B7F3B", "No report": "8A8F98"}
    axis = chart.value_axis
    assert (axis.minimum_scale, axis.maximum_scale) == (0.0, 1.0) and axis.tick_labels.number_format == "0%"


def test_axes_read_as_the_cards_and_earned_value_has_the_dashboards_colours(deck):
    from pmo_metrics.theme import SERIES

    _, prs = deck
    chart = slide_charts(slide_for(prs, "Spend and forecasts"))[0]
    colours = {s.name: str(s.format.line.color.rgb) for s in chart.plots[0].series}
    assert colours == {"Planned value (PV)": SERIES["planned"][1:], "Earned value (EV)": SERIES["earned"][1:],
                       "Actual cost (AC)": SERIES["actual"][1:]}
    axis = chart.value_axis
    assert axis.minimum_scale == 0
    assert axis.tick_labels.number_format == '"£"#,##0.0,," M";-"£"#,##0.0,," M";0'
    for slide in prs.slides:
        for c in slide_charts(slide):
            if c.chart_type is not None and "RADAR" not in str(c.chart_type):
                assert c.value_axis.minimum_scale is not None and c.value_axis.minimum_scale <= 0


def test_spend_chart_holds_the_kpi_engine_earned_value(deck, cur):
    _, prs = deck
    values = kpis.compute_kpis(cur, Filters(as_of=M))
    categories, series = chart_data(slide_charts(slide_for(prs, "Spend and forecasts"))[0])
    assert categories[-1] == M
    assert series["Planned value (PV)"][-1] == pytest.approx(values["planned_value"])
    assert series["Earned value (EV)"][-1] == pytest.approx(values["earned_value"])
    assert series["Actual cost (AC)"][-1] == pytest.approx(values["actual_cost"])
    # the curve follows the projects active at M, so it never falls
    for values in series.values():
        assert all(b >= a - 1e-6 for a, b in zip(values, values[1:]))


def test_milestone_and_resource_charts_hold_the_kpi_engine_values(deck, cur):
    _, prs = deck
    f = Filters(as_of=M)
    _, series = chart_data(slide_charts(slide_for(prs, "Milestones"))[0])
    assert series["Milestones on time"][-1] == pytest.approx(kpis.compute_kpis(cur, f)["milestone_on_time_rate"])
    categories, series = chart_data(slide_charts(slide_for(prs, "Resource hot spots"))[0])
    util = kpis.kpi_breakdown(cur, "utilization", f, by="department").set_index("group")["value"]
    assert series["Utilisation"] == pytest.approx([util[c] for c in categories])


def test_rag_movement_chart_adds_up_to_the_active_projects(deck, cur):
    _, prs = deck
    values = kpis.compute_kpis(cur, Filters(as_of=M))
    _, series = chart_data(slide_charts(slide_for(prs, "RAG movement"))[0])
    assert sum(sum(v) for v in series.values()) == values["active_projects"]


def _cells(prs):
    for slide in prs.slides:
        for shape in slide.shapes:
            if shape.has_table:
                for row in shape.table.rows:
                    for cell in row.cells:
                        yield cell.text


def test_formula_names_are_neutralised_in_table_cells_and_chart_data(deck):
    _, prs = deck
    cells = list(_cells(prs))
    assert "'" + FORMULA_NAME in cells
    assert FORMULA_NAME not in cells
    assert not [c for c in cells if c.startswith(FORMULA_START)]
    for slide in prs.slides:
        for chart in slide_charts(slide):
            categories, series = chart_data(chart)
            assert not [c for c in map(str, categories) if c.startswith(FORMULA_START)]
            assert not [n for n in series if n.startswith(FORMULA_START)]


def test_a_formula_name_in_a_chart_category_is_neutralised(report_db, tmp_path):
    # The decisions chart lists projects by name; force the hostile one into it by filtering to it.
    con = open_readonly(report_db)
    try:
        cur = cursor_for(con)
        table = kpis.project_table(cur, Filters(as_of=M))
        portfolio = table.loc[table["project_name"] == FORMULA_NAME, "portfolio"].iloc[0]
        review = build_review(cur, Filters(as_of=M, portfolios=(portfolio,)))
    finally:
        con.close()
    from pmo_metrics.report import render_pptx

    path = tmp_path / "filtered.pptx"
    path.write_bytes(render_pptx(review))
    prs = Presentation(str(path))
    categories = [str(c) for s in prs.slides for ch in slide_charts(s) for c in chart_data(ch)[0]]
    if FORMULA_NAME in review.section("decisions").chart.categories:
        assert "'" + FORMULA_NAME in categories
    assert not [c for c in categories if c.startswith(FORMULA_START)]


# -- HTML ------------------------------------------------------------------------------------------

class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.links: list[dict] = []
        self.plotly_divs = 0
        self.other_urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
        elif tag == "link":
            self.links.append(a)
        elif tag == "div" and "plotly-graph-div" in (a.get("class") or ""):
            self.plotly_divs += 1
        for name in ("src", "href"):
            v = a.get(name) or ""
            if "://" in v or v.startswith("//"):
                self.other_urls.append(f"<{tag} {name}={v}>")


def test_html_contains_every_figure_inline_and_nothing_external(html_pack, review):
    out, text = html_pack
    tags = _Tags()
    tags.feed(text)
    expected = sum(1 for s in review.sections if section_figure(s) is not None)
    assert expected >= len(review.sections) - 1
    assert tags.plotly_divs == expected
    assert not [s for s in tags.scripts if s.get("src")], "scripts must be inline"
    assert not tags.links
    assert not tags.other_urls
    # plotly.js is embedded once, inline
    assert text.count("Plotly.newPlot") == expected
    assert len(text) > 1_000_000, "plotly.js should be embedded in the file"
    for s in review.sections:
        assert f'id="{s.key}"' in text


def test_html_escapes_names_from_the_data(html_pack):
    _, text = html_pack
    assert SCRIPT_NAME not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert FORMULA_NAME.replace('"', "&quot;") in text


def test_html_renders_the_same_review_as_the_deck(review):
    text = render_html(review)
    for s in review.sections:
        assert s.title in text
        for t in s.tables:
            assert len(t.frame) == 0 or text.count("<tr>") >= len(t.frame)


# -- write_report ------------------------------------------------------------------------------------

def test_write_report_refuses_other_extensions_and_months_without_data(report_db, tmp_path):
    with pytest.raises(ReportError, match=r"\.pdf"):
        write_report(report_db, M, tmp_path / "pack.pdf")
    with pytest.raises(ReviewError, match="no data for 1999-01"):
        write_report(report_db, "1999-01", tmp_path / "pack.pptx")
    assert list(tmp_path.iterdir()) == []


def test_write_report_explains_a_destination_it_cannot_write(report_db, tmp_path):
    folder = tmp_path / "packs.pptx"
    folder.mkdir()
    with pytest.raises(ReportError, match="is a folder"):
        write_report(report_db, M, folder)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(ReportError, match="cannot write"):
        write_report(report_db, M, blocker / "pack.html")


def test_write_report_defaults_to_the_latest_month_and_the_month_before(report_db, tmp_path, cur):
    out = write_report(report_db, None, tmp_path / "sub" / "PACK.HTML")
    assert out == tmp_path / "sub" / "PACK.HTML"
    latest = kpis.default_as_of(cur)
    assert f"{latest}" in out.read_text(encoding="utf-8") or "June 2025" in out.read_text(encoding="utf-8")
    assert [p.name for p in out.parent.iterdir()] == ["PACK.HTML"]  # no temporary file left behind
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)


def test_write_report_honours_filters_and_the_comparison_month(report_db, tmp_path, cur):
    portfolio = kpis.filter_options(cur)["portfolios"][0]
    out = write_report(report_db, M, tmp_path / "p.pptx", previous="2025-03",
                       filters=Filters(portfolios=(portfolio,)))
    prs = Presentation(str(out))
    subtitle = " ".join(p.text for s in prs.slides[0].shapes if s.has_text_frame for p in s.text_frame.paragraphs)
    assert portfolio in subtitle and "March 2025" in subtitle


# -- the command line -----------------------------------------------------------------------------------

def _cli(*args, db: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pmo_metrics", "report", "--db", str(db), *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def test_cli_writes_the_pptx_pack(report_db, tmp_path):
    out = tmp_path / "pack.pptx"
    run = _cli("--as-of", M, "--out", str(out), db=report_db)
    assert run.returncode == 0, run.stderr
    assert str(out) in run.stdout
    prs = Presentation(str(out))
    assert any(s.has_chart for slide in prs.slides for s in slide.shapes)


def test_cli_writes_the_html_pack_with_a_comparison_month(report_db, tmp_path):
    out = tmp_path / "pack.html"
    run = _cli("--as-of", M, "--previous", "2025-04", "--out", str(out), db=report_db)
    assert run.returncode == 0, run.stderr
    assert "April 2025" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("args, reason", [
    (["--as-of", "1999-01", "--out", "x.pptx"], "no data for 1999-01"),
    (["--as-of", M, "--out", "x.pdf"], ".pdf"),
    (["--as-of", M, "--previous", M, "--out", "x.pptx"], "must be before"),
])
def test_cli_fails_with_a_one_line_reason(report_db, tmp_path, args, reason):
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    run = _cli(*args, db=report_db)
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and reason in lines[0], run.stderr
    assert not list(tmp_path.iterdir())


def test_cli_rejects_a_malformed_month(report_db, tmp_path):
    run = _cli("--as-of", "2025-13", "--out", str(tmp_path / "x.pptx"), db=report_db)
    assert run.returncode != 0
    assert "2025-13" in run.stderr


def test_cli_reports_a_missing_database_in_one_line(tmp_path):
    run = _cli("--as-of", M, "--out", str(tmp_path / "x.pptx"), db=tmp_path / "none.duckdb")
    assert run.returncode != 0
    assert len(run.stderr.strip().splitlines()) == 1
