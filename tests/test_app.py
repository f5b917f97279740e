"""The dashboard driven through Streamlit's AppTest: every page on the demo, on an empty database and
under a filter that selects nothing; filters that change the figures and match the command line;
links that reopen a view; drill-down; uploads; the first start without a database; the settings.

The demo database is built once per session from the seeded small demo (conftest.demo_warehouse)
and the app is pointed at it with PMO_DB, exactly as a deployment would be.
"""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pmo_metrics import contract as c
from pmo_metrics import kpis, metrics, settings
from pmo_metrics import formatting as fmt
from pmo_metrics.db import Warehouse, database_version
from pmo_metrics.filters import Filters, previous_month
from pmo_metrics.views import projects

from batches import tiny_tables, write_batch

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
TIMEOUT = 90
LOADS_PASSWORD = "test-pmo-lead"


# -- fixtures ---------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def demo(demo_warehouse) -> dict:
    """The small demo, loaded once: database path, batch folder, default month and its projects."""
    return {"db": demo_warehouse.db, "batch": demo_warehouse.batch, "as_of": demo_warehouse.as_of,
            "projects": pd.read_csv(demo_warehouse.batch / "projects.csv")}


@pytest.fixture(scope="session")
def empty_db(tmp_path_factory) -> Path:
    """A database as the loader lays it out — contract tables, meta tables, marts — with no rows
    (the loader itself refuses a header-only extract, so it is built the way it builds absent tables)."""
    import duckdb

    from pmo_metrics.marts import build_marts
    from pmo_metrics.warehouse import META_DDL

    path = tmp_path_factory.mktemp("app_empty") / "pmo.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA raw; CREATE SCHEMA meta; CREATE SCHEMA marts")
    for ddl in META_DDL:
        con.execute(ddl)
    for name in c.LOAD_ORDER:
        con.execute(c.create_table_sql(c.TABLES[name]))
    build_marts(con)
    con.close()
    return path


@pytest.fixture
def use_db(monkeypatch):
    def point_at(path: Path, loads: bool = False, **env: str) -> None:
        monkeypatch.setenv("PMO_DB", str(path))
        if loads:
            monkeypatch.setenv("PMO_DATA_LOADS_PASSWORD", LOADS_PASSWORD)
        else:
            monkeypatch.delenv("PMO_DATA_LOADS_PASSWORD", raising=False)
        monkeypatch.setenv("PMO_BUILD_DEMO_WHEN_EMPTY", "0")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
    return point_at


def app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    return at.run()


def open_data_loads(at: AppTest) -> AppTest:
    """The Data loads page, unlocked with the PMO-lead password (set by `use_db(..., loads=True)`)."""
    at.switch_page("pages/data_loads.py").run()
    at.text_input(key="data_loads_password").input(LOADS_PASSWORD).run()
    assert at.file_uploader, [e.value for e in at.error]
    return at


def problems(at: AppTest) -> list[str]:
    return [e.value for e in at.exception] + [e.value for e in at.error]


def cards(at: AppTest) -> dict[str, str]:
    """KPI card values by metric id (cards are labelled with the registry's labels)."""
    by_label = {m.label: m.id for m in metrics.METRICS.values()}
    return {by_label[m.label]: m.value for m in at.metric if m.label in by_label}


def no_match_filters(projects: pd.DataFrame) -> tuple[str, str]:
    """A portfolio and a program that exist but never together."""
    named = projects.dropna(subset=["program"])
    pairs = set(zip(named["portfolio"], named["program"]))
    for portfolio in sorted(projects["portfolio"].unique()):
        for program in sorted(projects["program"].dropna().unique()):
            if (portfolio, program) not in pairs:
                return portfolio, program
    raise AssertionError("every portfolio has every program")


def walk(at: AppTest) -> dict[str, list[str]]:
    """Open every page in turn (as the navigation does) and collect what went wrong on each."""
    failures = {}
    for page in PAGES:
        at.switch_page(page).run()
        found = problems(at)
        if not at.title and not at.info:
            found.append("neither a title nor an explanation")
        if found:
            failures[page] = found
    return failures


# -- every page ---------------------------------------------------------------------------------------

