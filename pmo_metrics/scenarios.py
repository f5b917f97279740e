"""What-if scenarios over the pipeline (CONTRACT §7): run one, set the optimum beside what a ranking
would have funded, and trace the score-vs-budget frontier (saving and comparing them:
`saved_scenarios`).

A `Plan` is what a scenario runs on, read once from the warehouse (`plan(con, filters, weights,
window)`): the scored candidates, their needs by department over the planning window and each
department's free capacity. `run(plan, scenario)` solves it exactly (`selection.optimise`) and ranks
by score and by score per cost beside it (`selection.greedy`).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import pandas as pd

from . import formatting as fmt
from . import pipeline, selection
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


def budget_step(plan_: Plan) -> float:
    """The step of a page's budget box: a hundredth of the total ask, in thousands (at least 1)."""
    return max(1.0, round(plan_.total_ask / 100, -3))


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


FRONTIER_POINTS = 50


def frontier(plan_: Plan, scenario: Scenario, *, points: int = FRONTIER_POINTS,
             progress: Callable[[int, int], None] | None = None, time_limit: float | None = 10.0) -> pd.DataFrame:
    """The best total score for `points` budgets from 0 to the total ask, under the scenario's limits
    and forced projects (selection.frontier's columns); `time_limit` seconds for each budget."""
    scenario = Scenario(float(scenario.budget), check_limits(plan_, scenario.limits), tuple(scenario.force_in),
                        tuple(scenario.force_out))
    return selection.frontier(plan_.optimiser_frame(), plan_.needs, scenario, budgets=points, progress=progress,
                              time_limit=time_limit)


def frontier_note(front: pd.DataFrame, time_limit: float | None) -> str | None:
    """The sentence that says how many budgets of a frontier were not proven optimal in time."""
    unproven = int((front["optimal"] == False).sum())  # noqa: E712 — None (no selection) is not False
    if not unproven:
        return None
    each = f" within {fmt.number(time_limit)} s each" if time_limit else ""
    return (f"{fmt.plural(unproven, 'budget')} of {fmt.count(len(front))} could not be proven optimal{each}: "
            "their points (hollow) are the best selections found, so the optimum there is at least as high.")


def frontier_time_limit(time_limit: float | None) -> float | None:
    """Seconds for each budget of a page's frontier: a tenth of a selection's limit (at least 1 s), so
    the whole frontier takes at most five times as long as one selection."""
    return None if not time_limit else max(1.0, time_limit / 10)


def comparison(outcome: Outcome) -> pd.DataFrame:
    """The three selections side by side: method, projects, total_score, total_bac, budget_left,
    score_gap (how much less than the optimum a ranking scores) and behind (whether it scores less,
    beyond the tie of §7)."""
    top = outcome.optimal.total_score
    return pd.DataFrame([{"method": key, "label": METHODS[key], "projects": len(s.funded),
                          "total_score": s.total_score, "total_bac": s.total_bac,
                          "budget_left": outcome.scenario.budget - s.total_bac, "score_gap": top - s.total_score,
                          "behind": top - s.total_score > selection.SCORE_TIE,
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
