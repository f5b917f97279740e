"""Every page table: filter values are bound, never pasted; breakdowns come only from the allow-list;
and on a database with tables and no rows every table is empty, none fails."""
from __future__ import annotations

import pytest

from builders import make_db
from pmo_metrics.filters import Filters
from pmo_metrics.views import UnknownDimension, benefits, finance, maturity, projects, quality, resources

F = Filters(as_of="2025-06")


@pytest.mark.parametrize("hostile", ["x' OR 1=1 --", "Digital'; DROP TABLE projects; --", "%", ""])
def test_filter_values_are_bound_never_pasted(tiny_db, hostile):
    f = Filters(as_of=F.as_of, portfolios=(hostile,))
    assert finance.by_group(tiny_db, f, "portfolio").empty
    assert projects.project_list(tiny_db, f).empty
    assert benefits.by_group(tiny_db, f, "owner").empty
    assert projects.drill_rollup(tiny_db, f, "portfolio").empty
    assert tiny_db.execute("SELECT count(*) FROM projects").fetchone()[0] == 4


@pytest.mark.parametrize("fn,arg", [(finance.by_group, "project_id; --"), (resources.by_group, "resource_name"),
                                    (benefits.by_group, "1=1"), (resources.heatmap, "salary")])
def test_breakdowns_only_from_the_allow_list(tiny_db, fn, arg):
    with pytest.raises(UnknownDimension):
        fn(tiny_db, F, arg)


def test_every_view_on_an_empty_database():
    con = make_db({})
    f = Filters()
    frames = [
        projects.project_list(con, f), finance.by_month(con, f), finance.by_group(con, f, "portfolio"),
        finance.largest_variances(con, f), resources.by_month(con, f), resources.by_group(con, f, "role"),
        resources.heatmap(con, f), resources.overallocated_people(con, f), benefits.cumulative(con, f),
        benefits.by_group(con, f, "owner"), benefits.register(con, f), benefits.spend_and_benefits_by_objective(con, f),
        maturity.heatmap(con, f), maturity.changes(con, f), maturity.domain_changes(con, f), maturity.gaps(con, f),
        projects.value_vs_risk(con, f), projects.attention(con, f), projects.drill_rollup(con, f, "portfolio"),
        projects.team(con, "P1", None), projects.milestones(con, "P1", None), projects.risks(con, "P1", None),
    ]
    assert all(frame.empty for frame in frames)
    assert quality.is_empty(con)
    assert projects.header(con, "P1", None) is None
    assert quality.data_months(con) == {"first": None, "last": None, "first_report": None, "last_report": None}
