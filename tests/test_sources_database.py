"""Database sources: contract tables read straight from SQLite and a real PostgreSQL server."""
from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from datetime import date
from pathlib import Path

import pytest

from pmo_metrics.db import cursor_for, open_readonly
from pmo_metrics.findings import BatchError
from pmo_metrics.sources import load_mapping, read_batch
from pmo_metrics.sources.mapping import parse_mapping
from pmo_metrics.warehouse import load_batch, validate_batch
from support import free_port

LOAD_DATE = date(2025, 7, 15)

# A PMIS, a finance system and an HR system, each with its own names for the contract's columns.
PROJECTS = [("P-1", "Data platform", "Digital", "IT", "Agile", "In Flight", "2025-01-06", "2025-12-19", 1200000.50),
            ("P-2", "New HQ", "Estate", "Facilities", "Waterfall", "Closed Out", "2024-03-01", "2025-06-30", 800000)]
FINANCE = [("P-1", "2025-06", "CAPEX", 100000.0, 95000.0), ("P-1", "2025-06", "OPEX", 20000.0, None),
           ("P-2", "2025-05", "CAPEX", 800000.0, 790000.0)]
PEOPLE = [("R-1", "Ada", "Engineer", "IT", "FTE", 37.5, 80.0, "2020-01-01"),
          ("R-2", "Bob", "Architect", "IT", "Contractor", 40.0, 120.0, "2024-06-01")]

MAPPING = """
[sources.pmis]
kind = "database"
url = "${PMO_TEST_PMIS_DB_URL}"
%(attach)s

[tables.projects]
from = "pmis"
table = "%(pmis)s.proj"
values.delivery_approach = { Agile = "agile", Waterfall = "predictive" }
values.stage = { "In Flight" = "execution", "Closed Out" = "closed" }
[tables.projects.columns]
project_id = "proj_code"
project_name = "title"
portfolio = "portfolio_name"
business_unit = "bu"
delivery_approach = "method"
stage = "phase"
start_date = "start_dt"
baseline_finish_date = "planned_end_dt"
actual_finish_date = "closed_dt"
budget_at_completion = "bac"

[tables.financials]
from = "pmis"
table = "%(fin)s.ledger"
[tables.financials.columns]
project_id = "proj"
period = "fiscal_month"
cost_category = "kind"
planned_cost = "plan_amt"
actual_cost = "actual_amt"

[tables.resources]
from = "pmis"
query = "SELECT emp_no, full_name, job, dept, contract, hours_pw, rate, hired FROM %(hr)s.staff ORDER BY emp_no"
values.employment_type = { FTE = "employee", Contractor = "contractor" }
[tables.resources.columns]
resource_id = "emp_no"
resource_name = "full_name"
role = "job"
department = "dept"
employment_type = "contract"
weekly_capacity_hours = "hours_pw"
hourly_cost = "rate"
start_date = "hired"

"""

SCHEMA_SQL = [
    "CREATE TABLE {pmis}.proj (proj_code VARCHAR(10) PRIMARY KEY, title VARCHAR(80), portfolio_name VARCHAR(40), "
    "bu VARCHAR(40), method VARCHAR(20), phase VARCHAR(20), start_dt DATE, planned_end_dt DATE, closed_dt DATE, "
    "bac NUMERIC(14, 2))",
    "CREATE TABLE {fin}.ledger (proj VARCHAR(10), fiscal_month VARCHAR(7), kind VARCHAR(10), plan_amt NUMERIC(14, 2), "
    "actual_amt NUMERIC(14, 2))",
    "CREATE TABLE {hr}.staff (emp_no VARCHAR(10), full_name VARCHAR(80), job VARCHAR(40), dept VARCHAR(40), "
    "contract VARCHAR(20), hours_pw NUMERIC(5, 1), rate NUMERIC(8, 2), hired DATE)",
]


def _insert_rows(execute, pmis: str, fin: str, hr: str, mark: str) -> None:
    for p in PROJECTS:
        closed = p[7] if p[5] == "Closed Out" else None
        execute(f"INSERT INTO {pmis}.proj VALUES ({', '.join([mark] * 10)})", (*p[:8], closed, p[8]))
    for f in FINANCE:
        execute(f"INSERT INTO {fin}.ledger VALUES ({', '.join([mark] * 5)})", f)
    for r in PEOPLE:
        execute(f"INSERT INTO {hr}.staff VALUES ({', '.join([mark] * 8)})", r)


