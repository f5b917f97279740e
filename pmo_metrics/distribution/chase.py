"""A project manager's chase list: what to fix or send on their own projects.

The list is gathered from *sources*, each a function `(con, filters, projects) -> [ChaseItem]`
over the manager's projects within the subscriber's scope. Today there are two: status reports
that are missing or older than the stale limit at the end of the month, and the data-quality
findings of the loads behind the current data that name one of the projects. Early-warning
signals become a third source the day they exist: append it to `CHASE_SOURCES`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from ..contract import EXCLUDED_STAGES
from ..filters import Filters
from ..queries import run
from ..views.projects import project_list
from ..views.quality import findings, stale_reports
from .text import clean

# The stale-report source says the same as these rules, as of the month asked for.
STALE_RULES = frozenset({"STS-STALE"})
MAX_ITEMS_PER_PROJECT = 20


@dataclass(frozen=True)
class ChaseItem:
    project_id: str
    source: str        # "status report", "data quality", later "early warning"
    text: str


@dataclass
class ChaseProject:
    project_id: str
    project_name: str
    items: list[ChaseItem] = field(default_factory=list)
    link: str | None = None


ChaseSource = Callable[[object, Filters, pd.DataFrame], list[ChaseItem]]


def manager_projects(con, filters: Filters, manager: str) -> pd.DataFrame:
    """[project_id, project_name] of the projects `manager` runs among those `filters` select
    (stage not idea or cancelled); names are compared without regard to case or spacing."""
    selected = project_list(con, filters)
    selected = selected[~selected["stage"].isin(EXCLUDED_STAGES)]
    if selected.empty:
        return selected[["project_id", "project_name"]]
    mine = set(run(con, "distribution/manager_projects", {
        "manager": " ".join(manager.split()), "project_ids": selected["project_id"].tolist()})["project_id"])
    return selected[selected["project_id"].isin(mine)][["project_id", "project_name"]].reset_index(drop=True)


def stale_report_items(con, filters: Filters, projects: pd.DataFrame) -> list[ChaseItem]:
    stale = stale_reports(con, filters)
    stale = stale[stale["project_id"].isin(set(projects["project_id"]))]
    out = []
    for r in stale.to_dict("records"):
        if pd.isna(r.get("report_date")):
            text = "No status report yet: send the first one."
        else:
            text = (f"Latest status report is from {pd.Timestamp(r['report_date']):%d %b %Y} "
                    f"({int(r['days_since_report'])} days before the month end): send a new one.")
        out.append(ChaseItem(str(r["project_id"]), "status report", text))
    return out


def finding_items(con, filters: Filters, projects: pd.DataFrame) -> list[ChaseItem]:
    found = findings(con)
    found = found[found["project_id"].isin(set(projects["project_id"])) & ~found["rule_id"].isin(STALE_RULES)]
    out = []
    for r in found.to_dict("records"):
        where = ", ".join(p for p in (clean(r.get("file"), 60),
                                      f"row {int(r['row'])}" if not pd.isna(r.get("row")) else "",
                                      f"column {clean(r.get('column'), 40)}" if clean(r.get("column")) else "") if p)
        value = f" (value {clean(r.get('value'), 60)!r})" if clean(r.get("value")) else ""
        kind = "rejected row" if r["severity"] == "error" else "warning"
        message = clean(r["message"], 200)
        out.append(ChaseItem(str(r["project_id"]), "data quality",
                             f"{message[:1].upper()}{message[1:]}{value} — {where or 'extract'}, {kind} {r['rule_id']}."))
    return out


CHASE_SOURCES: tuple[ChaseSource, ...] = (stale_report_items, finding_items)


def build_chase_list(con, filters: Filters, manager: str, link=None,
                     sources: tuple[ChaseSource, ...] = CHASE_SOURCES) -> list[ChaseProject]:
    """The manager's projects that have something to chase, each with its items, by project id."""
    projects = manager_projects(con, filters, manager)
    if projects.empty:
        return []
    by_project = {pid: ChaseProject(pid, clean(name, 80), link=link(pid) if link else None)
                  for pid, name in zip(projects["project_id"], projects["project_name"])}
    for source in sources:
        for item in source(con, filters, projects):
            entry = by_project.get(item.project_id)
            if entry is not None and len(entry.items) < MAX_ITEMS_PER_PROJECT:
                entry.items.append(item)
    return [p for pid, p in sorted(by_project.items()) if p.items]
