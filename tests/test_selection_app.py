"""The Pipeline and What-if pages through Streamlit's AppTest: on the demo, on an empty database and
under a filter that selects nothing; scores that match the library's; weights that cannot be used; an
infeasible forced set; saving behind the PMO-lead password (and, without one configured, signed with
PMO_USER); business-unit scoping of the candidates and of the saved scenarios."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from pmo_metrics import formatting as fmt
from pmo_metrics import pipeline
from pmo_metrics.db import Warehouse
from pmo_metrics.filters import Filters

from test_app import APP, TIMEOUT, demo, empty_db, no_match_filters, problems, use_db  # noqa: F401 — shared fixtures

PIPELINE, SCENARIOS = "pages/pipeline.py", "pages/scenarios.py"
WEIGHTS = "strategic_alignment=3 priority=2 benefit_ratio=3 risk=2"


@pytest.fixture
def store(tmp_path, monkeypatch) -> str:
    """Each test its own app-state store."""
    url = f"sqlite:///{tmp_path / 'appstate.sqlite'}"
    monkeypatch.setenv("PMO_APP_STATE_URL", url)
    return url


def page(path: str, secrets: dict | None = None, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(path).run()
    return at


def plain(text: str) -> str:
    """Text as the reader sees it: the pages escape Markdown in text from the data."""
    return text.replace("\\", "")


def metric(at: AppTest, label: str) -> list[str]:
    return [m.value for m in at.metric if m.label == label]


def library_scores(db, filters: Filters = Filters()):
    cur = Warehouse(db).cursor()
    try:
        return pipeline.scores(cur, filters, WEIGHTS)
    finally:
        cur.close()


def test_the_pipeline_lists_every_candidate_with_its_score(demo, use_db):
    use_db(demo["db"])
    at = page(PIPELINE)
    assert not problems(at)
    expected = library_scores(demo["db"])
    assert metric(at, "Candidates") == [fmt.count(len(expected))]
    assert metric(at, "Total ask (BAC)") == [fmt.money(expected["bac"].sum())]
    shown = at.dataframe[0].value
    assert shown["project_id"].tolist() == expected["project_id"].tolist()
    assert shown["score"].round(6).tolist() == expected["score"].round(6).tolist()
    assert any("no history yet" in c.value for c in at.caption)
    # the first candidate explained: its weighted parts add up to its score
    explained = at.dataframe[1].value
    assert explained["part"].sum() == pytest.approx(expected["score"].iloc[0])
    assert explained["criterion_label"].tolist() == ["Strategic alignment", "Priority", "Benefit ratio", "Risk"]


def test_the_what_if_page_shows_the_optimum_beside_the_rankings(demo, use_db, store):
    use_db(demo["db"])
    at = page(SCENARIOS)
    assert not problems(at)
    optimal, by_score, by_value = (float(v) for v in metric(at, "Total score"))
    assert optimal >= by_score and optimal >= by_value
    assert at.number_input[0].value > 0                          # half the total ask to start with
    assert len(at.get("plotly_chart")) == 1                     # the frontier
    at.number_input[0].set_value(0.0)
    at.button[0].click().run()                                   # the form's Run button
    assert metric(at, "Total score") == ["0.0", "0.0", "0.0"]


def test_a_forced_set_that_breaks_the_budget_is_named(demo, use_db, store):
    use_db(demo["db"])
    at = page(SCENARIOS)
    candidates = library_scores(demo["db"])
    forced = at.multiselect[0]
    forced.set_value(candidates["project_id"].tolist()[:3])
    at.number_input[0].set_value(1000.0)
    at.button[0].click().run()
    errors = [plain(e.value) for e in at.error]
    assert any(e.startswith("No selection: the projects forced in (") and "more than the budget of 1.0 k" in e
               for e in errors), errors
    assert not at.exception


def test_weights_that_cannot_be_used_are_explained(demo, use_db):
    use_db(demo["db"], PMO_SELECTION_WEIGHTS="priority=3 innovation=1")
    for path in (PIPELINE, SCENARIOS):
        at = page(path)
        assert not at.exception
        assert any("innovation is not a built-in criterion" in plain(e.value) and "PMO_SELECTION_WEIGHTS" in e.value
                   for e in at.error), path


def test_the_pages_explain_an_empty_database_and_a_filter_selecting_nothing(demo, empty_db, use_db, store):
    use_db(empty_db)
    for path in (PIPELINE, SCENARIOS):
        at = page(path)
        assert not problems(at) and any("holds no rows" in i.value for i in at.info)
    use_db(demo["db"])
    portfolio, program = no_match_filters(demo["projects"])
    for path in (PIPELINE, SCENARIOS):
        at = page(path, query={"portfolio": portfolio, "program": program})
        assert not problems(at)
        assert any("No candidate projects" in i.value and "pass these filters" in i.value for i in at.info), path


def save(at: AppTest, name: str) -> AppTest:
    at.text_input(key="scenario_name").input(name)
    at.button(key="FormSubmitter:save_scenario-Save").click().run()
    return at


def test_without_a_lead_password_anyone_saves_signed_with_their_name(demo, use_db, store):
    use_db(demo["db"], PMO_USER="carol")
    at = page(SCENARIOS)
    assert "scenarios_password" not in [t.key for t in at.text_input]     # nothing to unlock
    save(at, "Half the ask")
    assert any("Saved as “Half the ask” by carol" in plain(s.value) for s in at.success)
    saved = at.dataframe[-1].value
    assert saved["name"].tolist() == ["Half the ask"] and saved["author"].tolist() == ["carol"]
    save(at, "Half the ask")                                     # a taken name is refused, in one line
    assert any("Not saved: a scenario named 'Half the ask' exists already" in plain(e.value) for e in at.error)


def test_with_a_lead_password_saving_asks_for_it(demo, use_db, store):
    use_db(demo["db"], loads=True)
    at = page(SCENARIOS)
    assert [t.key for t in at.text_input] == ["scenarios_password"]      # no name box until unlocked
    at.text_input(key="scenarios_password").input("wrong").run()
    assert any("Wrong password (1 of" in e.value for e in at.error)
    assert [t.key for t in at.text_input] == ["scenarios_password"]
    from test_app import LOADS_PASSWORD

    at.text_input(key="scenarios_password").input(LOADS_PASSWORD).run()
    save(at, "Lead's pick")
    assert any("Saved as “Lead's pick” by anonymous" in plain(s.value) for s in at.success)
    # a second scenario, then the two compared side by side
    at.number_input[0].set_value(at.number_input[0].value * 1.5)
    at.button[0].click().run()
    save(at, "Bigger budget")
    assert any("What changed from A to B" in m.value for m in at.markdown)
    assert any(m.value.startswith("- Budget ") for m in at.markdown)


def test_scoped_viewers_see_the_candidates_and_scenarios_of_their_units_only(demo, use_db, store):
    from pmo_metrics import saved_scenarios, scenarios
    from pmo_metrics.appstate import AppState

    use_db(demo["db"])
    everyone = library_scores(demo["db"])
    units = sorted(everyone["business_unit"].unique())
    assert len(units) > 1
    mine = units[0]
    # a scenario over every unit's candidates, saved by someone who sees them all
    cur = Warehouse(demo["db"]).cursor()
    try:
        plan = scenarios.plan(cur, Filters(), WEIGHTS)
    finally:
        cur.close()
    state = AppState.open(store)
    saved_scenarios.save(state, saved_scenarios.record("All units", plan, scenarios.run(plan, scenarios.Scenario(1e9)), Filters()))
    state.close()

    secrets = {"scoping": {"default_user": "alice", "users": {"alice": [mine]}}}
    at = page(PIPELINE, secrets)
    assert not problems(at)
    assert set(at.dataframe[0].value["business_unit"]) == {mine}
    at = page(SCENARIOS, secrets)
    assert not problems(at)
    shown = [df.value for df in at.dataframe if "by_value" in df.value.columns][0]     # the funded table
    assert set(shown["business_unit"]) == {mine}
    assert not any("All units" in str(df.value.get("name", "")) for df in at.dataframe)
    assert any("No scenario has been saved yet" in i.value for i in at.info)


def test_a_scenario_without_a_name_is_not_saved(demo, use_db, store):
    use_db(demo["db"])
    at = page(SCENARIOS)
    save(at, "   ")
    assert any("Not saved: the scenario's name must not be empty" in plain(e.value) for e in at.error)
    assert any("No scenario has been saved yet" in i.value for i in at.info)


def test_a_store_that_cannot_be_opened_is_explained_and_the_what_if_still_runs(demo, use_db, monkeypatch):
    use_db(demo["db"], PMO_APP_STATE_URL="not a database url")
    at = page(SCENARIOS)
    assert not at.exception
    assert any(plain(e.value).startswith("Saved scenarios are not available: the app-state store URL") for e in at.error)
    assert len(metric(at, "Total score")) == 3