def _write_mapping(folder: Path, pmis: str, fin: str, hr: str, attach: str = "", extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mapping.toml"
    path.write_text(MAPPING % {"pmis": pmis, "fin": fin, "hr": hr, "attach": attach} + extra, encoding="utf-8")
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _count(db: Path, table: str) -> int:
    con = open_readonly(db)
    try:
        return cursor_for(con).execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


# --- SQLite -------------------------------------------------------------------------------------

@pytest.fixture()
def sqlite_batch(tmp_path, monkeypatch):
    """A PMIS database file with `proj` and `ledger` (schema main) and an HR file attached as `hr`."""
    batch = tmp_path / "batch"
    batch.mkdir()
    pmis, hr = sqlite3.connect(batch / "pmis.sqlite"), sqlite3.connect(batch / "hr.sqlite")
    for sql in SCHEMA_SQL:
        (hr if "{hr}" in sql else pmis).execute(sql.format(pmis="main", fin="main", hr="main"))
    _insert_rows(lambda sql, args: (hr if ".staff" in sql else pmis).execute(sql, args), "main", "main", "main", "?")
    for con in (pmis, hr):
        con.commit()
        con.close()
    monkeypatch.setenv("PMO_TEST_PMIS_DB_URL", f"sqlite:///{batch / 'pmis.sqlite'}")
    mapping = _write_mapping(batch, "main", "main", "hr", attach='attach = { hr = "hr.sqlite" }')
    return batch, mapping


def test_sqlite_tables_and_query_map_onto_the_contract(sqlite_batch):
    batch_dir, mapping = sqlite_batch
    messages = []
    batch = read_batch(batch_dir, mapping, progress=lambda m, f: messages.append(m))
    projects = batch.tables["projects"].data
    assert projects.get_column("project_id").to_list() == ["P-1", "P-2"]
    assert projects.get_column("stage").to_list() == ["execution", "closed"]
    assert projects.get_column("budget_at_completion").to_list() == pytest.approx([1200000.5, 800000])
    assert projects.get_column("_file").to_list() == ["pmis:main.proj"] * 2
    assert projects.get_column("_row").to_list() == [2, 3]
    assert batch.tables["financials"].data.height == 3
    resources = batch.tables["resources"].data
    assert resources.get_column("employment_type").to_list() == ["employee", "contractor"]
    assert resources.get_column("_file").to_list() == ["pmis[resources query]"] * 2
    assert any("pmis:main.proj: 2 rows" in m for m in messages)


def test_sqlite_load_and_small_chunks(sqlite_batch, tmp_path):
    batch_dir, mapping = sqlite_batch
    text = mapping.read_text().replace('kind = "database"', 'kind = "database"\nchunk_size = 1')
    mapping.write_text(text)
    db = tmp_path / "pmo.duckdb"
    result = load_batch(batch_dir, db, mapping, load_date=LOAD_DATE)
    assert result.status == "loaded", result.report.render()
    assert _count(db, "projects") == 2 and _count(db, "financials") == 3 and _count(db, "resources") == 2


def test_sqlite_missing_table_and_bad_query(sqlite_batch):
    batch_dir, mapping = sqlite_batch
    mapping.write_text(mapping.read_text().replace("main.ledger", "main.ledgr"))
    with pytest.raises(BatchError, match=r"pmis:main.ledgr: no table 'main.ledgr'"):
        read_batch(batch_dir, mapping)
    mapping.write_text(mapping.read_text().replace("main.ledgr", "main.ledger").replace("FROM hr.staff", "FROM hr.staf"))
    with pytest.raises(BatchError, match=r"pmis\[resources query\]: query failed \(no such table: hr.staf\)"):
        read_batch(batch_dir, mapping)


@pytest.mark.parametrize("url", ["postgresql+psycopg://pmo:s3cret@db.example/pmis",
                                 "postgresql://pmo:${PW}x@db.example/pmis"])
def test_mapping_rejects_a_password_in_the_url(url):
    with pytest.raises(BatchError, match=r"\[sources.pmis\] url contains a password"):
        parse_mapping({"sources": {"pmis": {"kind": "database", "url": url, "table": "p"}}})


def test_mapping_accepts_credentials_from_elsewhere():
    for src in ({"url": "${PMIS_DB_URL}"}, {"url": "postgresql+psycopg://pmo:${PMIS_PW}@db/pmis"},
                {"url": "postgresql+psycopg://pmo@db/pmis"}, {"url_secret": "pmis"}):
        parse_mapping({"sources": {"pmis": {"kind": "database", **src}},
                       "tables": {"projects": {"from": "pmis", "table": "pmis.projects"}}})


def test_mapping_database_mistakes():
    with pytest.raises(BatchError, match="give table"):
        parse_mapping({"sources": {"pmis": {"kind": "database", "url": "${X}"}}, "tables": {"projects": {"from": "pmis"}}})
    with pytest.raises(BatchError, match="either query or table"):
        parse_mapping({"sources": {"pmis": {"kind": "database", "url": "${X}"}},
                       "tables": {"projects": {"from": "pmis", "table": "a", "query": "SELECT 1"}}})
    with pytest.raises(BatchError, match="exactly one of url"):
        parse_mapping({"sources": {"pmis": {"kind": "database"}}})


def test_url_from_secrets_file(sqlite_batch, tmp_path, monkeypatch):
    batch_dir, mapping = sqlite_batch
    home = tmp_path / "app"
    (home / ".streamlit").mkdir(parents=True)
    (home / ".streamlit" / "secrets.toml").write_text(
        f'[connections.pmis]\nurl = "sqlite:///{batch_dir / "pmis.sqlite"}"\n', encoding="utf-8")
    monkeypatch.chdir(home)
    monkeypatch.delenv("PMO_TEST_PMIS_DB_URL")
    mapping.write_text(mapping.read_text().replace('url = "${PMO_TEST_PMIS_DB_URL}"', 'url_secret = "pmis"'))
    assert read_batch(batch_dir, mapping).tables["projects"].data.height == 2
    mapping.write_text(mapping.read_text().replace('url_secret = "pmis"', 'url_secret = "nope"'))
    with pytest.raises(BatchError, match=r"no \[connections.nope\]"):
        read_batch(batch_dir, mapping)


def test_missing_environment_variable(sqlite_batch, monkeypatch):
    batch_dir, mapping = sqlite_batch
    monkeypatch.delenv("PMO_TEST_PMIS_DB_URL")
    with pytest.raises(BatchError, match="PMO_TEST_PMIS_DB_URL .* is not set"):
        read_batch(batch_dir, mapping)


def test_example_mapping_parses():
    m = load_mapping(Path(__file__).parent.parent / "examples" / "database" / "mapping.toml")
    assert any(s.kind == "database" for s in m.sources.values())


# --- PostgreSQL ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pg_db(pg_server):
    """A fresh database with schemas pmis, fin, hr and a password login `pmo_reader` that can read them."""
    import sqlalchemy as sa

    name = f"pmo_test_{os.getpid()}_{int(time.time())}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
        con.execute(sa.text("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pmo_reader') "
                            "THEN CREATE ROLE pmo_reader LOGIN PASSWORD 'reader-pw'; END IF; END $$"))
    url = sa.engine.make_url(pg_server).set(database=name)
    engine = sa.create_engine(url)
    with engine.begin() as con:
        for schema in ("pmis", "fin", "hr"):
            con.execute(sa.text(f"CREATE SCHEMA {schema}"))
        con.execute(sa.text("CREATE SEQUENCE pmis.proj_seq"))
        for sql in SCHEMA_SQL:
            con.execute(sa.text(sql.format(pmis="pmis", fin="fin", hr="hr")))
        raw = con.connection.driver_connection
        _insert_rows(lambda sql, args: raw.execute(sql, args), "pmis", "fin", "hr", "%s")
        for schema in ("pmis", "fin", "hr"):
            con.execute(sa.text(f"GRANT USAGE ON SCHEMA {schema} TO pmo_reader"))
            con.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO pmo_reader"))
    engine.dispose()
    reader = url.set(username="pmo_reader", password="reader-pw")
    yield reader
    with admin.connect() as con:
        con.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgres_load_then_failures_leave_the_warehouse_alone(pg_db, tmp_path, monkeypatch):
    batch_dir = tmp_path / "batch"
    monkeypatch.setenv("PMO_TEST_PMIS_DB_URL", pg_db.render_as_string(hide_password=False))
    mapping = _write_mapping(batch_dir, "pmis", "fin", "hr")
    db = tmp_path / "pmo.duckdb"
    result = load_batch(batch_dir, db, mapping, load_date=LOAD_DATE)
    assert result.status == "loaded", result.report.render()
    assert result.rows_loaded == {"projects": 2, "financials": 3, "resources": 2}
    con = open_readonly(db)
    cur = cursor_for(con)
    assert cur.execute("SELECT project_id, stage, budget_at_completion, _file, _row FROM projects "
                       "ORDER BY project_id").fetchall()[0] == ("P-1", "execution", pytest.approx(1200000.5),
                                                               "pmis:pmis.proj", 2)
    assert cur.execute("SELECT DISTINCT _file FROM resources").fetchall() == [("pmis[resources query]",)]
    con.close()
    before = _digest(db)

    # Wrong password: one line naming the source, nothing loaded.
    monkeypatch.setenv("PMO_TEST_PMIS_DB_URL", pg_db.set(password="wrong").render_as_string(hide_password=False))
    with pytest.raises(BatchError, match=r"^pmis:pmis.proj: cannot connect to .*: wrong user name or password") as e:
        load_batch(batch_dir, db, mapping, load_date=LOAD_DATE)
    assert "\n" not in str(e.value) and "wrong" not in str(e.value).split("wrong user")[0]
    assert _digest(db) == before

    # Unreachable server.
    monkeypatch.setenv("PMO_TEST_PMIS_DB_URL", pg_db.set(port=free_port()).render_as_string(hide_password=False))
    with pytest.raises(BatchError, match=r"^pmis:pmis.proj: cannot connect to .*: database unreachable"):
        load_batch(batch_dir, db, mapping, load_date=LOAD_DATE)
    assert _digest(db) == before

    # Missing table.
    monkeypatch.setenv("PMO_TEST_PMIS_DB_URL", pg_db.render_as_string(hide_password=False))
    bad = _write_mapping(tmp_path / "missing", "pmis", "fin", "hr").read_text().replace("fin.ledger", "fin.ledgers")
    (tmp_path / "missing" / "mapping.toml").write_text(bad)
    with pytest.raises(BatchError, match=r"pmis:fin.ledgers: no table 'fin.ledgers'"):
        load_batch(tmp_path / "missing", db, tmp_path / "missing" / "mapping.toml", load_date=LOAD_DATE)
    assert _digest(db) == before

    # Failing query.
    bad = MAPPING % {"pmis": "pmis", "fin": "fin", "hr": "hr", "attach": ""}
    (tmp_path / "missing" / "mapping.toml").write_text(bad.replace("hours_pw,", "hours_per_week,"))
    with pytest.raises(BatchError, match=r"pmis\[resources query\]: query failed \(.*hours_per_week"):
        load_batch(tmp_path / "missing", db, tmp_path / "missing" / "mapping.toml", load_date=LOAD_DATE)
    assert _digest(db) == before

    # A query returning a value the contract rejects: the report names the source and the row.
    neg = (MAPPING % {"pmis": "pmis", "fin": "fin", "hr": "hr", "attach": ""}).replace(
        'from = "pmis"\ntable = "pmis.proj"',
        'from = "pmis"\nquery = "SELECT proj_code, title, portfolio_name, bu, method, phase, start_dt, planned_end_dt, '
        "closed_dt, CASE WHEN proj_code = 'P-2' THEN -bac ELSE bac END AS bac FROM pmis.proj ORDER BY proj_code\"")
    (tmp_path / "missing" / "mapping.toml").write_text(neg)
    result = load_batch(tmp_path / "missing", db, tmp_path / "missing" / "mapping.toml", load_date=LOAD_DATE)
    assert result.status == "rejected"
    [f] = [f for f in result.report.findings("error") if f.rule_id == "PRJ-BUDGET"]
    assert (f.file, f.row, f.value) == ("pmis[projects query]", 3, "-800000.0")
    assert "pmis[projects query], row 3" in result.report.render()
    assert _digest(db) == before


# --- the source is never changed ------------------------------------------------------------------

def _projects_query_mapping(batch_dir: Path, query: str) -> Path:
    """The SQLite mapping with the projects table read by `query` instead of by name."""
    text = (MAPPING % {"pmis": "main", "fin": "main", "hr": "hr", "attach": 'attach = { hr = "hr.sqlite" }'})
    text = text.replace('from = "pmis"\ntable = "main.proj"', f'from = "pmis"\nquery = """{query}"""')
    path = batch_dir / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _folder_state(folder: Path) -> dict[str, str]:
    return {p.name: _digest(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != "mapping.toml"}


SQLITE_WRITES = {
    "drop": "DROP TABLE proj",
    "create-as": "CREATE TABLE stolen AS SELECT * FROM proj",
    "pragma": "PRAGMA user_version = 42",
    "vacuum-into": "VACUUM INTO '{dir}/copy.db'",
    "attach": "ATTACH DATABASE '{dir}/created.db' AS created",
    "delete-returning": "DELETE FROM proj RETURNING *",
    "update-returning": "UPDATE proj SET title = 'x' RETURNING *",
    "insert-select": "INSERT INTO proj SELECT * FROM proj RETURNING *",
    "replace": "REPLACE INTO proj SELECT * FROM proj",
    "two-statements": "SELECT * FROM proj; DROP TABLE proj",
    "cte-delete": "WITH gone AS (DELETE FROM proj RETURNING *) SELECT * FROM gone",
    "select-into": "SELECT * INTO stolen FROM proj",
    "for-update": "SELECT * FROM proj FOR UPDATE",
}


@pytest.mark.parametrize("name", SQLITE_WRITES)
@pytest.mark.parametrize("command", ["validate", "load"])
def test_sqlite_writes_are_refused_before_they_run(sqlite_batch, tmp_path, name, command):
    batch_dir, _ = sqlite_batch
    mapping = _projects_query_mapping(batch_dir, SQLITE_WRITES[name].format(dir=batch_dir))
    before = _folder_state(batch_dir)
    db = tmp_path / "pmo.duckdb"
    with pytest.raises(BatchError, match=r"^pmis\[projects query\]: .*(only reads|runs exactly one SELECT)") as e:
        if command == "validate":
            validate_batch(batch_dir, mapping, None, load_date=LOAD_DATE)
        else:
            load_batch(batch_dir, db, mapping, load_date=LOAD_DATE)
    assert "\n" not in str(e.value)
    assert _folder_state(batch_dir) == before          # byte-identical, and no file created beside it
    assert not db.exists()


@pytest.mark.parametrize("name", ["drop", "create-as", "pragma", "vacuum-into", "attach", "delete-returning",
                                  "update-returning", "insert-select"])
def test_sqlite_connection_refuses_writes_even_past_the_parser(sqlite_batch, monkeypatch, name):
    """Defence in depth: with the statement check switched off, the read-only connection still refuses."""
    from pmo_metrics.sources import database

    batch_dir, _ = sqlite_batch
    monkeypatch.setattr(database, "check_query", lambda *a: None)
    mapping = _projects_query_mapping(batch_dir, SQLITE_WRITES[name].format(dir=batch_dir))
    before = _folder_state(batch_dir)
    with pytest.raises(BatchError, match=r"^pmis\[projects query\]: query failed \((not authorized|authorization denied|attempt to write)"):
        validate_batch(batch_dir, mapping, None, load_date=LOAD_DATE)
    assert _folder_state(batch_dir) == before


def test_a_read_only_select_with_ctes_and_unions_still_works(sqlite_batch):
    batch_dir, _ = sqlite_batch
    mapping = _projects_query_mapping(batch_dir, "WITH p AS (SELECT * FROM proj WHERE proj_code = 'P-1') "
                                                 "SELECT * FROM p UNION ALL SELECT * FROM proj WHERE proj_code = 'P-2'")
    batch = read_batch(batch_dir, mapping)
    assert batch.tables["projects"].data.get_column("project_id").to_list() == ["P-1", "P-2"]


PG_WRITES = {
    "drop": "DROP TABLE pmis.proj",
    "create-as": "CREATE TABLE pmis.stolen AS SELECT * FROM pmis.proj",
    "select-into": "SELECT * INTO pmis.stolen FROM pmis.proj",
    "delete-returning": "DELETE FROM pmis.proj RETURNING *",
    "update-returning": "UPDATE pmis.proj SET title = 'x' RETURNING *",
    "cte-delete": "WITH gone AS (DELETE FROM pmis.proj RETURNING *) SELECT * FROM gone",
    "two-statements": "SELECT * FROM pmis.proj; DROP TABLE pmis.proj",
    "for-update": "SELECT * FROM pmis.proj FOR UPDATE",
    "set-config": "SELECT *, set_config('default_transaction_read_only', 'off', false) FROM pmis.proj",
    "do-block": "DO $$ BEGIN DELETE FROM pmis.proj; END $$",
    "copy": "COPY pmis.proj TO '/tmp/pmo-stolen.csv'",
    "truncate": "TRUNCATE pmis.proj",
}


def _pg_state(url) -> list:
    """Every table of the test database with a digest of its rows: equal means nothing changed."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            tables = con.execute(sa.text("SELECT table_schema, table_name FROM information_schema.tables "
                                         "WHERE table_schema IN ('pmis', 'fin', 'hr') ORDER BY 1, 2")).fetchall()
            state = []
            for schema, table in tables:  # names from the catalog of our own test database
                digest = con.execute(sa.text(f'SELECT md5(coalesce(string_agg(t::text, \',\' ORDER BY t::text), \'\')) '
                                             f'FROM "{schema}"."{table}" t')).scalar()
                state.append((schema, table, digest))
            return state
    finally:
        engine.dispose()


@pytest.fixture()
def pg_writer(pg_server, pg_db):
    """The test database's URL as its owner (who could write), to show the read itself refuses."""
    import sqlalchemy as sa

    return sa.engine.make_url(pg_server).set(database=pg_db.database)


@pytest.mark.parametrize("name", PG_WRITES)
def test_postgres_writes_are_refused_before_they_run(pg_writer, tmp_path, monkeypatch, name):
    monkeypatch.setenv("PMO_TEST_PMIS_DB_URL", pg_writer.render_as_string(hide_password=False))
    batch_dir = tmp_path / "batch"
    mapping = _write_mapping(batch_dir, "pmis", "fin", "hr")
    text = mapping.read_text().replace('from = "pmis"\ntable = "pmis.proj"',
                                       f'from = "pmis"\nquery = """{PG_WRITES[name]}"""')
    mapping.write_text(text)
    before = _pg_state(pg_writer)
    with pytest.raises(BatchError, match=r"^pmis\[projects query\]: .*(only reads|runs exactly one SELECT|"
                                         r"changes the server)"):
        validate_batch(batch_dir, mapping, None, load_date=LOAD_DATE)
    assert _pg_state(pg_writer) == before
    assert not Path("/tmp/pmo-stolen.csv").exists()


@pytest.mark.parametrize("name", ["drop", "create-as", "select-into", "delete-returning", "cte-delete", "set-config",
                                  "nextval"])
def test_postgres_read_only_transaction_refuses_writes_past_the_parser(pg_writer, tmp_path, monkeypatch, name):
    """Even as the owner and with the statement check switched off, the server refuses: statements
    that are no SELECT cannot be a cursor's, and a SELECT that writes meets the READ ONLY transaction."""
    from pmo_metrics.sources import database

    monkeypatch.setattr(database, "check_query", lambda *a: None)
    monkeypatch.setenv("PMO_TEST_PMIS_DB_URL", pg_writer.render_as_string(hide_password=False))
    batch_dir = tmp_path / "batch"
    mapping = _write_mapping(batch_dir, "pmis", "fin", "hr")
    query, why = PG_WRITES.get(name), r".*"
    if name == "set-config":  # turning read-only off inside the query cannot take effect
        query = "SELECT p.* FROM pmis.proj p, (SELECT set_config('transaction_read_only', 'off', true)) s"
        why = r".*(read-only transaction|read-write mode)"
    if name == "nextval":     # a function that writes, called from a plain SELECT
        query = "SELECT p.*, nextval('pmis.proj_seq') AS n FROM pmis.proj p"
        why = r"cannot execute nextval\(\) in a read-only transaction"
    mapping.write_text(mapping.read_text().replace('from = "pmis"\ntable = "pmis.proj"',
                                                   f'from = "pmis"\nquery = """{query}"""'))
    before = _pg_state(pg_writer)
    with pytest.raises(BatchError, match=rf"^pmis\[projects query\]: query failed \({why}"):
        validate_batch(batch_dir, mapping, None, load_date=LOAD_DATE)
    assert _pg_state(pg_writer) == before
