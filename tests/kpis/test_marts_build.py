"""Building the marts: the build order, and the marts built side by side equal those built one by one."""
from __future__ import annotations

import shutil
import threading

import duckdb
import pytest

from pmo_metrics.marts import MARTS, build_marts, check_marts, mart_inputs


def test_every_mart_comes_after_the_marts_it_reads():
    for i, name in enumerate(MARTS):
        assert mart_inputs(name) <= set(MARTS[:i]), name
    # What the SQL reads, found in it (a mart and a contract table may share a name: `marts.` tells).
    assert mart_inputs("project_earned_schedule") == {"planned_value_curves", "project_month_facts"}
    assert mart_inputs("project_month_facts") == {"status_reports", "project_costs"}
    assert mart_inputs("benefit_month_facts") == {"benefit_measurements"}
    assert mart_inputs("projects") == frozenset()  # it reads the contract table projects, not itself


def _tables(con) -> dict[str, list[tuple]]:
    out = {}
    for name in MARTS:
        columns = [r[0] for r in con.execute(f'DESCRIBE marts."{name}"').fetchall()]
        out[name] = (columns, con.execute(f'SELECT * FROM marts."{name}"').fetchall())
    return out


@pytest.mark.parametrize("workers", [2, 3])
def test_marts_built_side_by_side_equal_those_built_one_by_one(demo_warehouse, tmp_path, workers):
    one, side = tmp_path / "one.duckdb", tmp_path / "side.duckdb"
    shutil.copyfile(demo_warehouse.db, one)
    shutil.copyfile(demo_warehouse.db, side)
    with duckdb.connect(str(one)) as a, duckdb.connect(str(side)) as b:
        for name in MARTS:  # nothing of the load's build is left to compare with
            b.execute(f'DROP TABLE marts."{name}"')
        build_marts(a, None)
        build_marts(b, None, workers)
        check_marts(b)
        expected, got = _tables(a), _tables(b)
        assert list(got) == list(MARTS)
        for name in MARTS:
            assert got[name][0] == expected[name][0], name
            # Row for row, in order: every mart sorts its rows.
            assert got[name][1] == expected[name][1], name
        assert sum(len(rows) for _, rows in got.values()) > 1000
    assert not [t for t in threading.enumerate() if t.name.startswith("pmo-marts")]


def test_a_mart_that_fails_stops_the_build_side_by_side(demo_warehouse, tmp_path):
    db = tmp_path / "pmo.duckdb"
    shutil.copyfile(demo_warehouse.db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM marts.build_info")
        con.execute("DROP TABLE main.financials")  # project_costs reads it
        with pytest.raises(duckdb.CatalogException, match="financials"):
            build_marts(con, None, 2)
        # No worker is left running, and the marts are not taken for built.
        assert not [t for t in threading.enumerate() if t.name.startswith("pmo-marts")]
        assert con.execute("SELECT count(*) FROM marts.build_info").fetchone()[0] == 0
