"""What-if scenarios over the pipeline (CONTRACT §7): run one, set the optimum beside what a ranking
would have funded, trace the score-vs-budget frontier, and save, reload, compare and export scenarios.

A `Plan` is what a scenario runs on, read once from the warehouse (`plan(con, filters, weights,
window)`): the scored candidates, their needs by department over the planning window and each
department's free capacity. `run(plan, scenario)` solves it exactly (`selection.optimise`) and ranks
by score and by score per cost beside it (`selection.greedy`).

A saved scenario is a `Record`: its definition (budget, limits, forced projects, window, weights, the
filters it was run under) and its result (the three funded sets with their totals, and every
candidate's score and BAC as they were). Records live in the app-state store (`save`, `records`), so
a comparison shows what was decided on the data of the day, even after later loads changed the data.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

import pandas as pd

from . import downloads, pipeline, selection
from .access import ANONYMOUS
from . import formatting as fmt
from .filters import Filters, month_add
from .selection import Scenario, Selection, SelectionError

METHODS = {"optimal": "Optimal", "by_score": "Ranking by score", "by_value": "Ranking by score per cost"}


# -- the plan ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """The inputs of a planning round: candidates [pipeline.scores columns], needs [project_id,
    department, hours], capacity [pipeline.capacity columns] over `window`, and the weights used."""

    candidates: pd.DataFrame
    needs: pd.DataFrame
    capacity: pd.DataFrame
    window: tuple[str, str] | None
    weights: dict[str, float]

    @property
    def total_ask(self) -> float:
        return math.fsum(self.candidates["bac"].fillna(0.0))

    @property
    def default_limits(self) -> dict[str, float]:
        return pipeline.default_limits(self.capacity)

    def optimiser_frame(self) -> pd.DataFrame:
        return self.candidates[["project_id", "score", "bac"]]


def plan(con, filters: Filters, weights: str | Mapping[str, float], window: tuple[str, str] | None = None) -> Plan:
    """The plan under the filters: window None takes the default planning window (the 12 months after
    the latest status-report month). PipelineError for weights or a window that cannot be used."""
    weights = pipeline.check_weights(con, weights)
    candidates = pipeline.scores(con, filters, weights)
    window = window or pipeline.default_window(con)
    if window is None:
        return Plan(candidates, pd.DataFrame(columns=["project_id", "department", "hours"]),
                    pd.DataFrame(columns=["department", "resources", "capacity_hours", "committed_hours",
                                          "free_hours", "candidate_hours"]), None, weights)
    pipeline.window_months(window)
    return Plan(candidates, pipeline.needs(con, filters, window), pipeline.capacity(con, filters, window),
                tuple(window), weights)


def solve(con, filters: Filters, weights: str | Mapping[str, float], window: tuple[str, str] | None,
          budget: float, limits: Iterable[tuple[str, float]] = (), force_in: Iterable[str] = (),
          force_out: Iterable[str] = (), time_limit: float | None = selection.TIME_LIMIT,
          currency: str = "") -> Outcome:
    """`run` on the plan read from the warehouse, with every input a plain value, so a page can cache
    the result (limits as (department, hours) pairs)."""
    return run(plan(con, filters, weights, window), Scenario(budget, dict(limits), tuple(force_in), tuple(force_out)),
               time_limit=time_limit, currency=currency)


def default_budget(plan_: Plan) -> float:
    """A first budget to try: half the total ask, to two significant figures (0 without candidates)."""
    half = plan_.total_ask / 2
    if half <= 0:
        return 0.0
    digits = 1 - int(math.floor(math.log10(half)))
    return float(round(half, digits))


CHOICES_BEFORE, CHOICES_FROM = 12, 36   # months a page offers before the default window's start, and from it


def window_choices(con) -> list[str]:
    """The months a planning window may span on a page: from a year before the default window's start
    to three years from it."""
    window = pipeline.default_window(con)
    if window is None:
        return []
    return pipeline.window_months((month_add(window[0], -CHOICES_BEFORE), month_add(window[0], CHOICES_FROM - 1)))


LIMIT_COLUMNS = ["department", "resources", "capacity_hours", "committed_hours", "free_hours", "candidate_hours",
                 "limited", "limit_hours"]


def limits_table(plan_: Plan) -> pd.DataFrame:
    """The capacity limits a page lets the user edit: every department with its capacity, committed
    and free hours and the candidates' need; `limited` and `limit_hours` start as the default limits
    (the free capacity of the departments the candidates need)."""
    frame = plan_.capacity.copy()
    defaults = plan_.default_limits
    frame["limited"] = frame["department"].isin(list(defaults))
    frame["limit_hours"] = frame["free_hours"].astype(float)
    return frame.reindex(columns=LIMIT_COLUMNS)


def limits_from_table(frame: pd.DataFrame) -> dict[str, float]:
    """{department: hours} of the rows marked `limited`; SelectionError for a limited row without hours."""
    out = {}
    for dept, on, hours in zip(frame["department"], frame["limited"], frame["limit_hours"]):
        if not bool(on):
            continue
        if fmt.is_missing(hours):
            raise SelectionError(f"the capacity limit of {dept} is empty: give it a number of hours or untick it")
        out[str(dept)] = float(hours)
    return out


def check_limits(plan_: Plan, limits: Mapping[str, float]) -> dict[str, float]:
    """Limits by department as floats; SelectionError naming a department the window has no
    capacity for, or a limit that is not a number."""
    known = set(plan_.capacity["department"])
    out: dict[str, float] = {}
    for dept, hours in limits.items():
        if dept not in known:
            raise SelectionError(f"{dept} is not a department with resources (known: {', '.join(sorted(known))})")
        try:
            value = float(hours)
        except (TypeError, ValueError):
            raise SelectionError(f"the capacity limit of {dept} ({hours!r}) is not a number of hours") from None
        if not math.isfinite(value):
            raise SelectionError(f"the capacity limit of {dept} must be a number of hours")
        out[str(dept)] = value
    return out


# -- one scenario ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """A scenario's optimum, the two rankings beside it, and how long the optimum took."""

    scenario: Scenario
    optimal: Selection
    by_score: Selection
    by_value: Selection
    seconds: float
    time_limit: float | None

    def selections(self) -> dict[str, Selection]:
        return {"optimal": self.optimal, "by_score": self.by_score, "by_value": self.by_value}

    @property
    def proven(self) -> bool:
        return self.optimal.optimal


