"""Notes on the figures in the review and the pack: where each note shows, which ones a selection
or a scope leaves out, last month's decisions listed, and every renderer escaping the text."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from pptx import Presentation

from pmo_metrics import metrics
from pmo_metrics.appstate import AppState
from pmo_metrics.db import cursor_for, open_readonly
from pmo_metrics.filters import Filters
from pmo_metrics.report import render_html
from pmo_metrics.review import build_review
from pmo_metrics.review.figure_notes import NOTES_KEY, annotate, project_names, review_notes
from pmo_metrics.slides import render_pptx

from test_review import M, P, build_demo_warehouse

HOSTILE = "<script>alert(1)</script> & =HYPERLINK(\"x\")"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_demo_warehouse(tmp_path_factory.getbasetemp() / "review-demo")


@pytest.fixture(scope="module")
def cur(db):
    con = open_readonly(db)
    yield cursor_for(con)
    con.close()


@pytest.fixture(scope="module")
def review(cur):
    return build_review(cur, Filters(as_of=M))


@pytest.fixture(scope="module")
def names(cur):
    return project_names(cur, Filters(as_of=M))


@pytest.fixture
def store(tmp_path, names):
    s = AppState.open(f"sqlite:///{tmp_path / 'state.sqlite'}")
    inside, outside = sorted(names)[0], "PRJ-NOT-SELECTED"
    s.add_note("kpi", "cpi", "Supplier invoices for May arrive late.", "Ann", month=M)
    s.add_note("month", M, HOSTILE, "Bo")
    s.add_note("project", inside, "Re-plan agreed with the sponsor.", "Ann", month=M)
    s.add_note("project", outside, "Not for this selection.", "Ann", month=M)
    s.add_note("project", inside, "Approve re-baseline.", "Cy", kind="decision", month=P)
    s.add_note("kpi", "spi", "A note on another month.", "Ann", month="2024-01")
    gone = s.add_note("kpi", "eac", "Written by mistake.", "Ann", month=M)
    s.delete_note(gone, "Ann")
    yield s
    s.close()


def test_a_review_without_notes_is_unchanged(review, tmp_path, names):
    empty = AppState.open(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    try:
        assert annotate(review, review_notes(empty, M, P), names) is review
    finally:
        empty.close()


def test_notes_show_beside_their_figures_and_in_their_own_section(review, store, names):
    inside = sorted(names)[0]
    out = annotate(review, review_notes(store, M, P), names)
    assert [s.key for s in out.sections] == [review.sections[0].key, NOTES_KEY, *[s.key for s in review.sections[1:]]]
    assert all(not s.annotations for s in review.sections)   # the cached review is not touched
    section = out.section(NOTES_KEY)
    assert section.message == "1 decision recorded in the review of May 2025; 3 notes on June 2025"
    (listed,) = section.tables
    rows = listed.frame.to_dict("records")
    assert rows[0] == {"On": f"{inside} · {names[inside]}", "Kind": "Decision, May 2025",
                       "Text": "Approve re-baseline.", "By": "Cy", "Written": f"{dt.date.today():%Y-%m-%d}"}
    assert sorted(r["Text"] for r in rows[1:]) == sorted(
        ["Supplier invoices for May arrive late.", HOSTILE, "Re-plan agreed with the sponsor."])
    assert {r["Kind"] for r in rows[1:]} == {"Note"}
    assert section.points == [f"Decided in May 2025 on {inside} · {names[inside]}: Approve re-baseline."]
    today = f"{dt.date.today():%Y-%m-%d}"
    assert out.section("headline").annotations == [
        f"Note on {metrics.get('cpi').label}: Supplier invoices for May arrive late. (Ann, {today})",
        f"Note on June 2025 as a whole: {HOSTILE} (Bo, {today})"]
    assert not any("another month" in a or "by mistake" in a for s in out.sections for a in s.annotations)


def test_a_scoped_view_gets_project_notes_only(review, store, names):
    out = annotate(review, review_notes(store, M, P), names, portfolio_notes=False)
    texts = out.section(NOTES_KEY).tables[0].frame["Text"].tolist()
    assert texts == ["Approve re-baseline.", "Re-plan agreed with the sponsor."]
    assert out.section("headline").annotations == []


def test_the_pack_carries_the_notes_escaped_and_in_the_speaker_notes(review, store, names):
    out = annotate(review, review_notes(store, M, P), names)
    page = render_html(out)
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Notes and decisions" in page and "Supplier invoices for May arrive late." in page
    deck = Presentation(io.BytesIO(render_pptx(out)))
    titles = [s.shapes.title.text for s in deck.slides]
    assert "Notes and decisions" in titles
    headline = deck.slides[titles.index("Headline KPIs")]
    body = " ".join(sh.text_frame.text for sh in headline.shapes if sh.has_text_frame)
    assert f"✎ Note on {metrics.get('cpi').label}" in body      # the footnote on the slide
    assert "Supplier invoices for May arrive late." in headline.notes_slide.notes_text_frame.text
    cells = [c.text for s in deck.slides for sh in s.shapes if sh.has_table for r in sh.table.rows for c in r.cells]
    assert not any(c.startswith("=") for c in cells)         # formula prefixes neutralised in tables


def test_the_command_line_pack_reads_the_store_beside_the_database(db, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    s = AppState.open(url)
    s.add_note("month", M, "Board asked for a recovery plan.", "Ann")
    s.close()
    monkeypatch.setenv("PMO_APP_STATE_URL", url)
    from pmo_metrics.cli import main

    assert main(["report", "--db", str(db), "--as-of", M, "--out", str(tmp_path / "pack.html")]) == 0
    assert "Board asked for a recovery plan." in (tmp_path / "pack.html").read_text(encoding="utf-8")
    monkeypatch.delenv("PMO_APP_STATE_URL")
    # without the setting and without a store beside the database: no store is made for a pack
    import shutil

    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(db, alone / "pmo.duckdb")
    assert main(["report", "--db", str(alone / "pmo.duckdb"), "--as-of", M, "--out", str(tmp_path / "plain.html")]) == 0
    assert (tmp_path / "plain.html").exists() and not (alone / "appstate.sqlite").exists()


def _scenario(name: str, budget: float, funded: list[str], score: float, by_score: float):
    from pmo_metrics.saved_scenarios import Record

    candidates = [{"project_id": p, "project_name": f"Candidate {p}", "stage": "idea", "business_unit": "Retail",
                   "score": 50.0, "bac": 1e6} for p in ("C1", "C2", "C3")]
    result = {"optimal": {"funded": funded, "total_score": score, "total_bac": 1e6 * len(funded), "optimal": True},
              "by_score": {"funded": funded[:1], "total_score": by_score, "total_bac": 1e6},
              "by_value": {"funded": funded[:1], "total_score": by_score, "total_bac": 1e6},
              "candidates": candidates}
    return Record(name, {"budget": budget, "limits": {}, "force_in": [], "force_out": []}, result, "Ann")


def test_saved_scenarios_go_to_the_board_as_a_section_and_a_slide(review, tmp_path):
    from pmo_metrics.review.figure_notes import SCENARIOS_KEY, with_scenarios
    from pmo_metrics.saved_scenarios import records, save

    assert with_scenarios(review, []) is review
    s = AppState.open(f"sqlite:///{tmp_path / 'sc.sqlite'}")
    try:
        save(s, _scenario("Tight budget", 2e6, ["C1", "C2"], 95.0, 60.0))
        save(s, _scenario("Larger budget", 3e6, ["C1", "C2", "C3"], 140.0, 140.0))
        out = with_scenarios(review, records(s), "£")
    finally:
        s.close()
    keys = [x.key for x in out.sections]
    assert keys.index(SCENARIOS_KEY) == keys.index("data_quality") - 1
    section = out.section(SCENARIOS_KEY)
    rows = section.tables[0].frame.to_dict("records")
    assert [r["Scenario"] for r in rows] == ["Larger budget", "Tight budget"]      # the latest first
    assert rows[1]["Budget"] == "£2.0 M" and rows[1]["Funded"] == "2" and rows[1]["Score"] == "95.0"
    assert rows[1]["Ranking by score"] == "60.0" and rows[1]["Proven optimal"] == "yes"
    assert section.message == "“Larger budget” funds 3 projects for £3.0 M of a £3.0 M budget"
    assert section.points[0] == "Ranking by score alone would fund a set scoring as much."
    deck = Presentation(io.BytesIO(render_pptx(out, "£")))
    assert "Funding scenarios" in [x.shapes.title.text for x in deck.slides]
