"""Projects: one project's detail (the project page) and the portfolio's projects (drill-down,
value vs risk, those needing attention). SQL in sql/views/projects/."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from .. import kpis
from ..contract import RAG_ORDER
from ..filters import Filters, month_add, month_end, month_start, months_between, previous_month
from ..formatting import NO_GROUP, is_missing
from ..queries import records, run
from . import check, has_table, named

DRILL_LEVELS = ("portfolio", "program", "project")
# The order the project page prefers a project to open on: one in flight first.
ACTIVE_STAGES = ("execution", "closing", "planning", "initiation", "on_hold")


def _one_month(month: str | None) -> dict[str, Any]:
    """The month parameters of a project's queries: M, its first and last day (None without M)."""
    return {"month": month, "month_start": month_start(month) if month else None,
            "month_end": month_end(month) if month else None}


# -- the project page ------------------------------------------------------------------------------

def project_list(con, filters: Filters) -> pd.DataFrame:
    """Every project passing the filters, whatever its stage (the project page can open an idea too)."""
    return run(con, "views/projects/project_list", filters.project_params())


def default_project(projects: pd.DataFrame) -> str | None:
    """The project a page opens on when none is asked for: the first one in execution, else the first
    in another active stage, else the first listed."""
    if projects.empty:
        return None
    for stage in ACTIVE_STAGES:
        hit = projects[projects["stage"] == stage]
        if not hit.empty:
            return str(hit["project_id"].iloc[0])
    return str(projects["project_id"].iloc[0])


def header(con, project_id: str, as_of: str | None) -> dict[str, Any] | None:
    """The facts at the top of the project page: the project row, its objective and its latest report ≤ end(M)."""
    frame = run(con, "views/projects/project_header", {"project_id": project_id, **_one_month(as_of)})
    if frame.empty:
        return None
    return {k: (None if is_missing(v) else v) for k, v in frame.iloc[0].to_dict().items() if not k.startswith("_")}


def status_history(con, project_id: str, as_of: str | None) -> pd.DataFrame:
    """Every status report of the project dated ≤ end(M), oldest first."""
    return run(con, "views/projects/status_history", {"project_id": project_id, **_one_month(as_of)})


def milestones(con, project_id: str, as_of: str | None) -> pd.DataFrame:
    """Milestones with baseline, forecast and actual dates, their slip and their state at end(M)
    (today without a month)."""
    end = month_end(as_of) if as_of else pd.Timestamp.today().date()
    return run(con, "views/projects/milestones", {"project_id": project_id, "month_end": end})


MILESTONE_TREND_COLUMNS = ["snapshot_month", "milestone_id", "milestone_name", "is_gate", "baseline_date",
                           "forecast_date", "actual_date", "expected_date", "is_done"]


def milestone_snapshot_months(con, as_of: str | None) -> list[str] | None:
    """The months up to M the warehouse holds a milestone snapshot for, oldest first (one per month a
    load carried milestones); None when it keeps no milestone snapshots at all."""
    if not has_table(con, "meta", "milestone_snapshots"):
        return None
    return [r["snapshot_month"] for r in records(con, "views/projects/milestone_snapshot_months", {"month": as_of})]


MTA_MIN_SNAPSHOTS = 2   # a trend is a change between two monthly snapshots at least
_SMALL_NUMBERS = ("none", "one", "two", "three", "four", "five", "six")


def milestone_trend_gap(months: list[str] | None, as_of: str | None) -> str | None:
    """Why the warehouse cannot draw a milestone trend up to M (None when it can): it keeps no
    milestone snapshots, or fewer than MTA_MIN_SNAPSHOTS months of them."""
    need = f"Milestone trend analysis (MTA) needs at least {_SMALL_NUMBERS[MTA_MIN_SNAPSHOTS]} monthly loads"
    if months is None:
        return (f"{need}; this database keeps no milestone snapshots (it was written before they were kept). "
                "Each load that carries milestones adds its month from now on.")
    if len(months) >= MTA_MIN_SNAPSHOTS:
        return None
    if not months:
        return f"{need}; this database holds none up to {as_of}." if as_of else f"{need}; this database holds none."
    return (f"{need}; this database holds {_SMALL_NUMBERS[len(months)]}, for {months[0]}. The milestones "
            "extract of the next month starts the trend.")


def milestone_trend(con, project_id: str, as_of: str | None) -> pd.DataFrame:
    """Milestone trend analysis (MTA): per milestone of the project and monthly snapshot up to M, the
    date it was expected then (`expected_date`: the actual date once achieved, else the forecast,
    else the baseline), each milestone's rows ending at the snapshot that first shows it achieved.
    Milestones achieved before their first snapshot are left out (no trend). Empty without snapshots."""
    if not has_table(con, "meta", "milestone_snapshots"):
        return pd.DataFrame(columns=MILESTONE_TREND_COLUMNS)
    return run(con, "views/projects/milestone_trend", {"project_id": project_id, "month": as_of})