def run(plan_: Plan, scenario: Scenario, *, time_limit: float | None = selection.TIME_LIMIT,
        currency: str = "") -> Outcome:
    """Solve the scenario: the optimum (or, when its proof ran out of time, the best set found, said to
    be so) and what ranking by score and by score per cost would have funded. SelectionError naming
    the limit a forced-in set breaks, an unknown project or department."""
    scenario = Scenario(float(scenario.budget), check_limits(plan_, scenario.limits), tuple(scenario.force_in),
                        tuple(scenario.force_out))
    frame = plan_.optimiser_frame()
    started = time.perf_counter()
    best = selection.optimise(frame, plan_.needs, scenario, money=lambda v: fmt.money(v, currency),
                              time_limit=time_limit)
    seconds = time.perf_counter() - started
    return Outcome(scenario, best, selection.greedy(frame, plan_.needs, scenario, "score"),
                   selection.greedy(frame, plan_.needs, scenario, "score_per_cost"), seconds, time_limit)


def frontier(plan_: Plan, scenario: Scenario, *, points: int = 50,
             progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """The best total score for `points` budgets from 0 to the total ask, under the scenario's limits
    and forced projects (selection.frontier's columns)."""
    scenario = Scenario(float(scenario.budget), check_limits(plan_, scenario.limits), tuple(scenario.force_in),
                        tuple(scenario.force_out))
    return selection.frontier(plan_.optimiser_frame(), plan_.needs, scenario, budgets=points, progress=progress)


def comparison(outcome: Outcome) -> pd.DataFrame:
    """The three selections side by side: method, projects, total_score, total_bac, budget_left and
    score_gap (how much less than the optimum a ranking scores)."""
    top = outcome.optimal.total_score
    return pd.DataFrame([{"method": key, "label": METHODS[key], "projects": len(s.funded),
                          "total_score": s.total_score, "total_bac": s.total_bac,
                          "budget_left": outcome.scenario.budget - s.total_bac, "score_gap": top - s.total_score,
                          "optimal": s.optimal if key == "optimal" else None}
                         for key, s in outcome.selections().items()])


def funded_table(plan_: Plan, outcome: Outcome) -> pd.DataFrame:
    """Every candidate with whether each selection funds it (optimal, by_score, by_value), whether it
    was forced in or out, and what it would need in the window: funded by the optimum first, then by
    score."""
    frame = plan_.candidates[["project_id", "project_name", "stage", "business_unit", "score", "bac"]].copy()
    total = plan_.needs.groupby("project_id")["hours"].sum()
    frame["hours_needed"] = frame["project_id"].map(total).fillna(0.0)
    for key, s in outcome.selections().items():
        frame[key] = frame["project_id"].isin(s.funded)
    forced = {**{p: "in" for p in outcome.scenario.force_in}, **{p: "out" for p in outcome.scenario.force_out}}
    frame["forced"] = [forced.get(p, "") for p in frame["project_id"]]
    return frame.sort_values(["optimal", "score", "project_id"], ascending=[False, False, True]).reset_index(drop=True)


def optimum_adds(outcome: Outcome) -> dict[str, dict[str, Any]]:
    """For each ranking: the projects the optimum funds that it does not (`adds`), those it funds that
    the optimum does not (`instead_of`), and the score gained."""
    best = set(outcome.optimal.funded)
    out = {}
    for key in ("by_score", "by_value"):
        s = outcome.selections()[key]
        out[key] = {"adds": sorted(best - set(s.funded)), "instead_of": sorted(set(s.funded) - best),
                    "score_gain": outcome.optimal.total_score - s.total_score,
                    "bac_change": outcome.optimal.total_bac - s.total_bac}
    return out


def what_the_optimum_adds(outcome: Outcome, currency: str = "") -> dict[str, str]:
    """For each ranking, the sentence that says what the optimum adds to it."""
    out = {}
    for key, diff in optimum_adds(outcome).items():
        name = METHODS[key].lower()
        if not diff["adds"] and not diff["instead_of"]:
            out[key] = f"{METHODS[key]} funds the same projects as the optimum."
            continue
        gain = fmt.ratio(diff["score_gain"], ".1f")
        swap = f"funds {', '.join(diff['adds']) or 'nothing more'}" + (
            f" instead of {', '.join(diff['instead_of'])}" if diff["instead_of"] else "")
        cost = diff["bac_change"]
        money = (f"for {fmt.money(cost, currency)} more" if cost > 0 else
                 f"for {fmt.money(-cost, currency)} less" if cost < 0 else "for the same cost")
        out[key] = f"The optimum scores {gain} more than {name}: it {swap}, {money}."
    return out


def capacity_use(plan_: Plan, outcome: Outcome) -> pd.DataFrame:
    """Per limited department: the limit, and the hours each selection needs of it."""
    rows = []
    for dept in sorted(outcome.scenario.limits):
        row = {"department": dept, "limit": outcome.scenario.limits[dept]}
        for key, s in outcome.selections().items():
            row[key] = s.hours.get(dept, 0.0)
        rows.append(row)
    return pd.DataFrame(rows, columns=["department", "limit", *METHODS])


def not_proven(outcome: Outcome) -> str | None:
    """The sentence a page or the command line states when the optimum was not proven in time."""
    if outcome.proven:
        return None
    gap = "" if outcome.optimal.gap is None else f" (the best possible set may score up to " \
        f"{fmt.share(outcome.optimal.gap)} more)"
    limit = fmt.count(outcome.time_limit) if outcome.time_limit is not None else fmt.count(outcome.seconds)
    return f"Not proven optimal in {limit} s: this is the best selection found in that time{gap}."


# -- saved scenarios ---------------------------------------------------------------------------------

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
    """The totals of a comparison as text, each figure in its unit: figure, a, b, change."""
    def text(unit: str, v, signed: bool = False):
        if fmt.is_missing(v):
            return fmt.NO_DATA
        if unit == "money":
            return fmt.signed_money(v, currency) if signed else fmt.money(v, currency)
        if unit == "count":
            return fmt.signed(v, ",.0f") if signed else fmt.count(v)
        return fmt.signed(v, ".1f") if signed else fmt.ratio(v, ".1f")
    return pd.DataFrame([{"figure": r.figure, "a": text(r.unit, r.a), "b": text(r.unit, r.b),
                          "change": text(r.unit, r.change, signed=True)} for r in cmp.totals.itertuples(index=False)])


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
