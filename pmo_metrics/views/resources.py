"""Resources: capacity, allocation and booked hours by month and by group, and who is over-allocated.
Scoped by the department filter only (CONTRACT §3). SQL in sql/views/resources/, on the resource KPI
query, so every figure is the card's own for its month or group."""
from __future__ import annotations

import pandas as pd

from .. import kpis
from ..filters import Filters, month_add, months_between
from ..metrics import RESOURCE_DIMENSIONS
from ..queries import run
from . import check, named


def by_month(con, filters: Filters, months: int = 12, ahead: int = 3) -> pd.DataFrame:
    """Capacity, allocated (planned) and booked hours per month of the selected departments, from
    `months` before M to `ahead` months after it (allocations are planned ahead)."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["month", "capacity_hours", "planned_hours", "hours", "utilization",
                                     "allocation_rate", "is_future"])
    span = months_between(month_add(as_of, -(months - 1)), month_add(as_of, ahead))
    return run(con, "views/resources/by_month", kpis.params(filters, span, month=as_of))


def by_group(con, filters: Filters, by: str) -> pd.DataFrame:
    """Per department, role or employment type at M: people (employed in M, or with hours booked or
    planned in it), capacity, allocated and booked hours, utilisation (booked / capacity), allocation
    rate (planned / capacity) and over-allocated people; largest capacity first."""
    check(by, RESOURCE_DIMENSIONS, "resource breakdown")
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["key", "people", "capacity_hours", "planned_hours", "hours", "utilization",
                                     "allocation_rate", "overallocated"])
    frame = run(con, "views/resources/by_group", kpis.params(filters, [as_of], group_by=by))
    frame["key"] = named(frame["key"])
    return frame


def heatmap(con, filters: Filters, by: str = "department", months: int = 6, ahead: int = 3) -> pd.DataFrame:
    """Allocation rate (planned / capacity) per group × month around M, long format [key, month, value]."""
    check(by, RESOURCE_DIMENSIONS, "resource breakdown")
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["key", "month", "value"])
    span = months_between(month_add(as_of, -(months - 1)), month_add(as_of, ahead))
    frame = run(con, "views/resources/heatmap", kpis.params(filters, span, group_by=by))
    frame["key"] = named(frame["key"])
    return frame


def overallocated_people(con, filters: Filters, name_units: tuple[str, ...] = ()) -> pd.DataFrame:
    """People of the selected departments whose planned hours for M exceed their capacity, with the
    projects they are allocated to (largest first). With `name_units`, only projects of those business
    units are named; hours on any other project are summed as 'other business units', so a person
    scoped to some units never reads another unit's project names here."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=["resource_id", "resource_name", "role", "department", "employment_type",
                                     "capacity_hours", "planned_hours", "over_by_hours", "hours", "projects"])
    return run(con, "views/resources/overallocated", kpis.params(
        filters, [as_of], month=as_of, name_units=list(name_units)))
