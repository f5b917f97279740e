"""PMO maturity (CONTRACT §4) against hand-worked assessments. M = 2024-06, end(M) = 2024-06-30."""
from __future__ import annotations

import pandas as pd
import pytest

from builders import assessment, make_db, project
from pmo_metrics import kpis
from pmo_metrics.metrics import MATURITY_KPIS
from pmo_metrics.views import maturity
from pmo_metrics.filters import Filters

M = Filters(as_of="2024-06")
approx = pytest.approx


@pytest.fixture(scope="module")
def maturity_db():
    a = assessment
    return make_db({
        "projects": [project("P1", business_unit="Retail", portfolio="Core")],
        "maturity_assessments": [
            # Retail, older assessment: superseded by A2
            a("A1", "2023-06-01", "Retail", "governance", "g1", 1.0, 2.0),
            a("A1", "2023-06-01", "Retail", "talent", "t1", 1.0),
            # Retail, latest ≤ end(M): governance (3 + 4)/2 = 3.5 (targets (4 + 5)/2 = 4.5); talent 2
            a("A2", "2024-03-01", "Retail", "governance", "g1", 3.0, 4.0),
            a("A2", "2024-03-01", "Retail", "governance", "g2", 4.0, 5.0),
            a("A2", "2024-03-01", "Retail", "talent", "t1", 2.0),
            # Finance, latest ≤ end(M): governance 3 (target 4), talent 4, leadership 5
            a("A3", "2024-05-01", "Finance", "governance", "g1", 3.0, 4.0),
            a("A3", "2024-05-01", "Finance", "talent", "t1", 4.0),
            a("A3", "2024-05-01", "Finance", "leadership", "l1", 5.0),
            # Finance, after M: ignored at M
            a("A4", "2024-09-01", "Finance", "governance", "g1", 5.0),
            a("A4", "2024-09-01", "Finance", "talent", "t1", 5.0),
            # Ops is assessed only after M
            a("A5", "2024-08-01", "Ops", "governance", "g1", 1.0),
        ],
    })


def test_maturity_score_is_mean_of_business_unit_scores(maturity_db):
    k = kpis.compute_kpis(maturity_db, M)
    # Retail = mean(3.5, 2) = 2.75; Finance = mean(3, 4, 5) = 4.0; selection = (2.75 + 4.0) / 2 = 3.375
    # (not the mean of all five domain scores, 3.5, and Ops, assessed only after M, is not in it)
    assert k["maturity_score"] == approx(3.375)


def test_maturity_level_is_staged_on_domain_scores(maturity_db):
    # selection domain scores: governance (3.5 + 3)/2 = 3.25, talent (2 + 4)/2 = 3.0, leadership 5
    # largest N with every one ≥ N: 3
    assert kpis.compute_kpis(maturity_db, M)["maturity_level"] == 3


def test_business_unit_filter_scopes_maturity(maturity_db):
    k = kpis.compute_kpis(maturity_db, Filters(as_of="2024-06", business_units=("Retail",)))
    assert k["maturity_score"] == approx(2.75)   # mean(3.5, 2)
    assert k["maturity_level"] == 2              # talent 2.0 holds it at 2


def test_other_filters_do_not_scope_maturity(maturity_db):
    base = kpis.compute_kpis(maturity_db, M)
    for f in (Filters(as_of="2024-06", portfolios=("Nowhere",)), Filters(as_of="2024-06", departments=("X",)),
              Filters(as_of="2024-06", programs=("Nowhere",)), Filters(as_of="2024-06", objectives=("O9",))):
        k = kpis.compute_kpis(maturity_db, f)
        assert (k["maturity_score"], k["maturity_level"]) == (base["maturity_score"], base["maturity_level"])


def test_latest_assessment_per_business_unit_moves_with_the_month(maturity_db):
    # 2023-12: only A1 (Retail) exists: governance 1, talent 1 → score 1, level 1
    k = kpis.compute_kpis(maturity_db, Filters(as_of="2023-12"))
    assert (k["maturity_score"], k["maturity_level"]) == (1.0, 1)
    # 2024-09: Retail A2 (2.75), Finance A4 (5, 5 → 5), Ops A5 (1) → (2.75 + 5 + 1)/3 = 2.9167
    # domains: governance (3.5 + 5 + 1)/3 = 3.17, talent (2 + 5)/2 = 3.5 → level 3
    k = kpis.compute_kpis(maturity_db, Filters(as_of="2024-09"))
    assert k["maturity_score"] == approx((2.75 + 5 + 1) / 3)
    assert k["maturity_level"] == 3
    # before any assessment: empty
    k = kpis.compute_kpis(maturity_db, Filters(as_of="2023-01"))
    assert (k["maturity_score"], k["maturity_level"]) == (None, None)


