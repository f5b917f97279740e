"""Portfolio selection (CONTRACT §7): which candidates to fund under a budget and capacity limits.

The selection is optimal, solved as an integer programme with scipy's HiGHS (`scipy.optimize.milp`)
with a zero optimality gap:
maximise Σ score of the funded candidates subject to Σ BAC ≤ budget, Σ planned hours per
department ≤ its limit, and the projects forced in or out. Ties follow §7 exactly: totals of score
equal within 1e-9 tie; then the lower total BAC wins; then the sorted list of funded project_ids,
compared in order. That takes up to three solves in the usual case (best score, cheapest set at that
score, a check that no other set ties), and a few more only where a real tie exists.

Proving optimality is hard for some instances (many tight capacity limits at once), so the solver has
a time limit; a selection it could not prove optimal in that time says so (`optimal` False, with the
solver's remaining gap) and is never passed off as the optimum.

Beside the optimum, `greedy` ranks by score or by score per unit of cost and funds down the list
while everything fits — what a spreadsheet would do — so a board sees what the optimum adds;
`frontier` gives the best total score for a range of budgets.

Everything here works on plain frames (candidates: project_id, score, bac; needs: project_id,
department, hours), so it is tested on hand-made sets; `pipeline` reads those frames from the
warehouse, and `scenarios` runs the what-ifs the pages and the command line show.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

SCORE_TIE = 1e-9           # CONTRACT §7: total scores equal within this tie
_BAC_TIE = 1e-9            # relative: totals of BAC equal to a part in a billion tie
_GREEDY_KEYS = ("score", "score_per_cost")


class SelectionError(ValueError):
    """The scenario cannot be solved as given; the message names the limit or the project."""


@dataclass(frozen=True)
class Scenario:
    """A budget, optional capacity limits (department → hours over the planning window), and
    projects forced in or out."""

    budget: float
    limits: dict[str, float] = field(default_factory=dict)
    force_in: tuple[str, ...] = ()
    force_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class Selection:
    funded: tuple[str, ...]             # sorted project ids
    total_score: float
    total_bac: float
    hours: dict[str, float]             # department → hours the funded set needs (limited ones)
    method: str                         # optimal | greedy by score | greedy by score per cost
    solves: int = 0                     # integer programmes solved
    optimal: bool = True                # False: the time limit ran out before optimality was proven
    gap: float | None = None            # then: the solver's relative gap to its bound on the optimum

    def as_dict(self) -> dict:
        return {"funded": list(self.funded), "total_score": self.total_score, "total_bac": self.total_bac,
                "hours": dict(self.hours), "method": self.method, "optimal": self.optimal, "gap": self.gap}


@dataclass
class _Problem:
    ids: list[str]
    score: np.ndarray
    bac: np.ndarray
    departments: list[str]
    need: np.ndarray           # departments × candidates
    limit: np.ndarray          # per department
    budget: float
    fixed_in: np.ndarray       # bool per candidate
    fixed_out: np.ndarray
    time_limit: float | None = None
    solves: int = 0
    timed_out: bool = False
    gap: float | None = None
    deadline: float | None = None   # time.monotonic() by which every solve of one answer must end

    def start_clock(self) -> None:
        """The time limit counts from now, for all the solves of one answer together."""
        self.timed_out = False
        self.deadline = None if self.time_limit is None else time.monotonic() + self.time_limit

    def totals(self, x: np.ndarray) -> tuple[float, float]:
        on = x > 0.5
        return math.fsum(self.score[on]), math.fsum(self.bac[on])

    def fits(self, x: np.ndarray) -> bool:
        on = x > 0.5
        if math.fsum(self.bac[on]) > self.budget * (1 + 1e-12) + 1e-9:
            return False
        for d in range(len(self.departments)):
            if math.fsum(self.need[d, on]) > self.limit[d] * (1 + 1e-12) + 1e-9:
                return False
        return bool(np.all(on[self.fixed_in]) and not np.any(on[self.fixed_out]))

    def solve(self, objective: np.ndarray, *, min_score: float | None = None, max_bac: float | None = None,
              fix_in: np.ndarray | None = None, fix_out: np.ndarray | None = None) -> np.ndarray | None:
        """Minimise objective·x over the feasible sets (and the extra conditions); None if none."""
        n = len(self.ids)
        rows, lower, upper = [self.bac], [-np.inf], [self.budget]
        for d in range(len(self.departments)):
            # a limit that every candidate together stays within cannot bind: leaving its row out
            # changes no answer and spares the solver (free capacity is often far above the need)
            if math.fsum(np.clip(self.need[d], 0, None)) <= self.limit[d]:
                continue
            rows.append(self.need[d])
            lower.append(-np.inf)
            upper.append(self.limit[d])
        if min_score is not None:
            rows.append(self.score)
            lower.append(min_score)
            upper.append(np.inf)
        if max_bac is not None:
            rows.append(self.bac)
            lower.append(-np.inf)
            upper.append(max_bac)
        lb = (self.fixed_in | (fix_in if fix_in is not None else False)).astype(float)
        ub = (~(self.fixed_out | (fix_out if fix_out is not None else False))).astype(float)
        if np.any(lb > ub):
            return None
        options = {"mip_rel_gap": 0.0, "presolve": True}
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.timed_out = True
                return None
            options["time_limit"] = left
        self.solves += 1
        res = milp(objective, integrality=np.ones(n), bounds=Bounds(lb, ub),
                   constraints=LinearConstraint(csr_array(np.vstack(rows)), lower, upper), options=options)
        if res.status == 2:
            return None
        if res.status == 1:   # time limit: the best set found so far, if any
            self.timed_out = True
            if res.x is None:
                return None
            self.gap = float(res.mip_gap) if res.mip_gap is not None else None
            return np.round(res.x)
        if res.status != 0 or res.x is None:
            raise SelectionError(f"the solver stopped without an answer ({res.message})")
        return np.round(res.x)


def _problem(candidates: pd.DataFrame, needs: pd.DataFrame | None, scenario: Scenario,
             time_limit: float | None = None) -> _Problem:
    frame = candidates.sort_values("project_id").reset_index(drop=True)
    ids = [str(i) for i in frame["project_id"]]
    if len(set(ids)) != len(ids):
        raise SelectionError("a candidate is listed twice")
    index = {pid: i for i, pid in enumerate(ids)}
    for pid in scenario.force_in:
        if pid not in index:
            raise SelectionError(f"{pid} is forced in but is not a candidate")
    for pid in scenario.force_out:
        if pid not in index:
            raise SelectionError(f"{pid} is forced out but is not a candidate")
    both = sorted(set(scenario.force_in) & set(scenario.force_out))
    if both:
        raise SelectionError(f"{both[0]} is forced both in and out")
    if not math.isfinite(scenario.budget) or scenario.budget < 0:
        raise SelectionError("the budget must be a number ≥ 0")
    score = frame["score"].astype(float).to_numpy()
    bac = frame["bac"].fillna(0.0).astype(float).to_numpy()
    if not (np.all(np.isfinite(score)) and np.all(np.isfinite(bac))):
        raise SelectionError("every candidate needs a finite score and BAC")
    departments = sorted(scenario.limits)
    need = np.zeros((len(departments), len(ids)))
    if departments and needs is not None and len(needs):
        for d, dept in enumerate(departments):
            part = needs[needs["department"] == dept].groupby("project_id")["hours"].sum()
            for pid, hours in part.items():
                if pid in index:
                    need[d, index[pid]] = float(hours)
    limit = np.array([float(scenario.limits[d]) for d in departments])
    fixed_in = np.array([pid in set(scenario.force_in) for pid in ids], dtype=bool)
    fixed_out = np.array([pid in set(scenario.force_out) for pid in ids], dtype=bool)
    return _Problem(ids, score, bac, departments, need, limit, float(scenario.budget), fixed_in, fixed_out,
                    time_limit)


def check_forced(problem: _Problem, money: Callable[[float], str] = lambda v: f"{v:,.0f}") -> None:
    """A forced-in set that alone breaks a limit has no selection: say which limit.

    (Every limit is an upper bound on a sum of non-negative needs, so the scenario is feasible
    exactly when the forced-in projects alone fit.)"""
    forced = problem.fixed_in
    names = ", ".join(p for p, f in zip(problem.ids, forced) if f)
    if not names:  # nothing forced: only a limit below zero (an over-committed department) can break
        for d, dept in enumerate(problem.departments):
            if problem.limit[d] < 0:
                raise SelectionError(f"{dept} has {problem.limit[d]:,.0f} hours free in the planning window (it is "
                                     f"over-committed already), so no selection fits; raise or drop its limit")
        return
    cost = math.fsum(problem.bac[forced])
    if cost > problem.budget * (1 + 1e-12) + 1e-9:
        raise SelectionError(f"the projects forced in ({names}) cost {money(cost)} together, more than the "
                             f"budget of {money(problem.budget)}")
    for d, dept in enumerate(problem.departments):
        hours = math.fsum(problem.need[d, forced])
        if hours > problem.limit[d] * (1 + 1e-12) + 1e-9:
            raise SelectionError(f"the projects forced in ({names}) need {hours:,.0f} hours of {dept} in the "
                                 f"planning window; {dept} has {problem.limit[d]:,.0f} hours free")


def _selection(problem: _Problem, x: np.ndarray, method: str) -> Selection:
    on = x > 0.5
    total_score, total_bac = problem.totals(x)
    hours = {d: math.fsum(problem.need[i, on]) for i, d in enumerate(problem.departments)}
    return Selection(tuple(p for p, f in zip(problem.ids, on) if f), total_score, total_bac, hours, method,
                     problem.solves, not problem.timed_out, problem.gap if problem.timed_out else None)


TIME_LIMIT = 60.0  # seconds a selection may take before the best set found so far is shown, as such


def optimise(candidates: pd.DataFrame, needs: pd.DataFrame | None, scenario: Scenario, *,
             money: Callable[[float], str] | None = None, time_limit: float | None = TIME_LIMIT) -> Selection:
    """The optimal funded set of §7, with its tie-breaks. Raises SelectionError naming the limit a
    forced-in set breaks, or the project that cannot be forced. If optimality is not proven within
    `time_limit` seconds, the best set found is returned with `optimal` False (no tie-breaks)."""
    problem = _problem(candidates, needs, scenario, time_limit)
    check_forced(problem, *([money] if money else []))
    n = len(problem.ids)
    if n == 0:
        return _selection(problem, np.zeros(0), "optimal")
    problem.start_clock()
    best = problem.solve(-problem.score)
    if best is None and problem.timed_out:
        raise SelectionError(f"no selection was found within the time limit of {time_limit:,.0f} s")
    if best is None:  # cannot happen once the forced set fits; kept as a guard
        raise SelectionError("no set of candidates fits the limits")
    if problem.timed_out:
        return _selection(problem, best, "best found")
    top, best_cost = problem.totals(best)
    floor = top - SCORE_TIE
    # the cheapest set at the best score costs no more than the one found: a bound that prunes the search
    cheapest = problem.solve(problem.bac, min_score=floor, max_bac=best_cost * (1 + 1e-12) + 1e-9)
    if problem.timed_out:   # the tie-breaks could not be finished: the best-score set, said to be so
        return _selection(problem, best, "best found")
    x = cheapest if cheapest is not None and problem.totals(cheapest)[0] >= floor else best
    _, cost = problem.totals(x)
    ceiling = cost + _BAC_TIE * max(1.0, abs(cost))
    # Does another set tie on score and cost? One that funds a candidate x leaves out, or one that
    # drops a funded candidate worth nothing and costing nothing (a score-0, BAC-0 candidate).
    out = x < 0.5
    other = problem.solve(-out.astype(float), min_score=floor, max_bac=ceiling)
    droppable = (~out) & (np.abs(problem.score) <= SCORE_TIE) & (problem.bac <= ceiling - cost) & ~problem.fixed_in
    if droppable.any() or (other is not None and np.any((other > 0.5) & out) and _ties(problem, other, floor, ceiling)):
        x = _lexicographic_first(problem, x, floor, ceiling)
    return _selection(problem, x, "best found" if problem.timed_out else "optimal")


def _ties(problem: _Problem, x: np.ndarray, floor: float, ceiling: float) -> bool:
    total_score, total_bac = problem.totals(x)
    return problem.fits(x) and total_score >= floor and total_bac <= ceiling


def _lexicographic_first(problem: _Problem, x: np.ndarray, floor: float, ceiling: float) -> np.ndarray:
    """Among the tied sets, the one whose sorted list of ids comes first (a shorter list that is a
    prefix of another comes first). Ids are in sorted order already."""
    n = len(problem.ids)
    taken = np.zeros(n, dtype=bool)
    refused = np.zeros(n, dtype=bool)
    current = x
    for i in range(n):
        # the ids taken so far, and nothing more, may already be a tied set: nothing beats a prefix
        if _ties(problem, taken.astype(float), floor, ceiling):
            return taken.astype(float)
        if problem.fixed_out[i]:
            refused[i] = True
            continue
        if current[i] > 0.5:
            taken[i] = True
            continue
        trial = problem.solve(np.zeros(n), min_score=floor, max_bac=ceiling, fix_in=taken | _one(n, i),
                              fix_out=refused)
        if trial is not None and _ties(problem, trial, floor, ceiling):
            taken[i] = True
            current = trial
        else:
            refused[i] = True
    return taken.astype(float)


def _one(n: int, i: int) -> np.ndarray:
    v = np.zeros(n, dtype=bool)
    v[i] = True
    return v


def greedy(candidates: pd.DataFrame, needs: pd.DataFrame | None, scenario: Scenario, by: str = "score") -> Selection:
    """Rank by score (or by score per unit of BAC) and fund down the list while everything still fits:
    the forced-in projects first, the forced-out never. Ties in the ranking go to the lower BAC, then
    the lower project_id."""
    if by not in _GREEDY_KEYS:
        raise ValueError(f"greedy ranks by {' or '.join(_GREEDY_KEYS)}, not {by!r}")
    problem = _problem(candidates, needs, scenario)
    check_forced(problem)
    n = len(problem.ids)
    if by == "score":
        key = problem.score
    else:  # a free candidate (BAC 0) with any score comes first
        key = np.where(problem.bac > 0, problem.score / np.where(problem.bac > 0, problem.bac, 1.0), np.inf)
    order = sorted(range(n), key=lambda i: (-key[i], problem.bac[i], problem.ids[i]))
    x = problem.fixed_in.astype(float)
    for i in order:
        if x[i] > 0.5 or problem.fixed_out[i]:
            continue
        x[i] = 1.0
        if not problem.fits(x):
            x[i] = 0.0
    method = "greedy by score" if by == "score" else "greedy by score per cost"
    return _selection(problem, x, method)


def frontier(candidates: pd.DataFrame, needs: pd.DataFrame | None, scenario: Scenario,
             budgets: Iterable[float] | int = 50, progress: Callable[[int, int], None] | None = None,
             time_limit: float | None = 10.0) -> pd.DataFrame:
    """The best total score for each budget (default: 50 budgets from 0 to the total ask), with the
    scenario's other limits and forced projects: [budget, total_score, total_bac, funded_count,
    optimal]. A budget the forced-in projects do not fit in has no selection (score empty); a point
    not proven optimal within `time_limit` seconds (each point has its own) has `optimal` False.

    Budgets are solved from the largest down: the optimum of a larger budget that costs no more than a
    smaller one is the optimum there too (the smaller budget only removes sets, and not that one), so
    that point needs no solve of its own."""
    problem = _problem(candidates, needs, scenario, time_limit)
    if isinstance(budgets, int):
        ask = math.fsum(problem.bac)
        budgets = list(np.linspace(0.0, ask, budgets)) if ask > 0 else [0.0]
    budgets = [float(b) for b in budgets]
    rows: list[dict | None] = [None] * len(budgets)
    held: tuple[np.ndarray, float] | None = None    # the last proven optimum and its cost
    for done, k in enumerate(sorted(range(len(budgets)), key=lambda i: -budgets[i]), start=1):
        budget = problem.budget = budgets[k]
        problem.start_clock()
        if held is not None and held[1] <= budget * (1 + 1e-12) + 1e-9:
            x = held[0]
        else:
            try:
                check_forced(problem)
                x = problem.solve(-problem.score) if len(problem.ids) else np.zeros(0)
            except SelectionError:
                x = None
            held = (x, problem.totals(x)[1]) if x is not None and not problem.timed_out else None
        if x is None:
            rows[k] = {"budget": budget, "total_score": None, "total_bac": None, "funded_count": None,
                       "optimal": False if problem.timed_out else None}
        else:
            total_score, total_bac = problem.totals(x)
            rows[k] = {"budget": budget, "total_score": total_score, "total_bac": total_bac,
                       "funded_count": int(np.sum(x > 0.5)), "optimal": not problem.timed_out}
        if progress is not None:
            progress(done, len(budgets))
    return pd.DataFrame(rows, columns=["budget", "total_score", "total_bac", "funded_count", "optimal"])
