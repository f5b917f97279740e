"""The monthly review (pmo_metrics.review) on the small demo, loaded twice so that two months of
projects snapshots exist, and its presentation page in AppTest.

The demo is generated for May 2025 and loaded, then for June 2025 and loaded again: the second
load leaves one projects snapshot per month in meta.project_snapshots, which is what the
forecast-change table compares. Two projects are renamed to hostile names (a spreadsheet formula
and an HTML script) and made red in June, so they reach the tables every renderer writes.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from pmo_metrics import kpis, metrics
from pmo_metrics.db import cursor_for, open_readonly
from pmo_metrics.filters import Filters, month_add
from pmo_metrics.review import (
    HEADLINE_KPIS, Context, ReviewError, build_review, decision_projects, section_figure,
)
from pmo_metrics.theme import RAG_COLOURS
from pmo_metrics.views.changes import changes_since_last_month

M, P = "2025-06", "2025-05"
FORMULA_NAME = '=HYPERLINK("x")'
SCRIPT_NAME = "<script>alert(1)</script>"
ROOT = Path(__file__).resolve().parents[2]


def _edit_batch(folder: Path, renames: dict[str, str], red: set[str], end: dt.date) -> None:
    """Rename projects and make their latest status report ≤ `end` red, in the CSVs as written."""
    projects = pd.read_csv(folder / "projects.csv", dtype=str, keep_default_na=False)
    projects["project_name"] = [renames.get(i, n) for i, n in zip(projects["project_id"], projects["project_name"])]
    projects.to_csv(folder / "projects.csv", index=False)
    reports = pd.read_csv(folder / "status_reports.csv", dtype=str, keep_default_na=False)
    dates = pd.to_datetime(reports["report_date"]).dt.date
    for pid in red:
        mine = reports.index[(reports["project_id"] == pid) & (dates <= end)]
        if len(mine):
            latest = max(mine, key=lambda i: dates[i])
            reports.loc[latest, "overall_rag"] = "red"
    reports.to_csv(folder / "status_reports.csv", index=False)


def _active_ids(folder: Path, end: dt.date) -> list[str]:
    projects = pd.read_csv(folder / "projects.csv", dtype=str, keep_default_na=False)
    reports = pd.read_csv(folder / "status_reports.csv", dtype=str, keep_default_na=False)
    start = pd.to_datetime(projects["start_date"]).dt.date
    finish = pd.to_datetime(projects["actual_finish_date"].replace("", None)).dt.date
    active = projects[(start <= end) & (finish.isna() | (finish > end))
                      & ~projects["stage"].isin(["idea", "cancelled"])
                      & projects["project_id"].isin(set(reports["project_id"]))]
    return sorted(active["project_id"])


def build_demo_warehouse(base: Path) -> Path:
    """The shared test warehouse (built once per test session, reused by test_report)."""
    db = base / "pmo.duckdb"
    if db.exists():
        return db
    from pmo_metrics.demo import generate_demo
    from pmo_metrics.warehouse import load_batch

    batches = []
    for month in (P, M):
        folder = base / f"demo-{month}"
        generate_demo(folder, scale="small", seed=42, end_month=month)
        batches.append(folder)
    end = dt.date(2025, 6, 30)
    ids = _active_ids(batches[1], end)[:2]
    renames = dict(zip(ids, (FORMULA_NAME, SCRIPT_NAME)))
    for folder in batches:
        _edit_batch(folder, renames, set(ids) if folder == batches[1] else set(), end)
    for i, folder in enumerate(batches):
        result = load_batch(folder, db, load_date=dt.date(2025, 6 + i, 3))
        assert result.status == "loaded", result.message
    return db


@pytest.fixture(scope="session")
def review_db(tmp_path_factory) -> Path:
    return build_demo_warehouse(tmp_path_factory.getbasetemp() / "review-demo")


@pytest.fixture(scope="module")
def cur(review_db):
    con = open_readonly(review_db)
    yield cursor_for(con)
    con.close()


@pytest.fixture(scope="module")
def review(cur):
    return build_review(cur, Filters(as_of=M))


# -- shape ---------------------------------------------------------------------------------------

def test_sections_in_order_with_a_message_each(review):
    keys = review.keys
    assert keys[:8] == ["summary", "headline", "rag_movement", "decisions", "milestones", "spend", "resources",
                        "benefits"]
    assert keys[-1] == "data_quality"
    assert review.as_of == M and review.previous == P
    assert "June 2025" in review.title and "May 2025" in review.subtitle
    for s in review.sections:
        assert s.message and "\n" not in s.message
        for t in s.tables:
            assert list(t.frame.columns) and t.title


def test_every_chart_has_a_figure_and_matching_native_data(review):
    import plotly.graph_objects as go

    for s in review.sections:
        if s.chart is None:
            continue
        assert all(len(v) == len(s.chart.categories) for v in s.chart.series.values()), s.key
        fig = section_figure(s)
        assert fig is None or isinstance(fig, go.Figure)
        if s.key != "data_quality":
            assert isinstance(fig, go.Figure), s.key
        if fig is not None:
            # names are escaped once, by the chart module ("Finance &amp; Treasury" shows as "&")
            assert "&amp;amp;" not in fig.to_json() and "&amp;lt;" not in fig.to_json(), s.key


# -- headline -------------------------------------------------------------------------------------

def test_headline_table_and_chart_are_the_kpi_engine_figures(cur, review):
    compared = kpis.compare_kpis(cur, Filters(as_of=M), previous=P).set_index("id")
    s = review.section("headline")
    table = s.tables[0].frame
    assert list(table["KPI"]) == [metrics.get(m).label for m in HEADLINE_KPIS]
    for _, row in table.iterrows():
        mid = next(m for m in HEADLINE_KPIS if metrics.get(m).label == row["KPI"])
        shown = compared.at[mid, "formatted"].replace("-", "\u2212", 1) if \
            compared.at[mid, "formatted"].startswith("-") else compared.at[mid, "formatted"]
        assert row["June 2025"] == shown
    chart = s.chart
    assert chart.categories == ["May 2025", "Jun 2025"]
    for state, mid in (("Green", "rag_green_share"), ("Amber", "rag_amber_share"), ("Red", "rag_red_share"),
                       ("No report", "rag_missing_share")):
        assert chart.series[state] == pytest.approx([compared.at[mid, "previous"], compared.at[mid, "value"]])
    assert chart.colours["Green"] == RAG_COLOURS["green"] and chart.colours["Red"] == RAG_COLOURS["red"]
    assert s.tables[0].status_columns == ["Status"]
    assert set(s.tables[0].frame["Status"].dropna()) <= {"Green", "Amber", "Red"}


def test_changes_use_typographic_signs_never_a_leading_plus_or_minus(review):
    for s in review.sections:
        for t in s.tables:
            for col in t.frame.columns:
                for v in t.frame[col]:
                    if isinstance(v, str) and v[:1] in "+-" and v[1:2].isdigit():
                        pytest.fail(f"{s.key}/{t.title}/{col}: {v!r} would read as a formula in a spreadsheet")


# -- RAG movement -----------------------------------------------------------------------------------

def test_rag_transitions_account_for_every_project_and_match_the_rag_shares(cur, review):
    s = review.section("rag_movement")
    now = kpis.project_table(cur, Filters(as_of=M))
    before = kpis.project_table(cur, Filters(as_of=P))
    either = set(now.loc[now["active"], "project_id"]) | set(before.loc[before["active"], "project_id"])
    matrix = s.tables[1].frame.set_index(s.tables[1].frame.columns[0])
    assert matrix.map(int).to_numpy().sum() == len(either)
    values = kpis.compute_kpis(cur, Filters(as_of=M))
    active = values["active_projects"]
    stacked = {name.split(" in ")[0]: sum(v) for name, v in s.chart.series.items()}
    assert stacked["Red"] == round(values["rag_red_share"] * active)
    assert stacked["Amber"] == round(values["rag_amber_share"] * active)
    assert stacked["Green"] == round(values["rag_green_share"] * active)
    assert sum(stacked.values()) == active


def test_turned_red_projects_are_listed_with_their_move(review):
    moves = review.section("rag_movement").tables[0].frame
    to_red = moves[moves["Movement"].str.endswith("\u2192 Red")]
    assert not to_red.empty
    assert any(FORMULA_NAME in w or SCRIPT_NAME in w for w in to_red["Which"])


# -- decisions --------------------------------------------------------------------------------------

def test_decisions_are_red_or_below_the_registry_thresholds_with_commentary(cur, review):
    s = review.section("decisions")
    table = s.tables[0].frame
    listed = set(table["ID"])
    now = kpis.project_table(cur, Filters(as_of=M))
    active = now[now["active"]]
    expected = set(active.loc[active["overall_rag"] == "red", "project_id"])
    for _, r in active.iterrows():
        for mid in ("spi", "cpi"):
            if r[mid] is not None and not pd.isna(r[mid]) and metrics.status(mid, r[mid]) == "red":
                expected.add(r["project_id"])
    assert listed == expected
    # the reds come first
    reds = list(table["RAG"].str.endswith("Red"))
    assert reds == sorted(reds, reverse=True)
    # names are kept as the data gave them; renderers escape them
    assert {FORMULA_NAME, SCRIPT_NAME} <= set(table["Project"])
    notes = cur.execute(
        "SELECT project_id, summary FROM status_reports WHERE report_date <= DATE '2025-06-30' AND summary IS NOT NULL "
        "QUALIFY row_number() OVER (PARTITION BY project_id ORDER BY report_date DESC) = 1").df()
    notes = dict(zip(notes["project_id"], notes["summary"]))
    for _, r in table.iterrows():
        if r["ID"] in notes:
            assert r["Latest commentary"] is not None
            assert " ".join(notes[r["ID"]].split())[:40] in r["Latest commentary"]


def test_decision_chart_is_the_worst_variances(review):
    s = review.section("decisions")
    values = list(s.chart.series.values())[0]
    assert values == sorted(values)
    assert len(values) <= 12


# -- milestones -------------------------------------------------------------------------------------

def test_missed_this_month_and_due_next_month(cur, review):
    s = review.section("milestones")
    missed, due = s.tables[0].frame, s.tables[1].frame
    expected = changes_since_last_month(cur, Filters(as_of=M))["missed_milestones"]
    assert list(missed["Milestone"]) == list(expected["milestone_name"])
    for _, r in due.iterrows():
        when = r["Forecast"] or r["Baseline"]
        assert when.startswith("2025-07"), r.to_dict()
    series = kpis.kpi_series(cur, "milestone_on_time_rate", Filters(as_of=M), start=month_add(M, -11), end=M)
    assert s.chart.categories == list(series["month"])
    assert s.chart.series["Milestones on time"][-1] == pytest.approx(
        kpis.compute_kpis(cur, Filters(as_of=M))["milestone_on_time_rate"])


# -- spend and forecasts ----------------------------------------------------------------------------

def test_forecast_changes_come_from_the_two_months_snapshots(cur, review):
    s = review.section("spend")
    changes = s.tables[0].frame
    snaps = cur.execute(
        "SELECT a.project_id, coalesce(a.forecast_finish_date, a.baseline_finish_date) AS before, "
        "coalesce(b.forecast_finish_date, b.baseline_finish_date) AS after, "
        "a.budget_at_completion AS bac_before, b.budget_at_completion AS bac_after "
        "FROM meta.project_snapshots a JOIN meta.project_snapshots b USING (project_id) "
        "WHERE a.snapshot_month = ? AND b.snapshot_month = ? AND b.actual_finish_date IS NULL",
        [P, M]).df()
    selected = set(kpis.project_table(cur, Filters(as_of=M))["project_id"])
    snaps = snaps[snaps["project_id"].isin(selected)]
    moved = snaps[(snaps["before"] != snaps["after"]) | (snaps["bac_before"] != snaps["bac_after"])]
    assert not moved.empty, "the two demo extracts should differ"
    assert set(changes["ID"]) == set(moved["project_id"])
    row = changes.iloc[0]
    snap = moved.set_index("project_id").loc[row["ID"]]
    assert row["Finish (May 2025)"] == pd.Timestamp(snap["before"]).date().isoformat()
    assert row["Finish (June 2025)"] == pd.Timestamp(snap["after"]).date().isoformat()
    assert not [n for n in s.notes if "extract" in n]


def test_forecast_changes_explain_when_there_is_no_earlier_snapshot(cur):
    review = build_review(cur, Filters(as_of=M), previous="2025-01")
    s = review.section("spend")
    assert s.tables[0].is_empty
    assert any("forecast changes need one loaded in each month" in n for n in s.notes)


def test_spend_chart_is_the_earned_value_of_the_kpi_engine(cur, review):
    chart = review.section("spend").chart
    values = kpis.compute_kpis(cur, Filters(as_of=M))
    assert chart.categories[-1] == M
    assert chart.series["Planned value (PV)"][-1] == pytest.approx(values["planned_value"])
    assert chart.series["Earned value (EV)"][-1] == pytest.approx(values["earned_value"])
    assert chart.series["Actual cost (AC)"][-1] == pytest.approx(values["actual_cost"])


# -- resources, benefits, maturity, data quality ------------------------------------------------------

def test_resource_hot_spots_match_the_resource_kpis(cur, review):
    s = review.section("resources")
    values = kpis.compute_kpis(cur, Filters(as_of=M))
    assert len(s.tables[0].frame) == values["overallocated_resources"]
    util = kpis.kpi_breakdown(cur, "utilization", Filters(as_of=M), by="department").set_index("group")["value"]
    for dept, v in zip(s.chart.categories, s.chart.series["Utilisation"]):
        assert v == pytest.approx(util[dept])


def test_benefits_at_risk_and_realised_match_the_benefit_kpis(cur, review):
    s = review.section("benefits")
    values = kpis.compute_kpis(cur, Filters(as_of=M))
    assert len(s.tables[0].frame) == values["benefits_at_risk"]
    assert sum(s.chart.series["Realised to date"]) == pytest.approx(values["benefits_realized_to_date"])
    assert sum(s.chart.series["Planned to date"]) == pytest.approx(values["benefits_planned_to_date"])


def test_maturity_only_in_a_month_with_a_new_assessment(cur, review):
    import json

    months = [r[0] for r in cur.execute(
        "SELECT DISTINCT strftime(assessment_date, '%Y-%m') FROM maturity_assessments ORDER BY 1").fetchall()]
    assert months
    assessed = months[-1]
    with_assessment = build_review(cur, Filters(as_of=assessed))
    assert "maturity" in with_assessment.keys
    s = with_assessment.section("maturity")
    assert s.chart.style == "radar" and s.chart.categories
    names = [t["name"] for t in json.loads(section_figure(s).to_json())["data"]]
    assert not [n for n in names if "&amp;amp;" in n]
    if M not in months:
        assert "maturity" not in review.keys


def test_data_quality_counts_every_finding_by_rule(cur, review):
    s = review.section("data_quality")
    table = s.tables[0].frame
    total = cur.execute("SELECT count(*) FROM meta.findings").fetchone()[0]
    assert sum(int(v.replace(",", "")) for v in table["Findings"]) == total
    by_rule = dict(cur.execute("SELECT rule_id, count(*) FROM meta.findings GROUP BY ALL").fetchall())
    assert dict(zip(s.chart.options["rule_ids"], s.chart.series["Findings"])) == {
        k: float(v) for k, v in by_rule.items()}
    # a board reads what each rule checks; the ids are in the appendix only
    assert not set(s.chart.categories) & set(by_rule) and "Rule" not in table.columns
    assert set(s.details[0].frame["Rule"]) == set(by_rule)


def test_filters_narrow_the_review(cur):
    portfolio = kpis.filter_options(cur)["portfolios"][0]
    f = Filters(as_of=M, portfolios=(portfolio,))
    narrowed = build_review(cur, f)
    projects = kpis.project_table(cur, f)
    assert set(narrowed.section("decisions").tables[0].frame["ID"]) <= set(projects["project_id"])
    assert portfolio in narrowed.subtitle
    assert narrowed.section("headline").chart.series["Red"][1] == pytest.approx(
        kpis.compute_kpis(cur, f)["rag_red_share"] or 0.0)


# -- months -----------------------------------------------------------------------------------------

def test_months_without_data_and_bad_comparisons_are_refused(cur):
    with pytest.raises(ReviewError, match="no data for 1999-01"):
        build_review(cur, Filters(as_of="1999-01"))
    with pytest.raises(ReviewError, match="must be before"):
        build_review(cur, Filters(as_of=M), previous=M)
    with pytest.raises(ValueError):
        build_review(cur, Filters(as_of=M), previous="2025-13")


def test_the_first_month_has_no_history_but_still_builds(cur):
    first = kpis.available_months(cur)[0]
    r = build_review(cur, Filters(as_of=first))
    assert r.previous == month_add(first, -1)
    # nothing was active the month before the data starts: every active project is new
    chart = r.section("rag_movement").chart
    active = kpis.compute_kpis(cur, Filters(as_of=first))["active_projects"]
    new = chart.categories.index("Was not active")
    assert sum(v[new] for v in chart.series.values()) == active
    assert r.section("headline").message


def test_decision_projects_helper_returns_reasons(cur, review):

    ctx = Context(cur, Filters(as_of=M), P)
    t = decision_projects(ctx)
    assert t["reasons"].map(bool).all()


# -- the page ---------------------------------------------------------------------------------------

def _app(review_db, monkeypatch, month: str, **params):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PMO_DB", str(review_db))
    monkeypatch.setenv("PMO_BUILD_DEMO_WHEN_EMPTY", "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["as_of"] = month
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/monthly_review.py").run()
    return at


def _section_buttons(at) -> list:
    return [b for b in at.button if b.key and b.key.startswith("review_goto_")]


@pytest.mark.parametrize("which", ["first", "last"])
def test_page_renders_every_section_for_the_first_and_last_month(review_db, cur, monkeypatch, which):
    months = kpis.available_months(cur)
    month = months[0] if which == "first" else kpis.default_as_of(cur)
    at = _app(review_db, monkeypatch, month)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    expected = build_review(cur, Filters(as_of=month))
    assert len(_section_buttons(at)) == len(expected.sections)
    assert [t.value for t in at.title] == [expected.sections[0].title]
    for section in expected.sections[1:]:
        at.button(key="review_next").click().run()
        assert not at.exception, [e.value for e in at.exception]
        assert [t.value for t in at.title] == [section.title]
    assert at.query_params["section"] in (str(len(expected.sections)), [str(len(expected.sections))])
    assert at.button(key="review_next").disabled
    at.button(key="review_prev").click().run()
    assert [t.value for t in at.title] == [expected.sections[-2].title]
    labels = {b.label for b in at.get("download_button")}
    assert {"PowerPoint deck", "HTML pack"} <= labels


def test_page_opens_the_section_named_in_the_url_and_escapes_names(review_db, cur, monkeypatch):
    expected = build_review(cur, Filters(as_of=M))
    at = _app(review_db, monkeypatch, M, section="4")  # projects needing a decision
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [expected.sections[3].title]
    # the screen's table is HTML built by the report module: names from the data reach it escaped
    raw = [m.value for m in at.markdown if m.allow_html]
    tables = [v for v in raw if 'class="pmo-table"' in v]
    assert tables and not [v for v in tables if "<script>" in v]
    assert any("&lt;script&gt;" in v for v in tables)
    # every other piece of raw HTML is a stylesheet, and carries no data
    assert all("<style>" in v and "script" not in v.lower() for v in raw if v not in tables)
    # the appendix holds every row and column of the section's tables
    frames = [d.value for d in at.dataframe]
    assert any(len(f) == len(expected.sections[3].tables[0].frame) for f in frames)


def test_page_ignores_a_section_that_does_not_exist(review_db, cur, monkeypatch):
    expected = build_review(cur, Filters(as_of=M))
    at = _app(review_db, monkeypatch, M, section="99")
    assert [t.value for t in at.title] == [expected.sections[0].title]
