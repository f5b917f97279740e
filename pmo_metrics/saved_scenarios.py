"""Saved what-if scenarios (CONTRACT §7): a scenario as recorded in the app-state store, what changed
between two of them, and the Excel workbooks they are exported as.

A `Record` holds a scenario's definition (budget, limits, forced projects, window, weights, the filters
it was run under) and its result (the three funded sets with their totals, and every candidate's score
and BAC as they were). Records live in the app-state store, never in the warehouse, so a comparison
shows what was decided on the data of the day, even after later loads changed the data.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

import pandas as pd

from . import downloads
from . import formatting as fmt
from .access import ANONYMOUS
from .filters import Filters
from .scenarios import METHODS, Outcome, Plan
from .selection import Scenario


@dataclass(frozen=True)
class Record:
    """A scenario as saved (or as it would be): its name, definition and result."""

    name: str
    definition: dict[str, Any]
    result: dict[str, Any]
    author: str = ""
    saved_at: datetime | None = None
    data_version: str | None = None
    description: str = ""

    @property
    def funded(self) -> list[str]:
        return list(self.result.get("optimal", {}).get("funded", []))

    @property
    def candidate_ids(self) -> set[str]:
        return {c["project_id"] for c in self.result.get("candidates", [])}


def record(name: str, plan_: Plan, outcome: Outcome, filters: Filters, *, author: str = ANONYMOUS,
           data_version: str | None = None, description: str = "") -> Record:
    """The record of a scenario just run."""
    s = outcome.scenario
    definition = {"budget": s.budget, "limits": dict(s.limits), "force_in": sorted(s.force_in),
                  "force_out": sorted(s.force_out), "window": list(plan_.window) if plan_.window else None,
                  "weights": dict(plan_.weights), "filters": filters.project_params()}
    cols = ["project_id", "project_name", "stage", "business_unit", "score", "bac"]
    candidates = [{k: (None if fmt.is_missing(v) else (float(v) if k in ("score", "bac") else str(v)))
                   for k, v in row.items()} for row in plan_.candidates[cols].to_dict("records")]
    result = {**{k: v.as_dict() for k, v in outcome.selections().items()}, "seconds": outcome.seconds,
              "time_limit": outcome.time_limit, "candidates": candidates}
    return Record(name, definition, result, author, None, data_version, description)


def save(store, rec: Record, *, replace: bool = False) -> int:
    """Save a record in the app-state store (AppStateError when the name is taken and not `replace`)."""
    return store.save_scenario(rec.name, rec.definition, rec.result, rec.author, description=rec.description,
                               data_version=rec.data_version, replace=replace)


def records(store, visible_ids: Iterable[str] | None = None) -> list[Record]:
    """The saved scenarios, by name. With `visible_ids` (the projects a scoped viewer may see), only
    those whose every candidate is among them: a scenario of other business units is not shown."""
    allowed = None if visible_ids is None else set(visible_ids)
    out = []
    for s in store.scenarios():
        rec = Record(s.name, s.definition, s.result, s.author, s.updated_at, s.data_version, s.description)
        if allowed is None or rec.candidate_ids <= allowed:
            out.append(rec)
    return out


def scenario_of(rec: Record) -> Scenario:
    """The Scenario a record was run with (to run it again on today's data)."""
    d = rec.definition
    return Scenario(float(d.get("budget", 0.0)), {k: float(v) for k, v in (d.get("limits") or {}).items()},
                    tuple(d.get("force_in") or ()), tuple(d.get("force_out") or ()))


def summary(recs: list[Record]) -> pd.DataFrame:
    """One row per saved scenario: name, author, saved_at, budget, projects, total_score, total_bac,
    optimal, description."""
    rows = [{"name": r.name, "author": r.author, "saved_at": r.saved_at, "budget": r.definition.get("budget"),
             "projects": len(r.funded), "total_score": r.result.get("optimal", {}).get("total_score"),
             "total_bac": r.result.get("optimal", {}).get("total_bac"),
             "optimal": r.result.get("optimal", {}).get("optimal"), "description": r.description} for r in recs]
    return pd.DataFrame(rows, columns=["name", "author", "saved_at", "budget", "projects", "total_score",
                                       "total_bac", "optimal", "description"])


@dataclass(frozen=True)
class Comparison:
    """Two records side by side: `totals` (one row per figure, a column per scenario), `projects`
    (every project either considered: funded in A, in B, the change) and `changes` (what differs, in
    words: settings first, then the funded set)."""

    a: Record
    b: Record
    totals: pd.DataFrame
    projects: pd.DataFrame
    changes: list[str] = field(default_factory=list)


def _limits_text(limits: Mapping[str, float]) -> str:
    return ", ".join(f"{d} {fmt.hours(h)}" for d, h in sorted(limits.items())) or "none"


def _weights_text(weights: Mapping[str, float]) -> str:
    return " ".join(f"{c}={fmt.number(w)}" for c, w in weights.items())


def _window_text(window) -> str:
    return f"{window[0]} to {window[1]}" if window else fmt.NO_DATA


def compare(a: Record, b: Record, currency: str = "") -> Comparison:
    """What changed from scenario A to scenario B."""
    ra, rb = a.result.get("optimal", {}), b.result.get("optimal", {})
    figures = [("Budget", a.definition.get("budget"), b.definition.get("budget"), "money"),
               ("Projects funded", len(a.funded), len(b.funded), "count"),
               ("Total score", ra.get("total_score"), rb.get("total_score"), "score"),
               ("Total BAC", ra.get("total_bac"), rb.get("total_bac"), "money")]
    totals = pd.DataFrame([{"figure": f, "a": va, "b": vb,
                            "change": None if va is None or vb is None else vb - va, "unit": unit}
                           for f, va, vb, unit in figures])
    names = {c["project_id"]: c for c in a.result.get("candidates", []) + b.result.get("candidates", [])}
    fa, fb = set(a.funded), set(b.funded)
    rows = []
    for pid in sorted(names):
        ca = next((c for c in a.result.get("candidates", []) if c["project_id"] == pid), None)
        cb = next((c for c in b.result.get("candidates", []) if c["project_id"] == pid), None)
        change = ("funded in both" if pid in fa and pid in fb else "added" if pid in fb else
                  "dropped" if pid in fa else "in neither")
        rows.append({"project_id": pid, "project_name": names[pid].get("project_name"),
                     "score_a": ca["score"] if ca else None, "score_b": cb["score"] if cb else None,
                     "bac": (cb or ca).get("bac"), "funded_a": pid in fa, "funded_b": pid in fb, "change": change})
    projects = pd.DataFrame(rows, columns=["project_id", "project_name", "score_a", "score_b", "bac", "funded_a",
                                           "funded_b", "change"])
    order = {"added": 0, "dropped": 1, "funded in both": 2, "in neither": 3}
    projects = projects.sort_values(["change", "project_id"], key=lambda s: s.map(order) if s.name == "change" else s)
    return Comparison(a, b, totals, projects.reset_index(drop=True), _changes(a, b, fa, fb, currency))


def comparison_rows(cmp: Comparison, currency: str = "") -> pd.DataFrame:
    """The totals of a comparison as text, each figure in its unit, the change as an arrow: figure,
    a, b, change."""
    units = {"money": ("money", None), "count": ("count", None), "score": ("ratio", ".1f")}

    def text(unit: str, v, change: bool = False):
        kind, number = units[unit]
        if change:
            return fmt.arrow(fmt.change(kind, v, number, currency=currency))
        return fmt.value(kind, v, number, currency=currency)
    return pd.DataFrame([{"figure": r.figure, "a": text(r.unit, r.a), "b": text(r.unit, r.b),
                          "change": text(r.unit, r.change, change=True)} for r in cmp.totals.itertuples(index=False)])


def _changes(a: Record, b: Record, fa: set[str], fb: set[str], currency: str) -> list[str]:
    da, db = a.definition, b.definition
    out = []
    if da.get("budget") != db.get("budget"):
        out.append(f"Budget {fmt.money(da.get('budget'), currency)} → {fmt.money(db.get('budget'), currency)}")
    if (da.get("limits") or {}) != (db.get("limits") or {}):
        out.append(f"Capacity limits {_limits_text(da.get('limits') or {})} → {_limits_text(db.get('limits') or {})}")
    for key, what in (("force_in", "Forced in"), ("force_out", "Forced out")):
        if sorted(da.get(key) or []) != sorted(db.get(key) or []):
            out.append(f"{what}: {', '.join(da.get(key) or []) or 'none'} → {', '.join(db.get(key) or []) or 'none'}")
    if da.get("window") != db.get("window"):
        out.append(f"Planning window {_window_text(da.get('window'))} → {_window_text(db.get('window'))}")
    if da.get("weights") != db.get("weights"):
        out.append(f"Weights {_weights_text(da.get('weights') or {})} → {_weights_text(db.get('weights') or {})}")
    if da.get("filters") != db.get("filters"):
        out.append("Filters differ: the two scenarios chose among different candidates")
    if a.data_version != b.data_version:
        out.append("Run on different data loads: scores and costs may have changed in between")
    if fb - fa:
        out.append(f"Funded in B only: {', '.join(sorted(fb - fa))}")
    if fa - fb:
        out.append(f"Funded in A only: {', '.join(sorted(fa - fb))}")
    if fa == fb:
        out.append("The same projects are funded")
    return out


# -- export ------------------------------------------------------------------------------------------

def _definition_rows(rec: Record, currency: str) -> list[tuple[str, str]]:
    d, r = rec.definition, rec.result.get("optimal", {})
    return [("Scenario", rec.name), ("Author", rec.author or fmt.NO_DATA),
            ("Saved", fmt.date(rec.saved_at) if rec.saved_at else "not saved"),
            ("Description", rec.description or ""),
            ("Budget", fmt.money(d.get("budget"), currency)), ("Planning window", _window_text(d.get("window"))),
            ("Capacity limits", _limits_text(d.get("limits") or {})),
            ("Forced in", ", ".join(d.get("force_in") or []) or "none"),
            ("Forced out", ", ".join(d.get("force_out") or []) or "none"),
            ("Weights", _weights_text(d.get("weights") or {})),
            ("Projects funded", fmt.count(len(rec.funded))),
            ("Total score", fmt.ratio(r.get("total_score"), ".1f")), ("Total BAC", fmt.money(r.get("total_bac"), currency)),
            ("Proven optimal", "yes" if r.get("optimal") else "no: the best found within the time limit")]


def funded_rows(rec: Record) -> pd.DataFrame:
    """A record's candidates with whether each selection funded them."""
    frame = pd.DataFrame(rec.result.get("candidates", []),
                         columns=["project_id", "project_name", "stage", "business_unit", "score", "bac"])
    for key in METHODS:
        frame[key] = frame["project_id"].isin(rec.result.get(key, {}).get("funded", []))
    return frame.sort_values(["optimal", "score"], ascending=[False, False]).reset_index(drop=True)


def _methods_rows(rec: Record) -> pd.DataFrame:
    budget = rec.definition.get("budget") or 0.0
    top = rec.result.get("optimal", {}).get("total_score") or 0.0
    return pd.DataFrame([{"method": label, "projects": len(rec.result.get(k, {}).get("funded", [])),
                          "total score": rec.result.get(k, {}).get("total_score"),
                          "total BAC": rec.result.get(k, {}).get("total_bac"),
                          "budget left": budget - (rec.result.get(k, {}).get("total_bac") or 0.0),
                          "score below the optimum": top - (rec.result.get(k, {}).get("total_score") or 0.0)}
                         for k, label in METHODS.items()])


def workbook(rec: Record, currency: str = "") -> bytes:
    """One scenario as an Excel workbook: `scenario` (its definition and totals), `funded` (every
    candidate and which selection funds it) and `comparison` (the optimum beside the rankings)."""
    return downloads.to_excel_bytes({
        "scenario": pd.DataFrame(_definition_rows(rec, currency), columns=["item", "value"]),
        "funded": funded_rows(rec), "comparison": _methods_rows(rec)})


def comparison_workbook(cmp: Comparison, currency: str = "") -> bytes:
    """Two scenarios compared, as an Excel workbook: `scenario` (both definitions side by side),
    `funded` (every project and where it is funded), `comparison` (the totals and what changed)."""
    da, db = _definition_rows(cmp.a, currency), _definition_rows(cmp.b, currency)
    side = pd.DataFrame([(k, va, vb) for (k, va), (_, vb) in zip(da, db)], columns=["item", "A", "B"])
    totals = cmp.totals.drop(columns="unit").rename(columns={"a": "A", "b": "B"})
    changes = pd.DataFrame({"figure": "What changed", "A": None, "B": None, "change": cmp.changes})
    return downloads.to_excel_bytes({"scenario": side, "funded": cmp.projects,
                                     "comparison": pd.concat([totals, changes], ignore_index=True)})
