"""Portfolio selection (CONTRACT §7): the optimum under budget and capacity, its tie-breaks, the
greedy rankings it is compared with, infeasible forced sets, and the score-vs-budget frontier."""
from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_metrics.selection import Scenario, SelectionError, frontier, greedy, optimise


def cands(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["project_id", "score", "bac"])


def needs(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["project_id", "department", "hours"])


# A: the best score but a poor fit; D: the best value for money but small; B + C fill the budget.
BOARD = cands([("A", 60.0, 6.0), ("B", 50.0, 5.0), ("C", 45.0, 5.0), ("D", 12.0, 1.0)])


def test_the_optimum_beats_both_greedy_rankings():
    scenario = Scenario(budget=10.0)
    best = optimise(BOARD, None, scenario)
    assert best.funded == ("B", "C") and best.total_score == 95.0 and best.total_bac == 10.0
    by_score = greedy(BOARD, None, scenario, "score")
    assert by_score.funded == ("A", "D") and by_score.total_score == 72.0      # A, then only D fits
    by_value = greedy(BOARD, None, scenario, "score_per_cost")
    # D (12 per unit), then B and A tie at 10 per unit: the lower BAC (B) first; then nothing fits
    assert by_value.funded == ("B", "D") and by_value.total_score == 62.0
    assert best.method == "optimal" and by_value.method == "greedy by score per cost"


def test_equal_scores_go_to_the_lower_total_bac():
    c = cands([("E", 50.0, 5.0), ("F", 50.0, 5.0), ("G", 100.0, 9.0)])
    assert optimise(c, None, Scenario(10.0)).funded == ("G",)        # 100 for 9 beats 100 for 10


def test_equal_score_and_bac_go_to_the_first_sorted_list_of_ids():
    c = cands([("G", 100.0, 10.0), ("E", 50.0, 5.0), ("F", 50.0, 5.0)])
    assert optimise(c, None, Scenario(10.0)).funded == ("E", "F")    # ['E', 'F'] < ['G']
    c = cands([("B", 50.0, 5.0), ("A1", 25.0, 2.5), ("A2", 25.0, 2.5), ("C", 50.0, 5.0)])
    # {A1, A2, B}, {A1, A2, C} and {B, C} all score 100 for 10: ['A1', 'A2', 'B'] comes first
    assert optimise(c, None, Scenario(10.0)).funded == ("A1", "A2", "B")


def test_scores_within_1e9_tie():
    c = cands([("X", 100.0 + 4e-10, 10.0), ("Y", 50.0, 4.0), ("Z", 50.0, 5.0)])
    # X scores 4e-10 more than Y + Z, which is a tie: Y + Z cost 9 < 10
    assert optimise(c, None, Scenario(10.0)).funded == ("Y", "Z")
    c = cands([("X", 100.0 + 2e-9, 10.0), ("Y", 50.0, 4.0), ("Z", 50.0, 5.0)])
    assert optimise(c, None, Scenario(10.0)).funded == ("X",)


def test_a_shorter_list_that_is_a_prefix_comes_first():
    free_and_worthless = cands([("P1", 10.0, 5.0), ("P2", 0.0, 0.0)])
    assert optimise(free_and_worthless, None, Scenario(5.0)).funded == ("P1",)         # ['P1'] < ['P1', 'P2']
    sorted_first = cands([("P1", 10.0, 5.0), ("P0", 0.0, 0.0)])
    assert optimise(sorted_first, None, Scenario(5.0)).funded == ("P0", "P1")          # 'P0' < 'P1'


def test_forced_in_and_out():
    s = optimise(BOARD, None, Scenario(10.0, force_in=("A",)))
    assert s.funded == ("A", "D") and s.total_score == 72.0
    s = optimise(BOARD, None, Scenario(10.0, force_out=("C",)))
    assert s.funded == ("A", "D") and s.total_score == 72.0      # B + D would be 62


def test_forced_in_goes_first_in_the_greedy_rankings():
    s = greedy(BOARD, None, Scenario(10.0, force_in=("C",)), "score")
    assert s.funded == ("B", "C")      # C (forced), then A does not fit (11), B does (10)


@pytest.mark.parametrize("scenario, message", [
    (Scenario(10.0, force_in=("A", "B")), r"the projects forced in \(A, B\) cost 11 together, more than the budget of 10"),
    (Scenario(10.0, force_in=("Q",)), "Q is forced in but is not a candidate"),
    (Scenario(10.0, force_out=("Q",)), "Q is forced out but is not a candidate"),
    (Scenario(10.0, force_in=("A",), force_out=("A",)), "A is forced both in and out"),
    (Scenario(-1.0), "the budget must be a number ≥ 0"),
    (Scenario(float("nan")), "the budget must be a number ≥ 0"),
    (Scenario(10.0, limits={"IT": 100.0}, force_in=("A", "D")),
     r"the projects forced in \(A, D\) need 150 hours of IT in the planning window; IT has 100 hours free"),
])
def test_an_infeasible_scenario_names_the_limit(scenario, message):
    n = needs([("A", "IT", 120.0), ("D", "IT", 30.0)])
    with pytest.raises(SelectionError, match=message):
        optimise(BOARD, n, scenario)
    with pytest.raises(SelectionError, match=message):
        greedy(BOARD, n, scenario)


def test_capacity_binds():
    n = needs([("A", "IT", 10.0), ("B", "IT", 80.0), ("C", "IT", 80.0), ("C", "HR", 5.0), ("D", "IT", 10.0)])
    free = optimise(BOARD, n, Scenario(10.0))
    assert free.funded == ("B", "C")                      # no limit: the departments do not count
    tight = optimise(BOARD, n, Scenario(10.0, limits={"IT": 100.0}))
    # B + C need 160 h of IT: best within 100 h and 10 money is A + D (72) or B + D (62), or A + B (over budget)
    assert tight.funded == ("A", "D") and tight.hours == {"IT": 20.0}
    hr = optimise(BOARD, n, Scenario(10.0, limits={"HR": 4.0}))
    assert "C" not in hr.funded and hr.funded == ("A", "D")