def risks(con, project_id: str, as_of: str | None) -> pd.DataFrame:
    """The project's risks raised by end(M), with score = probability × impact and whether open at end(M)."""
    return run(con, "views/projects/risks", {"project_id": project_id, "months": [as_of] if as_of else []})


def benefits(con, project_id: str, as_of: str | None) -> pd.DataFrame:
    """Each benefit's planned and actual value per measured month ≤ M (long format, oldest first)."""
    return run(con, "views/projects/benefits", {"project_id": project_id, "month": as_of})


def team(con, project_id: str, as_of: str | None) -> pd.DataFrame:
    """Who works on the project: hours planned and booked in M and to date (to end(M))."""
    if as_of is None:
        return pd.DataFrame(columns=["resource_id", "resource_name", "role", "department", "employment_type",
                                     "planned_hours_month", "hours_month", "planned_hours_to_date",
                                     "hours_to_date"])
    return run(con, "views/projects/team", {"project_id": project_id, **_one_month(as_of)})


def team_by_month(con, project_id: str, as_of: str | None, months: int = 12) -> pd.DataFrame:
    """[month, planned_hours, hours] for the project over the months ending at M."""
    if as_of is None:
        return pd.DataFrame(columns=["month", "planned_hours", "hours"])
    span = months_between(month_add(as_of, -(months - 1)), as_of)
    return run(con, "views/projects/team_by_month", {"project_id": project_id, "months": span})


# -- the portfolio ---------------------------------------------------------------------------------

_ROLLUP_COLUMNS = ["key", "label", "projects", *RAG_ORDER, "no_report", "bac", "pv", "ev", "ac", "eac", "spi", "cpi"]


def drill_rollup(con, filters: Filters, level: str, portfolio: str | None = None,
                 program: str | None = None) -> pd.DataFrame:
    """The drill-down's groups at M: one row per portfolio, per program of `portfolio`, or per project
    of `program` (NO_GROUP: the portfolio's projects without a program), with the active projects'
    RAG counts, budget (BAC), PV, EV, AC, EAC, SPI and CPI — the project KPIs of each group, as the
    cards compute them. Groups without an active project are left out; largest budget first."""
    check(level, DRILL_LEVELS, "level")
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return pd.DataFrame(columns=_ROLLUP_COLUMNS)
    if portfolio is not None:
        filters = replace(filters, portfolios=(portfolio,))
    frame = run(con, "views/projects/drill_rollup", kpis.params(
        filters, [as_of], group_by=level, program=None if program == NO_GROUP else program))
    frame["key"] = named(frame["key"])
    frame["label"] = named(frame["label"])
    return frame[_ROLLUP_COLUMNS]


def drill_projects(frame: pd.DataFrame, portfolio: str | None = None, program: str | None = None,
                   ids=None) -> pd.DataFrame:
    """The rows of a project-level frame inside the drill-down path (program NO_GROUP = without program);
    or, given `ids`, the rows of those projects. Active projects come first when the frame says which."""
    if frame.empty:
        return frame
    keep = pd.Series(True, index=frame.index)
    if ids is not None:
        keep &= frame["project_id"].isin(list(ids))
    else:
        if portfolio is not None:
            keep &= frame["portfolio"] == portfolio
        if program is not None:
            keep &= named(frame["program"]) == program
    out = frame[keep]
    if "active" in out:
        out = out.sort_values("active", ascending=False, kind="stable")
    return out.reset_index(drop=True)


def _project_table_rows(con, name: str, filters: Filters) -> pd.DataFrame | None:
    """A query on the project table at M (sql/views/projects/<name>.sql, which refs
    kpis/project_table: M − 1 is there for the RAG trend); None without a month."""
    as_of = kpis.resolve_as_of(con, filters)
    if as_of is None:
        return None
    return run(con, f"views/projects/{name}", kpis.params(filters, [previous_month(as_of), as_of], as_of=as_of))


def value_vs_risk(con, filters: Filters) -> pd.DataFrame:
    """Active projects with their strategic value (priority score), risk exposure (Σ probability ×
    impact of risks open at end(M)), budget and RAG — the bubble chart's points."""
    frame = _project_table_rows(con, "value_vs_risk", filters)
    if frame is None:
        return pd.DataFrame(columns=["project_id", "project_name", "portfolio", "overall_rag", "priority_score",
                                     "risk_exposure", "open_risks", "bac"])
    return frame


def attention(con, filters: Filters) -> pd.DataFrame:
    """Active projects whose latest report ≤ end(M) is red or amber, reds first, with that report's commentary."""
    frame = _project_table_rows(con, "attention", filters)
    if frame is None:
        return pd.DataFrame(columns=["project_id", "project_name", "portfolio", "project_manager", "overall_rag",
                                     "rag_trend", "report_date", "percent_complete", "summary"])
    return frame