def test_every_page_renders_on_the_demo(demo, use_db):
    use_db(demo["db"])
    at = app()
    assert not problems(at)
    assert any("Demo data" in w.value for w in at.warning)
    assert any("Data loaded" in cap.value and "projects" in cap.value for cap in at.caption)
    assert walk(at) == {}


def test_every_page_renders_on_an_empty_database(empty_db, use_db):
    use_db(empty_db)
    at = app()
    assert not problems(at)
    assert any("holds no rows" in i.value for i in at.info)
    assert walk(at) == {}


def test_the_monthly_review_without_a_review_says_so_under_its_title(empty_db, use_db, tmp_path):
    """Its heading is a section's title: where it has no section, the page still says what it is."""
    from pmo_metrics.warehouse import load_batch

    use_db(empty_db)                                  # no rows at all
    at = app()
    at.switch_page("pages/monthly_review.py").run()
    assert not problems(at)
    assert [t.value for t in at.title] == ["Monthly review"]
    assert any("holds no rows" in i.value for i in at.info)

    # projects, but no month any figure is observed in: no review can be built
    batch = write_batch(tmp_path / "batch", tiny_tables(), only=("strategic_objectives", "projects"))
    assert load_batch(batch, tmp_path / "pmo.duckdb", archive=False).status == "loaded"
    use_db(tmp_path / "pmo.duckdb")
    at = app()
    at.switch_page("pages/monthly_review.py").run()
    assert not problems(at)
    assert [t.value for t in at.title] == ["Monthly review"]
    assert [i.value for i in at.info] == [
        "No review for this month: the database holds no data to review; load a batch first."]
    assert not at.button                              # no section to step through, nothing to download


def test_every_page_renders_when_the_filters_select_nothing(demo, use_db):
    use_db(demo["db"])
    portfolio, program = no_match_filters(demo["projects"])
    at = app({"portfolio": portfolio, "program": program})
    assert at.multiselect(key="f_program").value == [program]
    assert cards(at)["active_projects"] == "0"
    assert any("No active projects for this selection" in i.value for i in at.info)
    assert walk(at) == {}


# -- filters ------------------------------------------------------------------------------------------

def test_a_filter_change_changes_the_figures(demo, use_db):
    use_db(demo["db"])
    at = app()
    before = cards(at)
    portfolio = sorted(demo["projects"]["portfolio"].unique())[0]
    at.multiselect(key="f_portfolio").set_value([portfolio]).run()
    after = cards(at)
    assert not problems(at)
    assert after["active_projects"] != before["active_projects"]
    assert int(after["active_projects"]) < int(before["active_projects"])
    assert after["maturity_score"] == before["maturity_score"]  # maturity is scoped by business unit only
    assert at.query_params.get("portfolio") == portfolio