def test_no_candidates():
    s = optimise(cands([]), None, Scenario(10.0))
    assert s.funded == () and s.total_score == 0.0


def _brute_force(c: pd.DataFrame, n: pd.DataFrame, sc: Scenario) -> tuple[str, ...] | None:
    """§7 by enumeration: every subset, the best score (ties within 1e-9), then the lower BAC, then
    the sorted ids in order."""
    rows = list(c.itertuples(index=False))
    feasible = []
    for k in range(len(rows) + 1):
        for combo in itertools.combinations(rows, k):
            ids = {r.project_id for r in combo}
            if not set(sc.force_in) <= ids or ids & set(sc.force_out):
                continue
            if math.fsum(r.bac for r in combo) > sc.budget + 1e-9:
                continue
            ok = True
            for dept, limit in sc.limits.items():
                used = n[(n["department"] == dept) & n["project_id"].isin(ids)]["hours"].sum()
                ok &= used <= limit + 1e-9
            if ok:
                feasible.append((math.fsum(r.score for r in combo), math.fsum(r.bac for r in combo),
                                 tuple(sorted(ids))))
    if not feasible:
        return None
    top = max(f[0] for f in feasible)
    tied = [f for f in feasible if f[0] >= top - 1e-9]
    cheapest = min(f[1] for f in tied)
    tied = [f for f in tied if f[1] <= cheapest + 1e-9 * max(1.0, cheapest)]
    return min(f[2] for f in tied)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_the_optimum_equals_brute_force(data):
    size = data.draw(st.integers(0, 9))
    ids = [f"P{i:02d}" for i in data.draw(st.permutations(range(size)))]
    score = st.sampled_from([0.0, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0, 33.3, 50.0])   # ties are common
    rows = [(pid, data.draw(score), float(data.draw(st.integers(0, 6)))) for pid in ids]
    c = cands(rows)
    n = needs([(pid, dept, float(data.draw(st.integers(0, 5)))) for pid in ids for dept in ("IT", "OPS")
               if data.draw(st.booleans())])
    limits = {d: float(data.draw(st.integers(0, 12))) for d in ("IT", "OPS") if data.draw(st.booleans())}
    force_in = tuple(p for p in ids if data.draw(st.integers(0, 9)) == 0)
    force_out = tuple(p for p in ids if p not in force_in and data.draw(st.integers(0, 9)) == 0)
    sc = Scenario(float(data.draw(st.integers(0, 20))), limits, force_in, force_out)
    expected = _brute_force(c, n, sc)
    if expected is None:
        with pytest.raises(SelectionError, match="forced in"):
            optimise(c, n, sc)
    else:
        assert optimise(c, n, sc).funded == expected


def test_the_frontier_is_the_best_score_for_each_budget():
    f = frontier(BOARD, None, Scenario(0.0), budgets=[0, 1, 5, 6, 10, 17])
    assert f["total_score"].tolist() == [0.0, 12.0, 50.0, 62.0, 95.0, 167.0]
    assert f["funded_count"].tolist() == [0, 1, 1, 2, 2, 4]
    seen = []
    f = frontier(BOARD, None, Scenario(0.0, force_in=("A",)), budgets=5, progress=lambda k, n: seen.append((k, n)))
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert f["budget"].tolist() == [0.0, 4.25, 8.5, 12.75, 17.0]
    assert f["total_score"].isna().tolist() == [True, True, False, False, False]   # A alone costs 6
    assert f["total_score"].iloc[-1] == 167.0


def test_a_selection_not_proven_optimal_in_time_says_so():
    """Many tight capacity limits at once: with almost no time the solver returns its best set so far,
    which is labelled as such and never as the optimum."""
    import numpy as np

    rng = np.random.default_rng(1)
    n = 300
    c = cands([(f"P{i:03d}", float(rng.uniform(10, 90)), float(rng.lognormal(14, 1))) for i in range(n)])
    rows = [(f"P{i:03d}", f"D{d}", float(rng.integers(50, 2000))) for i in range(n)
            for d in rng.choice(10, 3, replace=False)]
    n_ = needs(rows)
    limits = {d: float(n_[n_["department"] == d]["hours"].sum() * 0.3) for d in sorted(set(n_["department"]))}
    s = optimise(c, n_, Scenario(float(c["bac"].sum() * 0.3), limits), time_limit=0.2)
    assert not s.optimal and s.method == "best found" and s.gap is not None and s.gap > 0
    assert s.as_dict()["optimal"] is False
    assert s.total_bac <= c["bac"].sum() * 0.3 + 1e-6


def test_the_frontier_solves_once_for_the_budgets_a_larger_optimum_fits(monkeypatch):
    import pmo_metrics.selection as sel

    calls = []
    real = sel.milp
    monkeypatch.setattr(sel, "milp", lambda *a, **k: calls.append(1) or real(*a, **k))
    f = frontier(BOARD, None, Scenario(0.0), budgets=[17.0, 18.0, 25.0, 40.0])
    # at 40 the optimum funds everything for 17, which fits every other budget: one solve in all
    assert f["total_score"].tolist() == [167.0] * 4 and f["optimal"].tolist() == [True] * 4
    assert len(calls) == 1
    calls.clear()
    f = frontier(BOARD, None, Scenario(0.0), budgets=[10.0, 11.0, 12.0])
    assert f["total_score"].tolist() == [95.0, 110.0, 122.0] and len(calls) == 3
