"""Notes on the figures through the pages (Streamlit's AppTest): a PMO lead adds, edits and deletes a
note on a project and the history keeps every version; a note on a KPI shows on the overview, and
not to a viewer scoped to some business units; the monthly review shows this month's notes and last
month's decisions; note text from people is shown as text, never as markup; with a PMO-lead
password configured, writing waits for it."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from pmo_metrics.appstate import AppState
from pmo_metrics.filters import previous_month

from test_app import APP, LOADS_PASSWORD, TIMEOUT, demo, problems, use_db  # noqa: F401 — shared fixtures

HOSTILE = "<b>bold</b> **not bold** <script>alert(1)</script>"


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'appstate.sqlite'}"
    monkeypatch.setenv("PMO_APP_STATE_URL", url)
    s = AppState.open(url)
    yield s
    s.close()


def page(path: str, query: dict | None = None, secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(path).run()
    return at


def texts(at: AppTest) -> list[str]:
    return [t.value for t in at.text]


def expanders(at: AppTest) -> list[str]:
    return [e.label for e in at.expander]


def test_a_lead_adds_edits_and_deletes_a_project_note_with_its_history(demo, use_db, store, monkeypatch):
    monkeypatch.setenv("PMO_USER", "ann@example.org")
    use_db(demo["db"])
    pid = "PRJ-0001"
    at = page("pages/project.py", {"project": pid})
    assert not problems(at)
    assert "Notes and decisions on this project" in expanders(at)
    at.text_area(key="note_new_text_project").input(HOSTILE)
    at.radio(key="note_new_kind_project").set_value("decision")
    at.button(key="FormSubmitter:note_add_project-Add note").click().run()
    assert not problems(at)
    (note,) = store.notes("project", pid)
    assert (note.text, note.kind, note.author, note.month) == (HOSTILE, "decision", "ann@example.org", demo["as_of"])
    assert HOSTILE in texts(at)                                  # shown as text, exactly as written
    assert "Notes and decisions on this project (1)" in expanders(at)
    assert not any("<script>" in m.value for m in at.markdown)   # never as markup

    at.text_area(key=f"note_text_project_{note.note_id}").input("Approve the re-baseline.")
    at.button(key=f"FormSubmitter:note_edit_project_{note.note_id}-Save changes").click().run()
    assert [n.text for n in store.notes("project", pid)] == ["Approve the re-baseline."]
    assert "Approve the re-baseline." in texts(at)

    at.button(key=f"FormSubmitter:note_edit_project_{note.note_id}-Delete").click().run()
    assert store.notes("project", pid) == []
    assert "Approve the re-baseline." not in texts(at)
    history = store.note_history(note.note_id)
    assert [h["action"] for h in history] == ["created", "edited", "deleted"]
    assert [h["text"] for h in history][:2] == [HOSTILE, "Approve the re-baseline."]


def test_an_empty_note_is_refused_with_a_reason(demo, use_db, store):
    use_db(demo["db"])
    at = page("pages/project.py", {"project": "PRJ-0001"})
    at.text_area(key="note_new_text_project").input("   ")
    at.button(key="FormSubmitter:note_add_project-Add note").click().run()
    assert store.notes("project", "PRJ-0001") == []
    assert [e.value for e in at.error] and "note" in at.error[0].value.lower()


def test_with_a_lead_password_writing_waits_for_it(demo, use_db, store):
    use_db(demo["db"], loads=True)
    store.add_note("project", "PRJ-0001", "Visible to every viewer.", "Ann", month=demo["as_of"])
    at = page("pages/project.py", {"project": "PRJ-0001"})
    assert "Visible to every viewer." in texts(at)
    assert "note_new_text_project" not in [t.key for t in at.text_area]
    at.text_input(key="notes_password_project").input(LOADS_PASSWORD).run()
    assert "note_new_text_project" in [t.key for t in at.text_area]


def test_kpi_notes_show_on_the_overview_but_not_to_a_scoped_viewer(demo, use_db, store):
    use_db(demo["db"])
    store.add_note("kpi", "cpi", "Supplier invoices arrive late.", "Ann", month=demo["as_of"])
    at = page("pages/overview.py")
    assert not problems(at)
    assert "Supplier invoices arrive late." in texts(at)
    unit = demo["projects"]["business_unit"].dropna().iloc[0]
    scoped = page("pages/overview.py", secrets={"scoping": {"default_user": "viewer@example.org",
                                                           "users": {"viewer@example.org": [unit]}}})
    assert not problems(scoped)
    assert "Supplier invoices arrive late." not in texts(scoped)
    assert not any(label.startswith("Notes on the figures") for label in expanders(scoped))


def test_the_review_shows_this_months_notes_and_last_months_decisions(demo, use_db, store):
    use_db(demo["db"])
    m = demo["as_of"]
    store.add_note("month", m, "Board asked for a recovery plan.", "Bo")
    store.add_note("project", "PRJ-0001", "Approve the re-baseline.", "Cy", kind="decision", month=previous_month(m))
    at = page("pages/monthly_review.py", {"section": "2"})
    assert not problems(at)
    assert [t.value for t in at.title] == ["Notes and decisions"]
    assert any("1 decision recorded in the review of" in h.value for h in at.header)
    at = page("pages/monthly_review.py", {"section": "3"})
    assert [t.value for t in at.title] == ["Headline KPIs"]
    assert any("Board asked for a recovery plan." in c.value.replace("\\", "") for c in at.caption)