def test_kpi_cards_match_the_command_line(demo, use_db):
    use_db(demo["db"])
    portfolio = sorted(demo["projects"]["portfolio"].unique())[-1]
    month = previous_month(demo["as_of"])
    at = app({"portfolio": portfolio, "as_of": month})
    shown = cards(at)
    assert len(shown) >= 12

    out = subprocess.run([sys.executable, "-m", "pmo_metrics", "kpis", "--db", str(demo["db"]), "--format", "json",
                          "--portfolio", portfolio, "--as-of", month],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    cli = json.loads(out.stdout)
    assert cli["as_of"] == month
    cur = Warehouse(demo["db"]).cursor()
    try:
        direct = kpis.compute_kpis(cur, Filters(as_of=month, portfolios=(portfolio,)))
    finally:
        cur.close()
    for metric_id, text in shown.items():
        assert text == metrics.format_value(metric_id, cli[metric_id]), metric_id
        assert text == metrics.format_value(metric_id, direct[metric_id]), metric_id
    # Each change says what it is measured against, short enough for a projector's card.
    compared = {m.proto.delta_description for m in at.metric if m.proto.delta}
    assert compared == {f"vs {fmt.month_abbr(previous_month(month))}"}


# -- links ----------------------------------------------------------------------------------------------

def test_query_params_round_trip(demo, use_db):
    use_db(demo["db"])
    portfolio = sorted(demo["projects"]["portfolio"].unique())[1]
    objective = sorted(demo["projects"]["strategic_objective_id"].dropna().unique())[0]
    month = previous_month(previous_month(demo["as_of"]))
    at = app({"as_of": month, "portfolio": [portfolio, "Not a portfolio"], "business_unit": "x' OR 1=1 --",
              "objective": [objective, "SO-99"], "program": ""})
    assert not problems(at)
    assert at.selectbox(key="f_as_of").value == month
    assert at.multiselect(key="f_portfolio").value == [portfolio]
    assert at.multiselect(key="f_business_unit").value == []
    assert at.multiselect(key="f_objective").value == [objective]
    assert at.query_params == {"as_of": month, "portfolio": portfolio, "objective": objective}
    assert any(f"as of {month}" in cap.value.replace("\\", "") for cap in at.caption)

    # A click in the navigation menu drops the query string; the next run writes it back.
    at.query_params = {}
    at.switch_page("pages/finance.py").run()
    assert not problems(at)
    assert at.query_params == {"as_of": month, "portfolio": portfolio, "objective": objective}

    # Back to "Latest": the month leaves the URL, so the link follows new loads.
    at.selectbox(key="f_as_of").set_value("latest").run()
    assert "as_of" not in at.query_params
    at.button(key="clear_filters").click().run()
    assert at.query_params == {}


def test_the_department_filter_shows_where_resources_do_and_is_kept_elsewhere(demo, use_db):
    use_db(demo["db"])
    cur = Warehouse(demo["db"]).cursor()
    try:
        department = kpis.filter_options(cur)["departments"][0]
    finally:
        cur.close()
    at = app({"department": department})
    assert at.multiselect(key="f_department").value == [department]
    everyone = cards(app())["utilization"]
    assert cards(at)["utilization"] != everyone
    at.switch_page("pages/finance.py").run()
    assert not problems(at)
    assert "f_department" not in [w.key for w in at.multiselect]
    assert at.query_params["department"] == department          # kept in the link all the same
    at.switch_page("pages/resources.py").run()
    assert at.multiselect(key="f_department").value == [department]
    shown = at.dataframe[1].value                                 # resources by department
    assert set(shown["key"]) == {department}


def test_an_invalid_month_in_the_url_is_ignored(demo, use_db):
    use_db(demo["db"])
    for bad in ("2099-13", "1900-01", "'; DROP TABLE projects; --"):
        at = app({"as_of": bad})
        assert not problems(at)
        assert at.selectbox(key="f_as_of").value == "latest"
        assert "as_of" not in at.query_params


def test_a_project_link_opens_that_project(demo, use_db):
    use_db(demo["db"])
    pid, name = demo["projects"][["project_id", "project_name"]].iloc[5]
    at = app()
    at.query_params["project"] = pid
    at.switch_page("pages/project.py").run()
    assert not problems(at)
    assert at.selectbox(key="project_pick").value == pid
    assert any(name in h.value for h in at.subheader)
    assert at.query_params["project"] == pid


# -- drill-down ------------------------------------------------------------------------------------------

def _keyed(at: AppTest, prefix: str) -> str:
    keys = [k for k in at.session_state.keys() if str(k).startswith(prefix)]
    assert len(keys) == 1, keys
    return keys[0]


def test_drill_down_by_selection_narrows_the_view(demo, use_db):
    use_db(demo["db"])
    at = app()
    at.switch_page("pages/portfolio.py").run()
    top = at.dataframe[0].value
    cur = Warehouse(demo["db"]).cursor()
    try:
        expected = projects.drill_rollup(cur, Filters(as_of=demo["as_of"]), "portfolio")
    finally:
        cur.close()
    assert top["label"].tolist() == expected["label"].tolist()        # every portfolio with an active project
    assert top["projects"].tolist() == expected["projects"].tolist()
    assert len(top) > 1 and top["label"].map(lambda v: isinstance(v, str)).all()

    # a row picked in the roll-up table drills into that portfolio
    at.session_state[_keyed(at, "drill_table_")] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not problems(at)
    portfolio = at.query_params["drill_portfolio"]
    assert portfolio == top["label"].iloc[0]
    assert at.button(key="crumb_portfolio").label.replace("\\", "") == portfolio  # escaped markdown
    programs = at.dataframe[0].value
    in_portfolio = demo["projects"]["portfolio"] == portfolio
    assert 1 <= len(programs) <= demo["projects"][in_portfolio]["program"].fillna("(none)").nunique()
    projects_shown = at.dataframe[1].value
    assert set(projects_shown["portfolio"]) == {portfolio}

    # a bar clicked in the chart drills into a program
    key = _keyed(at, "drill_chart_program")
    picked = programs["label"].iloc[0]
    at.session_state[key] = {"selection": {"points": [{"customdata": picked}], "point_indices": [0],
                                           "box": [], "lasso": []}}
    at.run()
    assert not problems(at)
    assert at.query_params["drill_program"] == picked
    leaf = at.dataframe[0].value
    assert len(leaf) >= 1

    # the breadcrumb goes back to the top
    at.button(key="crumb_all").click().run()
    assert "drill_portfolio" not in at.query_params and "drill_program" not in at.query_params
    assert len(at.dataframe[0].value) == len(top)


def test_picking_a_project_in_the_drill_down_opens_its_page(demo, use_db):
    use_db(demo["db"])
    at = app()
    at.switch_page("pages/portfolio.py").run()
    portfolio = at.dataframe[0].value["label"].iloc[0]
    at.query_params.update({"drill_portfolio": portfolio})
    at.run()
    program = at.dataframe[0].value["label"].iloc[0]
    at.query_params.update({"drill_program": program})
    at.run()
    leaf = at.dataframe[0].value
    at.session_state[_keyed(at, "drill_table_project")] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not problems(at)
    assert at.selectbox(key="project_pick").value == at.query_params["project"]
    assert at.query_params["project"] in set(demo["projects"]["project_id"])
    assert len(leaf) >= 1


# -- data loads -------------------------------------------------------------------------------------------

def test_the_upload_page_rejects_a_bad_batch_and_leaves_the_data_alone(demo, use_db):
    use_db(demo["db"], loads=True)
    version = database_version(demo["db"])
    at = app()
    before = cards(at)
    source = (demo["batch"] / "projects.csv").read_text(encoding="utf-8").splitlines()
    cols = source[0].split(",")
    row = source[1].split(",")
    row[cols.index("budget_at_completion")] = "-5"              # PRJ-BUDGET
    row[cols.index("start_date")] = "not a date"                # SCHEMA
    bad = "\n".join([source[0], ",".join(row), *source[2:]]) + "\n"

    open_data_loads(at)
    at.file_uploader[0].upload("projects.csv", bad.encode("utf-8"), "text/csv")
    at.run()
    assert not at.exception
    assert any("This batch would be rejected" in e.value for e in at.error)
    errors = {m.label: m.value for m in at.metric}["Errors"]
    assert int(errors.replace(",", "")) >= 2
    report = at.dataframe[0].value
    assert {"PRJ-BUDGET", "SCHEMA"} <= set(report["rule_id"])
    assert at.button(key="upload_load").disabled
    assert any(b.key == "dl_csv_upload_report" for b in at.download_button)

    assert database_version(demo["db"]) == version
    at.switch_page("pages/overview.py").run()
    assert cards(at) == before


def test_an_upload_loads_and_every_page_shows_the_new_data(demo, use_db, tmp_path):
    db = tmp_path / "pmo.duckdb"
    shutil.copyfile(demo["db"], db)
    use_db(db, loads=True)
    projects = demo["projects"].copy()
    pid = projects["project_id"].iloc[3]
    hostile = "Renamed *by* [an upload](http://example.org) <b>x</b>"
    projects.loc[projects["project_id"] == pid, "project_name"] = hostile
    csv = projects.to_csv(index=False).encode("utf-8")

    at = app()
    open_data_loads(at)
    at.file_uploader[0].upload("projects.csv", csv, "text/csv")
    at.run()
    assert not problems(at)
    assert not at.button(key="upload_load").disabled
    at.button(key="upload_load").click().run()
    assert not problems(at)
    assert any("loaded" in s.value for s in at.success)

    at.query_params["project"] = pid
    at.switch_page("pages/project.py").run()
    assert not problems(at)
    # the new name shows at once, as text: its markdown and HTML are escaped, never rendered
    assert any(h.value.replace("\\", "") == hostile and "\\*by\\*" in h.value and "\\[an" in h.value
               for h in at.subheader), [h.value for h in at.subheader]


def test_a_corrupt_database_is_explained_and_rebuilt_by_an_upload(demo, use_db, tmp_path):
    db = tmp_path / "pmo.duckdb"
    db.write_bytes(b"not a database at all" * 200)
    use_db(db, loads=True)
    at = app()
    assert not at.exception
    assert any("cannot be read" in e.value for e in at.error)

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(demo["batch"].glob("*.csv")):
            z.write(f, f.name)
    open_data_loads(at)
    assert any("sets it aside" in w.value for w in at.warning)
    at.file_uploader[0].upload("batch.zip", archive.getvalue(), "application/zip")
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Errors"] == "0"
    at.button(key="upload_load").click().run()
    assert any("loaded" in s.value for s in at.success)
    assert len(list(tmp_path.glob("pmo.duckdb.corrupt-*"))) == 1
    at.switch_page("pages/overview.py").run()
    assert not problems(at)
    assert int(cards(at)["active_projects"]) > 0


# -- first start ----------------------------------------------------------------------------------------------

def test_first_start_without_a_database_builds_the_demo(tmp_path, monkeypatch):
    db = tmp_path / "data" / "pmo.duckdb"
    monkeypatch.setenv("PMO_DB", str(db))
    monkeypatch.setenv("PMO_DEMO_DIR", str(tmp_path / "data" / "demo"))
    monkeypatch.setenv("PMO_BUILD_DEMO_WHEN_EMPTY", "1")
    at = app()
    assert not problems(at)
    assert db.exists()
    assert any("Demo data" in w.value for w in at.warning)
    assert int(cards(at)["active_projects"]) > 0


def test_without_a_database_the_pages_explain_until_a_zip_is_uploaded(demo, tmp_path, use_db):
    use_db(tmp_path / "pmo.duckdb", loads=True)
    at = app()
    assert not problems(at)
    assert any("no database yet" in i.value for i in at.info)
    assert walk(at) == {}

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for f in sorted(demo["batch"].glob("*.csv")):
            z.write(f, f"export/{f.name}")
    open_data_loads(at)
    at.file_uploader[0].upload("batch.zip", archive.getvalue(), "application/zip")
    at.run()
    assert not problems(at)
    at.button(key="upload_load").click().run()
    assert any("loaded" in s.value for s in at.success)
    at.switch_page("pages/overview.py").run()
    assert not problems(at)
    assert int(cards(at)["active_projects"]) > 0


# -- settings --------------------------------------------------------------------------------------------------

def test_settings_come_from_the_environment():
    s = settings.load_settings({"PMO_DB": "/x/pmo.duckdb", "PMO_CACHE_MAX_ENTRIES": "12",
                                "PMO_BUILD_DEMO_WHEN_EMPTY": "no"})
    assert (s.database_path, s.cache_max_entries, s.build_demo_when_empty) == ("/x/pmo.duckdb", 12, False)
    assert settings.load_settings({}).database_path == "data/pmo.duckdb"
    with pytest.raises(ValueError, match="PMO_CACHE_MAX_ENTRIES"):
        settings.load_settings({"PMO_CACHE_MAX_ENTRIES": "many"})
    with pytest.raises(ValueError, match="PMO_BUILD_DEMO_WHEN_EMPTY"):
        settings.load_settings({"PMO_BUILD_DEMO_WHEN_EMPTY": "perhaps"})
    assert {f.name for f in settings.Settings.__dataclass_fields__.values()} == {s.name for s in settings.SETTINGS}


def test_the_server_accepts_the_uploads_the_app_allows():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] >= settings.load_settings({}).max_upload_mb


def test_the_glossary_page_lists_every_metric_and_setting(demo, use_db):
    use_db(demo["db"])
    at = app()
    at.switch_page("pages/glossary.py").run()
    assert not problems(at)
    expanders = {e.label for e in at.expander}
    assert {f"{m.label} — {m.id}" for m in metrics.METRICS.values()} <= expanders
    tables = [d.value for d in at.dataframe]
    assert set(metrics.METRICS) <= set(tables[0]["id"])
    assert {s.name for s in settings.SETTINGS} <= set(tables[1]["setting"])