def test_maturity_scores_table_with_targets_and_gaps(maturity_db):
    t = maturity.scores(maturity_db, M).set_index(["business_unit", "domain"])
    assert len(t) == 5
    assert t.loc[("Retail", "governance"), "score"] == approx(3.5)
    assert t.loc[("Retail", "governance"), "target"] == approx(4.5)
    assert t.loc[("Retail", "governance"), "gap"] == approx(1.0)       # 4.5 − 3.5
    assert t.loc[("Retail", "governance"), "assessment_id"] == "A2"
    assert t.loc[("Finance", "governance"), "gap"] == approx(1.0)      # 4 − 3
    # no target given for Retail talent: no target, no gap
    assert pd.isna(t.loc[("Retail", "talent"), "target"]) and pd.isna(t.loc[("Retail", "talent"), "gap"])


def test_selection_domain_scores(maturity_db):
    # the selection's score of a domain = mean over its business units: the maturity query by domain
    rows = kpis.breakdown(maturity_db, MATURITY_KPIS, M, "domain", [M.as_of]).set_index("group_key")
    assert rows.loc["governance", "maturity_score"] == approx(3.25)      # (3.5 + 3) / 2
    assert rows.loc["talent", "maturity_score"] == approx(3.0)
    assert rows.loc["leadership", "business_units"] == 1
    # the weakest domain (talent, 3.0) sets the staged level
    assert rows["maturity_score"].idxmin() == "talent"
    assert kpis.compute_kpis(maturity_db, M)["maturity_level"] == 3


def test_maturity_breakdowns(maturity_db):
    by_bu = kpis.kpi_breakdown(maturity_db, "maturity_score", M, "business_unit").set_index("group")["value"]
    assert by_bu.to_dict() == {"Finance": approx(4.0), "Retail": approx(2.75)}
    by_domain = kpis.kpi_breakdown(maturity_db, "maturity_level", M, "domain").set_index("group")["value"]
    assert by_domain["governance"] == 3 and by_domain["leadership"] == 5


def test_history_across_assessments(maturity_db):
    h = maturity.history(maturity_db, M)
    # A1 and A2 of Retail, A3 of Finance; A4/A5 are after end(M)
    assert sorted(h["assessment_id"].unique()) == ["A1", "A2", "A3"]
    a1 = h[h["assessment_id"] == "A1"]
    assert a1["business_unit_score"].iloc[0] == approx(1.0)
    everything = maturity.history(maturity_db, Filters(as_of="2024-12", business_units=("Finance",)))
    assert sorted(everything["assessment_id"].unique()) == ["A3", "A4"]


def test_same_day_assessments_take_the_greatest_id():
    con = make_db({"maturity_assessments": [
        assessment("X1", "2024-03-01", "Retail", "governance", "g1", 2.0),
        assessment("X2", "2024-03-01", "Retail", "governance", "g1", 4.0),
    ]})
    assert kpis.compute_kpis(con, M)["maturity_score"] == 4.0


def test_level_tolerates_float_error_in_means():
    # three business units with governance 1.4, 2.8 and 1.8: mean 2 exactly, though in binary
    # floating point the sum divided by 3 is 1.9999999999999998; the level is 2, not 1
    con = make_db({"maturity_assessments": [
        assessment("A", "2024-01-01", bu, "governance", "g1", s) for bu, s in (("U1", 1.4), ("U2", 2.8), ("U3", 1.8))
    ]})
    assert kpis.compute_kpis(con, M)["maturity_level"] == 2


def test_an_assessment_is_dated_by_its_last_row():
    # A0's rows carry two dates; the assessment counts from the later one (when it was complete)
    con = make_db({"maturity_assessments": [
        assessment("A0", "2024-01-20", "Retail", "talent", "t1", 2.0),
        assessment("A0", "2024-02-10", "Retail", "governance", "g1", 4.0),
    ]})
    assert kpis.compute_kpis(con, Filters(as_of="2024-01"))["maturity_score"] is None
    assert kpis.compute_kpis(con, Filters(as_of="2024-02"))["maturity_score"] == 3.0   # mean(2, 4)
