"""The app-state store: notes with their history and saved scenarios, on SQLite and on the real
PostgreSQL server; migrations that create and upgrade a store in place."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from pmo_metrics.appstate import AppState, AppStateError, default_url
from pmo_metrics.settings import load_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'appstate.sqlite'}"
        return
    admin_url = request.getfixturevalue("pg_server")
    name = f"appstate_{time.time_ns()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as con:
        con.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_open_creates_the_schema_and_is_idempotent(store_url):
    store = AppState.open(store_url)
    assert store.revision() == AppState.head() == "0002"
    assert {"notes", "note_revisions", "scenarios", "alembic_version"} <= set(sa.inspect(store.engine).get_table_names())
    store.add_note("project", "P-1", "kept", "alice")
    store.close()
    again = AppState.open(store_url)          # a second start changes nothing
    assert [n.text for n in again.notes()] == ["kept"]
    again.close()


def test_migrations_go_down_and_up_again(store_url):
    store = AppState.open(store_url)
    from alembic import command

    from pmo_metrics.appstate import _alembic_config

    with store.engine.begin() as con:
        command.downgrade(_alembic_config(con), "base")
    assert store.revision() is None
    assert "notes" not in sa.inspect(store.engine).get_table_names()
    store.upgrade()
    assert store.revision() == AppState.head()
    store.close()


def test_notes_keep_their_history_and_are_filtered(store_url):
    store = AppState.open(store_url)
    a = store.add_note("project", "P-1", "Re-baseline approved", "alice", kind="decision", month="2026-10")
    b = store.add_note("kpi", "cpi", "CPI fell: vendor invoice booked twice", "bob", month="2026-10")
    c = store.add_note("month", "2026-10", "Quiet month", "carol")
    store.edit_note(b, "CPI fell: a vendor invoice was booked twice (reversed in November)", "alice")
    store.delete_note(c, "alice")
    assert [n.note_id for n in store.notes()] == [a, b]
    assert [n.note_id for n in store.notes(month="2026-10")] == [a, b]
    assert [n.note_id for n in store.notes("project", "P-1")] == [a]
    assert [n.note_id for n in store.notes(kind="decision")] == [a]
    assert [n.note_id for n in store.notes(include_deleted=True)] == [a, b, c]
    [note] = store.notes("kpi", "cpi")
    assert note.text.endswith("(reversed in November)") and note.author == "bob" and note.updated_at >= note.created_at
    assert [(h["action"], h["author"]) for h in store.note_history(b)] == [("created", "bob"), ("edited", "alice")]
    assert store.note_history(b)[0]["text"] == "CPI fell: vendor invoice booked twice"
    assert [h["action"] for h in store.note_history(c)] == ["created", "deleted"]
    store.close()


@pytest.mark.parametrize("call, message", [
    (lambda s: s.add_note("portfolio", "X", "t", "a"), "a note is on one of project, kpi, month"),
    (lambda s: s.add_note("project", "P-1", "   ", "a"), "the note must not be empty"),
    (lambda s: s.add_note("project", "P-1", "t", ""), "the author must not be empty"),
    (lambda s: s.add_note("project", "P-1", "t", "a", kind="vote"), "kind is one of note, decision"),
    (lambda s: s.add_note("project", "P-1", "t", "a", month="2026-13"), "is not a month"),
    (lambda s: s.add_note("month", "2026-10", "t", "a", month="2026-11"), "names that month"),
    (lambda s: s.add_note("project", "P-1", "x" * 10_001, "a"), "longer than 10,000 characters"),
    (lambda s: s.edit_note(999, "t", "a"), "there is no note 999"),
    (lambda s: s.delete_note(999, "a"), "there is no note 999"),
    (lambda s: s.delete_scenario("nope"), "there is no scenario named 'nope'"),
])
def test_bad_requests_are_refused_in_one_line(tmp_path, call, message):
    store = AppState.open(f"sqlite:///{tmp_path / 'a.sqlite'}")
    with pytest.raises(AppStateError, match=message):
        call(store)


def test_a_deleted_note_cannot_be_edited(tmp_path):
    store = AppState.open(f"sqlite:///{tmp_path / 'a.sqlite'}")
    n = store.add_note("project", "P-1", "t", "a")
    store.delete_note(n, "a")
    with pytest.raises(AppStateError, match=f"there is no note {n}"):
        store.edit_note(n, "again", "a")


def test_text_is_kept_as_written(store_url):
    store = AppState.open(store_url)
    hostile = "<script>alert(1)</script> **bold** =HYPERLINK(\"x\") ' ; DROP TABLE notes; --"
    store.add_note("project", "P-1", hostile, "mallory")
    assert store.notes()[0].text == hostile
    assert "notes" in sa.inspect(store.engine).get_table_names()
    store.close()


def test_scenarios_are_saved_replaced_and_deleted(store_url):
    store = AppState.open(store_url)
    definition = {"budget": 12_000_000, "force_in": ["P-7"], "capacity": {"IT": 4000.0}}
    result = {"funded": ["P-1", "P-7"], "total_score": 151.5, "total_bac": 11_250_000}
    store.save_scenario("Board option A", definition, result, "alice", description="Budget as planned",
                        data_version="20261130T0102-abc")
    with pytest.raises(AppStateError, match="exists already"):
        store.save_scenario("Board option A", {}, {}, "bob")
    store.save_scenario("Board option B", {"budget": 9_000_000}, {"funded": ["P-1"]}, "bob")
    [a, b] = store.scenarios()
    assert (a.name, a.definition, a.result, a.data_version) == ("Board option A", definition, result,
                                                                  "20261130T0102-abc")
    assert b.name == "Board option B"
    store.save_scenario("Board option A", {"budget": 1}, {"funded": []}, "carol", replace=True)
    assert store.scenario("Board option A").definition == {"budget": 1}
    assert store.scenario("Board option A").author == "carol"
    store.delete_scenario("Board option B")
    assert [s.name for s in store.scenarios()] == ["Board option A"]
    assert store.scenario("nope") is None
    store.close()


def test_app_servers_starting_at_once_migrate_once(store_url):
    """Four processes (as four app servers would) open a new store at the same moment."""
    code = "import sys; from pmo_metrics.appstate import AppState; AppState.open(sys.argv[1]).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code, store_url], stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outcomes = [(p.wait(120), p.stderr.read()) for p in procs]
    assert all(rc == 0 for rc, _ in outcomes), outcomes
    store = AppState(store_url)
    assert store.revision() == AppState.head()
    with store.engine.connect() as con:
        assert con.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    store.close()


def test_an_unreachable_store_is_one_line(tmp_path):
    with pytest.raises(AppStateError, match=r"^cannot open the app-state store postgresql\+psycopg://pmo:\*\*\*@127.0.0.1:1/x"):
        AppState.open("postgresql+psycopg://pmo:secret@127.0.0.1:1/x")
    with pytest.raises(AppStateError, match="is not a SQLAlchemy database URL"):
        AppState("not a url")


def test_the_default_store_sits_beside_the_database(tmp_path):
    assert default_url(tmp_path / "data" / "pmo.duckdb") == f"sqlite:///{tmp_path / 'data' / 'appstate.sqlite'}"
    settings = load_settings({"PMO_DB": str(tmp_path / "w.duckdb")})
    assert settings.store_url == f"sqlite:///{tmp_path / 'appstate.sqlite'}"
    assert load_settings({"PMO_APP_STATE_URL": "postgresql+psycopg://h/db"}).store_url == "postgresql+psycopg://h/db"
